"""The review inbox's page in two steps (the page's ids, then its rows by id): paging a street admin's inbox
in every sort walks exactly their street's pending items, each once, in the order of one long page, with the
same cards; a city admin's walks every street's. Runs on SQLite and on PostgreSQL (the street's condition is
written for each)."""

from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.inbox import InboxSort
from marketplace.places.models import Street
from marketplace.vocabulary import Urgency
from tests import matches_factories as mf
from tests.busy_street import finished_round
from tests.security_helpers import make_community, make_grid, make_user
from tests.test_review_inbox import Inbox, inbox  # noqa: F401  (fixture)


def _walk(client: TestClient[Litestar], headers: dict[str, str], **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every page of two items, in turn: the items shown and the total the first page said."""
    items: list[dict[str, Any]] = []
    first = client.get("/api/v1/review", params={**params, "page_size": 2}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    for page in range(1, body["pages"] + 1):
        response = client.get("/api/v1/review", params={**params, "page_size": 2, "page": page}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["page"] == page
        items += response.json()["items"]
    return items, body["total"]


def _one_page(client: TestClient[Litestar], headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/review", params={**params, "page_size": 200}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["pages"] == 1
    return response.json()["items"]


def test_paging_a_street_admins_inbox_in_every_sort_walks_their_streets_items_once_in_order(
    client: TestClient[Litestar],
    session: Session,
    inbox: Inbox,  # noqa: F811
) -> None:
    today = date.today()
    round_id = finished_round(session, inbox.admin.user).id or 0
    mine: set[int] = set()
    for n, urgency in enumerate([Urgency.CRITICAL, Urgency.HIGH, Urgency.NORMAL, Urgency.LOW]):
        grid = inbox.north if n % 2 else inbox.south
        need = inbox.need(grid, urgency=urgency, due_date=today + timedelta(days=n - 1))
        mine |= {inbox.line_claim(need).id or 0, inbox.signup(need, starts_in_hours=6 + 30 * n).id or 0}
        mine.add(inbox.round_proposal(need, round_id, accepted=bool(n % 2), score=0.2 * n).id or 0)
    mine.add(inbox.whole_claim(inbox.need(inbox.north, urgency=Urgency.HIGH)).id or 0)
    # Another street of the same city, with pending items of its own interleaved with the admin's.
    street = Street(code="370202-paging", name="八大关街道", name_en="Badaguan", district="市南区", city="青岛市")
    session.add(street)
    session.flush()
    elsewhere = make_grid(session, make_community(session, street))
    session.commit()
    theirs = set()
    for _n in range(5):
        need = inbox.need(elsewhere, urgency=Urgency.CRITICAL, due_date=today)
        theirs.add(inbox.round_proposal(need, round_id, accepted=True, score=0.95).id or 0)
    city_admin = mf.with_token(session, make_user(session, Role.ADMIN))
    row = session.get(User, city_admin.user.id)
    assert row is not None
    row.street_id = None
    session.add(row)
    session.commit()

    for viewer, expected in ((inbox.admin, mine), (city_admin, mine | theirs)):
        for sort in InboxSort:
            walked, total = _walk(client, viewer.headers, sort=sort.value)
            ids = [item["id"] for item in walked]
            assert total == len(expected) and len(ids) == len(set(ids)), (sort, ids)
            assert set(ids) == expected, sort
            assert walked == _one_page(client, viewer.headers, sort=sort.value), sort
        # Filters narrow the pages the same way.
        walked, total = _walk(client, viewer.headers, kind="offer_line", sort="score")
        assert walked == _one_page(client, viewer.headers, kind="offer_line", sort="score")
        assert total == len(walked) and {item["kind"] for item in walked} == {"offer_line"}
