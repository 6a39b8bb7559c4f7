"""A person refused by a limit (429) reads what happened, when to try again and how to get back, in the page's
language: the sign-in throttle, the registration limit and the public need form, each hit for real through
the app. The wait on the page is the answer's own Retry-After; the JSON API keeps its own answer."""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.accounts.registration_limit import REGISTRATION_LIMIT
from marketplace.i18n import current_locale
from marketplace.needs.submissions import SUBMISSION_LIMIT
from marketplace.settings import Settings
from marketplace.too_many import try_again_in
from tests.orgs_helpers import form_post
from tests.security_helpers import csrf_for, login, make_grid, make_user

HEADLINE = {"en": "Too many attempts from this address", "zh_CN": "尝试次数过多"}
TRY_AGAIN = {"en": r"Try again in (\d+) (minute|second)s?\.", "zh_CN": r"请在 (\d+) (分钟|秒)后再试。"}
LOGIN_FAILURES_ALLOWED = 10


def _assert_too_many_page(answer: Any, locale: str, back: str) -> None:
    assert answer.status_code == 429, answer.text[-400:]
    retry_after = int(answer.headers["retry-after"])
    assert retry_after > 0
    text = answer.text
    assert HEADLINE[locale] in text
    assert "This request cannot be served" not in text and "无法处理" not in text
    shown = re.search(TRY_AGAIN[locale], text)
    assert shown, text[-1500:]
    number, unit = int(shown.group(1)), shown.group(2)
    if unit in ("minute", "分钟"):
        assert number == -(-retry_after // 60)
    else:
        assert number == retry_after
    assert f'href="{back}"' in text


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_sign_in_throttle_says_when_to_try_again(
    locale: str, client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    session.commit()
    client.cookies.set("lang", locale)
    statuses = [login(client, "xiaoli", f"wrong guess {n}").status_code for n in range(LOGIN_FAILURES_ALLOWED)]
    assert statuses == [401] * LOGIN_FAILURES_ALLOWED
    refused = login(client, "xiaoli", "wrong again", next_url="/volunteer")
    _assert_too_many_page(refused, locale, "/login?next=%2Fvolunteer")


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_registration_limit_says_when_to_try_again(
    locale: str, client: TestClient[Any], settings: Settings
) -> None:
    client.cookies.set("lang", locale)
    form = {"username": "x", "display_name": "探测", "password": "short", "phone": "1"}
    for _ in range(REGISTRATION_LIMIT):
        assert form_post(client, settings, "/register/volunteer", form).status_code == 400
    refused = form_post(client, settings, "/register/volunteer", form)
    _assert_too_many_page(refused, locale, "/register/volunteer")
    assert str(REGISTRATION_LIMIT) in refused.text


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_public_need_form_says_when_to_try_again(
    locale: str, client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    session.commit()
    client.cookies.set("lang", locale)
    report = {
        "title": "小区路灯不亮",
        "description": "6号楼前的路灯坏了一周。",
        "category": "travel_safety",
        "grid_id": str(grid.id),
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
    }
    for _ in range(SUBMISSION_LIMIT):
        assert form_post(client, settings, "/submit", report).status_code == 303
    refused = form_post(client, settings, "/submit", report)
    _assert_too_many_page(refused, locale, "/submit")
    assert "12345" in refused.text


def test_the_api_answer_stays_json(client: TestClient[Any], session: Session, settings: Settings) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaowang")
    session.commit()
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    for n in range(LOGIN_FAILURES_ALLOWED):
        client.post("/api/v1/auth/login", json={"username": "xiaowang", "password": f"guess {n}"}, headers=headers)
    refused = client.post("/api/v1/auth/login", json={"username": "xiaowang", "password": "again"}, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (1, "Try again in 1 second.", "请在 1 秒后再试。"),
        (45, "Try again in 45 seconds.", "请在 45 秒后再试。"),
        (60, "Try again in 1 minute.", "请在 1 分钟后再试。"),
        (61, "Try again in 2 minutes.", "请在 2 分钟后再试。"),
        (720, "Try again in 12 minutes.", "请在 12 分钟后再试。"),
    ],
)
def test_the_wait_reads_in_seconds_under_a_minute_then_in_minutes_rounded_up(seconds: int, en: str, zh: str) -> None:
    token = current_locale.set("en")
    try:
        assert try_again_in(seconds) == en
        current_locale.set("zh_CN")
        assert try_again_in(seconds) == zh
    finally:
        current_locale.reset(token)
