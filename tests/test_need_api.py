"""The need list's JSON API: intake with every bad field named, scope, masking, idempotency, optimistic locking,
review decisions — over the TestClient and, for the races, real concurrent HTTP against uvicorn."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedIntake, NeedStatus, ResourceLine, Shift
from marketplace.notifications.models import Notification
from marketplace.settings import Settings
from tests.needs_helpers import live_server, need_body, staff_with_token, token_for
from tests.security_helpers import audit_events, fetch, make_user, reading


def _count(session: Session, model: type[Any]) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _keys(response: Any) -> set[str]:
    return {str(item.get("key")) for item in response.json().get("extra", [])}


def test_staff_record_a_need_with_lines_shifts_and_an_intake_record(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id, external_ref="T-1"), headers=staff.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted" and body["version"] == 1
    assert body["beneficiary_name"] == "张三"  # the detail shows the contact to the grid's staff
    assert [line["quantity"] for line in body["resource_lines"]] == ["30.00"]
    assert body["shifts"][0]["slots"] == 2
    assert body["intakes"][0]["external_ref"] == "T-1"
    assert [event.object_id for event in audit_events(session, "need.create")] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"category": "weather"}, "category"),
        ({"grid_id": 0}, "grid_id"),
        ({"channel": "pigeon"}, "channel"),
        ({"urgency": "whenever"}, "urgency"),
        ({"due_date": "2001-01-01"}, "due_date"),
        ({"beneficiary_phone": "12345"}, "beneficiary_phone"),
        ({"description": "a\x00b"}, "description"),
        ({"resource_lines": [{"kind": "service", "category": "health", "quantity": "0", "unit": "次"}]}, "quantity"),
        ({"resource_lines": [{"kind": "gold", "category": "health", "quantity": "1", "unit": "次"}]}, "kind"),
        ({"resource_lines": [{"kind": "service", "category": "health", "quantity": "1", "unit": ""}]}, "unit"),
        (
            {
                "shifts": [
                    {"title": "x", "starts_at": "2030-01-05T05:00:00Z", "ends_at": "2030-01-05T03:00:00Z", "slots": 1}
                ]
            },
            "ends_at",
        ),
        (
            {
                "shifts": [
                    {"title": "x", "starts_at": "2030-01-05T03:00:00Z", "ends_at": "2030-01-05T05:00:00Z", "slots": 0}
                ]
            },
            "slots",
        ),
        ({"idempotency_key": "has space"}, "idempotency_key"),
    ],
)
def test_every_bad_field_is_named_and_nothing_is_written(
    client: TestClient[Any], session: Session, change: dict[str, Any], field: str
) -> None:
    staff = staff_with_token(session)
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id) | change, headers=staff.headers)
    assert response.status_code == 400, response.text
    assert any(field in key for key in _keys(response)) or field in response.text, response.text
    assert _count(session, Need) == 0


def test_unknown_grid_and_skill_are_named(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    response = client.post("/api/v1/needs", json=need_body(999_999), headers=staff.headers)
    assert response.status_code in (400, 403) and "grid_id" in _keys(response)
    shift = need_body(staff.grid.id)["shifts"][0] | {"skill_ids": [987_654]}
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id, shifts=[shift]), headers=staff.headers)
    assert response.status_code == 400 and "shifts.0.skill_ids" in _keys(response)
    assert _count(session, Need) == 0


def test_staff_of_another_community_can_neither_create_nor_see(client: TestClient[Any], session: Session) -> None:
    mine, other = staff_with_token(session), staff_with_token(session)
    refused = client.post("/api/v1/needs", json=need_body(mine.grid.id), headers=other.headers)
    assert refused.status_code == 403 and "grid_id" in _keys(refused)
    created = client.post("/api/v1/needs", json=need_body(mine.grid.id), headers=mine.headers).json()
    assert client.get(f"/api/v1/needs/{created['id']}", headers=other.headers).status_code == 404
    patched = client.patch(
        f"/api/v1/needs/{created['id']}", json={"version": 1, "title": "taken over"}, headers=other.headers
    )
    assert patched.status_code == 404
    assert client.get("/api/v1/needs", headers=other.headers).json()["total"] == 0
    assert fetch(session, Need, created["id"]).title == need_body(1)["title"]
    # Partners and volunteers have no need list at all.
    partner = make_user(session, Role.PARTNER)
    partner_headers = {"Authorization": f"Bearer {token_for(session, partner)}"}
    assert client.get("/api/v1/needs", headers=partner_headers).status_code == 403


def test_admins_see_everything_and_lists_mask_the_beneficiary(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    admin = make_user(session, Role.ADMIN)
    listing = client.get("/api/v1/needs", headers={"Authorization": f"Bearer {token_for(session, admin)}"}).json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["beneficiary_name"] == "张*" and item["beneficiary_phone"] == "138****8000"
    assert "张三" not in str(listing) and "13812348000" not in str(listing)


def test_list_filters(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    client.post("/api/v1/needs", json=need_body(staff.grid.id, channel="hotline_12345"), headers=staff.headers)
    assert client.get("/api/v1/needs?channel=hotline_12345", headers=staff.headers).json()["total"] == 1
    assert client.get("/api/v1/needs?to_review=true", headers=staff.headers).json()["total"] == 2
    assert client.get("/api/v1/needs?status=published", headers=staff.headers).json()["total"] == 0
    bad = client.get("/api/v1/needs?urgency=soon", headers=staff.headers)
    assert bad.status_code == 400 and "urgency" in bad.text


def test_the_same_idempotency_key_never_makes_two_needs(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    body = need_body(staff.grid.id, channel="hotline_12345", external_ref="12345-0001")
    headers = staff.headers | {"Idempotency-Key": "hotline-0001"}
    first = client.post("/api/v1/needs", json=body, headers=headers)
    again = client.post("/api/v1/needs", json=body, headers=headers)
    in_body = client.post("/api/v1/needs", json=body | {"idempotency_key": "hotline-0001"}, headers=staff.headers)
    assert (first.status_code, again.status_code, in_body.status_code) == (201, 200, 200)
    assert first.json() == again.json() == in_body.json()
    assert _count(session, Need) == 1 and _count(session, NeedIntake) == 1 and _count(session, ResourceLine) == 1
    mismatch = client.post("/api/v1/needs", json=body | {"idempotency_key": "other"}, headers=headers)
    assert mismatch.status_code == 400 and "idempotency_key" in _keys(mismatch)


def test_a_key_used_in_another_scope_is_a_conflict_not_a_leak(client: TestClient[Any], session: Session) -> None:
    mine, other = staff_with_token(session), staff_with_token(session)
    headers = {"Idempotency-Key": "shared-key"}
    assert client.post("/api/v1/needs", json=need_body(mine.grid.id), headers=mine.headers | headers).status_code == 201
    stolen = client.post("/api/v1/needs", json=need_body(other.grid.id), headers=other.headers | headers)
    assert stolen.status_code == 409 and "idempotency_key" in _keys(stolen)
    assert "张三" not in stolen.text


def test_edit_with_a_stale_version_is_a_conflict_showing_current_values(
    client: TestClient[Any], session: Session
) -> None:
    staff = staff_with_token(session)
    need = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers).json()
    first = client.patch(f"/api/v1/needs/{need['id']}", json={"version": 1, "title": "新标题"}, headers=staff.headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(f"/api/v1/needs/{need['id']}", json={"version": 1, "title": "旧版本"}, headers=staff.headers)
    assert stale.status_code == 409 and stale.json()["current"]["title"] == "新标题"
    missing = client.patch(f"/api/v1/needs/{need['id']}", json={"title": "x"}, headers=staff.headers)
    assert missing.status_code == 400 and "version" in missing.text
    cleared = client.patch(f"/api/v1/needs/{need['id']}", json={"version": 2, "title": None}, headers=staff.headers)
    assert cleared.status_code == 400 and "title" in cleared.text
    [event] = audit_events(session, "need.update")
    assert event.before == {"title": "独居老人需要助餐", "version": 1}
    assert event.after == {"title": "新标题", "version": 2}


def test_publish_and_reject(client: TestClient[Any], session: Session) -> None:
    creator = staff_with_token(session)
    reviewer = staff_with_token(session, grid=creator.grid)
    first = client.post("/api/v1/needs", json=need_body(creator.grid.id), headers=creator.headers).json()
    second = client.post("/api/v1/needs", json=need_body(creator.grid.id), headers=creator.headers).json()
    published = client.post(f"/api/v1/needs/{first['id']}/publish", json={}, headers=reviewer.headers)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    assert client.get(f"/api/v1/projects/{first['id']}").status_code == 200  # on the public board now
    again = client.post(f"/api/v1/needs/{first['id']}/publish", json={}, headers=reviewer.headers)
    assert again.status_code == 409
    no_reason = client.post(f"/api/v1/needs/{second['id']}/reject", json={"reason": ""}, headers=reviewer.headers)
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    rejected = client.post(
        f"/api/v1/needs/{second['id']}/reject", json={"reason": "不属于本街道"}, headers=reviewer.headers
    )
    assert rejected.status_code == 200 and rejected.json()["status_reason"] == "不属于本街道"
    assert client.get(f"/api/v1/projects/{second['id']}").status_code == 404
    assert [e.object_id for e in audit_events(session, "need.publish")] == [first["id"]]
    assert [e.object_id for e in audit_events(session, "need.reject")] == [second["id"]]
    with reading(session) as fresh:
        to_creator = sa.select(Notification.kind).where(Notification.user_id == creator.user.id)
        kinds = list(fresh.execute(to_creator).scalars())
    assert sorted(kinds) == ["need_published", "need_rejected"]
    assert fetch(session, Need, second["id"]).status == NeedStatus.REJECTED


# --- real concurrent HTTP ------------------------------------------------------------------------------


def test_ten_concurrent_requests_with_one_key_make_one_need(session: Session, settings: Settings) -> None:
    staff = staff_with_token(session)
    body = need_body(staff.grid.id, channel="e_home", external_ref="EH-77")
    headers = staff.headers | {"Idempotency-Key": "e-home-77"}
    with live_server(settings) as base_url:

        def submit(_: int) -> tuple[int, Any]:
            response = httpx.post(f"{base_url}/api/v1/needs", json=body, headers=headers, timeout=60)
            return response.status_code, response.json() if response.status_code < 500 else {}

        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(submit, range(10)))
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 1, 200: 9}), statuses
    assert len({body.get("id") for _, body in results}) == 1
    assert _count(session, Need) == 1 and _count(session, NeedIntake) == 1 and _count(session, Shift) == 1


def test_two_staff_saving_the_same_version_at_once(session: Session, settings: Settings) -> None:
    first = staff_with_token(session)
    second = staff_with_token(session, grid=first.grid)
    with live_server(settings) as base_url:
        created = httpx.post(f"{base_url}/api/v1/needs", json=need_body(first.grid.id), headers=first.headers)
        need_id = created.json()["id"]

        def save(staff: Any) -> int:
            body = {"version": 1, "title": f"由 {staff.user.username} 修改"}
            address = f"{base_url}/api/v1/needs/{need_id}"
            return httpx.patch(address, json=body, headers=staff.headers, timeout=60).status_code

        rounds: Counter[int] = Counter()
        for round_ in range(5):
            # Each round starts from a fresh version 1 need.
            if round_:
                need_id = httpx.post(
                    f"{base_url}/api/v1/needs", json=need_body(first.grid.id), headers=first.headers
                ).json()["id"]
            with ThreadPoolExecutor(max_workers=2) as pool:
                statuses = sorted(pool.map(save, [first, second]))
            assert statuses == [200, 409], statuses
            rounds.update(statuses)
    assert rounds == Counter({200: 5, 409: 5})
    assert len(audit_events(session, "need.update")) == 5
