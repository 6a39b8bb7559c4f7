"""A project's public page offers staff the need's own page only where they work.

Found walking the demo as staff: on the board's page of a project in another community, "Open in the need
list" and "Recommendations" both answered 404 "The project may not be published yet, or it was removed",
a dead end on a published project. Staff of the need's grid (and the street's admins) keep both links;
staff elsewhere read whose project it is instead.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user, sign_in_as


def _links(page: str, need_id: int) -> tuple[bool, bool]:
    return f'href="/needs/{need_id}"' in page, f'href="/needs/{need_id}/recommendations"' in page


def test_only_staff_who_work_there_get_the_need_links(client: TestClient[Any], session: Session) -> None:
    home, elsewhere = make_grid(session), make_grid(session)
    need = mf.project(session, home, title="楼道扶手更换")
    session.commit()
    client.cookies.set("lang", "en")

    sign_in_as(client, session, Role.STAFF, grid_ids=[home.id])
    page = client.get(f"/projects/{need.id}").text
    assert _links(page, need.id or 0) == (True, True)
    assert client.get(f"/needs/{need.id}").status_code == 200
    assert client.get(f"/needs/{need.id}/recommendations").status_code == 200

    other = make_user(session, Role.STAFF, grid_ids=[elsewhere.id])
    session.commit()
    client.cookies.clear()
    client.cookies.set("lang", "en")
    login(client, other.username, DEFAULT_PASSWORD)
    page = client.get(f"/projects/{need.id}").text
    assert _links(page, need.id or 0) == (False, False)
    assert f"The staff of {home.name_en} manage this project." in page
    assert client.get(f"/needs/{need.id}").status_code == 404  # why the links are not shown

    client.cookies.set("lang", "zh_CN")
    assert f"该项目由{home.name}的工作人员负责。" in client.get(f"/projects/{need.id}").text


def test_the_streets_admin_gets_the_need_links(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, make_grid(session), title="楼道扶手更换")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    page = client.get(f"/projects/{need.id}").text
    assert _links(page, need.id or 0) == (True, True)
