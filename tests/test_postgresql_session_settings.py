"""The app's PostgreSQL connections compile no query with JIT.

A city admin's review counts cost the planner 0.7 million units, past ``jit_above_cost``: PostgreSQL spent 350
to 450 ms compiling them for a 150 ms run. Every connection the app opens has JIT off; SQLite has no JIT.
"""

import pytest
import sqlalchemy as sa

from marketplace.db.engine import create_db_engine
from marketplace.settings import Settings


def test_every_connection_of_the_app_has_jit_off(settings: Settings) -> None:
    if not settings.database.url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite compiles nothing (set MARKETPLACE_TEST_DATABASE_URL)")
    engine = create_db_engine(settings.database)
    try:
        with engine.connect() as first, engine.connect() as second:
            assert first.execute(sa.text("SHOW jit")).scalar_one() == "off"
            assert second.execute(sa.text("SHOW jit")).scalar_one() == "off"
    finally:
        engine.dispose()
