"""Chinese pages put their brackets and colons in Chinese: the sentence around a value is translated whole.

Found on the second newcomer's walk: the take-part page listed a partner's offer as "再生透水砖 (剩余 3,200 m²)",
and the need's escalation form read "下一级: 网格", each an English bracket or colon glued to translated words.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, sign_in_as


def test_the_take_part_page_names_an_offer_and_what_is_left_in_chinese(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="楼道照明")
    mf.line(session, need, "10")
    keeper = mf.partner(session)
    offer = mf.offer_of(session, keeper.user, "100", title="再生透水砖")
    assert login(client, keeper.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/projects/{need.id}/take-part").text
    assert f'<option value="{offer.id}"' in page
    assert ">再生透水砖（剩余100" in page
    assert "再生透水砖 (" not in page


def test_the_escalation_form_names_the_next_level_with_a_chinese_colon(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="楼道照明")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{need.id}").text
    assert "下一级：" in page
    assert "下一级:" not in page
