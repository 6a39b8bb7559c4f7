"""The take-part forms under real concurrent browser-like requests (cookies + CSRF) against uvicorn.

Every person signs in through /login, reads the CSRF token from the page, then all press the button at
the same moment. The pages must answer the losers with a 409 page saying why, never a 5xx, and the
database invariants hold: one live whole-project claim, never more confirmed volunteers than slots.
"""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, func, select

from marketplace.matches.models import Match, MatchKind
from marketplace.needs.models import Shift
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import DEFAULT_PASSWORD, csrf_from, make_grid, reading

LOCKED = "database is locked"


def _browser(live: LiveApp, username: str, page: str) -> tuple[httpx.Client, str]:
    """A signed-in cookie client and the CSRF token of ``page`` (English, so reasons can be read)."""
    client = live.client()
    login_page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token is not None
    signed = client.post(
        "/login", data={"username": username, "password": DEFAULT_PASSWORD, "csrf_token": token.group(1)}
    )
    assert signed.status_code in (302, 303), signed.text[:300]
    client.cookies.set("lang", "en")
    return client, csrf_from(client.get(page).text)


def _press_at_once(calls: list[tuple[httpx.Client, str, dict[str, str]]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[httpx.Client, str, dict[str, str]]) -> httpx.Response:
        client, path, data = call
        barrier.wait(timeout=30)
        return client.post(path, data=data)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def _check(responses: list[httpx.Response], live: LiveApp) -> Counter[int]:
    codes = Counter(r.status_code for r in responses)
    assert not [r for r in responses if r.status_code >= 500], [r.text[:300] for r in responses]
    assert LOCKED not in live.log() and "Traceback" not in live.log(), live.log()[-3000:]
    return codes


def test_eight_partners_press_claim_the_whole_project_at_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    need = mf.project(session)
    page = f"/projects/{need.id}/take-part"
    browsers = [_browser(live_app, mf.partner(session).user.username, page) for _ in range(8)]
    try:
        responses = _press_at_once(
            [(c, f"/projects/{need.id}/claim", {"kind": "whole", "csrf_token": t}) for c, t in browsers]
        )
    finally:
        for client, _ in browsers:
            client.close()
    codes = _check(responses, live_app)
    assert codes == Counter({303: 1, 409: 7})
    assert all(
        "Another partner has just claimed the whole project." in r.text for r in responses if r.status_code == 409
    )
    with reading(session) as fresh:
        whole = fresh.exec(
            select(func.count()).select_from(Match).where(Match.need_id == need.id, Match.kind == MatchKind.WHOLE_NEED)
        ).one()
    assert whole == 1


def test_eight_volunteers_press_sign_up_for_three_places_at_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, slots=3)
    page = f"/projects/{need.id}/take-part"
    browsers = [_browser(live_app, mf.volunteer(session, grid)[0].user.username, page) for _ in range(8)]
    try:
        responses = _press_at_once([(c, f"/shifts/{shift.id}/sign-up", {"csrf_token": t}) for c, t in browsers])
    finally:
        for client, _ in browsers:
            client.close()
    codes = _check(responses, live_app)
    assert codes == Counter({303: 3, 409: 5})
    assert all("This shift has just filled up." in r.text for r in responses if r.status_code == 409)
    with reading(session) as fresh:
        row = fresh.get(Shift, shift.id)
        confirmed = fresh.exec(
            select(func.count())
            .select_from(ShiftSignup)
            .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status == SignupStatus.CONFIRMED)
        ).one()
    assert row is not None and row.confirmed_count == 3 and confirmed == 3
