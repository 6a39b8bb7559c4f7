"""A refusal of a state (decided already, can no longer be cancelled, not yet time to check out, answered
already) says it once, in the reader's language, on the page and in the API's ``detail``: the status in the
reader's words (已批准 / Approved), a moment in the street's time as the reader writes it, never a raw status
value or an ISO timestamp. The API's ``extra.code`` says which refusal it is, whatever the language. The API's
and the personal-data export's ``decision_reason`` is a stored system reason in the reader's language too (the
stored words in ``decision_reason_stored``); a partner's English name reaches English readers of a need's
staff page and of the review queue.
"""

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need, Shift
from marketplace.organizations.models import Organization
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form

LANGS = {"zh_CN": "zh-CN", "en": "en"}
STREET = ZoneInfo("Asia/Shanghai")


def _api(person: mf.Person, lang: str) -> dict[str, str]:
    return person.headers | {"Accept-Language": LANGS[lang]}


def _as(client: TestClient[Any], username: str, lang: str) -> None:
    client.cookies.clear()
    assert login(client, username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _text(response: Any) -> str:
    return html.unescape(response.text)


def _refused(response: Any, code: str, said: str) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["extra"]["code"] == code, body
    assert body["detail"] == said, body


def _shift(session: Session, need: Need, starts_in_minutes: float, minutes: float, title: str) -> Shift:
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=starts_in_minutes)
    row = factories.add_shift(session, need, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), title=title)
    session.commit()
    return row


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_deciding_a_match_decided_already_names_its_status_in_the_readers_words(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, requires_approval=True)
    person, _profile = mf.volunteer(session, grid)
    match_id = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()["match_id"]
    boss = mf.admin(session)
    approved = client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert approved.status_code == 200, approved.text

    said = {"zh_CN": "该事项已经处理过了（当前：已批准）。", "en": "This item was decided already (now: Approved)."}[
        lang
    ]
    again = client.post(
        f"/api/v1/matches/{match_id}/decision",
        json={"decision": "reject", "reason": "重复"},
        headers=_api(boss, lang),
    )
    _refused(again, "match_decided", said)
    assert again.json()["extra"]["status"] == "approved"

    _as(client, boss.user.username, lang)
    page = post_form(client, settings, f"/review/{match_id}/reject", {"reason": "重复"})
    assert page.status_code == 409 and said in _text(page)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_cancelling_a_cancelled_sign_up_or_claim_says_what_it_is_now(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need)
    person, _profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()["id"]
    assert client.post(f"/api/v1/signups/{signup}/cancel", headers=person.headers).status_code == 200
    said = {
        "zh_CN": "该报名已无法取消（当前：已取消）。",
        "en": "This sign-up can no longer be cancelled (now: Cancelled).",
    }[lang]
    _refused(
        client.post(f"/api/v1/signups/{signup}/cancel", headers=_api(person, lang)), "signup_not_cancellable", said
    )
    _as(client, person.user.username, lang)
    page = post_form(client, settings, f"/signups/{signup}/cancel")
    assert page.status_code == 409 and said in _text(page)

    client.cookies.clear()
    partner = mf.partner(session)
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=partner.headers)
    assert claim.status_code == 201, claim.text
    claim_id = claim.json()["id"]
    early = client.post(f"/api/v1/claims/{claim_id}/delivered", headers=_api(partner, lang))
    _refused(
        early,
        "claim_not_approved",
        {
            "zh_CN": "只有已批准的认领才能标记为已交付（该认领当前：待审核）。",
            "en": "Only an approved claim can be marked delivered (this one: Proposed).",
        }[lang],
    )
    assert client.post(f"/api/v1/claims/{claim_id}/cancel", headers=partner.headers).status_code == 200
    _refused(
        client.post(f"/api/v1/claims/{claim_id}/cancel", headers=_api(partner, lang)),
        "claim_not_cancellable",
        {
            "zh_CN": "该认领已无法取消（当前：已取消）。",
            "en": "This claim can no longer be cancelled (now: Cancelled).",
        }[lang],
    )


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_checking_in_or_out_too_early_gives_the_moment_in_the_streets_time(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    soon = _shift(session, need, 30, 60, "午班")  # check-in open, check-out not yet
    later = _shift(session, need, 300, 60, "晚班")  # check-in not open yet
    person, _profile = mf.volunteer(session, grid)
    first = client.post(f"/api/v1/shifts/{soon.id}/signups", headers=person.headers).json()["id"]
    second = client.post(f"/api/v1/shifts/{later.id}/signups", headers=person.headers).json()["id"]
    assert client.post(f"/api/v1/signups/{first}/check-in", headers=person.headers).status_code == 200

    starts = soon.starts_at.replace(tzinfo=UTC).astimezone(STREET)
    clock = starts.strftime("%H:%M")
    day = f"{starts.month}月{starts.day}日" if lang == "zh_CN" else f"{starts.strftime('%b')} {starts.day}"
    out = client.post(f"/api/v1/signups/{first}/check-out", headers=_api(person, lang))
    assert out.status_code == 409 and out.json()["extra"]["code"] == "check_out_not_yet", out.text
    detail = out.json()["detail"]
    assert clock in detail and day in detail, detail
    assert "T" not in detail.replace("Thu", "").replace("Tue", "")  # no ISO timestamp
    lead = {"zh_CN": "签退", "en": "You can check out from "}[lang]
    assert detail.startswith(lead) or lead in detail, detail
    assert out.json()["extra"]["at"].startswith(soon.starts_at.replace(tzinfo=UTC).isoformat()[:16])

    opens = (later.starts_at.replace(tzinfo=UTC) - timedelta(hours=1)).astimezone(STREET).strftime("%H:%M")
    early = client.post(f"/api/v1/signups/{second}/check-in", headers=_api(person, lang))
    assert early.status_code == 409 and early.json()["extra"]["code"] == "check_in_not_yet", early.text
    assert opens in early.json()["detail"]

    _as(client, person.user.username, lang)
    page = post_form(client, settings, f"/signups/{first}/check-out")
    assert page.status_code == 409 and detail in _text(page)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_answering_a_proposal_answered_already_says_so_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need)
    person, profile = mf.volunteer(session, grid)
    boss = mf.admin(session)
    proposed = client.post(
        f"/api/v1/needs/{need.id}/proposals",
        json={"kind": "volunteers", "part_id": shift.id, "candidate_id": profile.id},
        headers=boss.headers,
    )
    assert proposed.status_code == 201, proposed.text
    match_id = proposed.json()["id"]
    assert client.post(f"/api/v1/proposals/{match_id}/decline", headers=person.headers).status_code == 200

    said = {"zh_CN": "您已谢绝过该推荐。", "en": "You have declined this proposal already."}[lang]
    _refused(client.post(f"/api/v1/proposals/{match_id}/accept", headers=_api(person, lang)), "proposal_declined", said)
    _as(client, person.user.username, lang)
    page = post_form(client, settings, f"/proposals/{match_id}/accept")
    assert page.status_code == 409 and said in _text(page)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_stored_reason_reads_in_the_readers_language_in_the_api_and_the_export(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    partner = mf.partner(session)
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=partner.headers)
    claim_id = claim.json()["id"]
    cancelled = client.post(f"/api/v1/claims/{claim_id}/cancel", headers=_api(partner, lang))
    said = {
        "zh_CN": "本单位已取消，未填写理由。",
        "en": "Cancelled by your organization, without a reason.",
    }[lang]
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["decision_reason"] == said
    assert cancelled.json()["decision_reason_stored"] == "cancelled by the partner"
    listed = client.get("/api/v1/claims", headers=_api(partner, lang)).json()["items"]
    assert [item["decision_reason"] for item in listed] == [said]

    person, _profile = mf.volunteer(session, grid)
    shift = mf.shift(session, need)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()["id"]
    assert client.post(f"/api/v1/signups/{signup}/cancel", headers=person.headers).status_code == 200
    mine = client.get("/api/v1/me/data", headers=_api(person, lang))
    assert mine.status_code == 200, mine.text
    [match] = mine.json()["matches"]
    assert (
        match["decision_reason"]
        == {"zh_CN": "由您取消，未填写原因。", "en": "Cancelled by you, without a reason."}[lang]
    )
    assert match["decision_reason_stored"] == "cancelled by the volunteer"


def test_a_partners_english_name_reaches_english_readers_of_the_need_and_the_review(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    partner = mf.partner(session)
    organization = session.get(Organization, partner.user.organization_id)
    assert organization is not None
    organization.name, organization.name_en = "青岛绿帆再生建材有限公司", "Qingdao Lvfan Building Materials"
    session.add(organization)
    session.commit()
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=partner.headers)
    assert claim.status_code == 201, claim.text
    boss = mf.admin(session)
    for lang, shown, hidden in (
        ("en", "Qingdao Lvfan Building Materials", "青岛绿帆再生建材有限公司"),
        ("zh_CN", "青岛绿帆再生建材有限公司", "Qingdao Lvfan Building Materials"),
    ):
        _as(client, boss.user.username, lang)
        for path in (f"/needs/{need.id}", "/review"):
            page = _text(client.get(path))
            assert shown in page and hidden not in page, (lang, path)
        found = _text(client.get("/review?q=Lvfan"))
        assert shown in found, lang
