"""A volunteer who has just registered is told what to do next, with the way there.

Found walking the demo: registering as a volunteer landed on the profile just filled in with "Welcome! You
are registered as a volunteer." and no word about shifts; the only link on the page was "See my hours".
"""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.busy_street import volunteer_profile
from tests.security_helpers import make_grid, sign_in_as


def _banner(page: str) -> str:
    found = re.search(r'<div class="banner banner-notice" role="status">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def test_the_welcome_leads_to_the_recommended_shifts_and_the_board(client: TestClient[Any], session: Session) -> None:
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    volunteer_profile(session, volunteer, make_grid(session))
    session.commit()

    client.cookies.set("lang", "en")
    welcome = _banner(client.get("/volunteer/profile?registered=1").text)
    assert "Welcome! You are registered as a volunteer." in welcome
    assert "Next: sign up for a shift that suits you." in welcome
    assert 'href="/recommended"' in welcome and 'href="/"' in welcome
    assert client.get("/recommended").status_code == 200

    client.cookies.set("lang", "zh_CN")
    assert "下一步：报名参加适合您的班次。" in _banner(client.get("/volunteer/profile?registered=1").text)


def test_a_saved_profile_says_only_that_it_is_saved(client: TestClient[Any], session: Session) -> None:
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    volunteer_profile(session, volunteer, make_grid(session))
    session.commit()
    client.cookies.set("lang", "en")
    for path in ("/volunteer/profile?saved=1", "/volunteer/profile?registered=1&saved=1"):
        banner = _banner(client.get(path).text)
        assert "Your profile is saved." in banner and "Next:" not in banner, path
    assert _banner(client.get("/volunteer/profile").text) == ""
