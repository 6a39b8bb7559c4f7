"""``marketplace serve`` says at start when its workers' pools could exceed PostgreSQL's max_connections.

Nothing fails at start when the budget is over: under load, some requests are refused ("too many
clients") while the rest wait. The operator is told once, with the figures and the settings to change.
"""

from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.serving.connection_budget import measure
from marketplace.settings import DatabaseSettings
from tests.live_server import start_serve

ON_POSTGRESQL = "PostgreSQL only: SQLite has no connection limit"


def _server_setting(engine: sa.Engine, name: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SHOW {name}")).scalar_one())


def test_sqlite_has_no_budget_to_check(tmp_path: Path) -> None:
    assert measure(DatabaseSettings(url=f"sqlite:///{tmp_path / 'x.sqlite3'}"), workers=8) is None


def test_the_budget_is_the_servers_own_figures(database_url: str, clean_engine: sa.Engine) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip(ON_POSTGRESQL)
    budget = measure(DatabaseSettings(url=database_url, pool_size=20, max_overflow=10), workers=2)
    assert budget is not None
    assert budget.max_connections == _server_setting(clean_engine, "max_connections")
    assert budget.reserved == _server_setting(clean_engine, "superuser_reserved_connections")
    assert budget.per_worker == 30 and budget.wanted == 60
    assert 0 <= budget.in_use_by_others < budget.max_connections

    over = measure(DatabaseSettings(url=database_url, pool_size=budget.max_connections, max_overflow=0), workers=2)
    assert over is not None and not over.fits
    assert f"may open {2 * budget.max_connections} PostgreSQL connections" in over.warning()
    assert "MARKETPLACE_DATABASE_POOL_SIZE" in over.warning()


def test_serve_warns_at_start_when_the_pools_exceed_max_connections(
    database_url: str, clean_engine: sa.Engine, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip(ON_POSTGRESQL)
    limit = _server_setting(clean_engine, "max_connections")
    over = start_serve(database_url, tmp_path / "over", settings={"DATABASE_POOL_SIZE": str(limit)}, workers=2)
    try:
        assert f"2 workers x (pool size + max overflow = {limit + 10})" in over.output()
    finally:
        over.stop()

    within = start_serve(
        database_url, tmp_path / "within", settings={"DATABASE_POOL_SIZE": "5", "DATABASE_MAX_OVERFLOW": "2"}, workers=2
    )
    try:
        assert "pool size + max overflow" not in within.output()
    finally:
        within.stop()
