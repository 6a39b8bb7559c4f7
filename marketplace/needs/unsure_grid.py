"""A resident who reports a need without knowing its grid (网格): the public form's "not sure" choices.

The grid select opens on a neutral "choose your community and grid" (so a resident who skips it is asked to
choose, not filed as unsure), and offers, besides the grids grouped by community, "not sure which grid" under
each community and "not sure" above them all. Such a report is filed under a stand-in grid (the community's
first, or the street's first) and marked ``grid_to_confirm``, so it stays in the street's scope; the street's
staff set the grid from the address the resident gives (needs.services.set_grid), and grid staff see it from
then on.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.i18n import gettext as _
from marketplace.needs.models import GridToConfirm
from marketplace.places.models import Community, Grid, Street
from marketplace.places.services import StreetRef
from marketplace.whole_numbers import whole_number

CHOOSE = ""  # the select's first option: nothing chosen yet, so the field asks for a choice
NOT_SURE = "not-sure"  # not even the community
COMMUNITY_PREFIX = "community-"  # "community-3": that community, not which of its grids
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class GridChoice:
    """What the resident chose: a grid id to file the need under (theirs or a stand-in) and what staff confirm;
    or the problem to show next to the field."""

    grid_id: int | None = None
    to_confirm: GridToConfirm | None = None
    problem: str | None = None


def _number(text: str) -> int | None:
    return whole_number(text, maximum=MAX_ID)


def community_of(text: str) -> int | None:
    """The community id of a "community-3" choice, else None."""
    return _number(text[len(COMMUNITY_PREFIX) :]) if text.startswith(COMMUNITY_PREFIX) else None


def _first_grid(db: Session, condition: sa.ColumnElement[bool]) -> int | None:
    statement = (
        sa.select(Grid.id)
        .join(Community, Community.id == Grid.community_id)
        .where(condition)
        .order_by(Community.id, Grid.number, Grid.id)
        .limit(1)
    )
    return db.execute(statement).scalar()


def _only_street(db: Session) -> int | None:
    ids = db.execute(sa.select(Street.id).limit(2)).scalars().all()
    return ids[0] if len(ids) == 1 else None


def resolve(db: Session, text: str, street: StreetRef | None) -> GridChoice:
    """The grid a public report is filed under, from the grid field as sent (``text``) and the chosen street
    (None in a one-street deployment, or when a city's resident has chosen none)."""
    text = text.strip()
    grid_id = _number(text)
    if grid_id is not None:
        return GridChoice(grid_id=grid_id)  # a grid: create_need checks it exists, the form checks its street
    street_id = street.id if street is not None else _only_street(db)
    community_id = community_of(text)
    if community_id is not None:
        condition = Community.id == community_id
        if street_id is not None:
            condition = sa.and_(condition, Community.street_id == street_id)
        stand_in = _first_grid(db, condition)
        if stand_in is None:
            return GridChoice(problem=_("Choose one of the offered values."))
        return GridChoice(grid_id=stand_in, to_confirm=GridToConfirm.COMMUNITY)
    if street_id is None and text in (CHOOSE, NOT_SURE):
        return GridChoice(problem=_("Choose your street above, then your grid."))
    if text == CHOOSE:
        return GridChoice(problem=_("Choose your community and grid; if you do not know them, choose “Not sure”."))
    if text != NOT_SURE or street_id is None:
        return GridChoice(problem=_("Choose one of the offered values."))
    stand_in = _first_grid(db, Community.street_id == street_id)
    if stand_in is None:
        return GridChoice(problem=_("Choose one of the offered values."))
    return GridChoice(grid_id=stand_in, to_confirm=GridToConfirm.STREET)
