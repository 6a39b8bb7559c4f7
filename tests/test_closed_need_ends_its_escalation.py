"""A need that closes ends its escalation (吹哨) in the same transaction, whichever path closes it: cancelled,
merged into another need, rejected, completed by its last delivery, verified. Its steps are resolved, and the
need's page no longer says "已吹哨：网格" while the escalations list and the counts have dropped it: the page,
the API's need, the list and the steps agree."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Escalation, NeedStatus
from marketplace.places.models import Grid
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import make_user, reading, sign_in_as
from tests.test_need_cancel_walk import cancel, staff_of, version_of


def _escalate(client: TestClient[Any], session: Session, need: Any) -> Any:
    staff = staff_of(session, need)
    answer = client.post(f"/api/v1/needs/{need.id}/escalate", json={"reason": "拖了很久"}, headers=staff.headers)
    assert answer.status_code in (200, 201), answer.text
    return staff


def _what_everyone_says(client: TestClient[Any], session: Session, need_id: int) -> dict[str, Any]:
    reader = {"Authorization": f"Bearer {token_for(session, make_user(session, Role.ADMIN))}"}
    answer = client.get("/api/v1/escalations", headers=reader)
    assert answer.status_code == 200, answer.text
    listed = answer.json()["items"]
    with reading(session) as db:
        unresolved = db.execute(
            sa.select(sa.func.count())
            .select_from(Escalation)
            .where(Escalation.need_id == need_id, Escalation.resolved_at.is_(None))  # type: ignore[arg-type,union-attr]
        ).scalar_one()
    return {
        "api_level": client.get(f"/api/v1/needs/{need_id}", headers=reader).json()["escalation_level"],
        "listed": any(item["need_id"] == need_id for item in listed),
        "unresolved_steps": unresolved,
    }


def _page_says_escalated(client: TestClient[Any], session: Session, need_id: int) -> bool:
    sign_in_as(client, session, Role.ADMIN)
    page = client.get(f"/needs/{need_id}")
    assert page.status_code == 200, page.text[:300]
    return "Escalated: " in page.text or "已吹哨：" in page.text


ENDED = {"api_level": None, "listed": False, "unresolved_steps": 0}


def test_an_escalated_need_shows_it_everywhere_while_open(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    _escalate(client, session, need)
    assert _what_everyone_says(client, session, need.id) == {
        "api_level": "grid",
        "listed": True,
        "unresolved_steps": 1,
    }
    assert _page_says_escalated(client, session, need.id)


def test_cancelling_ends_the_escalation(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    staff = _escalate(client, session, need)
    answer = cancel(client, staff, need, "居民已搬走", version=version_of(session, need.id))
    assert answer.status_code == 200, answer.text
    assert _what_everyone_says(client, session, need.id) == ENDED
    assert not _page_says_escalated(client, session, need.id)


def test_merging_ends_the_escalation_of_the_merged_need(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    with reading(session) as db:
        grid = db.get(Grid, need.grid_id)
    target = mf.project(session, grid)
    staff = _escalate(client, session, need)
    answer = client.post(
        f"/api/v1/needs/{need.id}/merge",
        json={"target_id": target.id, "version": version_of(session, need.id)},
        headers=staff.headers,
    )
    assert answer.status_code == 200, answer.text
    assert _what_everyone_says(client, session, need.id) == ENDED
    assert not _page_says_escalated(client, session, need.id)


def test_rejecting_ends_the_escalation(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, status=NeedStatus.SUBMITTED)
    staff = _escalate(client, session, need)
    answer = client.post(
        f"/api/v1/needs/{need.id}/reject",
        json={"reason": "不属于本街道", "version": version_of(session, need.id)},
        headers=staff.headers,
    )
    assert answer.status_code == 200, answer.text
    assert _what_everyone_says(client, session, need.id) == ENDED
    assert not _page_says_escalated(client, session, need.id)


@pytest.mark.parametrize("verify", [False, True])
def test_completing_and_verifying_end_the_escalation(client: TestClient[Any], session: Session, verify: bool) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "4")
    person, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, person.user, "4")
    _escalate(client, session, need)
    claim = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"},
        headers=person.headers,
    ).json()
    client.post(f"/api/v1/matches/{claim['id']}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert _what_everyone_says(client, session, need.id)["unresolved_steps"] == 1  # matched: still open
    assert client.post(f"/api/v1/claims/{claim['id']}/delivered", headers=person.headers).status_code == 200
    if verify:
        done = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=boss.headers)
        assert done.status_code == 200, done.text
    assert _what_everyone_says(client, session, need.id) == ENDED
    assert not _page_says_escalated(client, session, need.id)
