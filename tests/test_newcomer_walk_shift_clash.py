"""A shift at the same time as one the volunteer is confirmed for is marked as such before they try.

Found walking the demo as the volunteer: the first recommended task was a shift overlapping the one they were
confirmed for; its take-part page offered "Ask to join", and pressing it answered "You are already confirmed
for another shift at the same time." with a link "Go to the form", naming neither that shift nor what to do.
Now the take-part page names the clashing shift and its time and links My shifts instead of the button, and
the recommended tasks leave such shifts out (a suggestion that cannot be taken is a dead end).
"""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, Shift
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import make_grid, post_form, sign_in_as
from tests.test_recommendations_api import _profile_for


def _shift_item(page: str, shift: Shift) -> str:
    found = re.search(rf'<li class="shift" id="shift-{shift.id}">(.*?)</li>', page, re.S)
    assert found, f"shift {shift.id} is not on the page"
    return found.group(1)


def _project_with_shift(session: Session, grid: Any, title: str, starts_in_hours: float) -> tuple[Need, Shift]:
    need = mf.project(session, grid, title=title)
    return need, mf.shift(session, need, slots=3, starts_in_hours=starts_in_hours, title=f"{title}值守")


def test_a_shift_at_the_same_time_names_the_confirmed_one_instead_of_offering_to_join(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    _held_need, held = _project_with_shift(session, grid, "楼道清扫", 24)
    clash_need, clash = _project_with_shift(session, grid, "垃圾分类值守", 25)  # starts an hour into the held one
    _later_need, later = _project_with_shift(session, grid, "义诊", 48)
    _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])
    assert post_form(client, settings, f"/shifts/{held.id}/sign-up").status_code == 303

    client.cookies.set("lang", "en")
    item = _shift_item(client.get(f"/projects/{clash_need.id}/take-part").text, clash)
    assert "You are confirmed for “楼道清扫值守” at the same time" in item
    assert "To take this shift, cancel that one first." in item and 'href="/signups"' in item
    assert f'action="/shifts/{clash.id}/sign-up"' not in item

    client.cookies.set("lang", "zh_CN")
    item = _shift_item(client.get(f"/projects/{clash_need.id}/take-part").text, clash)
    assert "您已确认参加同一时间的“楼道清扫值守”" in item and "请先取消那个班次" in item

    # A shift at another time still takes a sign-up; the held shift itself shows the sign-up, not a clash.
    later_page = client.get(f"/projects/{_later_need.id}/take-part").text
    assert f'action="/shifts/{later.id}/sign-up"' in _shift_item(later_page, later)
    assert "同一时间" not in _shift_item(client.get(f"/projects/{_held_need.id}/take-part").text, held)


def test_the_recommended_tasks_leave_out_shifts_at_the_same_time_as_a_confirmed_one(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    _held_need, held = _project_with_shift(session, grid, "楼道清扫", 24)
    clash_need, _clash = _project_with_shift(session, grid, "垃圾分类值守", 25)
    later_need, _later = _project_with_shift(session, grid, "义诊", 48)
    _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])
    before = client.get("/recommended").text
    assert f'href="/projects/{clash_need.id}/take-part"' in before  # free time: it suits them

    assert post_form(client, settings, f"/shifts/{held.id}/sign-up").status_code == 303
    for page in (client.get("/recommended").text, client.get("/home").text):
        assert f'href="/projects/{clash_need.id}/take-part"' not in page
        assert f'href="/projects/{later_need.id}/take-part"' in page
