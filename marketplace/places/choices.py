"""The grids a form or a list's filter offers, in a deployment of one street or of a whole city.

A city holds thousands of grids (at 100 streets: 2,100): no list to choose from, and 150-300 KB on every page
that put them all into a ``<select>`` or a checkbox list. Public forms ask for the street first and then list its
grids; a city admin's lists name the communities and list the grids of the chosen one; a street admin's or staff
member's lists their streets' grids, as before. A one-street deployment lists its own grids everywhere.

A public form's street is a field of the form itself (``street``), with a button ``action=choose_street`` that
shows the chosen street's grids: the form comes back with everything typed kept, nothing checked or saved. A
``?street=<code>`` link opens the form with the street chosen. A one-street deployment's forms have no street.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.i18n import gettext as _
from marketplace.places.directory import (
    CommunityGrids,
    CommunityRef,
    GridRef,
    StreetRef,
    community_of_grid,
    community_places,
    filter_places,
    find_street,
    is_city,
)
from marketplace.places.models import Community, Grid

# The value of a public form's "show this street's grids" button (``name="action"``).
CHOOSE_STREET = "choose_street"
# A street's code is at most this long (``Street.code``); a longer one names no street.
MAX_STREET_CODE = 32

# (community, its grids) pairs: what the grouped selects and checkbox lists of the templates iterate.
GridGroups = list[tuple[CommunityRef, list[GridRef]]]


def _pairs(groups: list[CommunityGrids]) -> GridGroups:
    return [(group.community, group.grids) for group in groups]


def street_grid_groups(session: Session, street_id: int | None, grid_id: int | None = None) -> GridGroups:
    """A public form's choices: the chosen street's grids (or the street of ``grid_id``, a grid already
    chosen); every grid when the deployment holds one street; none otherwise (the form asks for a street)."""
    return _pairs(filter_places(session, street_id, None, grid_id))


def choosing_street(action: str) -> bool:
    """Whether a public form was sent by its "show this street's grids" button: show the form again with the
    chosen street's grids and every value kept; check nothing, save nothing."""
    return action == CHOOSE_STREET


def form_street(session: Session, code: str) -> tuple[StreetRef | None, str | None]:
    """The street a public form names and the street field's message, if any: a city's forms must name one of
    its streets; a one-street deployment's forms have no street field and need none."""
    code = code.strip()
    if code:
        street = find_street(session, code) if len(code) <= MAX_STREET_CODE and "\x00" not in code else None
        return (street, None) if street is not None else (None, _("Choose one of the offered streets."))
    return None, (_("Choose a street.") if is_city(session) else None)


def streets_grid_groups(session: Session, street_ids: frozenset[int]) -> GridGroups:
    """Every grid of these streets, grouped by community."""
    return grid_groups_where(session, Community.street_id.in_(sorted(street_ids)))  # type: ignore[attr-defined]


def grid_groups_where(session: Session, condition: sa.ColumnElement[bool]) -> GridGroups:
    """The grids meeting ``condition`` (on Grid and Community), grouped by community, in display order."""
    rows = session.execute(
        sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en, Community.id, Community.name, Community.name_en)
        .join(Community, Community.id == Grid.community_id)
        .where(condition)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    groups: dict[int, tuple[CommunityRef, list[GridRef]]] = {}
    for grid, code, name, name_en, community, community_name, community_name_en in rows:
        pair = groups.setdefault(community, (CommunityRef(community, community_name, community_name_en), []))
        pair[1].append(GridRef(id=grid, code=code, name=name, name_en=name_en))
    return list(groups.values())


def list_grid_groups(
    session: Session, street_ids: frozenset[int] | None, community_id: int | None, grid_id: int | None
) -> GridGroups:
    """A staff list's filter: a street admin's or staff member's streets' grids; a city admin's, every
    community by name with the grids of the chosen community (or of the chosen grid's) only."""
    if street_ids is not None:
        return streets_grid_groups(session, street_ids)
    if not is_city(session):
        return _pairs(filter_places(session, None))
    open_community = community_id
    if open_community is None and grid_id is not None:
        open_community = community_of_grid(session, grid_id)
    every = session.execute(sa.select(Community.id)).scalars()
    return _pairs(community_places(session, every, open_community))


def community_first(street_ids: frozenset[int] | None, groups: GridGroups) -> bool:
    """Whether a staff list's filter should say "choose a community first": a city admin's, no grid listed."""
    return street_ids is None and not any(grids for _community, grids in groups)


def grid_names(session: Session, grid_ids: Iterable[int]) -> dict[int, GridRef]:
    """The names of these grids (a page's rows'), by id."""
    ids = sorted({grid_id for grid_id in grid_ids if grid_id is not None})
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en).where(Grid.id.in_(ids))  # type: ignore[union-attr]
    )
    return {grid: GridRef(id=grid, code=code, name=name, name_en=name_en) for grid, code, name, name_en in rows}


def grids_outside(session: Session, grid_ids: Iterable[int], street_id: int) -> list[int]:
    """Those of these grids that do not lie in the street (unknown ones included)."""
    ids = sorted({grid_id for grid_id in grid_ids if isinstance(grid_id, int) and 0 < grid_id < 2**31})
    inside = set(
        session.execute(
            sa.select(Grid.id)
            .join(Community, Community.id == Grid.community_id)
            .where(Grid.id.in_(ids), Community.street_id == street_id)  # type: ignore[union-attr]
        ).scalars()
    )
    return [grid_id for grid_id in ids if grid_id not in inside]


def streets_of_grids(session: Session, grid_ids: Iterable[int]) -> frozenset[int]:
    """The streets these grids lie in."""
    ids = sorted({grid_id for grid_id in grid_ids if isinstance(grid_id, int) and 0 < grid_id < 2**31})
    if not ids:
        return frozenset()
    rows = session.execute(
        sa.select(Community.street_id).join(Grid, Grid.community_id == Community.id).where(Grid.id.in_(ids))  # type: ignore[union-attr]
    )
    return frozenset(rows.scalars())
