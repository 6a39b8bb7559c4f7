"""A volunteer's shifts as a calendar feed: the address from their page opens the feed without cookies, lists
their shifts (a cancelled one marked cancelled), and a forged or someone else's key opens nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid

NOW = datetime.now(UTC).replace(microsecond=0)


def _feed_address(client: TestClient[Any], person: mf.Person) -> str:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    page = client.get("/volunteer/calendar")
    assert page.status_code == 200 and "webcal://" in page.text
    feed = page.text.split('id="f-feed" class="cert-url" value="', 1)[1].split('"', 1)[0]
    client.cookies.clear()
    return feed.split("://", 1)[1].split("/", 1)[1]  # the path, for the in-process client


def test_the_feed_lists_my_shifts_and_opens_only_with_its_key(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    other, _ = mf.volunteer(session, grid)
    starts = NOW + timedelta(days=2)
    kept = factories.add_shift(session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=3), title="楼道")
    dropped = factories.add_shift(
        session,
        need,
        3,
        starts_at=starts + timedelta(days=1),
        ends_at=starts + timedelta(days=1, hours=2),
        title="义诊",
    )
    for shift, status in ((kept, SignupStatus.CONFIRMED), (dropped, SignupStatus.CANCELLED)):
        session.add(ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=status))  # type: ignore[arg-type]
    session.commit()

    path = _feed_address(client, person)
    response = client.get("/" + path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    events = {str(event["summary"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")}
    assert set(events) == {"楼道", "义诊"}
    assert events["楼道"].decoded("dtstart") == starts and str(events["楼道"]["status"]) == "CONFIRMED"
    assert str(events["义诊"]["status"]) == "CANCELLED"
    assert f"/projects/{need.id}" in str(events["楼道"]["url"])

    key = path.split("/")[1]
    user_id, signature = key.split("-", 1)
    forged = f"{other.user.id}-{signature}"
    for bad in (forged, f"{user_id}-{'0' * len(signature)}", "abc", f"{user_id}-short"):
        assert client.get(f"/calendar/{bad}/shifts.ics").status_code == 404, bad
    # The other volunteer's own address opens only their (empty) calendar.
    theirs = client.get("/" + _feed_address(client, other))
    assert theirs.status_code == 200 and Calendar.from_ical(theirs.content).walk("VEVENT") == []
