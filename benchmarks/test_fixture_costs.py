"""What every test pays before it starts: emptying the tables (twice per test, ``tests/conftest.py``) and
building the application (``create_app``, once per test that uses ``app`` or ``client``).

Compares the old PostgreSQL emptying (one ``TRUNCATE ... RESTART IDENTITY CASCADE`` of every table) with
the suite's ``empty_all_tables`` (DELETE children first, used sequences set back), each after a small
street was written (untimed), the way a test leaves its rows; the SQLite emptying and ``create_app`` beside.

    .venv/bin/python benchmarks/test_fixture_costs.py --runs 15 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Writes ``results/test_fixture_costs.{txt,json}``. Cases run in turns (``timing.in_turns``), medians kept.
"""

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from timing import in_turns, load, summary, write_results

import marketplace.app  # noqa: F401
from marketplace.app import create_app
from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import scratch_postgres_database
from marketplace.settings import DatabaseSettings, Settings
from tests import factories
from tests.conftest import empty_all_tables


def _truncate_every_table(engine: sa.Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _write_a_street(engine: sa.Engine) -> None:
    with Session(engine) as session:
        factories.build_street(session)
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", help="a PostgreSQL URL; a scratch database beside it is used")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'costs.sqlite3'}"
        upgrade(sqlite_url)
        sqlite = create_db_engine(DatabaseSettings(url=sqlite_url))
        settings = Settings(
            database=DatabaseSettings(url=sqlite_url), secret_key="benchmark-secret-key-not-for-use", var_dir=folder
        )
        engines = {"sqlite": sqlite}
        cases = {
            "sqlite: empty_all_tables": lambda: empty_all_tables(sqlite),
            "create_app": lambda: create_app(settings),
        }
        scratch = (
            scratch_postgres_database(arguments.database_url, "test_fixture_costs")
            if arguments.database_url
            else contextlib.nullcontext("")
        )
        with scratch as postgres_url:
            if arguments.database_url:
                upgrade(postgres_url)
                postgres = create_db_engine(DatabaseSettings(url=postgres_url))
                engines["postgresql"] = postgres
                cases["postgresql: TRUNCATE every table (before)"] = lambda: _truncate_every_table(postgres)
                cases["postgresql: empty_all_tables (now)"] = lambda: empty_all_tables(postgres)

            def before(key: str) -> None:
                if key != "create_app":
                    _write_a_street(engines[key.split(":")[0]])

            timed = in_turns(cases, arguments.runs, before=before)
            for engine in engines.values():
                engine.dispose()

    lines = [f"{'case':<45} {'median ms':>10} {'min ms':>8}"]
    results = {}
    for key, found in timed.items():
        results[key] = summary(found)
        lines.append(f"{key:<45} {results[key]['median_ms']:>10} {results[key]['min_ms']:>8}")
    lines.append(f"load average: {load()}, runs: {arguments.runs}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    write_results("test_fixture_costs", text, runs=arguments.runs, cases=results)


if __name__ == "__main__":
    main()
