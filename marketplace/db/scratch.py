"""Throwaway PostgreSQL databases beside a given one, for tests and benchmarks."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def _on_maintenance_database(base_url: str, statements: list[str]) -> None:
    # The maintenance database always exists; the named one need not.
    admin = sa.create_engine(sa.make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        admin.dispose()


def recreate_postgres_database(base_url: str, name: str) -> str:
    """Drop ``name`` if it exists, create it empty, and return its URL (same server and user)."""
    _on_maintenance_database(base_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])
    return sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(base_url: str, name: str) -> None:
    _on_maintenance_database(base_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


@contextmanager
def scratch_postgres_database(base_url: str, name: str) -> Iterator[str]:
    """An empty database ``name`` for the duration of the block, dropped afterwards."""
    url = recreate_postgres_database(base_url, name)
    try:
        yield url
    finally:
        drop_postgres_database(base_url, name)
