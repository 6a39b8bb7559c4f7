"""The first build of a recommendation index is made once, however many requests ask for it at once.

A server warms its indexes at start; a visitor arriving during the warm-up used to build a second
copy beside it (on a large street, seconds of CPU competing with the first). Now they wait for it.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.recommend import service
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
from tests.security_helpers import make_grid, make_user


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    service.forget()
    yield
    service.forget()


def test_eight_requests_at_start_share_one_build_of_the_index(
    session: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = make_grid(session)
    for n in range(3):
        user = make_user(session, Role.VOLUNTEER, display_name=f"志愿者{n}")
        session.add(
            VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
        )
    session.commit()

    builds: list[str] = []
    real_build = service._build
    gate = threading.Event()

    def counted_build(db: Session, kind: str) -> tuple[Any, int]:
        builds.append(kind)
        gate.wait(timeout=10)  # hold the first build open while the others arrive
        return real_build(db, kind)

    monkeypatch.setattr(service, "_build", counted_build)

    def ask(_: int) -> Any:
        with session_factory() as db:
            return service.index_for(db, "volunteers")

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(ask, n) for n in range(8)]
        threading.Timer(0.5, gate.set).start()
        indexes = [future.result(timeout=30) for future in futures]

    assert builds == ["volunteers"]
    assert all(index is indexes[0] for index in indexes) and indexes[0] is not None
