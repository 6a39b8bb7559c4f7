"""The impression log of explored lists (``ShownList``), written when shown and read by training.

Written from the recommendations page and API, which read on the read-only session: the log goes in
a short transaction of its own, only for lists that were explored (a share ``MARKETPLACE_MATCH_EXPLORATION``
of them, none when it is 0), and a failure to log is logged and never fails the page.

Read by training: an explored slot's candidate was drawn at random and put at a random place, so how
often it was proposed from that place, per place, estimates how much the place itself sways the
proposer (``exploration.estimate_eta``), whoever the candidates were.
"""

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind
from marketplace.recommend.models import ShownList

if TYPE_CHECKING:  # the service imports training, which reads this log
    from marketplace.recommend.services import PartRanking

log = logging.getLogger("marketplace.recommend")


def log_explored(
    writers: sessionmaker[Session], need_id: int, kind: str, parts: "Sequence[PartRanking]", scorer: str
) -> int:
    """Log each explored list of ``parts`` as shown; how many were logged."""
    explored = [part for part in parts if part.explored_slot is not None and part.ranked]
    if not explored:
        return 0
    now = utcnow()
    rows = [
        ShownList(
            kind=kind,
            need_id=need_id,
            part_id=part.part_id,
            candidate_ids=[int(r.candidate_id) for r in part.ranked],
            explored_slot=int(part.explored_slot or 0),
            explored_candidate_id=int(part.ranked[int(part.explored_slot or 0)].candidate_id),
            scorer=scorer,
            shown_at=now,
        )
        for part in explored
    ]
    try:
        with session_scope(writers) as db:
            db.add_all(rows)
    except Exception:  # the list was shown; losing its log costs a little evidence, never the page
        log.exception("could not log %d explored %s lists of need %s", len(rows), kind, need_id)
        return 0
    return len(rows)


def explored_outcomes(db: Session, kind: str) -> tuple[list[int], list[bool]]:
    """For every logged explored slot of ``kind``: its 1-based place, and whether its candidate was proposed
    from that list (a match on the same part and candidate marked explored, made after it was shown)."""
    part, candidate, match_kind = (
        (Match.shift_id, Match.volunteer_id, MatchKind.VOLUNTEER_SHIFT)
        if kind == "volunteers"
        else (Match.resource_line_id, Match.offer_id, MatchKind.OFFER_LINE)
    )
    proposed = (
        sa.exists()
        .where(
            Match.kind == match_kind,
            part == ShownList.part_id,
            candidate == ShownList.explored_candidate_id,
            Match.explored.is_(True),  # type: ignore[attr-defined]
            Match.created_at >= ShownList.shown_at,
        )
        .correlate(ShownList)
    )
    rows = db.execute(sa.select(ShownList.explored_slot, proposed).where(ShownList.kind == kind)).all()
    return [int(slot) + 1 for slot, _ in rows], [bool(chosen) for _, chosen in rows]
