"""A volunteer who was confirmed for a shift and never came can be recorded as a no-show by the staff of the
need's grid (or the street's admin), once the shift is over: from the need page (a button beside the sign-up)
or the API. The sign-up and its match become no-shows and the volunteer's no-show count (what their hours page
shows and their reliability reads) grows by one, once. Before, nothing in the application could record a
no-show: the sign-up stayed "confirmed" for ever and the count stayed 0. One rule (matches.delivery
.mark_no_show) for the page and the API; both databases."""

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Shift
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user, post_form, reading


def _confirmed(client: TestClient[Any], session: Session) -> dict[str, Any]:
    """A volunteer confirmed for a shift of a published need of ``grid``, and the grid's staff member."""
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, 2, starts_in_hours=0.5)
    person, profile = mf.volunteer(session, grid)
    session.commit()
    made = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers)
    assert made.status_code == 201 and made.json()["status"] == "confirmed", made.text
    staff = make_user(session, Role.STAFF, grid_ids=[grid.id or 0])
    return {
        "need": need,
        "shift": shift,
        "person": person,
        "profile": profile,
        "signup": made.json()["id"],
        "staff": staff,
        "staff_person": mf.with_token(session, staff),
    }


def _end_shift(session: Session, shift_id: int) -> None:
    """The shift took place: it began four hours ago and ended one hour ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    session.execute(
        sa.update(Shift)
        .where(Shift.id == shift_id)  # type: ignore[arg-type]
        .values(starts_at=now - timedelta(hours=4), ends_at=now - timedelta(hours=1))
    )
    session.commit()


def _rows(session: Session, signup_id: int) -> tuple[ShiftSignup, Match, VolunteerProfile]:
    with reading(session) as fresh:
        signup = fresh.get(ShiftSignup, signup_id)
        assert signup is not None and signup.match_id is not None
        match = fresh.get(Match, signup.match_id)
        profile = fresh.get(VolunteerProfile, signup.volunteer_id)
        assert match is not None and profile is not None
        return signup, match, profile


def test_staff_record_a_no_show_from_the_need_page_once(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    walk = _confirmed(client, session)
    _end_shift(session, walk["shift"].id)
    assert login(client, walk["staff"].username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = client.get(f"/needs/{walk['need'].id}")
    action = f"/needs/{walk['need'].id}/signups/{walk['signup']}/no-show"
    assert action in page.text, "the need page offers to record the no-show beside the sign-up"
    done = post_form(client, settings, action)
    assert done.status_code == 303 and done.headers["location"].endswith("done=no_show"), done.text
    signup, match, profile = _rows(session, walk["signup"])
    assert signup.status is SignupStatus.NO_SHOW
    assert match.status is MatchStatus.NO_SHOW
    assert profile.no_show_count == 1
    after = client.get(f"/needs/{walk['need'].id}")
    assert action not in after.text, "a no-show is recorded once: the button is gone"
    again = post_form(client, settings, action)
    assert again.status_code == 409
    assert _rows(session, walk["signup"])[2].no_show_count == 1
    mine = client.get("/api/v1/volunteers/me", headers=walk["person"].headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["no_shows"] == 1, "the volunteer's own summary counts it"


def test_the_api_refuses_before_the_end_and_for_a_checked_in_volunteer(
    client: TestClient[Any], session: Session
) -> None:
    walk = _confirmed(client, session)
    path = f"/api/v1/signups/{walk['signup']}/no-show"
    early = client.post(path, headers=walk["staff_person"].headers)
    assert early.status_code == 409 and early.json()["extra"]["code"] == "no_show_not_yet", early.text
    came = client.post(f"/api/v1/signups/{walk['signup']}/check-in", headers=walk["person"].headers)
    assert came.status_code == 200, came.text
    _end_shift(session, walk["shift"].id)
    refused = client.post(path, headers=walk["staff_person"].headers)
    assert refused.status_code == 409 and refused.json()["extra"]["code"] == "no_show_not_confirmed", refused.text
    assert _rows(session, walk["signup"])[2].no_show_count == 0


def test_only_the_needs_staff_or_admin_record_it(client: TestClient[Any], session: Session) -> None:
    walk = _confirmed(client, session)
    _end_shift(session, walk["shift"].id)
    path = f"/api/v1/signups/{walk['signup']}/no-show"
    assert client.post(path, headers=walk["person"].headers).status_code == 403
    stranger = mf.with_token(session, make_user(session, Role.STAFF))  # staff of another community
    assert client.post(path, headers=stranger.headers).status_code == 404
    assert _rows(session, walk["signup"])[2].no_show_count == 0
    boss = mf.admin(session)
    recorded = client.post(path, headers=boss.headers)
    assert recorded.status_code == 200 and recorded.json()["status"] == "no_show", recorded.text
    assert _rows(session, walk["signup"])[2].no_show_count == 1
