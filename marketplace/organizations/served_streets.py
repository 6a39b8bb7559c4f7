"""When the streets an organization serves change: the one rule every writer of its grids goes through.

An organization serves its registration street and the streets of the grids it chose (``scope``). Its offers'
service areas lie in those streets (``offers.services.service_area_problem``), and it claims, is proposed and
is approved only in them (``matches.street_scope``). So a change of its grids that would stop it serving a
street is refused (409) while, in that street,

- one of its offers still live (active, or exhausted and refillable) has grids in its service area: the
  partner changes that offer's area or withdraws it first, so nothing is trimmed or ended behind their back;
- one of its claims or proposals waits for the street's review: the street could no longer approve it. The
  partner cancels or declines it first (or the street decides it).

Approved claims stay: the partner delivers or cancels them wherever they are. A change that keeps every
street (grids moved within a street, grids added) is never refused. The organization's row is locked for
the change, and the paths that start a claim or an approval take it shared (``hold_organization``), so a
claim cannot slip into a street while it is being given up.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.organizations.scope import street_ids_served_by
from marketplace.places.models import Street
from marketplace.places.services import grids_of_streets, streets_of_grids

# Offers that can still be claimed, or be refilled into claimable ones by an edit that does not touch the area.
LIVE_OFFERS = (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED)
SHOWN = 5  # offers and claims named in the refusal; the rest are counted


@dataclass(frozen=True)
class Named:
    id: int
    title: str


@dataclass
class StillServing:
    """What keeps an organization in the streets it would give up."""

    streets: list[Street]
    offers: list[Named] = field(default_factory=list)
    waiting: list[Named] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.offers or self.waiting)


class StreetStillInUse(ClientException):
    """409: giving up a street where live offers or waiting claims of the organization still are."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, found: StillServing) -> None:
        self.found = found
        super().__init__(
            refusal(found),
            extra={
                "key": "grid_ids",
                "streets": [street.code for street in found.streets],
                "offer_ids": [offer.id for offer in found.offers],
                "match_ids": [match.id for match in found.waiting],
            },
        )


def _street_names(streets: list[Street]) -> str:
    english = current_locale.get() == "en"
    separator = ", " if english else "、"
    return separator.join((street.name_en or street.name) if english else street.name for street in streets)


def _listed(items: list[Named], total: int) -> str:
    english = current_locale.get() == "en"
    pattern = "“{}” (#{})" if english else "“{}”（#{}）"
    names = (", " if english else "、").join(pattern.format(item.title, item.id) for item in items[:SHOWN])
    if total > SHOWN:
        more = total - SHOWN
        names += counted(" and %(num)d more", " and %(num)d more", more)
    return names


def refusal(found: StillServing) -> str:
    """The refusal as a sentence in the reader's language, naming the street, the offers and the claims."""
    parts = [_("Your organization would no longer serve %(streets)s.") % {"streets": _street_names(found.streets)}]
    if found.offers:
        parts.append(
            _("These offers still serve grids there: %(offers)s. Change their service area or withdraw them first.")
            % {"offers": _listed(found.offers, len(found.offers))}
        )
    if found.waiting:
        parts.append(
            _(
                "These claims and proposals still wait for the street's review there: %(claims)s. "
                "Cancel or decline them first."
            )
            % {"claims": _listed(found.waiting, len(found.waiting))}
        )
    return (" " if current_locale.get() == "en" else "").join(parts)  # Chinese sentences join without a space


def hold_organization(db: Session, organization_id: int, *, shared: bool = True) -> None:
    """The organization's row locked until the transaction ends: shared by a claim or an approval about to rely
    on the streets it serves, exclusive by a change of them. SQLite serialises writers anyway."""
    statement = sa.select(Organization.id).where(Organization.id == organization_id)  # type: ignore[arg-type]
    db.execute(statement.with_for_update(read=shared))


def given_up(db: Session, organization_id: int, grid_ids: list[int]) -> frozenset[int]:
    """The streets the organization serves now and would no longer serve with these grids."""
    registered = db.execute(
        sa.select(Organization.street_id).where(Organization.id == organization_id)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    keeps = streets_of_grids(db, grid_ids) | ({registered} if registered is not None else set())
    return street_ids_served_by(db, organization_id) - keeps


def still_serving(db: Session, organization_id: int, street_ids: frozenset[int]) -> StillServing:
    """The organization's live offers with grids in these streets, and its matches waiting for review there."""
    streets = list(
        db.execute(sa.select(Street).where(Street.id.in_(sorted(street_ids))).order_by(Street.code)).scalars()  # type: ignore[union-attr,attr-defined]
    )
    found = StillServing(streets)
    if not street_ids:
        return found
    in_streets = grids_of_streets(street_ids)
    offers = db.execute(
        sa.select(Offer.id, Offer.title)
        .where(
            Offer.organization_id == organization_id,
            Offer.status.in_(LIVE_OFFERS),  # type: ignore[attr-defined]
            Offer.id.in_(sa.select(OfferGrid.offer_id).where(OfferGrid.grid_id.in_(in_streets))),  # type: ignore[union-attr,attr-defined]
        )
        .order_by(Offer.id)
    ).all()
    found.offers = [Named(int(offer_id), title) for offer_id, title in offers]
    waiting = db.execute(
        sa.select(Match.id, Need.title)
        .join(Need, Need.id == Match.need_id)  # type: ignore[arg-type]
        .where(
            Match.organization_id == organization_id,
            Match.status == MatchStatus.PROPOSED,
            Need.grid_id.in_(in_streets),  # type: ignore[attr-defined]
        )
        .order_by(Match.id)
    ).all()
    found.waiting = [Named(int(match_id), title) for match_id, title in waiting]
    return found


class GridsOfAnotherStreet(ClientException):
    """400: grids of a street the organization does not serve. A street's admins vet the organizations working
    there; ticking one of its grids must not make an organization vetted elsewhere serve it (its offers shown
    and claims made there, its application opened to that street's admins)."""

    status_code = HTTP_400_BAD_REQUEST

    def __init__(self, street_codes: list[str]) -> None:
        super().__init__(
            _("Choose grids of the streets your organization serves."),
            extra={"key": "grid_ids", "streets": street_codes},
        )


def streets_not_served(db: Session, organization_id: int, grid_ids: list[int]) -> frozenset[int]:
    """The streets of ``grid_ids`` the organization does not serve now (its registration street and its grids'
    streets): empty for a change of grids within its streets."""
    return frozenset(streets_of_grids(db, grid_ids) - street_ids_served_by(db, organization_id))


def set_service_grids(db: Session, organization_id: int, grid_ids: list[int]) -> None:
    """Replace the organization's grids, in the caller's transaction. Refused: ``GridsOfAnotherStreet`` (400)
    for a grid of a street it does not serve (every writer: registration, its manager, a resubmission, an
    admin's correction); ``StreetStillInUse`` (409) when the change would give up a street where its live offers
    or waiting claims still are. The grids must exist (checked before)."""
    hold_organization(db, organization_id, shared=False)
    outside = streets_not_served(db, organization_id, grid_ids)
    if outside:
        codes = db.execute(sa.select(Street.code).where(Street.id.in_(sorted(outside))).order_by(Street.code))  # type: ignore[attr-defined]
        raise GridsOfAnotherStreet(list(codes.scalars()))
    dropped = given_up(db, organization_id, grid_ids)
    if dropped:
        found = still_serving(db, organization_id, dropped)
        if found:
            raise StreetStillInUse(found)
    db.execute(sa.delete(OrganizationGrid).where(OrganizationGrid.organization_id == organization_id))  # type: ignore[arg-type]
    for grid_id in sorted(set(grid_ids)):
        db.add(OrganizationGrid(organization_id=organization_id, grid_id=grid_id))
