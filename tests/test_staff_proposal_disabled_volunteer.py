"""A volunteer whose account is disabled or erased cannot be proposed by id either.

The sixth probe took disabled accounts out of every recommendation list, yet ``POST
/api/v1/needs/{id}/proposals`` still proposed such a volunteer when given their id (201): the street then
waited on somebody who cannot sign in to answer. Now it is a 400 naming ``candidate_id`` with the code
``volunteer_not_active``, in the reader's language, and nothing is written.
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.matches.models import Match
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile
from tests import matches_factories as mf
from tests.test_recommendations_api import _need_with_shift, _volunteer


def _set_active(session: Session, profile_id: int, active: bool) -> None:
    user_id = session.execute(sa.select(VolunteerProfile.user_id).where(VolunteerProfile.id == profile_id)).scalar_one()
    session.execute(sa.update(User).where(User.id == user_id).values(is_active=active))  # type: ignore[arg-type]
    session.commit()


def test_a_disabled_volunteer_is_refused_by_id_and_nothing_is_written(
    client: TestClient[Any], session: Session
) -> None:
    need, skill, grid = _need_with_shift(session)
    profile_id = _volunteer(session, grid, "李欢", [skill])
    shift_id = session.execute(sa.text("select id from shift where need_id = :n"), {"n": need.id}).scalar_one()
    _set_active(session, profile_id, False)
    admin = mf.admin(session).headers
    body = {"kind": "volunteers", "part_id": shift_id, "candidate_id": profile_id}
    url = f"/api/v1/needs/{need.id}/proposals"

    for language, said in (("zh-CN", "该志愿者的账号已停用"), ("en", "account is disabled")):
        answer = client.post(url, json=body, headers=admin | {"Accept-Language": language})
        assert answer.status_code == 400, answer.text
        [problem] = answer.json()["extra"]
        assert problem["key"] == "candidate_id" and problem["code"] == "volunteer_not_active"
        assert said in problem["message"]
    assert session.execute(sa.select(sa.func.count()).select_from(Match)).scalar_one() == 0
    assert session.execute(sa.select(sa.func.count()).select_from(ShiftSignup)).scalar_one() == 0

    _set_active(session, profile_id, True)
    assert client.post(url, json=body, headers=admin).status_code == 201
