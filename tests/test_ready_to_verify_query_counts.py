"""The need list filtered to the needs ready to verify (待验收) sends a fixed number of SQL statements, whatever
the size of the street and however many of its needs are ready (tests/test_query_counts.py's measure).

Besides the busy street's units (whose needs all wait for something), each unit here adds needs the viewers
find ready: a project whose shift ended with places unfilled, and one delivered in full.
"""

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.needs.models import NeedStatus
from tests import factories
from tests.busy_street import BusyStreet, build_busy_street, sign_in
from tests.test_query_counts import GROWTH, SMALL, _listing, statements_of_page

# (viewer, page, most statements it may send): the bound is today's count plus two.
PAGES = [
    ("staff", "/needs?ready_to_verify=true", 9),
    ("admin", "/needs?ready_to_verify=true", 8),
    ("staff", "/needs", 10),  # the whole list, with the ready tab's count and each row's ready flag
    ("staff", "/api/v1/needs?ready_to_verify=true", 6),
    ("staff", "/home", 11),
]


@pytest.fixture
def street(session: Session, app: Litestar) -> BusyStreet:
    return build_busy_street(session)


def _ready_needs(street: BusyStreet, units: int) -> None:
    session = street.session
    for n in range(units):
        unfilled = factories.make_need(session, street.grid, NeedStatus.IN_PROGRESS, title=f"已结束班次{n}")
        factories.add_shift(session, unfilled, slots=4, confirmed=1, starts_at=utcnow() - timedelta(hours=6))
        delivered = factories.make_need(session, street.grid, NeedStatus.COMPLETED, title=f"已交付{n}")
        factories.add_resource_line(session, delivered, "10", still_needed="0")
    session.commit()


@pytest.mark.parametrize(("viewer", "page", "bound"), PAGES, ids=[f"{v} {p}" for v, p, _ in PAGES])
def test_the_ready_list_sends_as_many_statements_on_a_street_ten_times_larger_and_no_more_than_its_bound(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet, viewer: str, page: str, bound: int
) -> None:
    street.grow(SMALL)
    _ready_needs(street, SMALL)
    sign_in(client, street.viewer(viewer))
    small = statements_of_page(app, client, page)
    street.grow(SMALL * GROWTH - SMALL)
    _ready_needs(street, SMALL * GROWTH - SMALL)
    large = statements_of_page(app, client, page)
    assert len(large) == len(small), f"{len(small)} statements, then {len(large)}:\n{_listing(large)}"
    assert len(large) <= bound, f"{len(large)} statements, more than {bound}:\n{_listing(large)}"
    if page.startswith("/needs"):
        assert "已结束班次" in client.get(page).text  # the ready needs are listed (the measure is not of an empty list)
