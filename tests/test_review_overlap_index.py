"""The review queue's overlap check reads the slots a page's volunteers hold from one index, and reports the
earliest overlapping shift; the index migration goes down and up. Runs on SQLite and on PostgreSQL
(MARKETPLACE_TEST_DATABASE_URL); the query plan is checked on SQLite, whose planner has no statistics."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import downgrade, upgrade
from marketplace.matches.conflicts import overlaps_of
from marketplace.matches.models import Match
from marketplace.needs.models import Shift
from marketplace.settings import DatabaseSettings
from marketplace.volunteers.models import SignupStatus
from tests.test_review_inbox import Inbox, inbox  # noqa: F401  (fixture)
from tests.test_review_overlap_counts import HOUR, _holds, _pending

INDEX = "ix_shift_signup_volunteer_status_shift"


def _statements(session: Session, call: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_the_earliest_overlapping_held_shift_is_reported(session: Session, inbox: Inbox) -> None:  # noqa: F811
    from tests import matches_factories as mf

    t = mf.soon(72)
    need, elsewhere = inbox.need(), inbox.need(inbox.south)
    match = _pending(inbox, need, t)
    _holds(session, match, elsewhere, t + HOUR, 2, SignupStatus.CONFIRMED)  # later
    _holds(session, match, elsewhere, t - HOUR, 2, SignupStatus.COMPLETED)  # earliest: the one reported
    _holds(session, match, elsewhere, t - 3 * HOUR, 2, SignupStatus.CONFIRMED)  # ends before: none
    other = _pending(inbox, need, t + 10 * HOUR)  # another volunteer, nothing held
    own = session.get(Shift, match.shift_id)
    assert own is not None
    found = overlaps_of(session, [match, other])
    assert set(found) == {match.id}
    assert found[match.id or 0].starts_at == t - HOUR
    # The callers' own shifts given: the same answer, one statement.
    shifts = {shift.id: shift for shift in session.execute(sa.select(Shift)).scalars()}
    seen = _statements(session, lambda: overlaps_of(session, [match, other], shifts))
    assert len(seen) == 1
    assert overlaps_of(session, [match, other], shifts)[match.id or 0].starts_at == t - HOUR


def test_the_held_slots_are_read_from_the_volunteer_status_index(
    session: Session,
    inbox: Inbox,  # noqa: F811
    is_postgres: bool,
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL chooses by its statistics; the index is the same")
    from tests import matches_factories as mf

    t = mf.soon(72)
    need, elsewhere = inbox.need(), inbox.need(inbox.south)
    matches: list[Match] = []
    for n in range(3):
        match = _pending(inbox, need, t + n * 5 * HOUR)
        _holds(session, match, elsewhere, t + n * 5 * HOUR, 1, SignupStatus.CONFIRMED)
        matches.append(match)
    statements = _statements(session, lambda: overlaps_of(session, matches))
    statement, parameters = next((s, p) for s, p in statements if "shift_signup" in s)
    plan = " ".join(
        str(row[3]) for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    )
    assert INDEX in plan, plan
    assert "ix_shift_signup_status" not in plan, plan


def test_the_index_migration_goes_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:

        def indexes() -> set[str]:
            inspector = sa.inspect(engine)
            return {i["name"] for i in inspector.get_indexes("shift_signup")} | {
                i["name"] for i in inspector.get_indexes("user_account")
            }

        assert {INDEX, "ix_user_account_display_name"} <= indexes()
        downgrade(url, "e5f6a7b8c9d0")
        assert not {INDEX, "ix_user_account_display_name"} & indexes()
        upgrade(url)
        assert {INDEX, "ix_user_account_display_name"} <= indexes()
    finally:
        engine.dispose()
