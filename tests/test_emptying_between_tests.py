"""Each test starts from empty tables whose ids count from 1, on SQLite and PostgreSQL alike: what one
test wrote is gone before the next one looks (``tests.conftest.empty_all_tables``)."""

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tests import factories
from tests.conftest import empty_all_tables


def _row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def test_emptying_leaves_every_table_empty_and_ids_start_again(clean_engine: sa.Engine) -> None:
    with Session(clean_engine) as session:
        scenario = factories.build_street(session)
        first_street_id = scenario.street.id
        factories.make_street(session)
        session.commit()
    assert sum(_row_counts(clean_engine).values()) > 10

    empty_all_tables(clean_engine)

    assert {name: count for name, count in _row_counts(clean_engine).items() if count} == {}
    with Session(clean_engine) as session:
        again = factories.make_street(session)
        session.commit()
        assert again.id == first_street_id == 1


def test_emptying_twice_in_a_row_is_harmless(clean_engine: sa.Engine) -> None:
    empty_all_tables(clean_engine)
    empty_all_tables(clean_engine)
    assert {name: count for name, count in _row_counts(clean_engine).items() if count} == {}
