"""The migrations build exactly the schema the models declare, and run up, down and up again.

``compare_metadata`` covers tables, columns, types, nullability, indexes, unique and foreign keys;
it does not look at CHECK constraints or partial index predicates, so those are reflected and
compared here separately.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.db.migrate import current_revision, downgrade, upgrade
from marketplace.db.scratch import scratch_postgres_database

# PostgreSQL reflects a generated column's expression in its own words (casts, ANY(ARRAY[...])), so
# Alembic always sees it "changed" and warns; test_board_speed.py checks what the column computes.
pytestmark = pytest.mark.filterwarnings("ignore:Computed default on need.board_rank cannot be modified")

_LITERAL = re.compile(r"'([^']*)'")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _differences(connection: sa.Connection, metadata: sa.MetaData) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, metadata)


def test_migrations_build_the_models_schema(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert _differences(connection, SQLModel.metadata) == []


def test_the_comparison_sees_differences(engine: sa.Engine) -> None:
    # Guards the test above against comparing nothing: a changed copy of the models must differ.
    changed = sa.MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["offer"].append_column(sa.Column("extra", sa.Integer(), nullable=True))
    changed.tables["need"].c.description.nullable = True
    changed.tables["grid"].c.households.type = sa.String(10)
    sa.Index("ix_need_title", changed.tables["need"].c.title)
    with engine.connect() as connection:
        kinds = {_kind(difference) for difference in _differences(connection, changed)}
    assert {"add_column", "modify_nullable", "modify_type", "add_index"} <= kinds


def _kind(difference: object) -> str:
    # Column modifications come as a list of tuples; the others as one tuple.
    first = difference[0] if isinstance(difference, list) else difference
    return str(first[0])  # type: ignore[index]


def _literals(sql: str) -> set[str]:
    """The quoted string literals of an SQL expression: what survives each database's rewriting of it.

    Numbers are left out: PostgreSQL quotes some of them back ('-90'::integer), SQLite never does.
    """
    return {literal for literal in _LITERAL.findall(sql) if not _NUMBER.fullmatch(literal)}


def _declared_checks(dialect: sa.Dialect) -> dict[tuple[str, str], set[str]]:
    checks = {}
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                sql = str(constraint.sqltext.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                checks[(table.name, str(constraint.name))] = _literals(sql)
    return checks


def _reflected_checks(engine: sa.Engine) -> dict[tuple[str, str], set[str]]:
    inspector = sa.inspect(engine)
    return {
        (table, check["name"]): _literals(check["sqltext"])
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def test_every_check_constraint_exists_in_the_database(engine: sa.Engine) -> None:
    declared, reflected = _declared_checks(engine.dialect), _reflected_checks(engine)
    assert set(declared) - set(reflected) == set(), "CHECK constraints of the models missing from the database"
    assert set(reflected) - set(declared) == set(), "CHECK constraints in the database the models do not declare"


def test_check_constraints_list_the_same_values(engine: sa.Engine) -> None:
    # An enum member added in Python without a migration would be refused by the database's CHECK.
    declared, reflected = _declared_checks(engine.dialect), _reflected_checks(engine)
    different = {key: (declared[key], reflected[key]) for key in declared if declared[key] != reflected.get(key)}
    assert different == {}


def test_partial_unique_indexes_keep_their_predicate(engine: sa.Engine) -> None:
    dialect = engine.dialect.name
    inspector = sa.inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        reflected = {index["name"]: index for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            where = index.dialect_options[dialect].get("where")
            if where is None:
                continue
            found = reflected[index.name]
            assert found["unique"], index.name
            predicate = found.get("dialect_options", {}).get(f"{dialect}_where")
            assert predicate is not None, f"{index.name} lost its WHERE clause"
            assert _literals(str(predicate)) == _literals(str(where)), index.name


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database beside the worker's: a SQLite file, or a PostgreSQL database of its own."""
    url = sa.make_url(database_url)
    if not url.get_backend_name().startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    with scratch_postgres_database(database_url, f"{url.database}_fresh") as fresh_url:
        yield fresh_url


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_database_url: str) -> None:
    model_tables = set(SQLModel.metadata.tables)
    upgrade(fresh_database_url)
    assert _tables(fresh_database_url) == model_tables
    downgrade(fresh_database_url, "base")
    assert _tables(fresh_database_url) == set()
    upgrade(fresh_database_url)
    assert _tables(fresh_database_url) == model_tables
    engine = sa.create_engine(fresh_database_url)
    try:
        assert current_revision(engine) is not None
        with engine.connect() as connection:
            assert _differences(connection, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_cli_db_upgrade_creates_the_tables(fresh_database_url: str) -> None:
    from marketplace.cli import main

    result = CliRunner().invoke(main, ["db", "upgrade"], env={"MARKETPLACE_DATABASE_URL": fresh_database_url})
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output
    assert _tables(fresh_database_url) == set(SQLModel.metadata.tables)
