"""GET /api/v1/escalations in pages, as the need list is paged: oldest first as the escalations page lists
the steps, the total over every step, a street admin's pages their street's only, bad page values refused
naming the field. Runs on SQLite and on PostgreSQL."""

import re
from datetime import timedelta
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedStatus
from marketplace.places.models import Grid, Street
from tests import factories
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, login, make_community, make_grid, make_user


def _step(session: Session, grid: Grid, number: int, *, acknowledged: bool = False) -> int:
    """An open step of a new need, opened ``number`` hours after the first (some at the same moment)."""
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED, title=f"积水点 {number:03d}")
    opened = utcnow() - timedelta(days=3) + timedelta(hours=number // 2)
    step = Escalation(
        need_id=need.id,  # type: ignore[arg-type]
        level=EscalationLevel.STREET,
        reason="无人处理",
        opened_at=opened,
        deadline_at=utcnow() + timedelta(days=1),
        acknowledged_at=utcnow() if acknowledged else None,
    )
    session.add(step)
    session.commit()
    return step.id or 0


def _admin(session: Session, street_id: int | None) -> tuple[User, dict[str, str]]:
    user = make_user(session, Role.ADMIN)
    user.street_id = street_id
    session.add(user)
    session.commit()
    return user, {"Authorization": f"Bearer {token_for(session, user, ('needs:read',))}"}


def _page(client: TestClient[Any], headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/escalations", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_escalations_api_pages_oldest_first_counts_every_step_and_keeps_a_street_admin_to_their_street(
    client: TestClient[Any], session: Session
) -> None:
    here = make_grid(session)
    street_id = make_community(session).street_id
    other = Street(code="370202-steps", name="八大关街道", name_en="Badaguan", district="市南区", city="青岛市")
    session.add(other)
    session.flush()
    there = make_grid(session, make_community(session, other))
    session.commit()
    mine = [_step(session, here, number) for number in range(0, 14, 2)]  # 7 steps
    theirs = [_step(session, there, number) for number in range(1, 10, 2)]  # 5 steps, interleaved in time
    _step(session, here, 20, acknowledged=True)  # acknowledged: not listed
    closed = session.get(Escalation, _step(session, here, 22))
    finished = session.get(Need, closed.need_id) if closed is not None else None
    assert finished is not None
    finished.status = NeedStatus.COMPLETED  # its need completed since: not open either, as on the page
    session.add(finished)
    session.commit()
    everyone = sorted(mine + theirs, key=lambda step_id: (session.get(Escalation, step_id).opened_at, step_id))  # type: ignore[union-attr]

    city_admin, as_city = _admin(session, None)
    _street_admin, as_street = _admin(session, street_id)
    _other_admin, as_other = _admin(session, other.id)

    first = _page(client, as_city, page_size=5)
    second = _page(client, as_city, page=2, page_size=5)
    third = _page(client, as_city, page=3, page_size=5)
    assert (first["total"], first["page"], first["page_size"]) == (12, 1, 5)
    assert (second["total"], second["page"]) == (12, 2)
    ids = [[item["id"] for item in body["items"]] for body in (first, second, third)]
    assert [len(page) for page in ids] == [5, 5, 2]
    assert not set(ids[0]) & set(ids[1]) and ids[0] + ids[1] + ids[2] == everyone
    assert _page(client, as_city, page=4, page_size=5)["items"] == []  # past the last: empty, the total kept
    # The default page holds fifty, as the escalations page does, and every step here.
    whole = _page(client, as_city)
    assert whole["page_size"] == 50 and [item["id"] for item in whole["items"]] == everyone

    # The same order as the escalations page shows the city admin.
    login(client, city_admin.username, DEFAULT_PASSWORD)
    html = client.get("/escalations", params={"waiting": "true"}).text
    shown = [int(found) for found in re.findall(r'action="/escalations/(\d+)/acknowledge"', html)]
    assert shown == everyone
    client.cookies.clear()

    for headers, expected in ((as_street, mine), (as_other, theirs)):
        page_one = _page(client, headers, page_size=4)
        page_two = _page(client, headers, page=2, page_size=4)
        assert page_one["total"] == len(expected) and page_two["total"] == len(expected)
        assert [item["id"] for item in page_one["items"] + page_two["items"]] == expected
        assert {item["overdue"] for item in page_one["items"]} == {False}


def test_bad_page_values_are_refused_naming_the_field(client: TestClient[Any], session: Session) -> None:
    _admin_user, headers = _admin(session, None)
    for params, field in (
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page": 100_001}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
    ):
        response = client.get("/api/v1/escalations", params=params, headers=headers)
        assert response.status_code == 400, (params, response.text)
        assert [problem["key"] for problem in response.json()["extra"]] == [field], response.text
