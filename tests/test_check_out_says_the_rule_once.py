"""After a check-out, My shifts says the hours rule once: in the banner of what was credited, not again under
the shifts still to come (a newcomer's walk read the same paragraph twice on one screen)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, reading

RULE = "Hours credited = the time between check-in and check-out"


def test_the_rule_is_said_once_after_a_check_out_and_still_said_on_a_plain_visit(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    running = mf.shift(session, need, starts_in_hours=-1, title="社区义诊")
    coming = mf.shift(session, need, starts_in_hours=30, title="晚间巡逻")  # still to come: the list and its hint
    person, profile = mf.volunteer(session, grid)
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    for shift in (running, coming):
        assert post_form(client, settings, f"/shifts/{shift.id}/sign-up").status_code == 303
    with reading(session) as fresh:
        signup = fresh.exec(
            select(ShiftSignup).where(ShiftSignup.shift_id == running.id, ShiftSignup.volunteer_id == profile.id)
        ).one()
    assert post_form(client, settings, f"/signups/{signup.id}/check-in").status_code == 303
    session.expire_all()
    row = session.get(ShiftSignup, signup.id)
    assert row is not None
    row.checked_in_at = datetime.now(UTC) - timedelta(minutes=30)
    session.add(row)
    session.commit()
    done = post_form(client, settings, f"/signups/{signup.id}/check-out")
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert 'id="credited"' in page and "晚间巡逻" in page
    assert page.count(RULE) == 1

    plain = client.get("/signups").text  # a later visit: no banner, the rule under the shifts to come
    assert 'id="credited"' not in plain and "晚间巡逻" in plain
    assert plain.count(RULE) == 1
