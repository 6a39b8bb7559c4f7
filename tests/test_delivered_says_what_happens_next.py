"""After marking a claim delivered (a partner) or checking out (a volunteer), the answer says what happens next.

"Marked as delivered. Thank you!" left the partner wondering what comes after: now the page and the API's
``message`` say that the street confirms with the resident and closes the project, and that they will be
told when it is closed (the need_closed notification); the volunteer's check-out says the same, in both
languages.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
DELIVERED_EN = (
    "Marked as delivered. Thank you! Next, the street confirms with the resident and closes the project; "
    "you will be told when it is closed."
)
DELIVERED_ZH = "已标记为交付完成，感谢支持！接下来街道将与居民确认并办结项目，办结时会通知您。"
CHECKED_OUT_EN = (
    "Checked out; your hours are credited. Next, the street confirms with the resident and closes the project; "
    "you will be told when it is closed."
)
CHECKED_OUT_ZH = "签退成功，服务时长已记入。接下来街道将与居民确认并办结项目，办结时会通知您。"
NEXT_EN = "Next, the street confirms with the resident and closes the project; you will be told when it is closed."
NEXT_ZH = "接下来街道将与居民确认并办结项目，办结时会通知您。"


def _approved_claims(client: TestClient[Any], session: Session, person: mf.Person, n: int) -> list[int]:
    need = mf.project(session, title="湖岛街道凉亭修缮")
    boss = mf.admin(session)
    offer = mf.offer_of(session, person.user, "10")
    ids = []
    for _ in range(n):
        line = mf.line(session, need, "2")
        body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"}
        made = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=person.headers)
        assert made.status_code == 201, made.text
        claim = int(made.json()["id"])
        decided = client.post(f"/api/v1/matches/{claim}/decision", json={"decision": "approve"}, headers=boss.headers)
        assert decided.status_code == 200, decided.text
        ids.append(claim)
    return ids


def test_the_api_answer_to_a_delivery_says_what_happens_next(client: TestClient[Any], session: Session) -> None:
    person = mf.partner(session)
    first, second = _approved_claims(client, session, person, 2)
    answer = client.post(f"/api/v1/claims/{first}/delivered", headers=person.headers | EN)
    assert answer.status_code == 200 and answer.json()["status"] == "fulfilled", answer.text
    assert answer.json()["message"] == DELIVERED_EN
    answer = client.post(f"/api/v1/claims/{second}/delivered", headers=person.headers | ZH)
    assert answer.json()["message"] == DELIVERED_ZH


def test_the_page_after_a_delivery_says_what_happens_next(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = mf.partner(session)
    claims = _approved_claims(client, session, person, 2)
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    for claim, language, said in zip(claims, ("en", "zh_CN"), (DELIVERED_EN, DELIVERED_ZH), strict=True):
        client.cookies.set("lang", language)
        done = post_form(client, settings, f"/claims/{claim}/delivered")
        assert done.status_code == 303 and done.headers["location"] == "/claims?done=delivered", done.text
        page = client.get(done.headers["location"]).text
        assert said in page


def _checked_in(client: TestClient[Any], session: Session) -> tuple[mf.Person, int]:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid, title="湖岛街道垃圾分类督导"), starts_in_hours=-1)
    person, _profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()
    assert client.post(f"/api/v1/signups/{signup['id']}/check-in", headers=person.headers).status_code == 200
    return person, int(signup["id"])


def test_the_api_answer_to_a_check_out_says_what_happens_next(client: TestClient[Any], session: Session) -> None:
    for language, said in ((EN, CHECKED_OUT_EN), (ZH, CHECKED_OUT_ZH)):
        person, signup = _checked_in(client, session)
        answer = client.post(f"/api/v1/signups/{signup}/check-out", headers=person.headers | language)
        assert answer.status_code == 200 and answer.json()["status"] == "completed", answer.text
        assert answer.json()["message"] == said


def test_the_page_after_a_check_out_says_what_happens_next(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    for language, said in (("en", NEXT_EN), ("zh_CN", NEXT_ZH)):
        client.cookies.clear()  # tokens while checking in; the page's session after
        person, signup = _checked_in(client, session)
        assert login(client, person.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
        client.cookies.set("lang", language)
        done = post_form(client, settings, f"/signups/{signup}/check-out")
        assert done.status_code == 303, done.text
        page = client.get(done.headers["location"]).text
        assert said in page
