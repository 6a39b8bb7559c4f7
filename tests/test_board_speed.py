"""The board reads its order from an index, and its pages cost the same queries whatever the street's size."""

import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.db.migrate import downgrade, upgrade
from marketplace.needs.board import BoardFilters, list_projects
from marketplace.needs.models import PUBLIC_STATUSES, SOLVED_STATUSES, Need, NeedStatus
from marketplace.settings import DatabaseSettings
from marketplace.vocabulary import Category, Urgency
from tests.factories import NOW, StreetScenario, add_resource_line, add_shift, build_street, make_need

URGENCY_ORDER = [Urgency.CRITICAL, Urgency.HIGH, Urgency.NORMAL, Urgency.LOW]


def board_key(need: Need) -> tuple[Any, ...]:
    """The board's order as documented: open first, then urgency, due date (undated last), newest, id."""
    return (
        need.status in SOLVED_STATUSES,
        URGENCY_ORDER.index(need.urgency),
        need.due_date is None,
        need.due_date or date.min,
        -need.created_at.timestamp(),
        -(need.id or 0),
    )


def test_the_stored_board_order_is_the_documented_one(session: Session) -> None:
    street = build_street(session)
    grid = street.grids[0]
    for n, (status, urgency, due) in enumerate(
        itertools.product(NeedStatus, Urgency, (None, date(2026, 7, 1), date(2026, 6, 1)))
    ):
        make_need(session, grid, status, urgency=urgency, due_date=due, created_at=NOW - timedelta(hours=n % 7))
    session.commit()
    everything = list(session.exec(sa.select(Need)).scalars())  # type: ignore[call-overload]
    public = sorted((need for need in everything if need.status in PUBLIC_STATUSES), key=board_key)
    page = list_projects(session, BoardFilters(), page=1, page_size=len(everything))
    assert [card.id for card in page.items] == [need.id for need in public]
    assert page.total == len(public)
    solved = list_projects(session, BoardFilters(status=NeedStatus.VERIFIED), page=1, page_size=len(everything))
    assert [card.id for card in solved.items] == [need.id for need in public if need.status is NeedStatus.VERIFIED]


def test_the_board_page_is_read_from_the_index_without_sorting(session: Session, is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL chooses by its statistics; the index is the same")
    build_street(session)
    statement = (
        "EXPLAIN QUERY PLAN SELECT need.id FROM need WHERE need.board_rank IS NOT NULL "
        "ORDER BY need.board_rank, need.due_date, need.created_at DESC, need.id DESC LIMIT 20"
    )
    plan = " ".join(str(row[3]) for row in session.connection().exec_driver_sql(statement))
    assert "ix_need_board_order" in plan and "TEMP B-TREE" not in plan


def test_the_board_order_migration_goes_down_and_up_with_data(tmp_path: Path) -> None:
    # A rebuild of the need table (SQLite's batch mode) fails once other rows refer to needs.
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:
        with make_session_factory(engine)() as session:
            build_street(session)
        downgrade(url, "d4e5f6a7b8c9")
        upgrade(url)
        with make_session_factory(engine)() as session:
            page = list_projects(session, BoardFilters(), page=1, page_size=20)
            assert [card.title for card in page.items][:1] == ["独居老人助餐"] and page.total == 6
    finally:
        engine.dispose()


def add_needs(session: Session, street: StreetScenario, count: int) -> None:
    """Public projects with everything a card shows: resource lines, shifts with skills."""
    skills = [street.skill] if street.skill else []
    for n in range(count):
        need = make_need(
            session,
            street.grids[n % len(street.grids)],
            [NeedStatus.PUBLISHED, NeedStatus.MATCHED, NeedStatus.VERIFIED][n % 3],
            category=list(Category)[n % len(Category)],
            urgency=URGENCY_ORDER[n % 4],
            due_date=date(2026, 6, 1) + timedelta(days=n % 30) if n % 2 else None,
        )
        add_resource_line(session, need, "50", "20")
        add_shift(session, need, skills=skills)
        add_shift(session, need, slots=2, confirmed=1)
    session.commit()


PAGES = [
    "/",
    "/?page=2",
    "/?category=renovation",
    "/?community={community}",
    "/projects/{project}",
    "/api/v1/projects",
    "/api/v1/projects?page_size=100",
    "/api/v1/projects/{project}",
    "/figures",
    "/api/v1/stats",
]


def queries_of(app: Litestar, client: TestClient[Litestar], path: str) -> int:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    app.state.page_cache.invalidate()  # count what rendering costs, not the cache
    sa.event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(app.state.engine, "before_cursor_execute", record)
    return len([statement for statement in statements if statement.lstrip().upper().startswith("SELECT")])


def test_board_project_and_figures_queries_stay_the_same_at_ten_times_the_data(
    app: Litestar, client: TestClient[Litestar], session: Session
) -> None:
    street = build_street(session)
    add_needs(session, street, 25)
    paths: list[str] = [
        path.format(community=street.communities[0].id, project=street.needs["bricks"].id) for path in PAGES
    ]
    small = {path: queries_of(app, client, path) for path in paths}
    add_needs(session, street, 250)
    assert {path: queries_of(app, client, path) for path in paths} == small
