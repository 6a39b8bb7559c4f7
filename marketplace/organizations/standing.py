"""Why a partner may not act for its organization yet: the refusal a page explains instead of a bare 403.

``require_approved_organization`` raises ``OrganizationNotApproved``, a 403 that carries what the page
needs (the status, since when, the street's reason), so the error page renders without a query.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from litestar.exceptions import PermissionDeniedException

from marketplace.organizations.models import Organization, OrganizationStatus


@dataclass(frozen=True)
class Standing:
    """The partner's organization as the refusal page shows it; ``status`` None means the user has none."""

    status: OrganizationStatus | None
    name: str = ""
    name_en: str | None = None
    since: datetime | None = None  # when it registered, for one awaiting approval
    reason: str | None = None  # the street's words, for one rejected or suspended

    @classmethod
    def of(cls, organization: Organization | None) -> "Standing":
        if organization is None:
            return cls(status=None)
        pending = organization.status is OrganizationStatus.PENDING
        return cls(
            status=organization.status,
            name=organization.name,
            name_en=organization.name_en,
            since=organization.created_at if pending else None,
            reason=organization.status_reason,
        )


def in_good_standing(organization: Organization | None) -> bool:
    """The one rule of an organization's standing: only an approved one acts, and only its offers are offered.

    ``require_approved_organization`` asks it of a partner's own organization; ``offering_organization_ids``
    is the same rule as a query, for every list that offers an organization's offers (recommendations, rounds,
    a partner's recommended projects). Pending, rejected and suspended organizations are out.
    """
    return organization is not None and organization.status == OrganizationStatus.APPROVED


def offering_organization_ids() -> sa.Select:  # type: ignore[type-arg]
    """Ids of the organizations in good standing (``in_good_standing`` as a query)."""
    return sa.select(Organization.id).where(Organization.status == OrganizationStatus.APPROVED)


def standing_probe() -> sa.ScalarSelect:  # type: ignore[type-arg]
    """One value that changes whenever an organization's standing does (suspended, reinstated, approved,
    rejected): the ids of those *not* in good standing, in order, as text. For caches of offers (the
    recommendation indexes): an offer's own rows do not change when its organization is suspended. They are few
    (awaiting approval, rejected, suspended), so the text stays short."""
    not_offering = (
        sa.select(sa.cast(Organization.id, sa.String).label("id"))
        .where(Organization.status != OrganizationStatus.APPROVED)
        .order_by(Organization.id)
        .subquery()
    )
    return sa.select(sa.func.coalesce(sa.func.aggregate_strings(not_offering.c.id, ","), "")).scalar_subquery()


class OrganizationNotApproved(PermissionDeniedException):
    """403: the actor's organization is missing, pending, rejected or suspended; ``standing`` says which."""

    def __init__(self, detail: str, standing: Standing) -> None:
        super().__init__(detail=detail)
        self.standing = standing
