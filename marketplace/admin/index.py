"""The admin home: what needs an admin's attention, with counts."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.admin.audit_log import AuditEntry, AuditFilters, search_audit
from marketplace.admin.tokens import active_token_count
from marketplace.organizations.models import Organization, OrganizationStatus


@dataclass(frozen=True)
class AdminOverview:
    users: int
    users_disabled: int
    organizations_pending: int
    tokens_active: int
    audit_total: int
    latest_events: list[AuditEntry]


def admin_overview(reader: Session) -> AdminOverview:
    count = sa.func.count()
    users = int(reader.execute(sa.select(count).select_from(User)).scalar_one())
    disabled = int(reader.execute(sa.select(count).where(User.is_active.is_(False))).scalar_one())  # type: ignore[attr-defined]
    pending = int(
        reader.execute(
            sa.select(count).select_from(Organization).where(Organization.status == OrganizationStatus.PENDING)
        ).scalar_one()
    )
    latest = search_audit(reader, AuditFilters(), page=1, page_size=10)
    return AdminOverview(
        users=users,
        users_disabled=disabled,
        organizations_pending=pending,
        tokens_active=active_token_count(reader),
        audit_total=latest.total,
        latest_events=latest.entries,
    )
