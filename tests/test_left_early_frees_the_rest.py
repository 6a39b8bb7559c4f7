"""A volunteer who checked out of a shift before its end holds its time only to the check-out: the rest of that
shift is free. A later shift starting after the check-out may be taken (signed up for, approved, proposed by a
round, suggested); one starting before it still clashes. Before, a completed stay held the whole shift, and a
volunteer who left at 10:35 was told to cancel a finished shift (which cannot be cancelled) before signing up
for one at 11:00. One rule (``matches.held_time``) for every path; both databases."""

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.conflicts import overlaps_of
from marketplace.matches.models import Match
from marketplace.matches.signups import clash_of, confirmed_shifts_between
from marketplace.needs.models import Shift
from marketplace.recommend.for_me import _held_shifts
from marketplace.rounds.inputs import _busy
from marketplace.rounds.proposals import volunteer_slots
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, reading


def _at(session: Session, need: Any, starts: datetime, hours: float, **fields: Any) -> Shift:
    from tests import factories

    row = factories.add_shift(session, need, 4, starts_at=starts, ends_at=starts + timedelta(hours=hours), **fields)
    session.commit()
    return row


def _left_early(client: TestClient[Any], session: Session) -> dict[str, Any]:
    """A volunteer signed up for a shift that began an hour ago and ends in two, checked in and out just now."""
    grid = make_grid(session)
    need = mf.project(session, grid)
    now = datetime.now(UTC).replace(microsecond=0)
    first = _at(session, need, now - timedelta(hours=1), 3)
    person, profile = mf.volunteer(session, grid)
    made = client.post(f"/api/v1/shifts/{first.id}/signups", headers=person.headers)
    assert made.status_code == 201, made.text
    signup = made.json()["id"]
    for step in ("check-in", "check-out"):
        answer = client.post(f"/api/v1/signups/{signup}/{step}", headers=person.headers)
        assert answer.status_code in (200, 201), answer.text
    with reading(session) as fresh:
        row = fresh.get(ShiftSignup, signup)
        assert row is not None and row.status is SignupStatus.COMPLETED and row.checked_out_at is not None
        out = row.checked_out_at
    return {"need": need, "first": first, "person": person, "profile": profile, "out": out, "now": now}


def test_a_shift_after_the_check_out_may_be_taken_one_before_it_not(client: TestClient[Any], session: Session) -> None:
    walk = _left_early(client, session)
    later = _at(session, walk["need"], walk["out"] + timedelta(minutes=30), 2)  # within the first shift's hours
    during = _at(session, walk["need"], walk["out"] - timedelta(minutes=20), 2)  # began while they were there
    headers = walk["person"].headers
    taken = client.post(f"/api/v1/shifts/{later.id}/signups", headers=headers)
    assert taken.status_code == 201 and taken.json()["status"] == "confirmed", taken.text
    refused = client.post(f"/api/v1/shifts/{during.id}/signups", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["extra"]["shift_id"] == walk["first"].id


def test_an_admin_approves_a_pending_signup_after_the_check_out(client: TestClient[Any], session: Session) -> None:
    walk = _left_early(client, session)
    later = _at(session, walk["need"], walk["out"] + timedelta(minutes=30), 2, requires_approval=True)
    made = client.post(f"/api/v1/shifts/{later.id}/signups", headers=walk["person"].headers)
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    boss = mf.admin(session)
    with reading(session) as fresh:
        match = fresh.get(Match, made.json()["match_id"])
        assert match is not None
        assert overlaps_of(fresh, [match]) == {}  # the review shows no overlap note
    decided = client.post(
        f"/api/v1/matches/{made.json()['match_id']}/decision", headers=boss.headers, json={"decision": "approve"}
    )
    assert decided.status_code in (200, 201), decided.text
    with reading(session) as fresh:
        row = fresh.get(ShiftSignup, made.json()["id"])
        assert row is not None and row.status is SignupStatus.CONFIRMED


def test_every_reader_of_busy_time_ends_it_at_the_check_out(client: TestClient[Any], session: Session) -> None:
    walk = _left_early(client, session)
    first, out, profile = walk["first"], walk["out"], walk["profile"]
    later = _at(session, walk["need"], out + timedelta(minutes=30), 2)
    during = _at(session, walk["need"], out - timedelta(minutes=20), 2)
    with reading(session) as fresh:
        held = confirmed_shifts_between(fresh, profile.id, first.starts_at, first.ends_at + timedelta(hours=3))
        assert [(shift.id, end) for shift, end in held] == [(first.id, out)]
        assert clash_of(held, later.id, later.starts_at, later.ends_at) is None  # the take-part page offers it
        clash = clash_of(held, during.id, during.starts_at, during.ends_at)
        assert clash is not None and (clash[0].id, clash[1]) == (first.id, out)
        # A matching round sees them busy until they left, not until the shift's end.
        assert (first.starts_at, out) in _busy(
            fresh, walk["now"] - timedelta(hours=2), sa.select(sa.literal(profile.id))
        )[profile.id]
        assert volunteer_slots(fresh, {profile.id})[profile.id] == [(first.id, first.starts_at, out)]
        # Their suggestions leave out shifts clashing with the time they hold, which ends at the check-out.
        _held, busy = _held_shifts(fresh, profile.id)
        assert busy == [(first.starts_at, out)]


def test_the_take_part_page_offers_the_later_shift_and_says_why_not_the_other(
    client: TestClient[Any], session: Session
) -> None:
    walk = _left_early(client, session)
    later = _at(session, walk["need"], walk["out"] + timedelta(minutes=30), 2, title="午间分发物资")
    during = _at(session, walk["need"], walk["out"] - timedelta(minutes=20), 2, title="现场登记")
    response = login(client, walk["person"].user.username, DEFAULT_PASSWORD)
    assert response.status_code in (302, 303)
    client.headers["Accept-Language"] = "en"
    page = html.unescape(client.get(f"/projects/{walk['need'].id}/take-part").text)
    assert f'action="/shifts/{later.id}/sign-up"' in page
    assert f'action="/shifts/{during.id}/sign-up"' not in page
    assert "which you checked out of at" in page and "cancel that one first" not in page
    client.headers["Accept-Language"] = "zh-CN"
    page = html.unescape(client.get(f"/projects/{walk['need'].id}/take-part").text)
    assert "签退），两个班次时间重叠。" in page and "请先取消那个班次" not in page
