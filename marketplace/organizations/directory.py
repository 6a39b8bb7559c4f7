"""The organizations directory for staff and admins: search, filters, sort and pages, and its export.

Scope: an admin sees what ``scope.organizations_visible_to`` gives them (a street admin the organizations
serving the street, every status; a city admin all); staff see the approved organizations serving their
street. Contacts (person and phone) are masked in the list and in the export, for every role.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import N_
from marketplace.masking import mask_name, mask_phone
from marketplace.matches.models import Match, MatchStatus
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationKind, OrganizationStatus
from marketplace.organizations.scope import organizations_serving, organizations_visible_to
from marketplace.places.models import Community, Grid
from marketplace.places.services import viewer_street_ids
from marketplace.query_filters import choice, like_pattern, number, parse_search
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import street_day
from marketplace.vocabulary import Category

PAGE_SIZE = 50
SORTS: dict[str, str] = {
    "name": N_("Name"),
    "contributions": N_("Contributions"),
    "open_offers": N_("Open offers"),
}


@dataclass(frozen=True)
class OrganizationFilters:
    q: str | None = None
    kind: OrganizationKind | None = None
    status: OrganizationStatus | None = None
    category: Category | None = None
    community_id: int | None = None
    sort: str = "name"

    def query(self) -> dict[str, str]:
        values = {
            "q": self.q,
            "kind": self.kind.value if self.kind else None,
            "status": self.status.value if self.status else None,
            "category": self.category.value if self.category else None,
            "community": self.community_id,
            "sort": None if self.sort == "name" else self.sort,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def parse_filters(params: Mapping[str, Any]) -> OrganizationFilters:
    """The query string's filters; a value the directory cannot use raises ``InvalidFilter`` naming it."""
    kind = choice(params, "kind", [member.value for member in OrganizationKind])
    status = choice(params, "status", [member.value for member in OrganizationStatus])
    category = choice(params, "category", [member.value for member in Category])
    return OrganizationFilters(
        q=parse_search(params),
        kind=OrganizationKind(kind) if kind else None,
        status=OrganizationStatus(status) if status else None,
        category=Category(category) if category else None,
        community_id=number(params, "community"),
        sort=choice(params, "sort", SORTS) or "name",
    )


def visible_organizations(viewer: CurrentUser) -> sa.Select[Any]:
    """Admins: their scope, every status. Staff: approved organizations serving their street."""
    if viewer.role == Role.ADMIN:
        return organizations_visible_to(viewer)
    statement = sa.select(Organization).where(Organization.status == OrganizationStatus.APPROVED)
    if viewer.role != Role.STAFF:
        return statement.where(sa.false())
    street_ids = viewer_street_ids(viewer)
    if street_ids is None:
        return statement
    return statement.where(Organization.id.in_(organizations_serving(street_ids)))  # type: ignore[union-attr]


def _open_offers() -> Any:
    return (
        sa.select(Offer.organization_id.label("organization_id"), sa.func.count().label("open_offers"))
        .where(Offer.status == OfferStatus.ACTIVE, Offer.remaining_quantity > 0)
        .group_by(Offer.organization_id)
        .subquery()
    )


def _contributions() -> Any:
    """Fulfilled matches naming the organization (its offers delivered, whole projects done)."""
    return (
        sa.select(Match.organization_id.label("organization_id"), sa.func.count().label("contributions"))
        .where(Match.status == MatchStatus.FULFILLED, Match.organization_id.is_not(None))  # type: ignore[union-attr]
        .group_by(Match.organization_id)
        .subquery()
    )


def _conditions(filters: OrganizationFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.q:
        pattern = like_pattern(filters.q)
        conditions.append(
            sa.or_(
                Organization.name.ilike(pattern, escape="\\"),  # type: ignore[attr-defined]
                sa.func.coalesce(Organization.name_en, "").ilike(pattern, escape="\\"),
                Organization.credit_code.ilike(pattern, escape="\\"),  # type: ignore[attr-defined]
            )
        )
    if filters.kind is not None:
        conditions.append(Organization.kind == filters.kind)
    if filters.status is not None:
        conditions.append(Organization.status == filters.status)
    if filters.category is not None:
        offering = sa.select(Offer.organization_id).where(
            Offer.category == filters.category, Offer.status == OfferStatus.ACTIVE
        )
        conditions.append(Organization.id.in_(offering))  # type: ignore[union-attr]
    if filters.community_id is not None:
        serving = (
            sa.select(OrganizationGrid.organization_id)
            .join(Grid, Grid.id == OrganizationGrid.grid_id)
            .where(Grid.community_id == filters.community_id)
        )
        conditions.append(Organization.id.in_(serving))  # type: ignore[union-attr]
    return conditions


@dataclass
class OrganizationRow:
    """One organization as the directory and its export show it: plain data, the contact masked."""

    organization: Organization
    contact_masked: str
    phone_masked: str
    open_offers: int
    contributions: int
    registered_on: date
    communities: list[Community] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)


@dataclass
class OrganizationPage:
    rows: list[OrganizationRow]
    total: int
    page: int
    pages: int


def _listed(viewer: CurrentUser, filters: OrganizationFilters) -> tuple[sa.Select[Any], list[tuple[Any, bool]]]:
    """The organizations the viewer may see that match the filters (each with its open offers and
    contributions), unordered, and the sort's order as (expression, descending) pairs ending with the id."""
    visible = visible_organizations(viewer).subquery()
    offers, done = _open_offers(), _contributions()
    open_count = sa.func.coalesce(offers.c.open_offers, 0)
    done_count = sa.func.coalesce(done.c.contributions, 0)
    base = (
        sa.select(Organization, open_count, done_count)
        .join(visible, visible.c.id == Organization.id)
        .outerjoin(offers, offers.c.organization_id == Organization.id)
        .outerjoin(done, done.c.organization_id == Organization.id)
        .where(*_conditions(filters))
    )
    name = [(Organization.name, False), (Organization.id, False)]
    order = {"contributions": [(done_count, True), *name], "open_offers": [(open_count, True), *name]}
    return base, order.get(filters.sort, name)


def export_listing(
    viewer: CurrentUser, filters: OrganizationFilters
) -> tuple[sa.Select[Any], list[tuple[Any, bool]], Callable[[Session, list[Any]], list[OrganizationRow]]]:
    """The directory for an export read page after page by its order (exchange.paging): the statement, its
    order, and what makes a page of its rows into OrganizationRows."""
    base, order = _listed(viewer, filters)
    return base, order, lambda db, rows: _rows(db, viewer, list(rows))


def count_organizations(db: Session, viewer: CurrentUser, filters: OrganizationFilters) -> int:
    base, _order = _listed(viewer, filters)
    return int(db.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one())


def search_organizations(
    db: Session, viewer: CurrentUser, filters: OrganizationFilters, *, page: int = 1, page_size: int = PAGE_SIZE
) -> OrganizationPage:
    """The organizations the viewer may see that match the filters, sorted, one page (4 statements)."""
    base, order = _listed(viewer, filters)
    total = int(db.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one())
    sort = [expr.desc() if descending else expr for expr, descending in order]
    rows = db.execute(base.order_by(*sort).limit(page_size).offset((page - 1) * page_size)).all()
    return OrganizationPage(_rows(db, viewer, rows), total, page, max(1, -(-total // page_size)))


def _rows(db: Session, viewer: CurrentUser, rows: list[Any]) -> list[OrganizationRow]:
    ids = [organization.id for organization, _o, _c in rows]
    # An organization serving several streets shows only the communities of the viewer's streets.
    street_ids = viewer_street_ids(viewer)
    communities: dict[int, dict[int, Community]] = defaultdict(dict)
    categories: dict[int, set[str]] = defaultdict(set)
    if ids:
        for organization_id, community in db.execute(
            sa.select(OrganizationGrid.organization_id, Community)
            .join(Grid, Grid.id == OrganizationGrid.grid_id)
            .join(Community, Community.id == Grid.community_id)
            .where(OrganizationGrid.organization_id.in_(ids))  # type: ignore[attr-defined]
            .where(sa.true() if street_ids is None else Community.street_id.in_(sorted(street_ids)))  # type: ignore[attr-defined]
            .order_by(Community.id)
        ):
            communities[organization_id][community.id] = community
        for organization_id, category in db.execute(
            sa.select(Offer.organization_id, Offer.category)
            .where(Offer.organization_id.in_(ids), Offer.status == OfferStatus.ACTIVE)  # type: ignore[attr-defined]
            .distinct()
        ):
            categories[organization_id].add(getattr(category, "value", category))
    order = [category for category in Category]
    return [
        OrganizationRow(
            organization=organization,
            contact_masked=mask_name(organization.contact_name) or "",
            phone_masked=mask_phone(organization.contact_phone) or "",
            open_offers=int(open_offers),
            contributions=int(contributions),
            registered_on=street_day(organization.created_at),
            communities=list(communities[organization.id].values()),
            categories=[category for category in order if category.value in categories[organization.id]],
        )
        for organization, open_offers, contributions in rows
    ]
