"""The public report form asks the resident to choose their community and grid; "not sure" is a choice, not the
default.

Found on the second newcomer's walk: the grid select opened on "Not sure: the street's staff find it from my
address", so a resident who skipped the field was filed as unsure and then told their address was required,
though they had said nothing about their grid. The select now opens on a neutral "Choose a community" (choose_one,
like every form's first option): leaving it asks for a choice (naming "Not sure" as the way out), and "Not sure"
files the report under the street for its staff to place, as before.
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import GridToConfirm, Need
from marketplace.settings import Settings
from tests.security_helpers import make_community, make_grid, post_form, reading


def _report(grid_choice: str, **fields: str) -> dict[str, str]:
    values = {
        "title": "楼道灯不亮",
        "category": "travel_safety",
        "grid_id": grid_choice,
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
        "beneficiary_address": "",
    }
    return values | fields


def _needs(session: Session) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need)).scalars().all())


def test_the_grid_select_opens_on_a_neutral_choice_before_not_sure(client: TestClient[Any], session: Session) -> None:
    make_grid(session, make_community(session))
    session.commit()
    client.cookies.set("lang", "zh_CN")
    page = client.get("/submit").text
    select = page[page.index('name="grid_id"') : page.index("</select>", page.index('name="grid_id"'))]
    options = select.split("<option")[1:]
    assert options[0].startswith(' value="">请选择社区</option>')  # choose_one("community")
    assert options[1].startswith(' value="not-sure">不确定')
    assert " selected" not in select  # nothing chosen for the resident


def test_leaving_the_grid_unchosen_asks_for_a_choice_not_for_the_address(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session, make_community(session))
    session.commit()
    client.cookies.set("lang", "en")
    response = post_form(client, settings, "/submit", _report(""))
    assert response.status_code == 400
    assert 'id="grid_id-error"' in response.text
    assert "if you do not know them, choose “Not sure”" in response.text
    assert 'id="beneficiary_address-error"' not in response.text  # they said nothing about being unsure
    assert _needs(session) == []


def test_not_sure_is_kept_when_the_form_comes_back_and_still_files_under_the_street(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session, make_community(session))
    session.commit()
    client.cookies.set("lang", "zh_CN")
    response = post_form(client, settings, "/submit", _report("not-sure"))
    assert response.status_code == 400  # not sure: the address is needed
    assert '<option value="not-sure" selected>' in response.text
    assert "请选择您所在的社区和网格" not in response.text
    sent = post_form(client, settings, "/submit", _report("not-sure", beneficiary_address="3号楼2单元101"))
    assert sent.status_code == 303, sent.text[:500]
    [need] = _needs(session)
    assert need.grid_to_confirm is GridToConfirm.STREET
