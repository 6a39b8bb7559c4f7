"""SQLite writers take turns at a gate (a file lock beside the database) before BEGIN IMMEDIATE.

See ``marketplace.db.engine.WriteGate``: threads and processes alike wait there, looking again every
millisecond or two, instead of in SQLite's loop of sleeps of up to 100 ms.

The gate must never stay shut: not after a commit, a rollback, an error that throws the connection
away, nor a connection returned to the pool mid-transaction; and a writer that cannot get in within
the busy timeout gets "database is locked" (a 503 for the client), not an endless wait.
"""

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.db.engine import create_db_engine
from marketplace.db.errors import is_unavailable
from marketplace.settings import DatabaseSettings


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_db_engine(DatabaseSettings(url=f"sqlite:///{tmp_path / 'gate.sqlite3'}", sqlite_busy_timeout=0.5))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE tally (n INTEGER)")
    yield engine
    engine.dispose()


def _write(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO tally VALUES (1)")


def _in_thread(work: Callable[[], None]) -> BaseException | None:
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "a writer hung at the gate"
    return failure[0] if failure else None


def test_a_writer_waits_its_turn_then_is_told_the_database_is_locked(engine: sa.Engine) -> None:
    with engine.connect() as holder:
        holder.exec_driver_sql("INSERT INTO tally VALUES (1)")  # begins IMMEDIATE: holds the gate
        started = time.monotonic()
        error = _in_thread(lambda: _write(engine))
        waited = time.monotonic() - started
        holder.commit()
    assert error is not None and is_unavailable(error)
    assert 0.4 < waited < 10
    assert _in_thread(lambda: _write(engine)) is None  # the commit opened the gate


@pytest.mark.parametrize("ending", ["rollback", "close"])
def test_the_gate_opens_however_the_transaction_ends(engine: sa.Engine, ending: str) -> None:
    connection = engine.connect()
    connection.exec_driver_sql("INSERT INTO tally VALUES (1)")
    if ending == "rollback":
        connection.rollback()
    connection.close()  # for "close": back to the pool with the transaction open
    assert _in_thread(lambda: _write(engine)) is None


def test_the_gate_opens_when_an_error_throws_the_connection_away(engine: sa.Engine) -> None:
    # SQLAlchemy may report the broken transaction (PendingRollbackError) on the way out.
    with pytest.raises((RuntimeError, sa.exc.PendingRollbackError)), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO tally VALUES (1)")
        connection.invalidate()  # as SQLAlchemy does after a driver error
        raise RuntimeError("the driver failed")
    assert _in_thread(lambda: _write(engine)) is None


def test_a_writer_in_another_process_is_waited_for_then_this_one_gets_through(
    engine: sa.Engine, tmp_path: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_MOMENT, str(engine.url.database)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        assert _in_thread(lambda: _write(engine)) is None
        assert time.monotonic() - started > 0.2  # it waited for the other process's transaction
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


_HOLD_A_MOMENT = """
import sys, time
from marketplace.db.engine import create_db_engine
from marketplace.settings import DatabaseSettings
engine = create_db_engine(DatabaseSettings(url=f"sqlite:///{sys.argv[1]}", sqlite_busy_timeout=5))
with engine.begin() as connection:
    connection.exec_driver_sql("INSERT INTO tally VALUES (2)")
    print("holding", flush=True)
    time.sleep(0.4)
"""


def test_many_writers_of_one_process_all_get_through(engine: sa.Engine) -> None:
    errors: list[BaseException] = []

    def write_slowly() -> None:
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO tally VALUES (1)")
                time.sleep(0.005)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write_slowly) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM tally").scalar() == 40
