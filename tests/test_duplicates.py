"""Likely duplicates at intake and merging: the merged need is cancelled and the target keeps every intake."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.duplicates import THRESHOLD
from marketplace.needs.models import Need, NeedIntake, NeedStatus
from matching.duplicates import similarities
from tests.needs_helpers import need_body, staff_with_token
from tests.security_helpers import audit_events, fetch, make_grid, reading


def test_similar_chinese_texts_score_higher_than_unrelated_ones() -> None:
    meal = "独居老人需要助餐 张大爷行动不便，需要每天送午餐"
    same, other = similarities(
        meal, ["老人助餐需求 行动不便的张大爷需要每天送午餐", "楼道灯坏了 3号楼二单元楼道照明需要维修"]
    )
    assert same > 0.5 > THRESHOLD > other


def _post(client: TestClient[Any], staff: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id, **fields), headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_duplicates_are_found_in_the_same_community_only(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    original = _post(client, staff, channel="hotline_12345", external_ref="H-1")
    _post(client, staff, title="楼道灯坏了", description="3号楼二单元楼道照明需要维修")
    again = _post(client, staff, title="老人助餐需求", description="行动不便的张大爷需要每天送午餐", channel="e_home")
    other_community = staff_with_token(session)
    _post(client, other_community)  # the same text elsewhere is not a duplicate
    found = client.get(f"/api/v1/needs/{again['id']}/duplicates", headers=staff.headers).json()
    assert [item["need"]["id"] for item in found] == [original["id"]]
    assert found[0]["score"] >= 0.35 and found[0]["need"]["beneficiary_name"] == "张*"


def test_merge_keeps_every_intake_record_and_is_audited(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    target = _post(client, staff, channel="hotline_12345", external_ref="H-1")
    duplicate = _post(client, staff, channel="e_home", external_ref="E-9")
    merged = client.post(
        f"/api/v1/needs/{duplicate['id']}/merge", json={"target_id": target["id"], "version": 1}, headers=staff.headers
    )
    assert merged.status_code == 200, merged.text
    assert sorted(intake["external_ref"] for intake in merged.json()["intakes"]) == ["E-9", "H-1"]
    gone = fetch(session, Need, duplicate["id"])
    assert gone.status == NeedStatus.CANCELLED and gone.duplicate_of_id == target["id"]
    assert gone.status_reason == f"merged into #{target['id']}"
    with reading(session) as fresh:
        owners = list(fresh.execute(sa.select(NeedIntake.need_id)).scalars())
    assert owners == [target["id"], target["id"]]
    assert [event.object_id for event in audit_events(session, "need.merge")] == [duplicate["id"]]
    assert [event.object_id for event in audit_events(session, "need.merge_into")] == [target["id"]]
    # A second merge of the same need from the old version is refused.
    again = client.post(
        f"/api/v1/needs/{duplicate['id']}/merge", json={"target_id": target["id"], "version": 1}, headers=staff.headers
    )
    assert again.status_code == 409


def test_merge_refuses_itself_stale_versions_and_other_scopes(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    first, second = _post(client, staff), _post(client, staff)
    itself = client.post(
        f"/api/v1/needs/{first['id']}/merge", json={"target_id": first["id"], "version": 1}, headers=staff.headers
    )
    assert itself.status_code == 400 and "target_id" in itself.text
    stale = client.post(
        f"/api/v1/needs/{first['id']}/merge",
        json={"target_id": second["id"], "version": 1, "target_version": 7},
        headers=staff.headers,
    )
    assert stale.status_code == 409
    outsider = staff_with_token(session, grid=make_grid(session))
    foreign = client.post(
        f"/api/v1/needs/{first['id']}/merge", json={"target_id": second["id"], "version": 1}, headers=outsider.headers
    )
    assert foreign.status_code == 404
    missing = client.post(f"/api/v1/needs/{first['id']}/merge", json={"version": 1}, headers=staff.headers)
    assert missing.status_code == 400 and "target_id" in missing.text
    assert fetch(session, Need, first["id"]).duplicate_of_id is None
    assert fetch(session, Need, first["id"]).status == NeedStatus.SUBMITTED
