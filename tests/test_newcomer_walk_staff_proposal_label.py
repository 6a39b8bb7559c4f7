"""A need's staff page says who proposed a volunteer who has not answered yet: the staff, or a matching round.

Found walking the demo as staff: after "Propose this volunteer" on the need's recommendations, the need's page
listed the volunteer as "Proposed by a matching round, awaiting the volunteer's answer"; no round had run,
the staff member had proposed them a minute before.
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchSource
from marketplace.needs.models import Shift
from marketplace.recommend import services
from tests import matches_factories as mf
from tests.security_helpers import reading, sign_in_as
from tests.test_recommendations_api import _need_with_shift, _volunteer


def test_a_staff_proposal_is_not_called_a_rounds(client: TestClient[Any], session: Session) -> None:
    services.forget()
    need, skill, grid = _need_with_shift(session)
    profile_id = _volunteer(session, grid, "王急救", [skill])
    with reading(session) as db:
        shift_id = db.execute(sa.select(Shift.id).where(Shift.need_id == need.id)).scalar_one()
    body = {"kind": "volunteers", "part_id": shift_id, "candidate_id": profile_id, "shown_rank": 1}
    made = client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=mf.admin(session).headers)
    assert made.status_code == 201, made.text

    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    assert "王急救 · Proposed by the street's staff, awaiting the volunteer's answer" in page
    assert "Proposed by a matching round" not in page
    client.cookies.set("lang", "zh_CN")
    assert "王急救 · 街道工作人员推荐，等待志愿者答复" in client.get(f"/needs/{need.id}").text

    # The same proposal made by a round says so.
    session.execute(sa.update(Match).where(Match.id == made.json()["id"]).values(source=MatchSource.MATCHING_ROUND))
    session.commit()
    assert "王急救 · 由一轮匹配推荐，等待志愿者答复" in client.get(f"/needs/{need.id}").text
