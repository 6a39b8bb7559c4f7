"""A volunteer resets their calendar feed's address, as a Google Calendar user resets a leaked secret address:
the old address answers 404 at once (as a forged one does), the new one lists their shifts; two resets at the
same time both count; nobody resets another's address; other roles have no calendar to reset. Through the
page's form (CSRF) and through the API (token scopes), on SQLite and PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.recognition import calendar
from marketplace.security.identity import load_current_user
from marketplace.security.secrets import signature
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_events,
    csrf_from,
    fetch,
    login,
    make_grid,
    make_user,
    post_form,
)

NOW = datetime.now(UTC).replace(microsecond=0)
NOTICE_EN = "Your calendar has a new address. The old one no longer works: subscribe again with this one."
NOTICE_ZH = "您的日历已换成新地址，旧地址已失效。请用下面的新地址重新订阅。"


def _path(url: str) -> str:
    """The path of a feed address, for the in-process client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _address_on_page(html: str) -> str:
    return _path(html.split('id="f-feed" class="cert-url" value="', 1)[1].split('"', 1)[0])


def _sign_in(client: TestClient[Any], user: User, lang: str = "en") -> None:
    client.cookies.clear()
    assert login(client, user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _volunteer_with_a_shift(session: Session, title: str = "楼道清扫") -> mf.Person:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    starts = NOW + timedelta(days=2)
    shift = factories.add_shift(session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=3), title=title)
    session.add(ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=SignupStatus.CONFIRMED))  # type: ignore[arg-type]
    session.commit()
    return person


def _summaries(response: Any) -> set[str]:
    assert response.status_code == 200, response.text[:300]
    return {str(event["summary"]) for event in Calendar.from_ical(response.content).walk("VEVENT")}


def _generation(session: Session, user_id: int) -> int:
    return fetch(session, User, user_id).calendar_feed_generation


def _change(session: Session, user_id: int | None, **values: Any) -> None:
    with Session(session.get_bind()) as fresh:
        fresh.execute(sa.update(User).where(User.id == user_id).values(**values))  # type: ignore[arg-type]
        fresh.commit()


def _token(session: Session, user: User, scopes: list[str]) -> dict[str, str]:
    secret, _row = create_api_token(session, user_id=user.id or 0, name="calendar", scopes=scopes, created_by_id=None)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_an_address_subscribed_before_resets_existed_still_opens_the_feed(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = _volunteer_with_a_shift(session)
    user_id = person.user.id
    first = f"{user_id}-{signature(settings.secret_key, f'calendar-feed:{user_id}')[: calendar.KEY_LENGTH]}"
    _sign_in(client, person.user)
    assert _address_on_page(client.get("/volunteer/calendar").text) == f"/calendar/{first}/shifts.ics"
    assert _summaries(client.get(f"/calendar/{first}/shifts.ics")) == {"楼道清扫"}


def test_after_a_reset_on_the_page_the_old_address_is_404_and_the_new_one_lists_my_shifts(
    client: TestClient[Any], session: Session
) -> None:
    person = _volunteer_with_a_shift(session)
    _sign_in(client, person.user)
    page = client.get("/volunteer/calendar")
    assert "Reset address" in page.text and "the old address stops working at once" in page.text
    assert NOTICE_EN not in page.text
    old = _address_on_page(page.text)

    reset = client.post("/volunteer/calendar/reset", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert reset.status_code == 303 and reset.headers["location"] == "/volunteer/calendar?done=reset"
    after = client.get(reset.headers["location"])
    assert after.status_code == 200 and NOTICE_EN in after.text
    new = _address_on_page(after.text)
    assert new != old and f"webcal://testserver.local{new}" in after.text
    # The page keeps showing the new address (the notice only after the reset).
    again = client.get("/volunteer/calendar")
    assert _address_on_page(again.text) == new and NOTICE_EN not in again.text

    client.cookies.clear()  # calendar apps send no cookies
    assert client.get(old).status_code == 404
    assert _summaries(client.get(new)) == {"楼道清扫"}
    assert _generation(session, person.user.id or 0) == 1

    (event,) = audit_events(session, "calendar.reset")
    assert (event.actor_id, event.object_type, event.object_id) == (person.user.id, "user", person.user.id)
    assert event.before == {"calendar_feed_generation": 0} and event.after == {"calendar_feed_generation": 1}
    for key in (old.split("/")[2], new.split("/")[2]):
        assert key.split("-", 1)[1] not in str(event.before) + str(event.after)


def test_the_page_and_its_notice_read_in_chinese(client: TestClient[Any], session: Session) -> None:
    person = _volunteer_with_a_shift(session)
    _sign_in(client, person.user, "zh_CN")
    page = client.get("/volunteer/calendar")
    assert "重置地址" in page.text and "旧地址立即失效" in page.text and NOTICE_ZH not in page.text
    reset = client.post("/volunteer/calendar/reset", data={"csrf_token": csrf_from(page.text)})
    assert reset.status_code == 200 and NOTICE_ZH in reset.text


def test_a_reset_without_the_forms_csrf_token_changes_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = _volunteer_with_a_shift(session)
    _sign_in(client, person.user)
    old = _address_on_page(client.get("/volunteer/calendar").text)
    assert client.post("/volunteer/calendar/reset", follow_redirects=False).status_code == 403
    assert client.post("/volunteer/calendar/reset", data={"csrf_token": "x"}, follow_redirects=False).status_code == 403
    assert _generation(session, person.user.id or 0) == 0
    assert audit_events(session, "calendar.reset") == []
    client.cookies.clear()
    assert _summaries(client.get(old)) == {"楼道清扫"}


def test_a_volunteer_resets_only_their_own_address(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    mine = _volunteer_with_a_shift(session, "义诊")
    theirs = _volunteer_with_a_shift(session, "楼道清扫")
    _sign_in(client, mine.user)
    my_address = _address_on_page(client.get("/volunteer/calendar").text)

    # The other volunteer resets, naming my account every way a form or a body could: theirs alone changes.
    _sign_in(client, theirs.user)
    their_old = _address_on_page(client.get("/volunteer/calendar").text)
    form = {"user_id": str(mine.user.id), "user": str(mine.user.id), "key": my_address.split("/")[2]}
    assert post_form(client, settings, "/volunteer/calendar/reset", form).status_code == 303
    client.cookies.clear()  # the API, by token alone
    api = client.post(
        "/api/v1/me/calendar/reset", headers=theirs.headers | {"Content-Type": "application/json"}, json=form
    )
    assert api.status_code == 403  # their token lacks profile:write; with it, below, still only theirs changes
    writer = _token(session, theirs.user, ["profile:read", "profile:write"])
    assert client.post("/api/v1/me/calendar/reset", headers=writer, json=form).status_code == 200

    assert _generation(session, mine.user.id or 0) == 0 and _generation(session, theirs.user.id or 0) == 2
    client.cookies.clear()
    assert _summaries(client.get(my_address)) == {"义诊"}
    assert client.get(their_old).status_code == 404
    assert {event.object_id for event in audit_events(session, "calendar.reset")} == {theirs.user.id}


@pytest.mark.parametrize("role", [Role.PARTNER, Role.STAFF, Role.ADMIN])
def test_other_roles_have_no_calendar_to_see_or_reset(
    client: TestClient[Any], session: Session, settings: Settings, role: Role
) -> None:
    user = make_user(session, role)
    headers = _token(session, user, ["profile:read", "profile:write"])
    _sign_in(client, user)
    assert client.get("/volunteer/calendar").status_code == 403
    assert post_form(client, settings, "/volunteer/calendar/reset").status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/me/calendar", headers=headers).status_code == 403
    assert client.post("/api/v1/me/calendar/reset", headers=headers).status_code == 403
    assert _generation(session, user.id or 0) == 0
    assert audit_events(session, "calendar.reset") == []
    # Nor does an address built for them open anything.
    key = calendar.feed_key(settings.secret_key, user.id or 0, 0)
    assert client.get(f"/calendar/{key}/shifts.ics").status_code == 404


def test_anonymous_callers_are_sent_to_sign_in(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/me/calendar").status_code == 401
    assert client.post("/api/v1/me/calendar/reset").status_code in (401, 403)
    page = client.get("/volunteer/calendar", follow_redirects=False)
    assert page.status_code in (302, 303, 401)


def test_the_api_gives_the_address_and_resets_it(client: TestClient[Any], session: Session) -> None:
    person = _volunteer_with_a_shift(session)
    reader = _token(session, person.user, ["profile:read"])
    writer = _token(session, person.user, ["profile:write"])

    assert client.post("/api/v1/me/calendar/reset", headers=reader).status_code == 403  # reading is not resetting
    assert client.get("/api/v1/me/calendar", headers=writer).status_code == 403  # nor the other way round
    shown = client.get("/api/v1/me/calendar", headers=reader)
    assert shown.status_code == 200 and shown.headers["cache-control"] != "public"
    old = shown.json()
    assert old["webcal_url"] == "webcal://" + old["feed_url"].split("://", 1)[1]
    assert _summaries(client.get(_path(old["feed_url"]))) == {"楼道清扫"}

    reset = client.post("/api/v1/me/calendar/reset", headers=writer)
    assert reset.status_code == 200
    new = reset.json()
    assert new["feed_url"] != old["feed_url"]
    assert client.get("/api/v1/me/calendar", headers=reader).json() == new
    assert client.get(_path(old["feed_url"])).status_code == 404
    assert _summaries(client.get(_path(new["feed_url"]))) == {"楼道清扫"}
    (event,) = audit_events(session, "calendar.reset")
    assert event.after == {"calendar_feed_generation": 1} and new["feed_url"].split("/")[-2] not in str(event.after)


def test_the_api_documents_both_operations(client: TestClient[Any]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths["/api/v1/me/calendar"]["get"]["operationId"] == "myCalendarFeed"
    reset = paths["/api/v1/me/calendar/reset"]["post"]
    assert reset["operationId"] == "resetMyCalendarFeed" and "404" in reset["summary"]
    assert {"200", "401", "403"} <= set(reset["responses"])


def test_a_reset_key_is_refused_as_a_forged_one_is(session: Session, settings: Settings) -> None:
    person = _volunteer_with_a_shift(session)
    volunteer = load_current_user(session, person.user.id or 0)
    assert volunteer is not None
    old = calendar.own_feed_key(session, settings.secret_key, volunteer)
    calendar.reset(session, volunteer)
    session.commit()
    new = calendar.own_feed_key(session, settings.secret_key, volunteer)
    assert calendar.user_for_key(session, settings.secret_key, old) is None
    found = calendar.user_for_key(session, settings.secret_key, new)
    assert found is not None and found.id == volunteer.id
    # A key of the next generation, made before it exists, opens nothing either.
    ahead = calendar.feed_key(settings.secret_key, volunteer.id, 2)
    assert calendar.user_for_key(session, settings.secret_key, ahead) is None


def test_two_resets_at_the_same_moment_both_count(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    person = _volunteer_with_a_shift(session)
    user_id = person.user.id or 0
    session.close()
    barrier = threading.Barrier(2)

    def one_reset(_: int) -> int:
        with session_factory() as db:
            volunteer = load_current_user(db, user_id)
            assert volunteer is not None
            db.rollback()  # the read above must not hold SQLite's lock while the other waits to write
            barrier.wait(timeout=30)
            generation = calendar.reset(db, volunteer)
            db.commit()
            return generation

    with ThreadPoolExecutor(max_workers=2) as pool:
        generations = sorted(pool.map(one_reset, range(2)))
    assert generations == [1, 2]
    assert _generation(session, user_id) == 2
    events = audit_events(session, "calendar.reset")
    assert sorted((e.before["calendar_feed_generation"], e.after["calendar_feed_generation"]) for e in events) == [
        (0, 1),
        (1, 2),
    ]


def test_a_disabled_volunteers_reset_address_opens_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = _volunteer_with_a_shift(session)
    _change(session, person.user.id, calendar_feed_generation=3)
    key = calendar.feed_key(settings.secret_key, person.user.id or 0, 3)
    assert _summaries(client.get(f"/calendar/{key}/shifts.ics")) == {"楼道清扫"}
    _change(session, person.user.id, is_active=False)
    assert client.get(f"/calendar/{key}/shifts.ics").status_code == 404
