"""Alembic environment: the models' metadata, batch mode on SQLite."""

from typing import Any

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import marketplace.models  # noqa: F401  (registers every table on the metadata)
from marketplace.db.engine import create_db_engine
from marketplace.db.types import UTCDateTime
from marketplace.settings import DatabaseSettings

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our own column types by their real module path (Alembic's prefix would misplace them)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "marketplace.db.types.UTCDateTime()"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sqlmodel.sql.sqltypes.AutoString(length={obj.length})"
    return False


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    engine = create_db_engine(DatabaseSettings(url=url))
    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
