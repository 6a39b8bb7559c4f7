"""How an import reads a grid cell: a grid's code, or its name (Chinese or English) looked up in the
importer's own streets first.

Codes are unique across the deployment, so a code always finds its grid. Names are not: two streets of a
city may each have a “第一网格”. A name is therefore looked up among the grids of the importer's streets (a
partner: the streets its organization serves; staff and a street admin: their street); only when no grid
there bears it is it looked up across every street (the import's scope checks then refuse it with their
own reason). A name that still fits several grids — a city admin naming a grid two streets share, or two
communities of one street — is refused, asking for the grid's code, rather than guessed.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.exchange.columns import CellProblem
from marketplace.i18n import N_
from marketplace.places.models import Community, Grid


def grid_finder(db: Session, street_ids: frozenset[int] | None) -> Callable[[str], Any]:
    """``find(value)``: the grid's row (id, code, name, name_en, community_id, street_id) or CellProblem.

    ``street_ids`` are the importer's streets; None (a city admin) means every street alike."""
    rows = list(
        db.execute(
            sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en, Grid.community_id, Community.street_id).join(
                Community,
                Community.id == Grid.community_id,  # type: ignore[arg-type]
            )
        )
    )
    by_code = {row.code.strip().lower(): row for row in rows if row.code}
    by_name: dict[str, list[Any]] = {}
    for row in rows:
        for key in {(row.name or "").strip().lower(), (row.name_en or "").strip().lower()} - {""}:
            by_name.setdefault(key, []).append(row)

    def find(value: str) -> Any:
        key = value.strip().lower()
        found = by_code.get(key)
        if found is not None:
            return found
        candidates = by_name.get(key, [])
        if street_ids is not None:
            inside = [row for row in candidates if row.street_id in street_ids]
            candidates = inside or candidates
        if not candidates:
            raise CellProblem(N_("Unknown grid “%(grid)s”; use the grid's code or name."), grid=value)
        if len({row.id for row in candidates}) > 1:
            raise CellProblem(
                N_("“%(grid)s” is the name of more than one grid; use the grid's code (such as %(codes)s)."),
                grid=value,
                codes=", ".join(sorted(row.code for row in candidates)[:5]),
            )
        return candidates[0]

    return find
