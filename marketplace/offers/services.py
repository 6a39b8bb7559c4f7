"""The resource list: partners publish, edit and withdraw offers; the street's staff and admins browse them
(the offers of organizations serving their street; a city admin every street's).

Scope is in the queries (``offers_visible_to``): a partner selects only its organization's offers, so
another organization's offer is simply not found (404). Writing needs an approved organization (403
with the reason otherwise). Edits use optimistic locking: ``UPDATE ... WHERE version = :seen``.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar.exceptions import ClientException, NotFoundException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.services import changed, record, snapshot
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.i18n.punctuation import bracketed
from marketplace.items.services import OFFER_TEXT, offer_item_key
from marketplace.matches.services import end_waiting_on_offer
from marketplace.offers import rules
from marketplace.offers.lifecycle import expire_offers, expiry_due
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.offers.schemas import OfferCreate, OfferUpdate
from marketplace.organizations.models import Organization
from marketplace.organizations.services import (
    LIVE_OFFERS,
    hold_organization,
    organization_ids_in_admin_streets,
    organizations_serving,
    require_approved_organization,
    street_ids_served_by,
)
from marketplace.places.models import Community, Grid
from marketplace.security.identity import CurrentUser
from marketplace.sweeps import sweep_when_due
from marketplace.vocabulary import Category, ResourceKind

if TYPE_CHECKING:
    from marketplace.offers.api import validation_problem as validation_problem
    from marketplace.offers.bulk import create_offers as create_offers
    from marketplace.offers.lifecycle import effective_status as effective_status
    from marketplace.offers.lifecycle import enter_offer as enter_offer
    from marketplace.offers.lifecycle import expire_offers as expire_offers
    from marketplace.offers.lifecycle import hold_offer as hold_offer
    from marketplace.offers.lifecycle import release_to_offer as release_to_offer
    from marketplace.offers.lifecycle import reserve_from_offer as reserve_from_offer

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "create_offers": "bulk",
    "effective_status": "lifecycle",
    "enter_offer": "lifecycle",
    "expire_offers": "lifecycle",
    "hold_offer": "lifecycle",
    "release_to_offer": "lifecycle",
    "reserve_from_offer": "lifecycle",
    "validation_problem": "api",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


OFFER_FIELDS = [
    "organization_id",
    "kind",
    "category",
    "title",
    "description",
    "quantity",
    "unit",
    "remaining_quantity",
    "valid_from",
    "valid_until",
    "available_from",
    "status",
    "version",
]


class Conflict(ClientException):
    """409, not in a state that allows this: ``code`` says which refusal (docs/api_refusals.md), ``key`` the
    field at fault where one is."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, detail: str, *, code: str = "conflict", key: str | None = None, extra: dict | None = None):
        super().__init__(detail, extra={"code": code, **({"key": key} if key else {}), **(extra or {})})


class GridProblem(Exception):
    """A grid id that does not exist (the form shows it next to the service area)."""

    field = "grid_ids"


def offers_visible_to(viewer: CurrentUser | None) -> sa.Select[Any]:
    """The resource list of the streets a viewer works in: a city admin every offer, a street admin and staff
    the offers of organizations serving their street; a partner only its organization's offers."""
    statement = sa.select(Offer)
    if viewer is None:
        return statement.where(sa.false())
    if viewer.role == Role.ADMIN:
        in_streets = organization_ids_in_admin_streets(viewer)
        return statement if in_streets is None else statement.where(Offer.organization_id.in_(in_streets))  # type: ignore[attr-defined]
    if viewer.role == Role.STAFF:
        # Staff work in one street; an account naming none (older data) keeps the whole list.
        if viewer.street_id is None:
            return statement
        return statement.where(Offer.organization_id.in_(organizations_serving({viewer.street_id})))  # type: ignore[attr-defined]
    if viewer.role == Role.PARTNER and viewer.organization_id is not None:
        return statement.where(Offer.organization_id == viewer.organization_id)
    return statement.where(sa.false())


def get_offer(db: Session, viewer: CurrentUser | None, offer_id: int) -> Offer:
    row = db.execute(offers_visible_to(viewer).where(Offer.id == offer_id)).scalar_one_or_none()
    if row is None:
        raise NotFoundException(_("No such offer."))
    return row  # type: ignore[no-any-return]


def grids_of_offers(db: Session, offer_ids: list[int]) -> dict[int, list[Grid]]:
    grids: dict[int, list[Grid]] = {offer_id: [] for offer_id in offer_ids}
    if not offer_ids:
        return grids
    rows = db.execute(
        sa.select(OfferGrid.offer_id, Grid)
        .join(Grid, Grid.id == OfferGrid.grid_id)
        .where(OfferGrid.offer_id.in_(offer_ids))  # type: ignore[attr-defined]
        .order_by(Grid.community_id, Grid.number)
    ).all()
    for offer_id, grid in rows:
        grids[offer_id].append(grid)
    return grids


def organization_names(db: Session, organization_ids: list[int]) -> dict[int, Organization]:
    if not organization_ids:
        return {}
    rows = db.execute(sa.select(Organization).where(Organization.id.in_(set(organization_ids)))).scalars()  # type: ignore[union-attr]
    return {row.id: row for row in rows}  # type: ignore[misc]


@dataclass
class OfferFilters:
    kind: ResourceKind | None = None
    category: Category | None = None
    grid_id: int | None = None
    status: OfferStatus | None = None
    q: str | None = None
    # Serving one community's grids (a city admin chooses a community before one of its grids).
    community_id: int | None = None

    def query_items(self) -> dict[str, str]:
        items = {
            "kind": self.kind.value if self.kind else "",
            "category": self.category.value if self.category else "",
            "grid_id": str(self.grid_id) if self.grid_id else "",
            "community_id": str(self.community_id) if self.community_id else "",
            "status": self.status.value if self.status else "",
            "q": self.q or "",
        }
        return {key: value for key, value in items.items() if value}


@dataclass
class OfferListing:
    rows: list[Offer]
    total: int
    counts: dict[str, int] = field(default_factory=dict)


def filtered_offers(viewer: CurrentUser | None, filters: OfferFilters) -> sa.Select[Any]:
    """The visible offers matching the filters, newest first (also what the export writes)."""
    statement = offers_visible_to(viewer)
    if filters.kind is not None:
        statement = statement.where(Offer.kind == filters.kind)
    if filters.category is not None:
        statement = statement.where(Offer.category == filters.category)
    if filters.status is not None:
        statement = statement.where(Offer.status == filters.status)
    if filters.grid_id is not None:
        statement = statement.where(
            Offer.id.in_(sa.select(OfferGrid.offer_id).where(OfferGrid.grid_id == filters.grid_id))  # type: ignore[union-attr]
        )
    if filters.community_id is not None:
        in_community = sa.select(Grid.id).where(Grid.community_id == filters.community_id)
        statement = statement.where(
            Offer.id.in_(sa.select(OfferGrid.offer_id).where(OfferGrid.grid_id.in_(in_community)))  # type: ignore[union-attr,attr-defined]
        )
    if filters.q:
        statement = statement.where(Offer.title.ilike(f"%{filters.q.strip()}%"))  # type: ignore[attr-defined]
    return statement.order_by(Offer.created_at.desc(), Offer.id.desc())  # type: ignore[attr-defined]


def list_offers(
    db: Session, viewer: CurrentUser | None, filters: OfferFilters, *, page: int = 1, page_size: int = 20
) -> OfferListing:
    """A page of visible offers and a count per status (for the tabs), filters applied except status."""
    without_status = filtered_offers(viewer, replace(filters, status=None))
    subquery = without_status.order_by(None).subquery()
    counts = {
        str(getattr(value, "value", value)): int(count)
        for value, count in db.execute(sa.select(subquery.c.status, sa.func.count()).group_by(subquery.c.status))
    }
    statement = filtered_offers(viewer, filters)
    total = int(db.execute(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())).scalar_one())
    rows = list(db.execute(statement.limit(page_size).offset((page - 1) * page_size)).scalars())
    return OfferListing(rows=rows, total=total, counts=counts)


def sweep_expired(reader: Session, writers: sessionmaker[Session]) -> int:
    """The expiry sweep list requests run before reading: one probe, and one UPDATE in its own transaction
    only when an offer's window has closed since the last sweep."""
    now = utcnow()
    return sweep_when_due(reader, writers, expiry_due(now), lambda db: expire_offers(db, now)) or 0


def grids_outside_served_streets(db: Session, organization_id: int, grid_ids: list[int]) -> list[Grid]:
    """The grids among ``grid_ids`` that lie in no street the organization serves (``street_ids_served_by``):
    nobody there sees the offer or can be matched with it (the rule is ``rules.area_outside``)."""
    if not grid_ids:
        return []
    rows = db.execute(
        sa.select(Grid, Community.street_id)
        .join(Community, Community.id == Grid.community_id)  # type: ignore[arg-type]
        .where(Grid.id.in_(sorted(set(grid_ids))))  # type: ignore[union-attr]
        .order_by(Grid.code)
    ).all()
    outside = set(
        rules.area_outside({grid.id: street_id for grid, street_id in rows}, street_ids_served_by(db, organization_id))
    )
    return [grid for grid, _street in rows if grid.id in outside]


def service_area_problem(db: Session, organization_id: int, grid_ids: list[int]) -> str | None:
    """The rule of the domain on an offer's service area, as a sentence (None: the area is fine). Every path
    that writes an offer's grids (the form, the JSON API, the import) goes through it."""
    outside = grids_outside_served_streets(db, organization_id, grid_ids)
    if not outside:
        return None
    english = current_locale.get() == "en"
    names = (", " if english else "、").join(
        ((grid.name_en or grid.name) if english else grid.name) + bracketed(grid.code) for grid in outside[:5]
    )
    return _(
        "These grids lie in a street your organization does not serve, so nobody there would see the offer: "
        "%(grids)s. Choose grids of the streets you serve."
    ) % {"grids": names}


def check_grids(db: Session, grid_ids: list[int], organization_id: int) -> None:
    """Raises GridProblem unless every grid exists and lies in a street the organization serves (form, API, import)."""
    # The streets it serves hold still until the offer is written (organizations.served_streets).
    hold_organization(db, organization_id, shared=True)
    found = set(db.execute(sa.select(Grid.id).where(Grid.id.in_(grid_ids))).scalars())  # type: ignore[union-attr]
    if found != set(grid_ids):
        raise GridProblem(_("Choose grids from the list."))
    problem = service_area_problem(db, organization_id, grid_ids)
    if problem:
        raise GridProblem(problem)


def _set_grids(db: Session, offer_id: int, grid_ids: list[int]) -> None:
    db.execute(sa.delete(OfferGrid).where(OfferGrid.offer_id == offer_id))  # type: ignore[arg-type]
    for grid_id in sorted(set(grid_ids)):
        db.add(OfferGrid(offer_id=offer_id, grid_id=grid_id))


def _grid_ids(db: Session, offer_id: int) -> list[int]:
    return sorted(db.execute(sa.select(OfferGrid.grid_id).where(OfferGrid.offer_id == offer_id)).scalars())


def create_offer(db: Session, actor: CurrentUser, data: OfferCreate, *, audit: bool = True) -> Offer:
    """A new active offer of the actor's (approved) organization, in the caller's transaction."""
    organization = require_approved_organization(db, actor)
    assert organization.id is not None
    check_grids(db, data.grid_ids, organization.id)
    row = data.to_row(organization.id)
    row.status = OfferStatus.ACTIVE
    row.item_key = offer_item_key(db, row)
    db.add(row)
    db.flush()
    assert row.id is not None
    _set_grids(db, row.id, data.grid_ids)
    if audit:
        after = snapshot(row, OFFER_FIELDS) or {}
        after["grid_ids"] = sorted(set(data.grid_ids))
        record(db, "offer.create", object_type="offer", object_id=row.id, after=after, actor=actor)
    return row


def _writable(db: Session, actor: CurrentUser, offer_id: int) -> Offer:
    require_approved_organization(db, actor)
    return get_offer(db, actor, offer_id)


def update_offer(db: Session, actor: CurrentUser, offer_id: int, data: OfferUpdate) -> Offer:
    """Apply an edit made from ``data.version``; 409 if someone changed the offer since.

    The rules across fields are checked on the merged values (raises pydantic ``ValidationError``).
    """
    row = _writable(db, actor, offer_id)
    if row.status == OfferStatus.WITHDRAWN:
        raise Conflict(_("This offer was withdrawn; it can no longer be edited."), code="offer_withdrawn")
    if row.version != data.version:
        raise Conflict(
            _("This offer was changed by someone else; reload it and try again."), code="offer_changed", key="version"
        )
    before = snapshot(row, OFFER_FIELDS) or {}
    before["grid_ids"] = _grid_ids(db, offer_id)
    changes = data.changes()
    merged = {name: getattr(row, name) for name in OFFER_FIELDS if hasattr(row, name)} | changes
    data.check_merged(merged, row)
    now = utcnow()
    values = dict(changes)
    if changes.keys() & set(OFFER_TEXT):
        values["item_key"] = offer_item_key(db, merged)
    # Status follows the quantities: an edit that refills an exhausted offer makes it active again.
    if row.status in (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED):
        values["status"] = OfferStatus.EXHAUSTED if merged["remaining_quantity"] == 0 else OfferStatus.ACTIVE
        until = merged.get("valid_until")
        if until is not None and until <= now:
            values["status"] = OfferStatus.EXPIRED
    elif row.status == OfferStatus.EXPIRED and "valid_until" in changes:
        until = merged.get("valid_until")
        if until is None or until > now:
            values["status"] = OfferStatus.EXHAUSTED if merged["remaining_quantity"] == 0 else OfferStatus.ACTIVE
    # The area is checked whenever it is written, and whenever the offer stays or becomes live: an edit that
    # refills or reopens an offer whose organization has left a street of its area since is told to change it.
    if data.grid_ids is not None or values.get("status", row.status) in LIVE_OFFERS:
        check_grids(db, data.grid_ids if data.grid_ids is not None else before["grid_ids"], row.organization_id)
    result = db.execute(
        sa.update(Offer)
        .where(Offer.id == offer_id, Offer.version == data.version)  # type: ignore[arg-type]
        .values(**values, version=Offer.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            _("This offer was changed by someone else; reload it and try again."), code="offer_changed", key="version"
        )
    if data.grid_ids is not None:
        _set_grids(db, offer_id, data.grid_ids)
    db.expire(row)
    db.refresh(row)
    after = snapshot(row, OFFER_FIELDS) or {}
    after["grid_ids"] = _grid_ids(db, offer_id)
    old, new = changed(before, after)
    record(db, "offer.update", object_type="offer", object_id=offer_id, before=old, after=new, actor=actor)
    return row


def withdraw_offer(db: Session, actor: CurrentUser, offer_id: int) -> Offer:
    """Withdraw an offer (any status but withdrawn); it stays in the list, no longer claimable."""
    row = _writable(db, actor, offer_id)
    if row.status == OfferStatus.WITHDRAWN:
        raise Conflict(_("This offer is already withdrawn."), code="offer_already_withdrawn")
    before = {"status": row.status.value, "version": row.version}
    result = db.execute(
        sa.update(Offer)
        .where(Offer.id == offer_id, Offer.status != OfferStatus.WITHDRAWN)  # type: ignore[arg-type]
        .values(status=OfferStatus.WITHDRAWN, version=Offer.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("This offer is already withdrawn."), code="offer_already_withdrawn")
    db.expire(row)
    db.refresh(row)
    ended = end_waiting_on_offer(db, actor, offer_id)
    record(
        db,
        "offer.withdraw",
        object_type="offer",
        object_id=offer_id,
        before=before,
        after={"status": row.status.value, "version": row.version, "claims_ended": len(ended)},
        actor=actor,
    )
    return row


def is_expired_now(row: Offer, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return row.valid_until is not None and row.valid_until <= now
