"""A volunteer checked in before the shift starts reads when check-out opens as one Chinese paragraph.

Found walking the demo: checking in half an hour early showed
“已于 10:35 签到。 可于12月7日周一 11:00（班次开始时）签退。”, an English space between the two Chinese sentences
(the template's line break). English keeps its one space.
"""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, reading


def _hint(page: str) -> str:
    found = re.search(r'<p class="hint">([^<]*?(?:签到|Checked in)[^<]*)</p>', page)
    assert found, "the checked-in hint is on the page"
    return found.group(1)


def test_the_checked_in_hint_has_no_space_between_chinese_sentences(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), starts_in_hours=0.5)  # check-in is open, check-out not yet
    person, _ = mf.volunteer(session, grid)
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "zh_CN")
    post_form(client, settings, f"/shifts/{shift.id}/sign-up")
    with reading(session) as fresh:
        signup = fresh.exec(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id)).one()
    assert post_form(client, settings, f"/signups/{signup.id}/check-in").status_code == 303

    chinese = _hint(client.get("/signups").text)
    assert "签到。可于" in chinese, chinese
    assert not re.search(r"[\u3002\uff0c]\s", chinese), chinese

    client.cookies.set("lang", "en")
    english = _hint(client.get("/signups").text)
    assert re.search(r"Checked in at [^.]+\. You can check out from ", english), english
