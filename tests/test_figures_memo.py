"""The figures of a city, read by signed-in people too, without computing them for every request.

At 100 streets (50,000 needs, 123,000 sign-ups) the figures cost 700 ms of SQL a request and the page was 835 KB,
2,100 grid rows of it; each signed-in reader computed them again. Now the figures are kept per street, language
and day until a write of this process changes public data (at once) or for ``FIGURES_SECONDS`` (another worker's
write); and the figures of several streets are tallied by street, each linking to that street's grid tables.
"""

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.dashboard.memo import FIGURES_SECONDS
from marketplace.needs.models import NeedStatus
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid
from tests.street_fixtures import TwoStreets, build_two_streets


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _collected(client: TestClient[Any]) -> int:
    """The "Needs collected" key figure of /figures, as a signed-in reader sees it (never from the page cache)."""
    answer = client.get("/figures")
    assert answer.status_code == 200, answer.text
    found = re.search(r'Needs collected</dt><dd class="key-value">([\d,]+)</dd>', answer.text)
    assert found is not None, "the page names the needs collected"
    return int(found.group(1).replace(",", ""))


def test_kept_until_this_process_writes_or_the_time_is_up(
    client: TestClient[Any], app: Litestar, session: Session
) -> None:
    clock = FakeClock()
    app.state.figures_memo.clock = clock
    grid = make_grid(session)
    factories.make_need(session, grid, NeedStatus.PUBLISHED)
    session.commit()
    reader = mf.admin(session).user
    assert login(client, reader.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "en")

    assert _collected(client) == 1
    # Written by another process (the test's own engine, which the app does not watch): kept for now...
    factories.make_need(session, grid, NeedStatus.PUBLISHED)
    session.commit()
    assert _collected(client) == 1
    clock.now += FIGURES_SECONDS  # ...and computed again once the time is up
    assert _collected(client) == 2

    # Written through the application's own engine: the next reader sees it at once.
    factory: sessionmaker[Session] = app.state.session_factory
    with factory() as own:
        factories.make_need(own, own.merge(grid), NeedStatus.PUBLISHED)
        own.commit()
    assert _collected(client) == 3


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def test_the_figures_of_several_streets_are_tallied_by_street(client: TestClient[Any], world: TwoStreets) -> None:
    client.cookies.set("lang", "en")
    city = client.get("/figures")
    assert city.status_code == 200, city.text
    assert "Needs by street" in city.text and 'id="by-grid-heading"' not in city.text
    for side in (world.a, world.b):
        assert f'href="/figures?street={side.street.code}"' in city.text
        assert side.grids[0].name_en not in city.text  # no grid table for the whole city

    stats = client.get("/api/v1/stats").json()
    streets = {row["street_code"]: row for row in stats["by_street"]}
    assert {world.a.street.code, world.b.street.code} <= set(streets)
    assert sum(row["collected"] for row in streets.values()) == stats["needs_collected"]
    one = client.get(f"/api/v1/stats?street={world.a.street.code}").json()
    assert streets[world.a.street.code]["collected"] == one["needs_collected"]
    assert one["by_street"] == []

    street = client.get(f"/figures?street={world.a.street.code}")
    assert 'id="by-grid-heading"' in street.text and "Needs by street" not in street.text
    assert world.a.grids[0].name_en in street.text and world.b.grids[0].name_en not in street.text
