"""Training the rankers only reads: while a training job or ``marketplace match train`` is fitting, the
street's other writes go through.

Found when POST /api/v1/jobs answered 503 "database is locked" under load: the training job read its
decisions in a writer's session, which on SQLite holds the write lock (BEGIN IMMEDIATE, the write
gate) until the fit ends, so every other write waited out the busy timeout. The tests hold a training
inside its read and write from another connection with a 2 s busy timeout, on the worker's database
(a file on SQLite, the server on PostgreSQL).
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.cli import main as marketplace_cli
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.jobs import kinds
from marketplace.recommend import training
from marketplace.settings import DatabaseSettings, Settings

HOLD_SECONDS = 20


@dataclass
class TrainingContext:
    """What the job runner hands a job (``kinds.Context``)."""

    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    settings: Settings
    job_id: int = 1
    arguments: dict[str, Any] = field(default_factory=lambda: {"kind": "offers"})
    attempt: int = 1
    started_by_id: int | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        pass

    def fence(self, db: Session) -> None:
        pass


@pytest.fixture
def held_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Training that has begun its transaction (it has read) and waits, as a long fit would."""
    reading, release = threading.Event(), threading.Event()
    original = training.decisions_and_pool

    def held(db: Session, kind: str) -> Any:
        db.execute(sa.text("SELECT 1"))  # the transaction begins here, as the real read's would
        reading.set()
        release.wait(HOLD_SECONDS)
        return original(db, kind)

    monkeypatch.setattr(training, "decisions_and_pool", held)
    yield reading, release
    release.set()


def _write_beside(database_url: str) -> None:
    """A write of the street's (a need category's setting would do; an audit row is the plainest)."""
    engine = create_db_engine(DatabaseSettings(url=database_url, sqlite_busy_timeout=2))
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (action, object_type, created_at) "
                    "VALUES ('test.write', 'test', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()


def _run_held(work: Callable[[], None], reading: threading.Event, release: threading.Event, url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # shown by the assertion below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert reading.wait(HOLD_SECONDS), "the training never started reading"
        _write_beside(url)  # raises "database is locked" if the training holds the write lock
    finally:
        release.set()
        thread.join(HOLD_SECONDS * 3)
    assert not errors, errors


def test_a_training_job_lets_other_writes_through(
    settings: Settings, clean_engine: sa.Engine, held_training: tuple[threading.Event, threading.Event]
) -> None:
    context = TrainingContext(
        writer=make_session_factory(clean_engine),
        reader=make_session_factory(clean_engine, readonly=True),
        settings=settings,
    )
    reading, release = held_training
    _run_held(lambda: kinds.match_train(context), reading, release, settings.database.url)


def test_match_train_on_the_command_line_lets_other_writes_through(
    settings: Settings,
    clean_engine: sa.Engine,
    tmp_path: Path,
    held_training: tuple[threading.Event, threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(tmp_path))
    reading, release = held_training

    def train() -> None:
        result = CliRunner().invoke(marketplace_cli, ["match", "train", "--kind", "offers"], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    _run_held(train, reading, release, settings.database.url)
