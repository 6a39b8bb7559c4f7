"""The volunteer form asks once whether one is a party member: the "I am a member of the Communist Party of
China" tick, beside an "I am a" group of resident, veteran or youth (a veteran may be a member too). A
newcomer found the group offering 党员 as well, a second way to say the same thing that was refused unless the
tick agreed. A profile already in the party-member group still sees it chosen on its profile page."""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
from tests.orgs_helpers import make_places
from tests.security_helpers import sign_in_as


def _options(page: str) -> list[str]:
    select = re.search(r'<select id="f-segment".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([a-z_]+)"', select.group(0))


def test_registration_asks_party_membership_by_the_tick_only(client: TestClient[Any], session: Session) -> None:
    make_places(session)
    session.commit()
    page = client.get("/register/volunteer")
    assert page.status_code == 200
    assert _options(page.text) == ["resident", "veteran", "youth"]
    assert 'name="is_party_member"' in page.text


def test_a_profile_in_the_party_member_group_keeps_it(client: TestClient[Any], session: Session) -> None:
    _s, _c, grids = make_places(session)
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    session.add(
        VolunteerProfile(
            user_id=volunteer.id,  # type: ignore[arg-type]
            home_grid_id=grids[0].id,  # type: ignore[arg-type]
            segment=VolunteerSegment.PARTY_MEMBER,
            is_party_member=True,
        )
    )
    session.commit()
    page = client.get("/volunteer/profile")
    assert page.status_code == 200
    assert _options(page.text) == ["resident", "party_member", "veteran", "youth"]
    assert re.search(r'<option value="party_member" selected>', page.text)
