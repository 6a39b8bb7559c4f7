"""A need's staff page leads to where its resource lines and shifts are added.

Found walking the demo as staff triaging a resident's report: the need's page said "No resource lines." and
"No volunteer shifts." with no way on; lines and shifts are added on the edit form, reached only through the
"Edit" button at the top. Each section now links to its part of that form; a finished need has neither link.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedStatus
from tests import matches_factories as mf
from tests.security_helpers import make_grid, sign_in_as


def test_the_sections_link_to_the_rows_of_the_edit_form(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, status=NeedStatus.SUBMITTED, title="楼道灯不亮")
    sign_in_as(client, session, Role.STAFF, grid_ids=[grid.id])

    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    assert f'<a href="/needs/{need.id}/edit#new-lines">Add resource lines</a>' in page
    assert f'<a href="/needs/{need.id}/edit#new-shifts">Add volunteer shifts</a>' in page
    form = client.get(f"/needs/{need.id}/edit").text
    assert 'id="new-lines"' in form and 'id="new-shifts"' in form

    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{need.id}").text
    assert ">添加资源项</a>" in page and ">添加志愿服务班次</a>" in page


def test_a_finished_need_offers_no_rows_to_add(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, status=NeedStatus.CANCELLED, title="楼道灯不亮")
    sign_in_as(client, session, Role.STAFF, grid_ids=[grid.id])
    page = client.get(f"/needs/{need.id}").text
    assert f"/needs/{need.id}/edit" not in page
