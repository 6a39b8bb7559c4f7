"""A refusal that names another shift, and a reason the service stored, read in the reader's language.

Signing up over a confirmed shift, approving a sign-up that overlaps one, checking in while checked in
elsewhere: the page and the API's ``detail`` say it in the request's language, the shift named with its
number in the language's brackets ("早班（#12）" / "Early shift (#12)"); the API's ``extra`` keeps a stable
``code``. A claim released because the street lowered its line, and a sign-up released because its shift
moved onto another of the volunteer's, keep their reason in the data and show it later in the language of
whoever reads it, not of whoever caused it.
"""

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need, Shift
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.needs_helpers import staff_with_token
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, reading

LANGS = {"zh_CN": "zh-CN", "en": "en"}


def _as(client: TestClient[Any], username: str, lang: str) -> None:
    client.cookies.clear()
    assert login(client, username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _api(person: mf.Person, lang: str) -> dict[str, str]:
    return person.headers | {"Accept-Language": LANGS[lang]}


def _named(title: str, shift_id: int | None, lang: str) -> str:
    return f"{title}（#{shift_id}）" if lang == "zh_CN" else f"{title} (#{shift_id})"


def _shift(session: Session, need: Need, starts_in_minutes: float, minutes: float, title: str, **fields: Any) -> Shift:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=starts_in_minutes)
    row = factories.add_shift(
        session, need, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), title=title, **fields
    )
    session.commit()
    return row


def _text(response: Any) -> str:
    return html.unescape(response.text)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_signing_up_over_a_confirmed_shift_names_it_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    morning = mf.shift(session, need, starts_in_hours=24, title="早班督导")
    clash = mf.shift(session, need, starts_in_hours=25)
    person, _profile = mf.volunteer(session, grid)
    assert client.post(f"/api/v1/shifts/{morning.id}/signups", headers=_api(person, lang)).status_code == 201

    refused = client.post(f"/api/v1/shifts/{clash.id}/signups", headers=_api(person, lang))
    assert refused.status_code == 409
    said = {
        "zh_CN": f"您已确认参加时间重叠的班次：{_named('早班督导', morning.id, lang)}",
        "en": f"You are already confirmed for an overlapping shift: {_named('早班督导', morning.id, lang)}",
    }[lang]
    body = refused.json()
    assert body["detail"] == said
    assert body["extra"]["code"] == "signup_overlap" and body["extra"]["shift_id"] == morning.id

    _as(client, person.user.username, lang)
    page = post_form(client, settings, f"/shifts/{clash.id}/sign-up")
    assert page.status_code == 409 and said in _text(page)
    assert f"(#{morning.id})" not in page.text if lang == "zh_CN" else f"（#{morning.id}）" not in page.text


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_approving_a_sign_up_that_overlaps_a_confirmed_shift_names_it_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    waiting = mf.shift(session, need, starts_in_hours=24, requires_approval=True, title="需审核的班次")
    taken = mf.shift(session, need, starts_in_hours=25, title="午班探访")
    person, _profile = mf.volunteer(session, grid)
    pending = client.post(f"/api/v1/shifts/{waiting.id}/signups", headers=person.headers).json()
    assert client.post(f"/api/v1/shifts/{taken.id}/signups", headers=person.headers).status_code == 201
    said = {
        "zh_CN": f"该志愿者已确认参加时间重叠的班次：{_named('午班探访', taken.id, lang)}",
        "en": f"The volunteer is confirmed for an overlapping shift: {_named('午班探访', taken.id, lang)}",
    }[lang]

    boss = mf.admin(session)
    refused = client.post(
        f"/api/v1/matches/{pending['match_id']}/decision", json={"decision": "approve"}, headers=_api(boss, lang)
    )
    assert refused.status_code == 409 and refused.json()["detail"] == said
    assert refused.json()["extra"]["code"] == "shift_overlap"

    _as(client, boss.user.username, lang)
    page = post_form(client, settings, f"/review/{pending['match_id']}/approve")
    assert page.status_code == 409 and said in _text(page)
    bulk = post_form(client, settings, "/review/bulk-approve", {"ids": [str(pending["match_id"])]})
    assert said in _text(bulk)
    client.cookies.clear()
    api_bulk = client.post(
        "/api/v1/matches/bulk-approve", json={"ids": [pending["match_id"]]}, headers=_api(boss, lang)
    )
    assert api_bulk.status_code == 200, api_bulk.text
    assert api_bulk.json()["failed"] == [{"id": pending["match_id"], "reason": said, "code": "shift_overlap"}]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_checking_in_while_checked_in_elsewhere_names_that_shift_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    running = _shift(session, need, -90, 100, "早班：垃圾分类督导")
    next_one = _shift(session, need, 20, 60, "午班：敬老院探访")
    person, _profile = mf.volunteer(session, grid)
    one = client.post(f"/api/v1/shifts/{running.id}/signups", headers=person.headers).json()["id"]
    two = client.post(f"/api/v1/shifts/{next_one.id}/signups", headers=person.headers).json()["id"]
    assert client.post(f"/api/v1/signups/{one}/check-in", headers=person.headers).status_code == 200

    refused = client.post(f"/api/v1/signups/{two}/check-in", headers=_api(person, lang))
    named = _named("早班：垃圾分类督导", running.id, lang)
    said = {
        "zh_CN": f"您已在另一个班次签到：{named}；请先在那里签退",
        "en": f"You are checked in to another shift: {named}; check out there first",
    }[lang]
    assert refused.status_code == 409 and refused.json()["detail"] == said
    extra = refused.json()["extra"]
    assert extra["code"] == "checked_in_elsewhere" and extra["shift_id"] == running.id

    _as(client, person.user.username, lang)
    page = post_form(client, settings, f"/signups/{two}/check-in")
    page_said = {
        "zh_CN": "您已在“早班：垃圾分类督导”签到。请先在那里签退，再到这里签到。",
        "en": "You are checked in to “早班：垃圾分类督导”. Check out there before you check in here.",
    }[lang]
    assert page.status_code == 409 and page_said in _text(page)


def _claim(client: TestClient[Any], session: Session, partner: mf.Person, need: Need, line: Any, quantity: str) -> int:
    offer = mf.offer_of(session, partner.user, "100")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": quantity},
        headers=partner.headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_claim_released_by_a_lowered_line_reads_in_the_partners_language(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="老楼加装扶手")
    line = mf.line(session, need, "10")
    held = _claim(client, session, mf.partner(session), need, line, "4")
    boss = mf.admin(session)
    decided = client.post(f"/api/v1/matches/{held}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    partner = mf.partner(session)
    released = _claim(client, session, partner, need, line, "3")
    with reading(session) as fresh:
        version = fresh.get(Need, need.id).version  # type: ignore[union-attr]
    # 10 → 4: the approved 4 is all the line needs; the proposal of 3 is released without a typed reason,
    # by a staff member working in English.
    lowered = client.patch(
        f"/api/v1/needs/{need.id}/lines/{line.id}",
        json={"version": version, "quantity": "4"},
        headers=staff_with_token(session, grid).headers | {"Accept-Language": "en"},
    )
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["adjusted"]["claims_released"] == [released]

    _as(client, partner.user.username, lang)
    page = _text(client.get("/claims"))
    said = {
        "zh_CN": "街道减少了该资源行的数量，已无需更多。",
        "en": "The street reduced this line; it needs nothing more.",
    }[lang]
    assert said in page and "the line now needs" not in page


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_sign_up_released_by_a_moved_shift_reads_in_the_volunteers_language(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="社区义诊")
    first = mf.shift(session, need, slots=2, starts_in_hours=24, title="上午场")
    second = mf.shift(session, need, slots=2, starts_in_hours=48, title="下午场")
    person, _profile = mf.volunteer(session, grid)
    assert client.post(f"/api/v1/shifts/{first.id}/signups", headers=person.headers).status_code == 201
    assert client.post(f"/api/v1/shifts/{second.id}/signups", headers=person.headers).status_code == 201
    staff = staff_with_token(session, grid)
    with reading(session) as fresh:
        version = fresh.get(Need, need.id).version  # type: ignore[union-attr]
    onto = {"version": version, "starts_at": first.starts_at.isoformat(), "ends_at": first.ends_at.isoformat()}
    moved = client.patch(
        f"/api/v1/needs/{need.id}/shifts/{second.id}", json=onto, headers=staff.headers | {"Accept-Language": "en"}
    )
    assert moved.status_code == 200, moved.text

    _as(client, person.user.username, lang)
    page = _text(client.get("/signups"))
    said = {  # the other shift by its name and time, not its number
        "zh_CN": "该班次改到了与您的班次上午场（",
        "en": "The shift moved to a time that overlaps your shift 上午场 on ",
    }[lang]
    assert said in page and _named("上午场", first.id, lang) not in page
    assert "the shift moved to a time" not in page


def test_a_typed_reason_is_shown_as_typed(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need)
    person, _profile = mf.volunteer(session, grid)
    made = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()
    assert (
        client.post(
            f"/api/v1/signups/{made['id']}/cancel",
            json={"reason": "the line now needs me elsewhere"},
            headers=person.headers,
        ).status_code
        == 200
    )
    _as(client, person.user.username, "zh_CN")
    assert "the line now needs me elsewhere" in _text(client.get("/signups"))
