"""Fourth probe: a name or a title may not carry the characters that turn the text after them around.

Before: a volunteer's display name ending in U+202E (RIGHT-TO-LEFT OVERRIDE) was saved, and their service
certificate's page read 时小 92 for 29 小时 and 月21年6202 for the dates, in their name and the street's;
a need titled "\u202eredro gnivom" showed as "moving order" to every reviewer. The embeddings, overrides
and isolates (U+202A-U+202E, U+2066-U+2069) are refused like other control characters, naming the field;
the marks U+200E/U+200F stay allowed.
"""

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.needs.models import Need
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import fetch, make_grid, make_user, post_form, sign_in_as

DIRECTION_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("control", DIRECTION_CONTROLS)
def test_a_display_name_with_a_direction_control_is_refused(
    client: TestClient[Litestar], session: Session, settings: Settings, control: str
) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER, display_name="刘志强")
    answer = post_form(client, settings, "/account", {"display_name": f"刘志强{control}长长"})
    assert answer.status_code == 400
    assert "控制字符" in answer.text  # 不能包含控制字符 ("Must not contain control characters.")
    assert fetch(session, User, user.id).display_name == "刘志强"


def test_a_need_title_or_contact_with_a_direction_control_is_refused_naming_the_field(
    client: TestClient[Litestar], session: Session
) -> None:
    grid = make_grid(session)
    staff = make_user(session, Role.STAFF, grid_ids=[grid.id])
    assert staff.id is not None
    secret, _row = create_api_token(
        session, user_id=staff.id, name="hotline", scopes=["needs:write"], created_by_id=None
    )
    session.commit()
    body = {"category": "renovation", "channel": "door_visit", "grid_id": grid.id}
    headers = {"Authorization": f"Bearer {secret}"}
    for field, value in (("title", "\u202eredro gnivom"), ("beneficiary_name", "\u2067王小明")):
        sent = {"title": "楼道灯坏了", **body, field: value}
        answer = client.post("/api/v1/needs", json=sent, headers=headers)
        assert answer.status_code == 400, answer.text
        assert [problem["key"] for problem in answer.json()["extra"]] == [field]
    # A right-to-left mark (no override) is ordinary text and still accepted.
    accepted = client.post("/api/v1/needs", json={"title": "楼道灯\u200f坏了", **body}, headers=headers)
    assert accepted.status_code == 201, accepted.text
    assert fetch(session, Need, accepted.json()["id"]).title == "楼道灯\u200f坏了"
