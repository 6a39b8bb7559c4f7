"""Whether a resource line still takes claims and a shift still takes sign-ups: the one rule that claims,
sign-ups, approvals, rounds and recommendations share.

A line is closed to new takers when staff closed it as enough; a shift when it was cancelled; both
when a partner's whole-project claim is live (the partner answers for everything the project still
needs, docs/need_changes.md). The conditional UPDATEs that take quantity and places
(services.take_from_line, services.take_slot) repeat the first two conditions, so a line closed or a
shift cancelled while an approval runs still refuses it.
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches import refusals
from marketplace.matches.models import Match, MatchKind
from marketplace.matches.services import LIVE, OPEN_STATUSES, Conflict
from marketplace.needs.models import Need, ResourceLine, Shift

# Each refusal is a 409 said in the reader's language with its code (refusals.py): the caller raises it.


def needs_claimed_whole(db: Session, need_ids: set[int], *, except_match: int | None = None) -> set[int]:
    """Which of ``need_ids`` have a live whole-project claim (one query)."""
    if not need_ids:
        return set()
    query = sa.select(Match.need_id).where(
        Match.kind == MatchKind.WHOLE_NEED,
        Match.status.in_(LIVE),  # type: ignore[attr-defined]
        Match.need_id.in_(need_ids),  # type: ignore[attr-defined]
    )
    if except_match is not None:
        query = query.where(Match.id != except_match)
    return {int(need_id) for need_id in db.execute(query).scalars()}


def line_refusal(db: Session, line: ResourceLine, *, except_match: int | None = None) -> Conflict | None:
    """Why ``line`` takes no claim now, or None when it does."""
    if line.closed_at is not None:
        return refusals.refusal("line_closed", refusals.LINE_CLOSED, resource_line_id=line.id)
    if needs_claimed_whole(db, {line.need_id}, except_match=except_match):
        return refusals.refusal("project_claimed_whole", refusals.WHOLE_CLAIMED_LINES, need_id=line.need_id)
    return None


def shift_refusal(db: Session, shift: Shift, *, except_match: int | None = None) -> Conflict | None:
    """Why ``shift`` takes no sign-up now (cancelled, or the project claimed whole), or None when it does."""
    if shift.cancelled_at is not None:
        return refusals.refusal(
            "shift_cancelled", refusals.SHIFT_CANCELLED, shift_id=shift.id, reason=shift.cancel_reason or ""
        )
    if needs_claimed_whole(db, {shift.need_id}, except_match=except_match):
        return refusals.refusal("project_claimed_whole", refusals.WHOLE_CLAIMED_SHIFTS, need_id=shift.need_id)
    return None


def need_refusal(db: Session, need_id: int) -> Conflict | None:
    """Why the project takes nobody now: it was completed, verified, cancelled, rejected (or is not published)."""
    status = db.execute(sa.select(Need.status).where(Need.id == need_id)).scalar_one_or_none()
    if status is None or status in OPEN_STATUSES:
        return None
    return refusals.in_status("project_closed", refusals.PROJECT_CLOSED, status, need_id=need_id)


def part_refusal(db: Session, match: Match) -> Conflict | None:
    """Why the project, line or shift ``match`` is for takes nobody now (for approving an earlier proposal)."""
    closed = need_refusal(db, match.need_id)
    if closed is not None:
        return closed
    if match.kind is MatchKind.OFFER_LINE:
        line = db.get(ResourceLine, match.resource_line_id)
        return None if line is None else line_refusal(db, line, except_match=match.id)
    if match.kind is MatchKind.VOLUNTEER_SHIFT:
        shift = db.get(Shift, match.shift_id)
        return None if shift is None else shift_refusal(db, shift, except_match=match.id)
    return None


def open_lines(db: Session, lines: list[ResourceLine]) -> list[ResourceLine]:
    """The lines that take claims, for rounds and recommendations: not closed, not covered by a whole claim."""
    whole = needs_claimed_whole(db, {line.need_id for line in lines})
    return [line for line in lines if line.closed_at is None and line.need_id not in whole]


def open_shifts(db: Session, shifts: list[Shift]) -> list[Shift]:
    """The shifts that take sign-ups, for rounds and recommendations: not cancelled, not covered by a whole claim."""
    whole = needs_claimed_whole(db, {shift.need_id for shift in shifts})
    return [shift for shift in shifts if shift.cancelled_at is None and shift.need_id not in whole]


def not_claimed_whole(need_id: Any) -> Any:
    """A condition on ``need_id`` (a column): its need has no live whole-project claim (``needs_claimed_whole``
    asked inside the statement that reads the lines or shifts, instead of their need ids bound in a list)."""
    return ~sa.exists().where(
        Match.kind == MatchKind.WHOLE_NEED,
        Match.status.in_(LIVE),  # type: ignore[attr-defined]
        Match.need_id == need_id,
    )


def lines_taking_claims() -> tuple[Any, ...]:
    """``open_lines`` as conditions on ResourceLine: not closed, not covered by a whole claim."""
    return (ResourceLine.closed_at.is_(None), not_claimed_whole(ResourceLine.need_id))  # type: ignore[union-attr]


def shifts_taking_signups() -> tuple[Any, ...]:
    """``open_shifts`` as conditions on Shift: not cancelled, not covered by a whole claim."""
    return (Shift.cancelled_at.is_(None), not_claimed_whole(Shift.need_id))  # type: ignore[union-attr]
