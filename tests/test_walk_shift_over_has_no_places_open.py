"""A shift that is over has no places open: once it ended, the public project page, the board card and the
take-part page stop asking for volunteers for it, in both languages, and the public API's shift says ``over``.

Found walking the demo: a need's last shift ended with one of its two places unfilled (the one volunteer checked
in and out); afterwards the project page still read "1 of 2 places open" beside "Sign in to take part", the board
card still listed "1 volunteer for the shifts" as still needed, and the volunteer's take-part page said "1 of 2
places open" above "This shift is over.". The need itself waits, rightly, for staff to verify it (a shift that
ended with places unfilled is over, not missing): only what the pages ask of people was wrong.
"""

from datetime import timedelta
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.types import utcnow
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login


def _ended_shift_need(session: Session, title: str) -> Any:
    need = mf.project(session, title=title)
    ended = utcnow() - timedelta(hours=1)
    factories.add_shift(
        session, need, 2, confirmed=1, title="清扫", starts_at=ended - timedelta(hours=2), ends_at=ended
    )
    session.commit()
    return need


def _read(client: TestClient[Any], path: str, locale: str) -> str:
    client.cookies.set("lang", locale)
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text


def test_the_project_page_and_the_board_ask_for_no_one_on_a_shift_that_is_over(
    client: TestClient[Any], session: Session
) -> None:
    need = _ended_shift_need(session, "楼道清扫走查")
    english = _read(client, f"/projects/{need.id}", "en")
    assert "1 of 2 places open" not in english
    assert "This shift is over." in english
    chinese = _read(client, f"/projects/{need.id}", "zh_CN")
    assert "该班次已结束。" in chinese and "1/2" not in chinese
    board = _read(client, "/?q=楼道清扫走查", "en")
    assert "楼道清扫走查" in board
    assert "for the shifts" not in board
    api = client.get(f"/api/v1/projects/{need.id}")  # the public API reads the same card
    assert api.status_code == 200, api.text
    shift = api.json()["shifts"][0]
    assert shift["over"] is True


def test_the_take_part_page_says_the_shift_is_over_instead_of_places_open(
    client: TestClient[Any], session: Session
) -> None:
    need = _ended_shift_need(session, "楼道清扫走查二")
    person, _profile = mf.volunteer(session, mf.make_grid(session))
    session.commit()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    english = _read(client, f"/projects/{need.id}/take-part", "en")
    assert "places open" not in english
    assert english.count("This shift is over.") == 1
    assert 'action="/shifts/' not in english  # no sign-up form
