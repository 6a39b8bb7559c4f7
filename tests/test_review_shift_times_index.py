"""The review counts' overlap probe reads a held shift's times from ``ix_shift_id_starts_at_ends_at`` alone, and
a seeded PostgreSQL database has its pages marked all-visible (VACUUM), without which no index-only scan
skips the table. The counts per matching round read the pending round proposals from
``ix_match_status_round_id`` (SQLite walked every pending item by the status index). The migration goes
down and up on either database; the counts stay what they were (tests/test_review_overlap_counts.py and
tests/test_inbox_city_counts.py check their values). Runs on SQLite and on PostgreSQL
(MARKETPLACE_TEST_DATABASE_URL)."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.migrate import downgrade, upgrade
from marketplace.matches import inbox
from marketplace.matches.models import MatchKind
from tests.test_migrations import fresh_database_url  # noqa: F401  (fixture)
from tests.test_review_inbox import Inbox
from tests.test_review_inbox import inbox as inbox_fixture  # noqa: F401  (fixture)
from tests.test_review_overlap_counts import _pending
from tests.test_seeds import hudao  # noqa: F401  (fixture)

INDEX = "ix_shift_id_starts_at_ends_at"
ROUND_INDEX = "ix_match_status_round_id"
BEFORE = "d0e1f2a3b4c5"


def _indexes(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            str(i["name"]): [str(c) for c in i["column_names"]]
            for table in ("shift", "match")
            for i in inspector.get_indexes(table)
        }
    finally:
        engine.dispose()


def test_the_index_migration_goes_down_and_up(fresh_database_url: str) -> None:  # noqa: F811
    wanted = {INDEX: ["id", "starts_at", "ends_at"], ROUND_INDEX: ["status", "round_id"]}
    upgrade(fresh_database_url)
    assert {name: _indexes(fresh_database_url).get(name) for name in wanted} == wanted
    downgrade(fresh_database_url, BEFORE)
    assert not set(wanted) & set(_indexes(fresh_database_url))
    upgrade(fresh_database_url)
    assert {name: _indexes(fresh_database_url).get(name) for name in wanted} == wanted


def test_the_counts_per_round_read_the_pending_round_proposals_from_their_index(
    session: Session,
    inbox_fixture: Inbox,  # noqa: F811
    is_postgres: bool,
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL chooses by its statistics; SQLite's plan is the one without them")
    from tests import matches_factories as mf

    need = inbox_fixture.need()
    _pending(inbox_fixture, need, mf.soon(72))
    statements: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        statements.append((statement, parameters))

    engine = session.get_bind()
    clock = inbox.Clock.at(db=session, streets=None)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        inbox.count_inbox(session, inbox.InboxFilters(), clock)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    statement, parameters = next(s for s in statements if "round_id IS NOT NULL" in s[0])
    plan = " ".join(
        str(row[3]) for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    )
    assert f"USING INDEX {ROUND_INDEX}" in plan or f"USING COVERING INDEX {ROUND_INDEX}" in plan, plan


@pytest.fixture
def postgres_hudao(hudao: sa.Engine) -> Iterator[sa.Engine]:  # noqa: F811
    if hudao.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's visibility map and index-only scans; SQLite reaches a shift by its rowid")
    yield hudao


def test_seeding_postgresql_marks_the_tables_all_visible(postgres_hudao: sa.Engine) -> None:
    with postgres_hudao.connect() as connection:
        pages = {
            name: (int(visible), int(total))
            for name, visible, total in connection.exec_driver_sql(
                "SELECT relname, relallvisible, relpages FROM pg_class "
                "WHERE relname IN ('match', 'need', 'shift', 'shift_signup') AND relkind = 'r'"
            )
        }
    assert set(pages) == {"match", "need", "shift", "shift_signup"}
    for name, (visible, total) in pages.items():
        assert total > 0 and visible == total, (name, visible, total)


def test_the_overlap_probe_reads_the_held_shifts_times_from_the_index(postgres_hudao: sa.Engine) -> None:
    """The seeded street is small, so the planner is kept from reading whole tables; which index answers the
    probe's lookup of a held shift is the question: this one, without a row of the table."""
    statements: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        statements.append((statement, parameters))

    with Session(postgres_hudao) as db:
        clock = inbox.Clock.at(db=db, streets=None)
        sa.event.listen(postgres_hudao, "before_cursor_execute", record)
        try:
            counts = inbox.count_inbox(db, inbox.InboxFilters(), clock)
        finally:
            sa.event.remove(postgres_hudao, "before_cursor_execute", record)
        assert counts.total > 0 and counts.kinds[MatchKind.VOLUNTEER_SHIFT] > 0
        statement, parameters = next(s for s in statements if "EXISTS" in s[0])
        connection = db.connection()
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
        )
        db.rollback()
    probe = plan[plan.index("SubPlan") :]
    assert f"Index Only Scan using {INDEX} on shift" in probe, plan
    assert "Heap Fetches: 0" in probe, plan
