"""Does the PostgreSQL server have room for every worker's pool? Checked once, when serving starts.

Each worker may open ``pool size + max overflow`` connections. When ``workers x that`` exceeds what
the server admits, nothing fails at start: under load some requests get "too many clients" (503s)
while others wait. Saying so at start, with the figures and the settings to change, is cheaper
than finding it in a load run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from marketplace.settings import DatabaseSettings

logger = logging.getLogger("marketplace.serving")


@dataclass(frozen=True)
class ConnectionBudget:
    workers: int
    per_worker: int
    max_connections: int
    reserved: int
    in_use_by_others: int

    @property
    def wanted(self) -> int:
        return self.workers * self.per_worker

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved - self.in_use_by_others

    @property
    def fits(self) -> bool:
        return self.wanted <= self.available

    def warning(self) -> str:
        return (
            f"{self.workers} workers x (pool size + max overflow = {self.per_worker}) may open {self.wanted} "
            f"PostgreSQL connections, but the server admits {self.available} more "
            f"(max_connections {self.max_connections}, {self.reserved} reserved for superusers, "
            f"{self.in_use_by_others} in use now): under load some requests will be refused. "
            "Lower MARKETPLACE_DATABASE_POOL_SIZE / MARKETPLACE_DATABASE_MAX_OVERFLOW or --workers, "
            "or raise max_connections (docs/serving.md)."
        )


def measure(settings: DatabaseSettings, workers: int) -> ConnectionBudget | None:
    """The budget on PostgreSQL; None on SQLite (no connection limit) or when the server can't be asked."""
    if settings.is_sqlite:
        return None
    # One short connection of its own (NullPool), closed before the workers are forked.
    engine = sa.create_engine(settings.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            max_connections = int(connection.execute(sa.text("SHOW max_connections")).scalar_one())
            reserved = int(connection.execute(sa.text("SHOW superuser_reserved_connections")).scalar_one())
            others = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    except sa.exc.SQLAlchemyError as error:
        logger.warning("could not check the connection budget: %s", error.__class__.__name__)
        return None
    finally:
        engine.dispose()
    return ConnectionBudget(
        workers=workers,
        per_worker=settings.pool_size + settings.max_overflow,
        max_connections=max_connections,
        reserved=reserved,
        in_use_by_others=int(others),
    )


def warn_if_over(settings: DatabaseSettings, workers: int) -> ConnectionBudget | None:
    """Log a warning naming the figures when the workers' pools could exceed the server's limit."""
    budget = measure(settings, workers)
    if budget is not None and not budget.fits:
        logger.warning(budget.warning())
    return budget
