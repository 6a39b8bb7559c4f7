"""The newest migration runs on a database that holds a street, not only on an empty one: down one step and up
again with every table filled (rounds with their matches, jobs, users …), no row of a table both revisions
have is lost. On SQLite a table rebuilt by a batch (copy, drop, rename) fails here when other rows point at
it; the empty-database test in test_migrations.py cannot see that."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import alembic_config, current_revision, downgrade, upgrade
from marketplace.db.scratch import scratch_postgres_database
from marketplace.settings import DatabaseSettings
from seeds.synthetic import seed_synthetic


@pytest.fixture
def seeded_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    url = sa.make_url(database_url)
    if not url.get_backend_name().startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'seeded.sqlite3'}"
        return
    with scratch_postgres_database(database_url, f"{url.database}_seeded") as fresh_url:
        yield fresh_url


def _counts(engine: sa.Engine) -> dict[str, int]:
    names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    with engine.connect() as connection:
        return {name: connection.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}


def test_the_newest_migration_goes_down_and_up_on_a_seeded_street(seeded_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(seeded_url)).get_current_head()
    upgrade(seeded_url)
    engine = create_db_engine(DatabaseSettings(url=seeded_url))
    try:
        seed_synthetic(engine, volunteers=60, needs=12, offers=6, today=date(2026, 12, 1))
        before = _counts(engine)
        assert before["match_round"] > 0 and before["match"] > 0  # rows that point at rounds are there
        engine.dispose()

        downgrade(seeded_url, "-1")
        assert current_revision(engine) != head
        upgrade(seeded_url)
        assert current_revision(engine) == head
        after = _counts(engine)
    finally:
        engine.dispose()
    assert {name: count for name, count in after.items() if count != before.get(name, count)} == {}
    assert {name for name, count in before.items() if count} <= set(after)
