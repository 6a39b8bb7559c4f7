"""A number outside its range is refused with the range it crossed, not "Choose a valid value.".

Found walking the demo as a volunteer: typing -3 as "At most hours per week" on the profile answered
"Choose a valid value." under a number field, which says neither what is wrong nor what to type.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from pydantic import BaseModel, Field
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.forms import validate
from marketplace.i18n import current_locale
from tests.busy_street import volunteer_profile
from tests.security_helpers import make_grid, post_form, sign_in_as


def _profile_form(session: Session, grid_id: int, hours: str) -> dict[str, Any]:
    return {
        "display_name": "刘志强",
        "phone": "13800138000",
        "home_grid_id": str(grid_id),
        "segment": "resident",
        "weekly_hour_cap": hours,
    }


@pytest.mark.parametrize(
    ("hours", "english", "chinese"),
    [
        ("-3", "Enter a number of at least 1.", "请输入不小于1的数。"),
        ("100", "Enter a number of at most 80.", "请输入不大于80的数。"),
    ],
)
def test_weekly_hours_out_of_range_name_the_bound(
    client: TestClient[Any], session: Session, settings: Any, hours: str, english: str, chinese: str
) -> None:
    grid = make_grid(session)
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    volunteer_profile(session, volunteer, grid)
    session.commit()
    for language, expected in (("en", english), ("zh_CN", chinese)):
        client.cookies.set("lang", language)
        page = post_form(client, settings, "/volunteer/profile", _profile_form(session, grid.id or 0, hours))
        assert page.status_code == 400, page.status_code
        assert expected in page.text, language
        assert "Choose a valid value." not in page.text and "请选择有效的值。" not in page.text


class _Bounded(BaseModel):
    above: int = Field(default=1, gt=0)
    below: int = Field(default=1, lt=10)


def test_strict_bounds_are_named_too() -> None:
    _, errors = validate(_Bounded, {"above": "0", "below": "10"})  # Chinese, the default language
    assert errors == {"above": "请输入大于0的数。", "below": "请输入小于10的数。"}
    token = current_locale.set("en")
    try:
        _, errors = validate(_Bounded, {"above": "0", "below": "10"})
    finally:
        current_locale.reset(token)
    assert errors == {"above": "Enter a number greater than 0.", "below": "Enter a number less than 10."}


def test_a_choice_outside_the_list_still_asks_for_a_valid_value() -> None:
    class Choice(BaseModel):
        grid_id: int

    _, errors = validate(Choice, {"grid_id": "north"})
    assert errors == {"grid_id": "请选择有效的值。"}
