"""The review's "decide today" (its filter, its count, its badge, its place first in the order) holds only items the
admin can decide now: a round's or staff's proposal still awaiting its candidate's answer cannot be approved, so it
is not "to decide today" however urgent its need (a newcomer found the filter full of items saying 对方尚未接受该推荐).
Once the candidate accepts, it is."""

from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from tests import matches_factories as mf
from tests.busy_street import volunteer_profile
from tests.security_helpers import make_grid, post_form, sign_in_as


def test_a_proposal_awaiting_its_answer_is_not_to_decide_today(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, urgency=Urgency.CRITICAL, title="独居老人探访")
    signed = mf.shift(session, need, starts_in_hours=24 * 3, requires_approval=True)
    proposed = mf.shift(session, need, starts_in_hours=24 * 5)
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    profile = volunteer_profile(session, volunteer, grid)
    session.commit()
    assert post_form(client, settings, f"/shifts/{signed.id}/sign-up").status_code == 303
    awaiting = Match(
        need_id=need.id,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.MATCHING_ROUND,
        shift_id=proposed.id,
        volunteer_id=profile.id,
        status=MatchStatus.PROPOSED,
        score=0.8,
    )
    session.add(awaiting)
    session.commit()
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)

    listed = client.get("/api/v1/review").json()
    assert {item["id"] for item in listed["items"]} >= {awaiting.id}
    due = client.get("/api/v1/review?due=today").json()
    ids = {item["id"] for item in due["items"]}
    assert awaiting.id not in ids and len(ids) == 1, due
    assert listed["counts"]["due_today"] == 1
    client.cookies.set("lang", "en")
    page = client.get("/review?due=today").text
    assert f'id="item-{awaiting.id}"' not in page and "独居老人探访" in page

    # Accepted, it can be decided: it is to decide today.
    awaiting.accepted_at = datetime.now(UTC)
    session.add(awaiting)
    session.commit()
    due = client.get("/api/v1/review?due=today").json()
    assert awaiting.id in {item["id"] for item in due["items"]}
