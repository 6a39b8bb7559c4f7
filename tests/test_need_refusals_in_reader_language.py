"""Every refusal of the needs domain speaks the reader's language and carries a specific code.

Through the real API, in Chinese (the default, ``Accept-Language: zh-CN``) and in English: a skill that does not
exist, an edit of a finished need, a change of a closed line, a change that changes nothing,
a line or a shift the need does not have, a merge into itself or into a closed need, an escalation without its
department or past the top, a need not in scope, a stale version, a need in a status that refuses, a consent
with no contact to share. Each answer names the field (``key``), carries the refusal's own code (never the
generic ``not_found`` / ``conflict``), says the sentence in the reader's language (a status by its label:
已取消 / Cancelled, never ``cancelled``) and keeps the raw facts for programs. The need page's forms (merge,
escalate) show the same sentence, not an English phrase.
"""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedStatus, ResourceLine
from marketplace.places.models import Department, Grid
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.needs_helpers import need_body, staff_with_token
from tests.security_helpers import csrf_for, default_street, fetch, sign_in_as

LANGS = {"zh_CN": "zh-CN", "en": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def _said(lang: str, text: str, en: str | None = None) -> None:
    """Chinese with no English word in it; English as written (when given) or at least without Chinese."""
    if lang == "zh_CN":
        assert CJK.search(text) and not ENGLISH_WORD.search(text), text
    else:
        assert not CJK.search(text), text
        if en is not None:
            assert text == en, text


def _field(answer: Any, status: int, key: str, code: str, lang: str, en: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    [entry] = body["extra"]
    assert (entry["key"], entry["code"]) == (key, code), body
    _said(lang, entry["message"], en)
    assert body["detail"] == f"{key}: {entry['message']}", body
    return dict(entry)


def _setup(session: Session) -> tuple[Any, Need]:
    need = mf.project(session)
    staff = staff_with_token(session, grid=fetch(session, Grid, need.grid_id))
    return staff, need


def _h(staff: Any, lang: str) -> dict[str, str]:
    return staff.headers | {"Accept-Language": LANGS[lang]}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_recording_a_need_with_an_unknown_skill(client: TestClient[Any], session: Session, lang: str) -> None:
    staff, need = _setup(session)
    body = need_body(need.grid_id)
    body["shifts"][0]["skill_ids"] = [987654]
    answer = client.post("/api/v1/needs", json=body, headers=_h(staff, lang))
    entry = _field(answer, 400, "shifts.0.skill_ids", "unknown_skill", lang, "There is no skill #987654.")
    assert entry["skill_id"] == 987654


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_editing_a_finished_need_names_its_status_by_label(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    need = mf.project(session, status=NeedStatus.CANCELLED)
    staff = staff_with_token(session, grid=fetch(session, Grid, need.grid_id))
    answer = client.patch(
        f"/api/v1/needs/{need.id}", json={"version": need.version, "title": "新"}, headers=_h(staff, lang)
    )
    entry = _field(
        answer, 409, "status", "need_finished", lang, "This need is Cancelled: a finished need is not edited."
    )
    assert entry["status"] == "cancelled"
    if lang == "zh_CN":
        assert "已取消" in entry["message"]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_changing_lines_and_shifts_is_refused_with_their_codes(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    staff, need = _setup(session)
    line, shift = mf.line(session, need, "10"), mf.shift(session, need)
    url = f"/api/v1/needs/{need.id}"
    version = need.version

    same = client.patch(f"{url}/lines/{line.id}", json={"version": version, "quantity": "10"}, headers=_h(staff, lang))
    _field(same, 400, "quantity", "no_change", lang)

    same_shift = client.patch(
        f"{url}/shifts/{shift.id}", json={"version": version, "slots": shift.slots}, headers=_h(staff, lang)
    )
    _field(same_shift, 400, "starts_at", "no_change", lang)

    no_line = client.patch(f"{url}/lines/987654", json={"version": version, "quantity": "3"}, headers=_h(staff, lang))
    entry = _field(no_line, 404, "line_id", "line_not_found", lang, f"Need #{need.id} has no resource line #987654.")
    assert (entry["need_id"], entry["line_id"]) == (need.id, 987654)
    no_shift = client.post(
        f"{url}/shifts/987654/cancel", json={"version": version, "reason": "雨"}, headers=_h(staff, lang)
    )
    _field(no_shift, 404, "shift_id", "shift_not_found", lang, f"Need #{need.id} has no shift #987654.")

    row = session.get(ResourceLine, line.id)
    assert row is not None
    row.closed_at, row.closed_reason = mf.soon(-1), "够了"
    session.add(row)
    session.commit()
    closed = client.patch(
        f"{url}/lines/{line.id}", json={"version": version, "quantity": "12"}, headers=_h(staff, lang)
    )
    entry = _field(
        closed, 409, "quantity", "line_closed", lang, "This line was closed as enough; it no longer changes."
    )
    assert entry["line_id"] == line.id
    again = client.post(
        f"{url}/lines/{line.id}/close", json={"version": version, "reason": "够"}, headers=_h(staff, lang)
    )
    _field(again, 409, "reason", "line_closed", lang, "This line was closed as enough already.")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_merging_into_itself_or_a_closed_need(client: TestClient[Any], session: Session, lang: str) -> None:
    staff, need = _setup(session)
    closed = mf.project(session, fetch(session, Grid, need.grid_id), status=NeedStatus.CANCELLED)
    url = f"/api/v1/needs/{need.id}/merge"
    itself = client.post(url, json={"target_id": need.id, "version": need.version}, headers=_h(staff, lang))
    _field(itself, 400, "target_id", "not_itself", lang, "Name another need, not this one.")
    into_closed = client.post(url, json={"target_id": closed.id, "version": need.version}, headers=_h(staff, lang))
    entry = _field(into_closed, 409, "target_id", "merge_target_closed", lang)
    assert entry["target_id"] == closed.id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_escalating_without_a_department_past_the_top_or_a_closed_need(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    staff, need = _setup(session)
    department = Department(street_id=default_street(session).id, name="城管科", name_en="City management")  # type: ignore[arg-type]
    session.add(department)
    session.commit()
    url = f"/api/v1/needs/{need.id}/escalate"
    for _level in ("grid", "community", "street"):
        assert client.post(url, json={"reason": "拖了很久"}, headers=staff.headers).status_code == 201
    no_department = client.post(url, json={"reason": "拖了很久"}, headers=_h(staff, lang))
    _field(no_department, 400, "department_id", "department_required", lang, "Choose the department that must report.")
    unknown = client.post(url, json={"reason": "拖了很久", "department_id": 987654}, headers=_h(staff, lang))
    entry = _field(unknown, 400, "department_id", "unknown_department", lang)
    assert entry["department_id"] == 987654
    body = {"reason": "拖了很久", "department_id": department.id}
    assert client.post(url, json=body, headers=staff.headers).status_code == 201
    top = client.post(url, json=body, headers=_h(staff, lang))
    _field(top, 409, "level", "at_top_level", lang, "The need is already at the department level; it goes no higher.")

    closed = mf.project(session, fetch(session, Grid, need.grid_id), status=NeedStatus.VERIFIED)
    refused = client.post(f"/api/v1/needs/{closed.id}/escalate", json={"reason": "拖"}, headers=_h(staff, lang))
    entry = _field(refused, 409, "status", "not_escalatable", lang, "This need is Verified: it is no longer escalated.")
    assert entry["status"] == "verified"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_need_out_of_scope_a_stale_version_and_a_status_that_refuses(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    staff, need = _setup(session)
    missing = client.get("/api/v1/needs/987654", headers=_h(staff, lang))
    assert missing.status_code == 404
    assert missing.json()["extra"] == {"code": "need_not_found", "need_id": 987654}
    _said(lang, missing.json()["detail"], "No need #987654 in your scope.")

    stale = client.post(
        f"/api/v1/needs/{need.id}/cancel",
        json={"reason": "搬走了", "version": need.version + 5},
        headers=_h(staff, lang),
    )
    assert stale.status_code == 409 and stale.json()["extra"]["code"] == "version_conflict"
    _said(lang, stale.json()["detail"].removeprefix("version: "))

    cancelled = mf.project(session, fetch(session, Grid, need.grid_id), status=NeedStatus.CANCELLED)
    refused = client.post(
        f"/api/v1/needs/{cancelled.id}/cancel",
        json={"reason": "搬走了", "version": cancelled.version},
        headers=_h(staff, lang),
    )
    assert refused.status_code == 409 and refused.json()["extra"] == {"code": "wrong_status", "status": "cancelled"}
    _said(lang, refused.json()["detail"].removeprefix("status: "), "This need is Cancelled, which does not allow this.")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_consent_with_no_contact_to_share(client: TestClient[Any], session: Session, lang: str) -> None:
    need = mf.project(session, beneficiary_name=None, beneficiary_phone=None, beneficiary_address=None)
    staff = staff_with_token(session, grid=fetch(session, Grid, need.grid_id))
    answer = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=_h(staff, lang))
    _field(
        answer,
        409,
        "consent",
        "consent_no_contact",
        lang,
        "The need holds no contact of the resident, so there is no consent to record.",
    )


@pytest.mark.parametrize(("lang", "said"), [("zh_CN", "已关闭或已被合并"), ("en", "is closed or itself merged")])
def test_the_need_page_says_why_a_merge_is_refused(
    client: TestClient[Any], session: Session, settings: Settings, lang: str, said: str
) -> None:
    need = mf.project(session)
    closed = mf.project(session, fetch(session, Grid, need.grid_id), status=NeedStatus.CANCELLED)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    data = {"csrf_token": csrf_for(client, settings), "target_id": str(closed.id), "version": str(need.version)}
    page = client.post(f"/needs/{need.id}/merge", data=data, follow_redirects=False)
    assert page.status_code == 409
    assert said in page.text and f"#{closed.id}" in page.text


@pytest.mark.parametrize(
    ("lang", "said"), [("zh_CN", "已上报至职能部门，无法再向上报"), ("en", "already at the department level")]
)
def test_the_need_page_says_why_an_escalation_is_refused(
    client: TestClient[Any], session: Session, settings: Settings, lang: str, said: str
) -> None:
    staff, need = _setup(session)
    department = Department(street_id=default_street(session).id, name="城管科", name_en="City management")  # type: ignore[arg-type]
    session.add(department)
    session.commit()
    url = f"/api/v1/needs/{need.id}/escalate"
    for body in ({}, {}, {}, {"department_id": department.id}):
        assert client.post(url, json={"reason": "拖了很久"} | body, headers=staff.headers).status_code == 201
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    data = {"csrf_token": csrf_for(client, settings), "reason": "还是没人管"}
    page = client.post(f"/needs/{need.id}/escalate", data=data, follow_redirects=False)
    assert page.status_code == 409
    assert said in page.text
