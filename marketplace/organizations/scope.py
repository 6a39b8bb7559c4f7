"""What each person may see: the base queries every organization and volunteer page and API starts from.

Scope lives here, in the queries, not only in route guards: a handler that forgets a guard still
cannot return another organization's rows, because it never selects them.
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.places.models import Community, Grid
from marketplace.places.services import admin_street_ids, grids_of_streets
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import VolunteerProfile, VolunteerStreet

# --- the streets organizations and volunteers serve -----------------------------------------------


def organization_ids_serving(street_ids: frozenset[int] | set[int]) -> sa.CompoundSelect:
    """Ids of organizations serving any of these streets: registered there, or serving one of its grids.
    A UNION of two index lookups, as ``volunteer_ids_serving``."""
    ids = sorted(street_ids)
    registered = sa.select(Organization.id).where(Organization.street_id.in_(ids))  # type: ignore[attr-defined]
    in_grids = sa.select(OrganizationGrid.organization_id).where(
        OrganizationGrid.grid_id.in_(grids_of_streets(ids))  # type: ignore[attr-defined]
    )
    return sa.union(registered, in_grids)


def organizations_serving(street_ids: frozenset[int] | set[int]) -> sa.Select[Any]:
    """The same ids as a query of organizations, to narrow further (``.where(Organization.id == ...)``)."""
    return sa.select(Organization.id).where(Organization.id.in_(organization_ids_serving(street_ids)))  # type: ignore[union-attr]


def street_ids_served_by(db: Session, organization_id: int) -> frozenset[int]:
    """The streets one organization serves, as ``organization_ids_serving`` reads it the other way round:
    the street it is registered in and the streets of the grids it serves."""
    registered = sa.select(Organization.street_id).where(Organization.id == organization_id)  # type: ignore[arg-type]
    via_grids = (
        sa.select(Community.street_id)
        .join(Grid, Grid.community_id == Community.id)  # type: ignore[arg-type]
        .join(OrganizationGrid, OrganizationGrid.grid_id == Grid.id)  # type: ignore[arg-type]
        .where(OrganizationGrid.organization_id == organization_id)  # type: ignore[arg-type]
    )
    return frozenset(street_id for street_id in db.execute(sa.union(registered, via_grids)).scalars() if street_id)


def volunteer_ids_serving(street_ids: frozenset[int] | set[int]) -> sa.CompoundSelect:
    """Ids of volunteer profiles serving any of these streets: living there, or having chosen to serve it.
    A UNION of two index lookups: as an OR, PostgreSQL scanned all of a city's 100,000 profiles (33 ms)."""
    ids = sorted(street_ids)
    living = sa.select(VolunteerProfile.id).where(VolunteerProfile.home_grid_id.in_(grids_of_streets(ids)))  # type: ignore[attr-defined]
    chosen = sa.select(VolunteerStreet.volunteer_id).where(VolunteerStreet.street_id.in_(ids))  # type: ignore[attr-defined]
    return sa.union(living, chosen)


def volunteers_serving(street_ids: frozenset[int] | set[int]) -> sa.Select[Any]:
    """The same ids as a query of profiles, to narrow further (``.where(VolunteerProfile.id == ...)``)."""
    return sa.select(VolunteerProfile.id).where(VolunteerProfile.id.in_(volunteer_ids_serving(street_ids)))  # type: ignore[union-attr]


def organization_in_admin_streets(viewer: CurrentUser) -> sa.ColumnElement[bool]:
    """A condition on Organization.id: true for a city admin, else the organization serves the admin's street."""
    street_ids = admin_street_ids(viewer)
    return sa.true() if street_ids is None else Organization.id.in_(organizations_serving(street_ids))  # type: ignore[union-attr]


def volunteer_in_admin_streets(viewer: CurrentUser) -> sa.ColumnElement[bool]:
    """A condition on VolunteerProfile.id: true for a city admin, else the volunteer serves the admin's street."""
    street_ids = admin_street_ids(viewer)
    return sa.true() if street_ids is None else VolunteerProfile.id.in_(volunteers_serving(street_ids))  # type: ignore[union-attr]


def organization_ids_in_admin_streets(viewer: CurrentUser) -> sa.Select[Any] | None:
    """Ids of the organizations an admin works with (None: every one, a city admin)."""
    street_ids = admin_street_ids(viewer)
    return None if street_ids is None else organizations_serving(street_ids)


def organizations_visible_to(viewer: CurrentUser | None) -> sa.Select[Any]:
    """The one reading rule: everybody sees the approved organizations; a partner also their own, whatever its
    status; a street admin sees those serving their street (every status), a city admin every one.

    Seeing a row is not seeing all of it: ``sees_contacts`` decides which fields a viewer gets (a partner
    reads another organization's public fields only, as an anonymous caller does). A partner's writes do not
    start from here: they reach their own organization only (``services.get_own_organization``).
    """
    statement = sa.select(Organization)
    if viewer is not None and viewer.role == Role.ADMIN:
        return statement.where(organization_in_admin_streets(viewer))
    approved = Organization.status == OrganizationStatus.APPROVED
    if viewer is not None and viewer.role == Role.PARTNER and viewer.organization_id is not None:
        return statement.where(sa.or_(approved, Organization.id == viewer.organization_id))
    return statement.where(approved)


def sees_contacts(
    viewer: CurrentUser | None, organization: Organization, street_ids: Iterable[int] | None = None
) -> bool:
    """Contacts are for the admins of a street it serves (``street_ids``: the streets it serves, else its
    registration street alone), city admins, and the organization's own users."""
    if viewer is None:
        return False
    if viewer.role == Role.PARTNER:
        return viewer.organization_id == organization.id
    if viewer.role != Role.ADMIN:
        return False
    mine = admin_street_ids(viewer)
    served = set(street_ids) if street_ids is not None else {organization.street_id}
    return mine is None or bool(mine & served)


def organization_users_visible_to(viewer: CurrentUser) -> sa.Select[Any]:
    """Users of organizations: a city admin sees all, a street admin those of organizations serving their
    street, a partner only their own organization's."""
    statement = sa.select(User).where(User.role == Role.PARTNER)
    if viewer.role == Role.ADMIN:
        in_streets = organization_ids_in_admin_streets(viewer)
        return statement if in_streets is None else statement.where(User.organization_id.in_(in_streets))  # type: ignore[union-attr]
    if viewer.role == Role.PARTNER and viewer.organization_id is not None:
        return statement.where(User.organization_id == viewer.organization_id)
    return statement.where(sa.false())


def staff_grid_condition(viewer: CurrentUser) -> sa.ColumnElement[bool]:
    """The grids a staff member works in: their own grids, or every grid of their community."""
    conditions: list[sa.ColumnElement[bool]] = []
    if viewer.grid_ids:
        conditions.append(VolunteerProfile.home_grid_id.in_(sorted(viewer.grid_ids)))  # type: ignore[attr-defined]
    if viewer.community_id is not None:
        in_community = sa.select(Grid.id).where(Grid.community_id == viewer.community_id)
        conditions.append(VolunteerProfile.home_grid_id.in_(in_community))  # type: ignore[attr-defined]
    return sa.or_(*conditions) if conditions else sa.false()


def volunteers_visible_to(viewer: CurrentUser | None) -> sa.Select[Any]:
    """Volunteer profiles: a city admin all, a street admin those serving their street, staff those living in
    their grids, a volunteer only themselves."""
    statement = sa.select(VolunteerProfile)
    if viewer is None:
        return statement.where(sa.false())
    if viewer.role == Role.ADMIN:
        return statement.where(volunteer_in_admin_streets(viewer))
    if viewer.role == Role.STAFF:
        return statement.where(staff_grid_condition(viewer))
    if viewer.role == Role.VOLUNTEER:
        return statement.where(VolunteerProfile.user_id == viewer.id)
    return statement.where(sa.false())
