"""Which streets a viewer works in, as conditions every domain's queries add (one deployment, many streets).

A city (or district) admin is an admin whose account names no street: they see every street. A street
admin names one street and sees only that street's grids and what hangs off them (needs, projects,
shifts, offers serving it, volunteers serving it, rounds, figures, exports). Staff are scoped by their
grids or community already, which lie in one street. Scope lives in the queries, not only in guards: a
handler that forgets a check still cannot return another street's rows, because it never selects them.

Other domains reach places only through this module (its ``_SURFACE`` names what they use of ``directory``
and ``choices``).
"""

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import gettext as _
from marketplace.places.directory import StreetRef, find_street
from marketplace.places.models import Community, Grid, Street
from marketplace.query_filters import InvalidFilter
from marketplace.security.identity import CurrentUser

if TYPE_CHECKING:
    from marketplace.places.choices import GridGroups as GridGroups
    from marketplace.places.choices import choosing_street as choosing_street
    from marketplace.places.choices import community_first as community_first
    from marketplace.places.choices import form_street as form_street
    from marketplace.places.choices import grid_groups_where as grid_groups_where
    from marketplace.places.choices import grid_names as grid_names
    from marketplace.places.choices import grids_outside as grids_outside
    from marketplace.places.choices import is_city as is_city
    from marketplace.places.choices import list_grid_groups as list_grid_groups
    from marketplace.places.choices import street_grid_groups as street_grid_groups
    from marketplace.places.choices import streets_grid_groups as streets_grid_groups
    from marketplace.places.choices import streets_of_grids as streets_of_grids
    from marketplace.places.directory import CommunityRef as CommunityRef
    from marketplace.places.directory import GridInfo as GridInfo
    from marketplace.places.directory import GridRef as GridRef
    from marketplace.places.directory import ServiceStationInfo as ServiceStationInfo
    from marketplace.places.directory import StreetRef as StreetRef
    from marketplace.places.directory import communities_of_streets as communities_of_streets
    from marketplace.places.directory import community_of_grid as community_of_grid
    from marketplace.places.directory import community_places as community_places
    from marketplace.places.directory import filter_places as filter_places
    from marketplace.places.directory import find_street as find_street
    from marketplace.places.directory import grids_by_community as grids_by_community
    from marketplace.places.directory import home_street as home_street
    from marketplace.places.directory import list_grids as list_grids
    from marketplace.places.directory import list_streets as list_streets
    from marketplace.places.directory import station_info as station_info
    from marketplace.places.directory import street_ref as street_ref

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "CommunityRef": "directory",
    "GridGroups": "choices",
    "GridInfo": "directory",
    "GridRef": "directory",
    "ServiceStationInfo": "directory",
    "StreetRef": "directory",
    "choosing_street": "choices",
    "communities_of_streets": "directory",
    "community_first": "choices",
    "community_of_grid": "directory",
    "community_places": "directory",
    "filter_places": "directory",
    "find_street": "directory",
    "form_street": "choices",
    "grid_groups_where": "choices",
    "grid_names": "choices",
    "grids_by_community": "directory",
    "grids_outside": "choices",
    "home_street": "directory",
    "is_city": "choices",
    "list_grid_groups": "choices",
    "list_grids": "directory",
    "list_streets": "directory",
    "station_info": "directory",
    "street_grid_groups": "choices",
    "street_ref": "directory",
    "streets_grid_groups": "choices",
    "streets_of_grids": "choices",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


def is_city_admin(viewer: CurrentUser | None) -> bool:
    """An admin over every street of the deployment (their account names no street)."""
    return viewer is not None and viewer.role == Role.ADMIN and viewer.street_id is None


def admin_street_ids(viewer: CurrentUser) -> frozenset[int] | None:
    """The streets an admin works in: None for a city admin (every street), else their one street."""
    return None if viewer.street_id is None else frozenset({viewer.street_id})


def viewer_street_ids(viewer: CurrentUser) -> frozenset[int] | None:
    """The streets whose places a staff member's or admin's pages offer (filters, choices): an admin's as
    above; staff their account's street (their grids lie in it); None for everyone else (no limit)."""
    if viewer.role == Role.ADMIN:
        return admin_street_ids(viewer)
    if viewer.role == Role.STAFF and viewer.street_id is not None:
        return frozenset({viewer.street_id})
    return None


def grids_of_streets(street_ids: frozenset[int] | set[int] | list[int]) -> sa.Select[Any]:
    """The ids of every grid in these streets, as a subquery."""
    return (
        sa.select(Grid.id)
        .join(Community, Community.id == Grid.community_id)
        .where(Community.street_id.in_(sorted(street_ids)))  # type: ignore[attr-defined]
    )


def grid_in_admin_streets(viewer: CurrentUser, grid_column: Any) -> sa.ColumnElement[bool]:
    """A condition on ``grid_column``: true for a city admin, else the grid lies in the admin's street."""
    street_ids = admin_street_ids(viewer)
    if street_ids is None:
        return sa.true()
    return grid_column.in_(grids_of_streets(street_ids))


def grid_in_street(street_id: int | None, grid_column: Any) -> sa.ColumnElement[bool]:
    """A condition on ``grid_column`` for a chosen street; None (every street) is always true."""
    if street_id is None:
        return sa.true()
    return grid_column.in_(grids_of_streets({street_id}))


def street_of_grid(db: Session, grid_id: int) -> int | None:
    """The street a grid lies in (None for an unknown grid)."""
    return db.execute(
        sa.select(Community.street_id).join(Grid, Grid.community_id == Community.id).where(Grid.id == grid_id)
    ).scalar_one_or_none()


def street_by_code(db: Session, code: str) -> Street | None:
    return db.execute(sa.select(Street).where(Street.code == code)).scalar_one_or_none()


def street_count(db: Session) -> int:
    """How many streets the deployment has (one for a single street's own server)."""
    return int(db.execute(sa.select(sa.func.count()).select_from(Street)).scalar_one())


def all_streets(db: Session) -> list[Street]:
    """Every street of the deployment, grouped by city and district, then by code."""
    return list(db.execute(sa.select(Street).order_by(Street.city, Street.district, Street.code)).scalars())


def admin_may_see_street(viewer: CurrentUser, street_id: int | None) -> bool:
    """Whether an admin works in ``street_id`` (a city admin works in all)."""
    street_ids = admin_street_ids(viewer)
    return street_ids is None or street_id in street_ids


MAX_STREET_CODE = 32


def parse_street(session: Session, code: str | None) -> StreetRef | None:
    """The street named by ``street=<code>`` on the public pages (empty: every street); unknown is a 400."""
    if not code:
        return None
    street = find_street(session, code) if len(code) <= MAX_STREET_CODE and "\x00" not in code else None
    if street is None:
        raise InvalidFilter("street", _("no street with this code"))
    return street
