"""Fifth probe: a refused /account post shows what was typed, not the stored values.

Before: changing one's display name and typing a wrong e-mail address answered 400 naming the e-mail, but the
form showed the stored name and e-mail again, so the new name was lost and the wrong address was not there to
correct (the fourth probe noticed it with a refused name). Now every field shows what was posted.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.settings import Settings
from tests.security_helpers import fetch, post_form, sign_in_as


def test_a_refused_profile_keeps_what_was_typed(client: TestClient[Any], session: Session, settings: Settings) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER, display_name="刘志强", email="liu@example.com")
    client.cookies.set("lang", "zh_CN")
    typed = {"display_name": "刘志强（湖岛）", "phone": "", "email": "liu-at-example", "preferred_locale": "en"}
    answer = post_form(client, settings, "/account", typed)
    assert answer.status_code == 400
    assert 'value="刘志强（湖岛）"' in answer.text
    assert 'value="liu-at-example"' in answer.text
    assert 'value="liu@example.com"' not in answer.text
    assert '<option value="en" selected>' in answer.text
    stored = fetch(session, User, user.id)
    assert (stored.display_name, stored.email) == ("刘志强", "liu@example.com")
    # Opened again, the page shows the stored values.
    page = client.get("/account").text
    assert 'value="刘志强"' in page and 'value="liu@example.com"' in page
