"""A need whose grid the resident was not sure of says so where its grid is shown, and does not pick a grid for
the staff who set it.

Found on the second newcomer's walk: the need's page listed the stand-in grid ("湖岛社区第1网格") as the need's
grid, like any other, and the form to set the grid came with that stand-in already chosen, so "Set the grid"
confirmed a grid nobody had chosen. The grid now reads "To be confirmed (waiting under …)", linked to the form,
and the form opens on "Choose a grid".
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need
from marketplace.settings import Settings
from tests.security_helpers import make_community, make_grid, post_form, reading, sign_in_as


def _reported_not_sure(client: TestClient[Any], session: Session, settings: Settings, choice: str) -> Need:
    report = {
        "title": "楼道灯不亮",
        "category": "travel_safety",
        "grid_id": choice,
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
        "beneficiary_address": "3号楼2单元101",
    }
    assert post_form(client, settings, "/submit", report).status_code == 303
    with reading(session) as fresh:
        [need] = fresh.execute(sa.select(Need)).scalars().all()
        return need


def _grid_fact(page: str) -> str:
    start = page.index("<dt>网格</dt>")
    return page[start : page.index("</dd>", start)]


def test_the_need_page_says_the_grid_is_to_be_confirmed_and_chooses_none(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    community = make_community(session)
    stand_in = make_grid(session, community)
    make_grid(session, community)
    session.commit()
    need = _reported_not_sure(client, session, settings, f"community-{community.id}")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{need.id}").text
    fact = _grid_fact(page)
    assert '<a href="#grid">待确定</a>' in fact
    assert f"待确定</a>（暂挂在{stand_in.name}下）" in fact  # full-width brackets in Chinese
    form = page[page.index('id="grid-grid_id"') : page.index("</select>", page.index('id="grid-grid_id"'))]
    assert " selected" not in form


def test_a_need_with_its_grid_set_shows_the_grid_plainly(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session, make_community(session))
    session.commit()
    need = _reported_not_sure(client, session, settings, str(grid.id))
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    fact = _grid_fact(client.get(f"/needs/{need.id}").text)
    assert "待确定" not in fact and grid.name in fact
