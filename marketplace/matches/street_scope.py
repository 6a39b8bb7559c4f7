"""Many streets in one deployment, for matches: whose matches an admin may decide, and which partners may take part.

Two rules live here, and every path uses them rather than repeating them:

- An admin (or staff) reaches a match only through its need's grid: a street admin's scope is their street's
  grids (``needs.services.grids_in_scope``). Another street's match looks missing (404), like a wrong id.
- A partner claims, accepts a proposal or is proposed only for a need in a street its organization serves
  (its registration street, or a street holding one of its service grids): otherwise 403, naming the street.
- A volunteer belongs to the street of their home grid (and to the streets they chose to serve besides,
  ``VolunteerStreet``): they sign up, are proposed and are recommended only for shifts there; another street's
  shift is refused with 403 ``street_not_served_by_you`` naming the street, as for a partner (DESIGN.md: a
  volunteer signs up with a home grid; every street's staff and admins plan with their own volunteers).
"""

import sqlalchemy as sa
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlmodel import Session

from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.matches.models import Match
from marketplace.needs.models import Need
from marketplace.needs.services import grids_in_scope
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.organizations.services import hold_organization, organizations_serving, volunteers_serving
from marketplace.places.models import Community, Grid, Street
from marketplace.places.services import street_of_grid
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import VolunteerProfile, VolunteerStreet


class NotServed(PermissionDeniedException):
    """403: the partner's organization does not serve the street of the need."""

    def __init__(self, street: Street | None, message: str | None = None) -> None:
        self.street = street
        # extra: the refusal's stable code and the street's id for programs (docs/api_refusals.md).
        extra = {"code": "street_not_served_by_you", "street_id": None if street is None else street.id}
        super().__init__(message or not_served_message(street), extra=extra)


class VolunteerNotServed(NotServed):
    """403: the need's street is none the volunteer serves (their home grid's, or one they chose)."""

    def __init__(self, street: Street | None) -> None:
        super().__init__(street, volunteer_not_served_message(street))


def _street_name(street: Street | None) -> str:
    if street is None:
        return _("this street")
    if current_locale.get() == "en" and street.name_en:
        return street.name_en
    return street.name


def not_served_message(street: Street | None) -> str:
    """The refusal in the reader's language, naming the street."""
    return _("Your organization does not serve %(street)s.") % {"street": _street_name(street)}


def volunteer_not_served_message(street: Street | None) -> str:
    """The volunteer's refusal in the reader's language, naming the street."""
    return _("This project is in %(street)s, a street you do not volunteer in.") % {"street": _street_name(street)}


def street_of_need(db: Session, need_id: int) -> Street | None:
    """The street a need lies in (need -> grid -> community -> street)."""
    need = db.get(Need, need_id)
    street_id = street_of_grid(db, need.grid_id) if need is not None else None
    return db.get(Street, street_id) if street_id is not None else None


def serves_need(db: Session, organization_id: int, need_id: int) -> bool:
    """Whether the organization serves the street of the need."""
    need = db.get(Need, need_id)
    street_id = street_of_grid(db, need.grid_id) if need is not None else None
    if street_id is None:
        return False
    serving = organizations_serving(frozenset({street_id})).where(Organization.id == organization_id)
    return db.execute(serving.limit(1)).first() is not None


def volunteer_serves_need(db: Session, volunteer_id: int, need_id: int) -> bool:
    """Whether the volunteer serves the street of the need (lives there or chose to serve it)."""
    need = db.get(Need, need_id)
    street_id = street_of_grid(db, need.grid_id) if need is not None else None
    if street_id is None:
        return False
    serving = volunteers_serving(frozenset({street_id})).where(VolunteerProfile.id == volunteer_id)
    return db.execute(serving.limit(1)).first() is not None


def volunteer_elsewhere(db: Session, user_id: int, need_id: int) -> bool:
    """The user has a volunteer profile and the need lies in none of the streets it serves: one statement (the
    take-part page asks it on every visit)."""
    profile = sa.select(VolunteerProfile.id).where(VolunteerProfile.user_id == user_id).scalar_subquery()
    served = sa.exists().where(Need.id == need_id, needs_served_by_volunteer(profile))  # type: ignore[arg-type]
    has_profile, serves = db.execute(sa.select(profile.is_not(None), served)).one()
    return bool(has_profile) and not serves


def needs_served_by(organization_id: int) -> sa.ColumnElement[bool]:
    """A condition on Need: it lies in a street the organization serves (what it may take part in)."""
    registered = sa.select(Organization.street_id).where(Organization.id == organization_id)
    via_grids = (
        sa.select(Community.street_id)
        .join(Grid, Grid.community_id == Community.id)
        .join(OrganizationGrid, OrganizationGrid.grid_id == Grid.id)
        .where(OrganizationGrid.organization_id == organization_id)
    )
    served_grids = (
        sa.select(Grid.id)
        .join(Community, Community.id == Grid.community_id)
        .where(sa.or_(Community.street_id.in_(registered), Community.street_id.in_(via_grids)))
    )
    return Need.grid_id.in_(served_grids)  # type: ignore[attr-defined]


def needs_served_by_volunteer(volunteer_id: int) -> sa.ColumnElement[bool]:
    """A condition on Need: it lies in a street the volunteer serves (lives in, or chose to serve): the tasks
    recommended to them, and the only ones they may sign up for (``volunteer_serves_need``)."""
    home = (
        sa.select(Community.street_id)
        .join(Grid, Grid.community_id == Community.id)
        .join(VolunteerProfile, VolunteerProfile.home_grid_id == Grid.id)
        .where(VolunteerProfile.id == volunteer_id)
    )
    chosen = sa.select(VolunteerStreet.street_id).where(VolunteerStreet.volunteer_id == volunteer_id)
    served_grids = (
        sa.select(Grid.id)
        .join(Community, Community.id == Grid.community_id)
        .where(sa.or_(Community.street_id.in_(home), Community.street_id.in_(chosen)))  # type: ignore[attr-defined]
    )
    return Need.grid_id.in_(served_grids)  # type: ignore[attr-defined]


def serves_need_held(db: Session, organization_id: int, need_id: int) -> bool:
    """``serves_need`` for a write about to rely on it (a claim, a proposal, an approval): the organization's
    row is held shared first, so a change of its streets waits for the write, or the write for the change
    (``organizations.served_streets``)."""
    hold_organization(db, organization_id, shared=True)
    return serves_need(db, organization_id, need_id)


def served_pairs(db: Session, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those (organization, need) pairs whose organization serves the need's street, in two queries, the
    organizations' rows held shared (in id order) as ``serves_need_held`` holds one: a round's proposals
    written together, whatever streets the round planned."""
    if not pairs:
        return set()
    organization_ids = sorted({organization_id for organization_id, _need in pairs})
    need_ids = sorted({need_id for _organization, need_id in pairs})
    db.execute(
        sa.select(Organization.id)
        .where(Organization.id.in_(organization_ids))  # type: ignore[union-attr]
        .order_by(Organization.id)
        .with_for_update(read=True)
    )
    street_of = dict(
        db.execute(
            sa.select(Need.id, Community.street_id)
            .join(Grid, Grid.id == Need.grid_id)
            .join(Community, Community.id == Grid.community_id)
            .where(Need.id.in_(need_ids))  # type: ignore[union-attr]
        ).all()
    )
    registered = sa.select(Organization.id, Organization.street_id).where(Organization.id.in_(organization_ids))  # type: ignore[union-attr]
    via_grids = (
        sa.select(OrganizationGrid.organization_id, Community.street_id)
        .join(Grid, Grid.id == OrganizationGrid.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(OrganizationGrid.organization_id.in_(organization_ids))  # type: ignore[attr-defined]
    )
    served = {
        (int(organization_id), int(street_id))
        for organization_id, street_id in db.execute(sa.union(registered, via_grids))
    }
    return {(o, n) for o, n in pairs if n in street_of and (o, int(street_of[n])) in served}


def require_serves_need(db: Session, organization_id: int, need_id: int) -> None:
    """Rule 4, the one place it is said: 403 naming the street when the organization does not serve it."""
    if not serves_need_held(db, organization_id, need_id):
        raise NotServed(street_of_need(db, need_id))


def need_in_scope(db: Session, viewer: CurrentUser, need_id: int) -> bool:
    """Whether the need lies in the grids the viewer (an admin or staff) works in."""
    found = db.execute(sa.select(Need.id).where(Need.id == need_id, grids_in_scope(viewer))).first()
    return found is not None


def scoped_match(db: Session, viewer: CurrentUser, match_id: int) -> Match:
    """The match if its need lies in the viewer's scope; 404 otherwise, as if it did not exist."""
    row = db.get(Match, match_id)
    if row is None or not need_in_scope(db, viewer, row.need_id):
        raise NotFoundException(f"No match {match_id}")
    return row
