"""The staff's page of a volunteer speaks of the volunteer ("When they can help"), as its other rows do ("Work
they want to do", "Streets they also serve"), not to the staff member reading it ("When you can help", the
volunteer's own profile form's heading)."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests import matches_factories as mf
from tests.security_helpers import make_grid, sign_in_as


def test_the_free_time_row_is_headed_in_the_third_person(client: TestClient[Any], session: Session) -> None:
    _person, profile = mf.volunteer(session, make_grid(session))
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/volunteers/{profile.id}")
    assert page.status_code == 200
    assert "When they can help" in page.text and "When you can help" not in page.text
    client.cookies.set("lang", "zh_CN")
    assert "可服务时间" in client.get(f"/volunteers/{profile.id}").text
