"""A partner's and a volunteer's suggestions and a round's inputs read the open needs' few columns that ranking
and planning use, asked by query, and build whole Need rows only of the suggestions shown.

Before, every open need of the street was built as a whole Need object (585-712 a visit on the load city for ten
shown), and the needs', lines' and shifts' ids were bound into IN lists of up to a thousand; a round read each
need's whole claims and each need's shift skills with a statement per need. What is suggested and planned stays
the same: the tests compare it with the former way of reading whole rows, on a street with whole claims, closed
lines and cancelled shifts.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches import services as matches_services
from marketplace.matches.services import OPEN_STATUSES
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.recommend import for_me
from marketplace.recommend import records as rows
from marketplace.rounds import inputs
from tests.busy_street import BusyStreet, build_busy_street
from tests.security_helpers import make_user
from tests.test_recommendations_api import _profile_for

UNITS = 6


@pytest.fixture
def street(session: Session, app: Litestar) -> BusyStreet:
    """The busy street of the query-count tests (odd units' needs claimed whole), a line closed as enough and a
    shift cancelled."""
    built = build_busy_street(session)
    built.grow(UNITS)
    line = session.execute(sa.select(ResourceLine).order_by(ResourceLine.id.desc())).scalars().first()  # type: ignore[union-attr]
    shift = (
        session.execute(
            sa.select(Shift).where(Shift.starts_at > utcnow()).order_by(Shift.id.desc())  # type: ignore[arg-type]
        )
        .scalars()
        .first()
    )
    assert line is not None and shift is not None
    line.closed_at = utcnow()
    shift.cancelled_at = utcnow()
    session.add_all([line, shift])
    session.commit()
    session.expunge_all()
    return built


@pytest.fixture
def built() -> Iterator[list[Any]]:
    """The whole Need, ResourceLine and Shift objects the ORM builds from rows read."""
    found: list[Any] = []

    def loaded(_session: Any, instance: Any) -> None:
        if isinstance(instance, Need | ResourceLine | Shift):
            found.append(instance)

    event.listen(OrmSession, "loaded_as_persistent", loaded)
    yield found
    event.remove(OrmSession, "loaded_as_persistent", loaded)


@pytest.fixture
def bound(session: Session) -> Iterator[list[int]]:
    """How many ids of needs, of lines or of shifts (the most of the three) each query binds."""
    counts: list[int] = []
    ids = [set(session.execute(sa.select(model.id)).scalars()) for model in (Need, ResourceLine, Shift)]  # type: ignore[attr-defined]

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            return
        values = [
            v for v in (parameters.values() if isinstance(parameters, dict) else parameters or ()) if type(v) is int
        ]
        counts.append(max(sum(1 for value in values if value in kind) for kind in ids))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    yield counts
    event.remove(engine, "before_cursor_execute", count)


def _old_projects_for_partner(db: Session, organization_id: int, limit: int) -> list[tuple[Any, ...]]:
    """The former ``projects_for_partner``: whole rows of every open need and line, ids bound in lists."""
    offers = rows.offer_records(db, organization_id=organization_id)
    query = sa.select(Need).where(Need.status.in_(OPEN_STATUSES), matches_services.needs_served_by(organization_id))  # type: ignore[attr-defined]
    needs = {need.id: need for need in db.execute(query).scalars()}
    now = utcnow()
    line_rows = rows.rows_of_needs(db, ResourceLine, list(needs.values()), ResourceLine.id)
    taking = {row.id for row in matches_services.open_lines(db, [r for found in line_rows.values() for r in found])}
    lines = [
        line
        for line in rows.line_records_of(db, list(needs.values()), line_rows)
        if line.still_needed > 0 and line.id in taking
    ]
    texts = [line.text for line in lines] + [offer.text for offer in offers]
    used = {line.grid_id for line in lines} | {grid for offer in offers for grid in offer.grid_ids}
    index = rows.candidate_index("offers", offers, [g for g in rows.grid_points(db) if g.id in used], texts)
    titles = dict(db.execute(sa.select(Offer.id, Offer.title).where(Offer.organization_id == organization_id)).all())
    found = [
        (line.need_id, line.id, ranked[0].score, ranked[0].reasons, titles.get(ranked[0].candidate_id, ""))
        for line, ranked in zip(lines, index.rank_many(lines, now, k=1), strict=True)  # type: ignore[union-attr]
        if ranked
    ]
    return sorted(found, key=lambda item: (-item[2], item[0]))[:limit]


def _shown(suggestions: list[for_me.Suggestion]) -> list[tuple[Any, ...]]:
    return [(s.need.id, s.line.id if s.line else None, s.score, s.reasons, s.offer_title) for s in suggestions]


@pytest.mark.parametrize("limit", [for_me.SHOWN, 3, 100])
def test_a_partner_is_suggested_what_ranking_whole_rows_suggested(
    street: BusyStreet, session: Session, limit: int
) -> None:
    organization_id = street.partner.organization_id or 0
    expected = _old_projects_for_partner(session, organization_id, limit)
    session.expunge_all()
    suggestions = for_me.projects_for_partner(session, organization_id, limit)
    assert len(expected) >= min(limit, 8)
    assert _shown(suggestions) == expected
    for suggestion in suggestions:  # whole rows, as the page and the home read them
        assert isinstance(suggestion.need, Need) and isinstance(suggestion.line, ResourceLine)
        assert suggestion.line.need_id == suggestion.need.id and suggestion.line.closed_at is None


def test_a_partner_s_visit_builds_whole_rows_only_of_the_suggestions_shown(
    street: BusyStreet, session: Session, built: list[Any], bound: list[int]
) -> None:
    organization_id = street.partner.organization_id or 0
    open_lines = len(_old_projects_for_partner(session, organization_id, 100))
    session.expunge_all()
    built.clear()
    bound.clear()
    suggestions = for_me.projects_for_partner(session, organization_id, limit=5)
    assert len(suggestions) == 5 and open_lines > 5
    assert sorted((type(row).__name__, row.id) for row in built) == sorted(
        [("Need", need_id) for need_id in {s.need.id for s in suggestions}]
        + [("ResourceLine", s.line.id) for s in suggestions if s.line]
    )  # was every open need and line of the street
    # Only the five shown are asked by id; no statement lists the street's needs or lines.
    assert max(bound) <= 5


def test_a_volunteer_s_visit_builds_whole_needs_only_of_the_suggestions_shown(
    street: BusyStreet, session: Session, built: list[Any], bound: list[int]
) -> None:
    newcomer = _profile_for(session, make_user(session, Role.VOLUNTEER), street.grid, [street.skill])
    session.expunge_all()
    built.clear()
    bound.clear()
    suggestions = for_me.tasks_for_volunteer(session, newcomer, limit=2)
    assert len(suggestions) == 2
    needs = [row.id for row in built if isinstance(row, Need)]
    assert sorted(needs) == sorted({s.need.id for s in suggestions})  # each once, with its shift
    assert all(isinstance(s.need, Need) and s.shift is not None and s.shift.need_id == s.need.id for s in suggestions)
    assert max(bound) <= 2


def _old_open_parts(db: Session, street_id: int | None) -> tuple[list[Any], list[Any]]:
    """The former reading of a round's open lines and shifts: whole needs, need by need."""
    query = sa.select(Need).where(Need.status.in_(OPEN_STATUSES)).order_by(Need.id)  # type: ignore[attr-defined]
    needs = list(db.execute(query).scalars())
    line_rows = rows.rows_of_needs(db, ResourceLine, needs, ResourceLine.id)
    shift_rows = rows.rows_of_needs(db, Shift, needs, Shift.starts_at, Shift.id)
    lines, shifts = [], []
    for need in needs:
        lines += rows.line_records(db, need, matches_services.open_lines(db, line_rows.get(need.id or 0, [])))
        shifts += rows.shift_records(db, need, matches_services.open_shifts(db, shift_rows.get(need.id or 0, [])))
    return lines, shifts


def test_a_round_reads_the_open_lines_and_shifts_the_former_way_read(street: BusyStreet, session: Session) -> None:
    lines, shifts = inputs._open_parts(session, None)
    old_lines, old_shifts = _old_open_parts(session, None)
    assert lines == old_lines and shifts == old_shifts
    assert len(old_lines) > UNITS and len(old_shifts) > UNITS
    assert any(record.skill_ids for record in shifts)
    whole = {row for (row,) in session.execute(sa.select(ResourceLine.need_id).where(ResourceLine.closed_at.is_(None)))}  # type: ignore[union-attr]
    assert {record.need_id for record in lines} < whole  # the needs claimed whole are left out


def test_a_round_s_reading_does_not_grow_with_the_street(
    street: BusyStreet, session: Session, bound: list[int]
) -> None:
    now = utcnow() + timedelta(minutes=1)
    inputs.load(session, now)
    small = len(bound)
    street.grow(4)
    bound.clear()
    found = inputs.load(session, now)
    assert len(bound) == small  # was two statements more per open need
    assert max(bound) <= 1  # no statement lists the needs', lines' or shifts' ids
    assert found.lines and found.shifts
