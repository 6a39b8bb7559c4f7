"""When recommendation indexes are built: once at start however many ask, and on a large street
never inside a request nor after every change.

A server warms its indexes at start; a visitor arriving during the warm-up used to build a second
copy beside it (on a large street, seconds of CPU competing with the first). Now they wait for it.
During a burst of sign-ups on a large street, every sign-up changed the index and the next request
rebuilt it: seconds of CPU each time, with every other request waiting for the interpreter.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.recommend import services
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
from tests.security_helpers import make_grid, make_user


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


def _volunteers(session: Session, count: int) -> None:
    grid = make_grid(session)
    for n in range(count):
        user = make_user(session, Role.VOLUNTEER, display_name=f"志愿者{n}")
        profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
        session.add(profile)
    session.commit()


def test_eight_requests_at_start_share_one_build_of_the_index(
    session: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _volunteers(session, 3)

    builds: list[str] = []
    real_build = services._build
    gate = threading.Event()

    def counted_build(db: Session, kind: str) -> tuple[Any, int]:
        builds.append(kind)
        gate.wait(timeout=10)  # hold the first build open while the others arrive
        return real_build(db, kind)

    monkeypatch.setattr(services, "_build", counted_build)

    def ask(_: int) -> Any:
        with session_factory() as db:
            return services.index_for(db, "volunteers")

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(ask, n) for n in range(8)]
        threading.Timer(0.5, gate.set).start()
        indexes = [future.result(timeout=30) for future in futures]

    assert builds == ["volunteers"]
    assert all(index is indexes[0] for index in indexes) and indexes[0] is not None


def test_a_large_streets_index_is_rebuilt_in_the_background_at_most_once_an_interval(
    session: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SYNC_LIMIT", 3)  # three volunteers make a "large" street here
    _volunteers(session, 3)
    with session_factory() as db:
        first = services.index_for(db, "volunteers")

    rebuilt = threading.Event()
    real_rebuild = services._rebuild

    def watched_rebuild(*args: Any) -> None:
        real_rebuild(*args)
        rebuilt.set()

    monkeypatch.setattr(services, "_rebuild", watched_rebuild)
    _volunteers(session, 1)  # a change: the index is out of date
    with session_factory() as db:
        # Built moments ago: the request is served the index it has, and nothing rebuilds yet.
        assert services.index_for(db, "volunteers") is first
    assert not rebuilt.wait(timeout=0.5)

    monkeypatch.setattr(services, "REBUILD_INTERVAL", 0.0)
    with session_factory() as db:
        assert services.index_for(db, "volunteers") is first  # still not waited for
    assert rebuilt.wait(timeout=30)
    with session_factory() as db:
        newer = services.index_for(db, "volunteers")
    assert newer is not first
