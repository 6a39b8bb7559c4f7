"""Sixth probe: a volunteer whose account is disabled (or erased) is recommended nowhere.

Found on the live demo: after ``marketplace user disable vol000092`` the staff recommendations of need 1 (page and
``GET /api/v1/needs/1/recommendations?kind=volunteers``) still ranked 李欢 first, and a staff member proposed them
(201). Rounds already left disabled accounts out; the recommendation index read every profile, and its signature
(the profiles' and sign-ups' max ids) did not see an account being disabled. Now ``volunteer_records`` reads only
volunteers whose account is active (training alone reads them all, for past decisions) and the signature of the
volunteers' index changes when an account is disabled or enabled, however large the street.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.recommend import services
from marketplace.security.tokens import create_api_token
from marketplace.volunteers.models import VolunteerProfile
from tests.security_helpers import make_user, sign_in_as
from tests.test_recommendations_api import _need_with_shift, _volunteer


def _headers(session: Session) -> dict[str, str]:
    admin = make_user(session, Role.ADMIN)
    secret, _ = create_api_token(
        session, user_id=admin.id or 0, name="probe", scopes=["needs:read"], created_by_id=None
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _ranked(client: TestClient[Any], headers: dict[str, str], need_id: int) -> set[int]:
    answer = client.get(f"/api/v1/needs/{need_id}/recommendations?kind=volunteers", headers=headers)
    assert answer.status_code == 200, answer.text
    return {candidate["id"] for part in answer.json()["parts"] for candidate in part["candidates"]}


def _set_active(session: Session, profile_id: int, active: bool) -> None:
    user_id = session.execute(sa.select(VolunteerProfile.user_id).where(VolunteerProfile.id == profile_id)).scalar_one()
    session.execute(sa.update(User).where(User.id == user_id).values(is_active=active))  # type: ignore[arg-type]
    session.commit()


@pytest.mark.parametrize("large", [False, True])
def test_a_disabled_volunteer_leaves_the_page_and_the_api_at_once(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    if large:  # a street whose index is rebuilt in the background: a change of account is not waited out
        monkeypatch.setattr(services, "SYNC_LIMIT", 1)
        monkeypatch.setattr(services, "REBUILD_INTERVAL", 3600.0)
    services.forget()
    need, skill, grid = _need_with_shift(session)
    profile_id = _volunteer(session, grid, "李欢", [skill])
    headers = _headers(session)
    assert profile_id in _ranked(client, headers, need.id or 0)

    _set_active(session, profile_id, False)
    assert profile_id not in _ranked(client, headers, need.id or 0)
    sign_in_as(client, session, Role.ADMIN)
    page = client.get(f"/needs/{need.id}/recommendations?kind=volunteers")
    assert page.status_code == 200 and "李欢" not in page.text
    client.cookies.clear()

    _set_active(session, profile_id, True)
    assert profile_id in _ranked(client, headers, need.id or 0)
