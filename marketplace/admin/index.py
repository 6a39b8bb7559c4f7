"""The admin home: what needs an admin's attention, with counts."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import user_in_admin_streets
from marketplace.admin.audit_log import AuditEntry, AuditFilters, search_audit
from marketplace.admin.tokens import active_token_count
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.organizations.services import organization_in_admin_streets
from marketplace.security.identity import CurrentUser


@dataclass(frozen=True)
class AdminOverview:
    users: int
    users_disabled: int
    organizations_pending: int
    tokens_active: int
    audit_total: int
    latest_events: list[AuditEntry]


def admin_overview(reader: Session, viewer: CurrentUser) -> AdminOverview:
    """The counts of what the admin manages: their street's (a city admin's: every street's)."""
    count = sa.func.count()
    managed = user_in_admin_streets(viewer)
    users = int(reader.execute(sa.select(count).select_from(User).where(managed)).scalar_one())
    disabled = int(reader.execute(sa.select(count).where(User.is_active.is_(False), managed)).scalar_one())  # type: ignore[attr-defined]
    pending = int(
        reader.execute(
            sa.select(count)
            .select_from(Organization)
            .where(Organization.status == OrganizationStatus.PENDING, organization_in_admin_streets(viewer))
        ).scalar_one()
    )
    latest = search_audit(reader, AuditFilters(), viewer=viewer, page=1, page_size=10)
    return AdminOverview(
        users=users,
        users_disabled=disabled,
        organizations_pending=pending,
        tokens_active=active_token_count(reader, viewer),
        audit_total=latest.total,
        latest_events=latest.entries,
    )
