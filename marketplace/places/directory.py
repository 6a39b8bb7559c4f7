"""Read-only queries over places: the street a page belongs to and the grids with their stations.

The structs here are the public view of places: the pages render them and the API returns them.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.places.models import Community, Grid, ServiceStation, Street
from marketplace.security import context as security_context


class StreetRef(Struct):
    id: int
    code: str
    name: str
    name_en: str
    district: str
    city: str
    district_en: str = ""


class CommunityRef(Struct):
    id: int
    name: str
    name_en: str


class GridRef(Struct):
    id: int
    code: str
    name: str
    name_en: str


class ServiceStationInfo(Struct):
    name: str
    name_en: str
    address: str
    opening_hours: str


class GridInfo(Struct):
    id: int
    code: str
    number: int
    name: str
    name_en: str
    community: CommunityRef
    latitude: float
    longitude: float
    households: int
    service_station: ServiceStationInfo | None


class CommunityGrids(Struct):
    """A community with its grids, for grouped choices (``<optgroup>``)."""

    community: CommunityRef
    grids: list[GridRef]


# The street last read by any page of this process, for pages that may not query (error pages).
_last_home_street: StreetRef | None = None
# The streets read as staff's and street admins' own, by id (a deployment holds a city's streets at most).
_known_streets: dict[int, StreetRef] = {}


def home_street(session: Session) -> StreetRef | None:
    """The street the site speaks for: a signed-in street admin's or staff member's own street, else the
    first one recorded (a deployment usually holds one)."""
    global _last_home_street
    viewer = security_context.current_user.get()
    if viewer is not None and viewer.street_id is not None and viewer.role in (Role.ADMIN, Role.STAFF):
        own = session.get(Street, viewer.street_id)
        if own is not None:
            _known_streets[viewer.street_id] = street_ref(own)
            return _known_streets[viewer.street_id]
    row = session.execute(sa.select(Street).order_by(Street.id).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    _last_home_street = street_ref(row)
    return _last_home_street


# The city last read by a city admin's page of this process, for pages that may not query (error pages).
_last_city: str | None = None


def city_of_streets(session: Session) -> str:
    """The city every street of the deployment lies in, as recorded (in Chinese); "" when they record more
    than one city, or there is no street."""
    global _last_city
    cities = list(session.execute(sa.select(Street.city).distinct().limit(2)).scalars())
    _last_city = cities[0] if len(cities) == 1 else ""
    return _last_city


def remembered_city() -> str:
    """The city as the last city admin's page read it, without a query ("" before any)."""
    return _last_city or ""


def street_ref(row: Street) -> StreetRef:
    return StreetRef(
        id=row.id or 0,
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        district=row.district,
        city=row.city,
        district_en=row.district_en,
    )


def list_streets(session: Session) -> list[StreetRef]:
    """Every street, grouped by city and district, then by code (the street picker's choices)."""
    statement = sa.select(
        Street.id, Street.code, Street.name, Street.name_en, Street.district, Street.city, Street.district_en
    ).order_by(Street.city, Street.district, Street.code)
    return [StreetRef(*row) for row in session.execute(statement)]


def find_street(session: Session, code: str) -> StreetRef | None:
    row = session.execute(sa.select(Street).where(Street.code == code)).scalar_one_or_none()
    return None if row is None else street_ref(row)


def remembered_home_street() -> StreetRef | None:
    """The street as the last page read it, without a query (None before any page was served): a street
    admin's or staff member's own street once a page of theirs has read it."""
    viewer = security_context.current_user.get()
    if viewer is not None and viewer.street_id is not None and viewer.role in (Role.ADMIN, Role.STAFF):
        own = _known_streets.get(viewer.street_id)
        if own is not None:
            return own
    return _last_home_street


def list_grids(session: Session, street_id: int | None = None) -> list[GridInfo]:
    """Every grid (of one street, or of every street) with its community and service station, in one query."""
    statement = (
        sa.select(Grid, Community, ServiceStation)
        .join(Community, Community.id == Grid.community_id)
        .outerjoin(ServiceStation, ServiceStation.grid_id == Grid.id)
        .where(sa.true() if street_id is None else Community.street_id == street_id)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    return [
        GridInfo(
            id=grid.id,
            code=grid.code,
            number=grid.number,
            name=grid.name,
            name_en=grid.name_en,
            community=CommunityRef(id=community.id, name=community.name, name_en=community.name_en),
            latitude=grid.latitude,
            longitude=grid.longitude,
            households=grid.households,
            service_station=station_info(station),
        )
        for grid, community, station in session.execute(statement)
    ]


def grids_by_community(session: Session, street_id: int | None = None) -> list[CommunityGrids]:
    """Grids grouped under their communities, in display order (only the names: the board's filter asks for it)."""
    statement = (
        sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en, Community.id, Community.name, Community.name_en)
        .join(Community, Community.id == Grid.community_id)
        .where(sa.true() if street_id is None else Community.street_id == street_id)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    groups: dict[int, CommunityGrids] = {}
    for grid_id, code, name, name_en, community_id, community_name, community_name_en in session.execute(statement):
        group = groups.get(community_id)
        if group is None:
            community = CommunityRef(id=community_id, name=community_name, name_en=community_name_en)
            group = groups[community_id] = CommunityGrids(community=community, grids=[])
        group.grids.append(GridRef(id=grid_id, code=code, name=name, name_en=name_en))
    return list(groups.values())


def communities_of_streets(session: Session, street_ids: Iterable[int] | None) -> list[CommunityRef]:
    """The communities of these streets (every street's for None), in display order: names only."""
    statement = sa.select(Community.id, Community.name, Community.name_en).order_by(Community.id)
    if street_ids is not None:
        statement = statement.where(Community.street_id.in_(sorted(street_ids)))  # type: ignore[attr-defined]
    return [CommunityRef(id=i, name=n, name_en=e) for i, n, e in session.execute(statement)]


def is_city(session: Session) -> bool:
    """Whether the deployment holds more than one street."""
    return len(session.execute(sa.select(Street.id).limit(2)).all()) > 1


def filter_places(
    session: Session, street_id: int | None, community_id: int | None = None, grid_id: int | None = None
) -> list[CommunityGrids]:
    """The communities and grids a page's filter offers: the chosen street's; with no street chosen, those of the
    street the chosen community or grid lies in, or every grid when the deployment holds one street. A city's
    every grid (thousands) is no list to choose from: with none of these, nothing (choose a street first)."""
    if street_id is None and community_id is not None:
        street_id = session.execute(sa.select(Community.street_id).where(Community.id == community_id)).scalar()
    if street_id is None and grid_id is not None:
        street_id = session.execute(
            sa.select(Community.street_id).join(Grid, Grid.community_id == Community.id).where(Grid.id == grid_id)
        ).scalar()
    if street_id is None and is_city(session):
        return []
    return grids_by_community(session, street_id)


def community_places(
    session: Session, community_ids: Iterable[int], open_community: int | None
) -> list[CommunityGrids]:
    """These communities in display order, each named, with its grids listed only for ``open_community``: a
    city-wide filter's choices (a city's every grid, thousands of them, is no list to choose from)."""
    ids = sorted(set(community_ids) | ({open_community} if open_community is not None else set()))
    if not ids:
        return []
    rows = session.execute(
        sa.select(Community.id, Community.name, Community.name_en).where(Community.id.in_(ids)).order_by(Community.id)  # type: ignore[union-attr]
    )
    groups = [CommunityGrids(community=CommunityRef(id=i, name=n, name_en=e), grids=[]) for i, n, e in rows]
    if open_community is not None:
        grids = session.execute(
            sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en)
            .where(Grid.community_id == open_community)
            .order_by(Grid.number, Grid.id)
        )
        for group in groups:
            if group.community.id == open_community:
                group.grids = [GridRef(id=i, code=c, name=n, name_en=e) for i, c, n, e in grids]
    return groups


def community_of_grid(session: Session, grid_id: int) -> int | None:
    return session.execute(sa.select(Grid.community_id).where(Grid.id == grid_id)).scalar()


def station_info(station: ServiceStation | None) -> ServiceStationInfo | None:
    if station is None:
        return None
    return ServiceStationInfo(
        name=station.name, name_en=station.name_en, address=station.address, opening_hours=station.opening_hours
    )
