"""Likely duplicates of a batch of imported needs, in one sparse product per community.

``duplicates.likely_duplicates`` compares one need with the open needs of its community in Python; called
once per imported row it reloads and rescores the whole community each time (a 2,000-row file took
minutes). Here the same scores — the library's ``need_vectors`` of title + description, which depend on the two
texts alone — come from one sparse matrix product per community. Each new need is
compared with what existed before it: the community's open needs and the rows above it in the file, as if
the rows had been recorded one by one.
"""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.needs.models import Need
from marketplace.needs.services import OPEN_STATUSES, THRESHOLD, TOP, need_text, needs_visible_to
from marketplace.places.models import Grid
from marketplace.security.identity import CurrentUser
from matching.duplicates import need_vectors

# Rows of new needs multiplied at once: bounds the dense score block to CHUNK × (community size).
CHUNK = 500
Flag = tuple[int, str, float]  # (need id, title, similarity)


def _flag_community(pool: Sequence[Need], first_new: int) -> dict[int, list[Flag]]:
    """Flags of pool[first_new:], each against the needs before it in ``pool``."""
    matrix = need_vectors([need_text(need) for need in pool])
    ids = np.array([need.id or 0 for need in pool])
    titles = {need.id or 0: need.title for need in pool}
    flags: dict[int, list[Flag]] = {}
    for start in range(first_new, len(pool), CHUNK):
        block = (matrix[start : start + CHUNK] @ matrix.T).toarray()
        for offset, scores in enumerate(block):
            index = start + offset
            earlier = np.nonzero(scores[:index] >= THRESHOLD)[0]
            best = earlier[np.lexsort((ids[earlier], -scores[earlier]))][:TOP]  # best first, then lower id
            flags[int(ids[index])] = [(int(ids[j]), titles[int(ids[j])], round(float(scores[j]), 2)) for j in best]
    return flags


def flag_duplicates(db: Session, viewer: CurrentUser, new_needs: Sequence[Need]) -> dict[int, list[Flag]]:
    """For each new need (by id, in file order): its likely duplicates, best first, at most five."""
    grid_ids = sorted({need.grid_id for need in new_needs})
    if not grid_ids:
        return {}
    community_of = dict(
        db.execute(sa.select(Grid.id, Grid.community_id).where(Grid.id.in_(grid_ids))).all()  # type: ignore[union-attr,arg-type]
    )
    by_community: dict[int, list[Need]] = defaultdict(list)
    for need in new_needs:
        by_community[community_of[need.grid_id]].append(need)
    new_ids = {need.id for need in new_needs}
    flags: dict[int, list[Flag]] = {}
    for community_id, group in by_community.items():
        in_community = sa.select(Grid.id).where(Grid.community_id == community_id)
        statement = needs_visible_to(viewer).where(
            Need.grid_id.in_(in_community),  # type: ignore[attr-defined]
            Need.status.in_(OPEN_STATUSES),  # type: ignore[attr-defined]
            Need.duplicate_of_id.is_(None),  # type: ignore[union-attr]
        )
        existing = [need for need in db.execute(statement.order_by(Need.id)).scalars() if need.id not in new_ids]
        flags |= _flag_community([*existing, *group], len(existing))
    return flags
