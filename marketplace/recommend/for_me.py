"""The other direction: for one volunteer the open shifts that suit them, for one partner the open resource
lines their offers suit. The candidate side is one person or one organization, so the library's index is built
over them alone and each open shift or line is scored against it; open parts are few (the street's
published projects), never the whole candidate table.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.matches import services as matches_services
from marketplace.matches.services import OPEN_STATUSES, needs_served_by, needs_served_by_volunteer
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.recommend import records as rows
from matching.explain import Reason
from matching.records import GridPoint
from matching.text import TextSpace

SHOWN = 10
# Vocabularies fitted for volunteers' suggestions, by the texts they were fitted on (see ``_text_space``).
SPACES_KEPT = 16
_spaces: OrderedDict[tuple[str, ...], TextSpace | None] = OrderedDict()
_spaces_lock = threading.Lock()


def _text_space(texts: list[str]) -> TextSpace | None:
    """The vocabulary fitted on these texts (``records.text_space``: each distinct non-blank text once), kept
    for the next visit that brings the same texts: the street's open shifts change seldom between two visits,
    and fitting it cost 20-30 ms of every volunteer's ``/recommended``. Keyed by the texts themselves, so a
    kept vocabulary is exactly the one a fit would give now (nothing to invalidate); the least recently used
    go first."""
    key = tuple(sorted({text for text in texts if text.strip()}))
    with _spaces_lock:
        if key in _spaces:
            _spaces.move_to_end(key)
            return _spaces[key]
    space = rows.text_space(list(key))
    with _spaces_lock:
        _spaces[key] = space
        while len(_spaces) > SPACES_KEPT:
            _spaces.popitem(last=False)
    return space


@dataclass(frozen=True)
class Suggestion:
    need: Need
    score: float
    reasons: tuple[Reason, ...]
    shift: Shift | None = None
    line: ResourceLine | None = None
    offer_title: str = ""


# What ranking reads of a need (``records.need_text``, ``line_records_of``, ``shift_records_of``): a street's
# 1,500 open needs read as whole Need rows (every column, ORM objects) cost most of a partner's /recommended,
# though only the ten shown need one (loaded whole at the end, with the line or shift shown).
NEED_COLUMNS = (Need.id, Need.title, Need.description, Need.category, Need.grid_id, Need.urgency, Need.due_date)


def _open_needs(
    db: Session, *, organization_id: int | None = None, volunteer_id: int | None = None, where: tuple[Any, ...] = ()
) -> list[Any]:
    """Open needs in the streets the partner's organization or the volunteer serves: where a partner may take
    part, and the volunteer's own streets (a city's every open shift, scored one by one, took 30 s). Only the
    columns of ``NEED_COLUMNS``, as plain rows."""
    return list(db.execute(_open_needs_query(NEED_COLUMNS, organization_id, volunteer_id, where)).all())


def _open_needs_query(selected: Any, organization_id: int | None, volunteer_id: int | None, where: Any) -> Any:
    columns = selected if isinstance(selected, tuple) else (selected,)
    query = sa.select(*columns).where(Need.status.in_(OPEN_STATUSES), *where)  # type: ignore[attr-defined]
    if organization_id is not None:
        query = query.where(needs_served_by(organization_id))
    if volunteer_id is not None:
        query = query.where(needs_served_by_volunteer(volunteer_id))
    return query


def _shifts_to_come(now: datetime) -> tuple[Any, ...]:
    """Shifts a volunteer could still take: not begun, a slot free. Asked of the database, so the needs and shifts
    that cannot be suggested are never loaded: a street's open needs are mostly resource needs or past shifts
    (on a 10,000-volunteer city, 1,500 open needs a street for some 500 shifts to come), and building their rows
    was half of every volunteer's /recommended."""
    return (Shift.starts_at > now, Shift.confirmed_count < Shift.slots)  # type: ignore[operator]


def tasks_for_volunteer(db: Session, profile_id: int, limit: int = SHOWN) -> list[Suggestion]:
    """Open shifts with free slots, best first, scored for this volunteer (shifts they hold, and shifts at the same
    time as one they are confirmed for, are left out)."""
    person = rows.volunteer_records(db, only=profile_id)
    now = utcnow()
    to_come = _shifts_to_come(now)
    with_shifts = Need.id.in_(sa.select(Shift.need_id).where(*to_come))  # type: ignore[union-attr]
    needs = {need.id: need for need in _open_needs(db, volunteer_id=profile_id, where=(with_shifts,))}
    if not person or not needs:
        return []
    # The few columns ranking reads, once, of some 1,700 shifts a visit on a 10,000-volunteer city: whole Shift
    # objects of them all cost a third of the page, though only the few shown need one (loaded at the end). The
    # needs and shifts are asked by their query, not by their ids bound a thousand at a time.
    need_ids = _open_needs_query(Need.id, None, profile_id, (with_shifts,))
    # Only shifts that take sign-ups (matches_services.py): not cancelled, not covered by a whole claim; asked
    # in the statement, not of the shifts' need ids bound in a list.
    taking = (*to_come, *matches_services.shifts_taking_signups())
    shift_rows = rows.rows_of_needs(
        db, Shift, [], Shift.starts_at, Shift.id, where=taking, columns=rows.SHIFT_COLUMNS, among=need_ids
    )
    shift_ids = sa.select(Shift.id).where(Shift.need_id.in_(need_ids), *taking)  # type: ignore[attr-defined]
    shifts = [
        shift
        for shift in rows.shift_records_of(db, list(needs.values()), shift_rows, shifts_among=shift_ids)
        if shift.open_slots > 0 and shift.starts_at > now
    ]
    held, busy = _held_shifts(db, profile_id)
    # Nor shifts at the same time as one they are confirmed for: the sign-up would be refused.
    shifts = [
        shift
        for shift in shifts
        if shift.id not in held and not any(start < shift.ends_at and end > shift.starts_at for start, end in busy)
    ]
    texts = [s.text for s in shifts] + [person[0].text]
    index = rows.candidate_index(
        "volunteers",
        person,
        _grids_of(db, {person[0].home_grid_id, *(shift.grid_id for shift in shifts)}),
        texts,
        skill_groups=rows.skill_groups(db),
        space=_text_space(texts),
    )
    found = []
    for shift, ranked in zip(shifts, index.rank_many(shifts, k=1), strict=True):  # type: ignore[union-attr]
        if ranked:
            found.append((shift.id, Suggestion(needs[shift.need_id], ranked[0].score, ranked[0].reasons)))
    return _best_with_rows(db, found, limit, Shift, "shift")


def _best_with_rows(
    db: Session, found: list[tuple[Any, Suggestion]], limit: int, part: Any, field: str
) -> list[Suggestion]:
    """The ``limit`` best of ``found`` ((part id, suggestion) pairs), each given the whole rows of its part
    (``part``: Shift or ResourceLine, set as ``field``) and of its need, read in one statement."""
    shown = sorted(found, key=lambda item: (-item[1].score, item[1].need.id or 0))[:limit]
    chosen = sa.select(part, Need).join(Need, Need.id == part.need_id).where(part.id.in_([i for i, _ in shown]))
    whole = {row.id: (row, need) for row, need in db.execute(chosen)}
    return [
        replace(suggestion, need=whole[part_id][1], **{field: whole[part_id][0]}) if part_id in whole else suggestion
        for part_id, suggestion in shown
    ]


def _grids_of(db: Session, used: set[int]) -> list[GridPoint]:
    """The grids the suggestions measure distances between: the index computes every pair of those it is given,
    and a city's 2,100 grids (4.4 million pairs) cost 0.3 s a page for the few a volunteer's streets use."""
    return [grid for grid in rows.grid_points(db) if grid.id in used]


def _held_shifts(db: Session, profile_id: int) -> tuple[set[int], list[tuple[datetime, datetime]]]:
    """The shifts the volunteer has a live sign-up on, and the windows of those holding a slot (one query)."""
    from marketplace.volunteers.models import ShiftSignup, SignupStatus

    live = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN, SignupStatus.COMPLETED)
    query = (
        sa.select(ShiftSignup.shift_id, ShiftSignup.status, Shift.starts_at, matches_services.held_until())
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.volunteer_id == profile_id,
            ShiftSignup.status.in_(live),  # type: ignore[attr-defined]
            Shift.ends_at > utcnow(),  # type: ignore[arg-type]
        )
    )
    held: set[int] = set()
    busy: list[tuple[datetime, datetime]] = []
    for shift_id, status, starts_at, ends_at in db.execute(query):
        if status is not SignupStatus.COMPLETED:
            held.add(shift_id)
        if status in matches_services.SLOT_HOLDERS:
            busy.append((starts_at, ends_at))
    return held, busy


def projects_for_partner(db: Session, organization_id: int, limit: int = SHOWN) -> list[Suggestion]:
    """Open resource lines their active offers could serve, each with the offer that suits it best."""
    offers = rows.offer_records(db, organization_id=organization_id)
    needs = {need.id: need for need in _open_needs(db, organization_id=organization_id)}
    if not offers or not needs:
        return []
    now = utcnow()
    # The lines' few columns ranking reads, of the needs asked by their query (not their ids bound a thousand at
    # a time), only those that take claims (matches_services.py: not closed, not covered by a whole claim).
    need_ids = _open_needs_query(Need.id, organization_id, None, ())
    taking = matches_services.lines_taking_claims()
    line_rows = rows.rows_of_needs(
        db, ResourceLine, [], ResourceLine.id, where=taking, columns=rows.LINE_COLUMNS, among=need_ids
    )
    lines = [line for line in rows.line_records_of(db, list(needs.values()), line_rows) if line.still_needed > 0]
    texts = [line.text for line in lines] + [offer.text for offer in offers]
    used = {line.grid_id for line in lines} | {grid for offer in offers for grid in offer.grid_ids}
    index = rows.candidate_index("offers", offers, _grids_of(db, used), texts)
    titles = {
        offer_id: title
        for offer_id, title in db.execute(
            sa.select(Offer.id, Offer.title).where(Offer.organization_id == organization_id)
        )
    }
    found = []
    # Every line at once: one text product for all of them (one rank() per line vectorised each line's text on
    # its own: 569 open lines of a 9,700-volunteer street took 1.1-1.4 s of the page, now about 0.1 s).
    for line, ranked in zip(lines, index.rank_many(lines, now, k=1), strict=True):  # type: ignore[union-attr]
        if ranked:
            best = ranked[0]
            suggestion = Suggestion(
                needs[line.need_id], best.score, best.reasons, offer_title=titles.get(best.candidate_id, "")
            )
            found.append((line.id, suggestion))
    return _best_with_rows(db, found, limit, ResourceLine, "line")
