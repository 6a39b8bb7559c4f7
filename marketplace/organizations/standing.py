"""Why a partner may not act for its organization yet: the refusal a page explains instead of a bare 403.

``require_approved_organization`` raises ``OrganizationNotApproved``, a 403 that carries what the page
needs (the status, since when, the street's reason), so the error page renders without a query.
"""

from dataclasses import dataclass
from datetime import datetime

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


class OrganizationNotApproved(PermissionDeniedException):
    """403: the actor's organization is missing, pending, rejected or suspended; ``standing`` says which."""

    def __init__(self, detail: str, standing: Standing) -> None:
        super().__init__(detail=detail)
        self.standing = standing
