"""Faults against a real server process: kill -9 in the middle of writes, and a database that goes away.

Each test prints its figures (``-s`` shows them); docs/RELIABILITY.md quotes them.
"""

import os
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.settings import DatabaseSettings
from tests.fault_helpers import TcpForwarder
from tests.live_server import LiveServer, start_serve, wait_until_healthy
from tests.needs_helpers import StaffWithToken, need_body, staff_with_token

pytestmark = pytest.mark.slow

WRITES = 1_000
KILL_AFTER = 500
CLIENTS = 4


def prepared_staff(database_url: str) -> StaffWithToken:
    """A staff member with a needs token in a migrated database that the server will use."""
    upgrade(database_url)
    engine = create_db_engine(DatabaseSettings(url=database_url, forbid_event_loop_queries=False))
    try:
        with Session(engine, expire_on_commit=False) as session:
            staff = staff_with_token(session)
            session.commit()
            return staff
    finally:
        engine.dispose()


def drill_need(staff: StaffWithToken, number: int) -> dict[str, object]:
    return need_body(staff.grid.id, title=f"kill-drill {number}", beneficiary_phone=f"138{number:08d}")


@dataclass
class Writes:
    """Shared by the client threads: the next number to write and what the server acknowledged."""

    next_number: int = 0
    acknowledged: dict[int, int] = field(default_factory=dict)  # number → need id
    refused: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self.lock:
            if self.next_number >= WRITES:
                return None
            self.next_number += 1
            return self.next_number - 1


def write_until_gone(server: LiveServer, staff: StaffWithToken, writes: Writes, killed: threading.Event) -> None:
    with httpx.Client(base_url=server.base_url, headers=staff.headers, timeout=30) as client:
        while (number := writes.take()) is not None:
            try:
                response = client.post("/api/v1/needs", json=drill_need(staff, number))
            except httpx.TransportError:
                if killed.is_set():
                    return  # the server is gone; this write was never acknowledged
                raise
            with writes.lock:
                if response.is_success:
                    writes.acknowledged[number] = response.json()["id"]
                else:
                    writes.refused.append(response.status_code)


def test_kill_9_during_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    database = tmp_path / "faults.sqlite3"
    database_url = f"sqlite:///{database}"
    staff = prepared_staff(database_url)
    server = start_serve(database_url, tmp_path / "var")
    writes, killed = Writes(), threading.Event()
    clients = [
        threading.Thread(target=write_until_gone, args=(server, staff, writes, killed), daemon=True)
        for _ in range(CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        deadline = time.monotonic() + 60
        while len(writes.acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(writes.acknowledged) >= KILL_AFTER, server.output()
        killed.set()
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        for client in clients:
            client.join(timeout=30)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    assert writes.refused == []
    acknowledged = dict(writes.acknowledged)

    started = time.monotonic()
    restarted = start_serve(database_url, tmp_path / "var")
    seconds_to_serve = time.monotonic() - started
    try:
        with sqlite3.connect(database) as connection:
            integrity = connection.execute("PRAGMA integrity_check").fetchall()
            stored = dict(connection.execute("SELECT id, title FROM need WHERE title LIKE 'kill-drill %'").fetchall())
        lost = {n: i for n, i in acknowledged.items() if stored.get(i) != f"kill-drill {n}"}
        page = httpx.get(f"{restarted.base_url}/api/v1/needs/{max(acknowledged.values())}", headers=staff.headers)
    finally:
        restarted.stop()
    print(
        f"\nkill -9: {len(acknowledged)} writes acknowledged before the kill, {len(lost)} lost, "
        f"{len(stored) - len(acknowledged)} committed but unacknowledged, integrity {integrity}, "
        f"serving again {seconds_to_serve:.1f} s after restart"
    )
    assert lost == {}
    assert integrity == [("ok",)]
    assert page.status_code == 200, page.text


@dataclass
class Answers:
    """(seconds since start, status) of every request; 0 means no answer at all."""

    started: float = field(default_factory=time.monotonic)
    log: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int) -> None:
        with self.lock:
            self.log.append((time.monotonic() - self.started, status))

    def between(self, start: float, end: float) -> list[int]:
        with self.lock:
            return [status for at, status in self.log if start <= at < end]


def keep_asking(base_url: str, staff: StaffWithToken, answers: Answers, stop: threading.Event, writer: bool) -> None:
    with httpx.Client(base_url=base_url, headers=staff.headers, timeout=30) as client:
        number = 0
        while not stop.is_set():
            try:
                if writer:
                    response = client.post("/api/v1/needs", json=drill_need(staff, number))
                    number += 1
                else:
                    response = client.get("/api/v1/needs")
                answers.add(response.status_code)
            except httpx.TransportError:
                answers.add(0)
            time.sleep(0.02)


def test_database_gone_under_load_is_503_then_recovers_within_5_seconds(
    is_postgres: bool, database_url: str, session: Session, tmp_path: Path
) -> None:
    if not is_postgres:
        pytest.skip("PostgreSQL only: the database going away under load is tested through a TCP forwarder")
    staff = staff_with_token(session)  # in the suite's own database, emptied after the test
    real = sa.make_url(database_url)
    forwarder = TcpForwarder(real.host or "127.0.0.1", real.port or 5432)
    forwarder.resume()
    through_forwarder = real.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    server = start_serve(through_forwarder, tmp_path / "var")
    answers, stop = Answers(), threading.Event()
    clients = [
        threading.Thread(target=keep_asking, args=(server.base_url, staff, answers, stop, n % 2 == 0), daemon=True)
        for n in range(CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        time.sleep(2)
        cut_at = time.monotonic() - answers.started
        forwarder.cut()
        time.sleep(3)
        resumed_at = time.monotonic() - answers.started
        forwarder.resume()
        healthy_again = wait_until_healthy(server.base_url, server.process, 15)
        time.sleep(5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=40)
        server.stop()
        forwarder.close()

    before = answers.between(0, cut_at)
    # Requests already past their queries when the cut came may still succeed; from then on, 503.
    during = answers.between(cut_at + 0.5, resumed_at)
    after = [(at, status) for at, status in answers.log if at >= resumed_at]
    first_success = next((at for at, status in after if 200 <= status < 300), None)
    recovery = None if first_success is None else first_success - resumed_at
    print(
        f"\ndatabase gone: {len(before)} answers before the cut, statuses while gone "
        f"{sorted(set(during))} ({len(during)} answers), first success {recovery} s after it came back"
    )
    assert healthy_again, server.output()
    assert set(before) <= {200, 201}, sorted(set(before))
    assert during and set(during) == {503}, sorted(set(during))
    assert recovery is not None and recovery < 5, recovery
    assert 500 not in [status for _at, status in answers.log]
    assert {status for at, status in after if at >= resumed_at + 5} <= {200, 201}
