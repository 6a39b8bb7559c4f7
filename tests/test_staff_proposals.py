"""Staff propose from a need's recommendations (page and API): the proposal is what a round would write,
the candidate accepts or declines, an admin approves; the list's place and explored slot are kept, and an
explored list is logged as shown so training can tell how much the place sways the proposer."""

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import ResourceLine, Shift
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer, OfferGrid
from marketplace.recommend import impressions, services, training
from marketplace.recommend.models import ShownList
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from marketplace.vocabulary import Category
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import matches_factories as mf
from tests.factories import make_offer
from tests.security_helpers import make_grid, make_org, make_user, post_form, reading, sign_in_as
from tests.test_recommendations_api import _need_with_shift, _volunteer


def _matches(session: Session) -> list[Match]:
    with reading(session) as db:
        return list(db.execute(sa.select(Match).order_by(Match.id)).scalars())


def _line_world(session: Session) -> tuple[Any, ResourceLine, Offer, Offer, Any]:
    """A renovation project needing 800 m² of bricks, an organization's fitting offer (300 left) and a lamp."""
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.RENOVATION, title="透水铺装改造")
    line = mf.line(session, need, "800")
    organization = make_org(session, name="绿帆建材")
    fitting = make_offer(session, organization, title="透水砖", remaining_quantity=Decimal("300"))
    lamps = make_offer(session, organization, title="LED路灯", unit="盏", category=Category.RENOVATION)
    session.add(OfferGrid(offer_id=fitting.id or 0, grid_id=grid.id or 0))
    partner = make_user(session, Role.PARTNER, organization_id=organization.id)
    session.commit()
    return need, line, fitting, lamps, partner


def test_staff_propose_an_offer_from_the_page_the_partner_accepts_and_an_admin_approves(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    services.forget()
    need, line, fitting, _, partner = _line_world(session)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}/recommendations?kind=offers")
    assert page.status_code == 200 and "Propose this offer" in page.text
    ranks = dict(
        re.findall(
            r'name="candidate_id" value="(\d+)">\s*<input type="hidden" name="shown_rank" value="(\d+)"', page.text
        )
    )
    sent = post_form(
        client,
        settings,
        f"/needs/{need.id}/recommendations/propose",
        {
            "kind": "offers",
            "part_id": str(line.id),
            "candidate_id": str(fitting.id),
            "shown_rank": ranks[str(fitting.id)],
        },
    )
    assert sent.status_code == 303 and "proposed=" in sent.headers["location"], sent.text
    [match] = _matches(session)
    assert (match.source, match.status, match.kind) == (MatchSource.STAFF, MatchStatus.PROPOSED, MatchKind.OFFER_LINE)
    # What the line still needs, up to what the offer has left; the place it was shown at.
    assert match.quantity == Decimal("300.00") and match.shown_rank == int(ranks[str(fitting.id)])
    assert match.organization_id == fitting.organization_id and match.explored is False
    again = post_form(
        client,
        settings,
        f"/needs/{need.id}/recommendations/propose",
        {"kind": "offers", "part_id": str(line.id), "candidate_id": str(fitting.id)},
    )
    assert again.status_code == 409 and "already has a live proposal" in again.text
    after = client.get(sent.headers["location"])
    assert "Proposed. The candidate is asked to accept" in after.text
    assert "Already proposed, claimed or signed up" in after.text
    with reading(session) as db:
        assert db.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == match.id)).scalars().all() == [
            "match.propose"
        ]
        told = db.execute(sa.select(Notification).where(Notification.user_id == partner.id)).scalars().all()
        assert [n.kind for n in told] == ["proposal_offered"]

    # The admin cannot approve before the partner accepts; once accepted, approval takes the quantities.
    client.cookies.clear()  # tokens from here on
    admin = mf.admin(session)
    early = client.post(f"/api/v1/matches/{match.id}/decision", headers=admin.headers, json={"decision": "approve"})
    assert early.status_code == 409
    person = mf.with_token(session, partner)
    assert client.post(f"/api/v1/proposals/{match.id}/accept", headers=person.headers).status_code == 200
    approved = client.post(f"/api/v1/matches/{match.id}/decision", headers=admin.headers, json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    with reading(session) as db:
        assert db.get(ResourceLine, line.id).still_needed == Decimal("500.00")  # type: ignore[union-attr]
        assert db.get(Offer, fitting.id).remaining_quantity == Decimal("0.00")  # type: ignore[union-attr]


def test_the_api_refuses_what_the_domain_refuses_naming_the_field(client: TestClient[Any], session: Session) -> None:
    services.forget()
    need, line, fitting, lamps, _ = _line_world(session)
    other = mf.project(session, title="另一个项目")
    admin = mf.admin(session)
    url = f"/api/v1/needs/{need.id}/proposals"

    def post(body: dict[str, Any], headers: dict[str, str] = admin.headers) -> Any:
        return client.post(url, json={"kind": "offers", "part_id": line.id} | body, headers=headers)

    lamp = post({"candidate_id": lamps.id})
    assert lamp.status_code == 400 and lamp.json()["extra"][0]["key"] == "candidate_id"
    assert "盏" in lamp.json()["extra"][0]["message"] or "unit" in lamp.json()["extra"][0]["message"]
    foreign_line = mf.line(session, other, "5")
    wrong_part = post({"part_id": foreign_line.id, "candidate_id": fitting.id})
    assert wrong_part.status_code == 400 and wrong_part.json()["extra"][0]["key"] == "part_id"
    assert post({"candidate_id": 2**31}).status_code == 400
    assert post({"kind": "bricks", "candidate_id": fitting.id}).status_code == 400
    first = post({"candidate_id": fitting.id, "shown_rank": 1})
    assert first.status_code == 201 and first.json()["source"] == "staff" and first.json()["answer"] == "awaiting"
    again = post({"candidate_id": fitting.id})
    assert again.status_code == 409 and again.json()["extra"]["code"] == "already_live"
    read_only = mf.with_token(session, make_user(session, Role.ADMIN))
    from marketplace.admin.tokens import create_api_token

    secret, _ = create_api_token(
        session, user_id=read_only.user.id or 0, name="ro", scopes=["needs:read"], created_by_id=None
    )
    session.commit()
    assert post({"candidate_id": fitting.id}, {"Authorization": f"Bearer {secret}"}).status_code == 403
    assert len(_matches(session)) == 1  # nothing half-written by the refusals


def test_a_volunteer_proposal_holds_the_place_and_is_declined_by_the_volunteer(
    client: TestClient[Any], session: Session
) -> None:
    services.forget()
    need, skill, grid = _need_with_shift(session)
    profile_id = _volunteer(session, grid, "王急救", [skill])
    with reading(session) as db:
        shift_id = db.execute(sa.select(Shift.id).where(Shift.need_id == need.id)).scalar_one()
    admin = mf.admin(session)
    body = {"kind": "volunteers", "part_id": shift_id, "candidate_id": profile_id, "shown_rank": 1}
    made = client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=admin.headers)
    assert made.status_code == 201, made.text
    with reading(session) as db:
        [signup] = db.execute(sa.select(ShiftSignup)).scalars().all()
        assert (signup.status, signup.match_id) == (SignupStatus.PENDING, made.json()["id"])
    twice = client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=admin.headers)
    assert twice.status_code == 409
    with reading(session) as db:
        user = db.get(User, db.get(VolunteerProfile, profile_id).user_id)  # type: ignore[union-attr]
    volunteer = mf.with_token(session, user)
    declined = client.post(
        f"/api/v1/proposals/{made.json()['id']}/decline", headers=volunteer.headers, json={"reason": "出差"}
    )
    assert declined.status_code == 200, declined.text
    [match] = _matches(session)
    assert match.status is MatchStatus.CANCELLED


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Exploration on for the whole module (0.5, the most allowed); the lists of the other tests are too short
    to have anyone below them, so they are never explored."""
    return replace(settings, match_exploration=0.5)


def test_an_explored_list_is_logged_as_shown_and_a_proposal_from_its_slot_counts_for_training(
    client: TestClient[Any], session: Session
) -> None:
    services.forget()
    need, skill, grid = _need_with_shift(session)
    _volunteer(session, grid, "王急救", [skill])
    for i in range(4):
        _volunteer(session, grid, f"志愿者{i}", [])
    boss = make_user(session, Role.ADMIN)
    secret, _ = create_api_token(
        session, user_id=boss.id or 0, name="t", scopes=["needs:read", "matches:write"], created_by_id=None
    )
    session.commit()
    admin = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/needs/{need.id}/recommendations"
    lists = [client.get(url, params={"kind": "volunteers", "k": 1}, headers=admin).json() for _ in range(30)]
    explored = [body["parts"][0] for body in lists if body["parts"][0]["candidates"][0]["explored"]]
    assert explored and len(explored) < 30
    with reading(session) as db:
        logged = db.execute(sa.select(ShownList).order_by(ShownList.id)).scalars().all()
    # Every explored list and nothing else, as shown: its candidates, the slot and who was in it.
    assert len(logged) == len(explored)
    assert [row.explored_candidate_id for row in logged] == [part["candidates"][0]["id"] for part in explored]
    assert {(row.kind, row.part_id, row.explored_slot, row.scorer) for row in logged} == {
        ("volunteers", explored[0]["part_id"], 0, "default")
    }
    with reading(session) as db:
        ranks, chosen = impressions.explored_outcomes(db, "volunteers")
    assert ranks == [1] * len(logged) and not any(chosen)

    picked = explored[0]["candidates"][0]
    body = {"kind": "volunteers", "part_id": explored[0]["part_id"], "candidate_id": picked["id"]}
    made = client.post(
        f"/api/v1/needs/{need.id}/proposals", json=body | {"shown_rank": 1, "explored": True}, headers=admin
    )
    assert made.status_code == 201 and made.json()["explored"] is True
    with reading(session) as db:
        assert db.get(Match, made.json()["id"]).explored is True  # type: ignore[union-attr]
        ranks, chosen = impressions.explored_outcomes(db, "volunteers")
    assert sum(chosen) == sum(1 for row in logged if row.explored_candidate_id == picked["id"])


def test_training_estimates_the_places_pull_from_the_impression_log(session: Session) -> None:
    """Explored candidates proposed half as often at place 2 as at place 1, a third as often at 3: eta near 1."""
    need, _, grid = _need_with_shift(session)
    with reading(session) as db:
        shift_id = db.execute(sa.select(Shift.id).where(Shift.need_id == need.id)).scalar_one()
    chosen_at = {1: 6, 2: 3, 3: 2}  # of 12 shown at each place
    for place, proposed in chosen_at.items():
        for i in range(12):
            person = _volunteer(session, grid, f"志愿者{place}-{i}", [])
            session.add(
                ShownList(
                    kind="volunteers",
                    need_id=need.id or 0,
                    part_id=shift_id,
                    candidate_ids=[person, person + 1, person + 2],
                    explored_slot=place - 1,
                    explored_candidate_id=person,
                    scorer="default",
                )
            )
            if i < proposed:
                session.add(
                    Match(
                        need_id=need.id or 0,
                        kind=MatchKind.VOLUNTEER_SHIFT,
                        source=MatchSource.STAFF,
                        shift_id=shift_id,
                        volunteer_id=person,
                        explored=True,
                        shown_rank=place,
                    )
                )
            session.commit()
    eta, said = training.position_eta(session, "volunteers", minimum=30)
    assert "explored lists shown" in said and 0.7 <= eta <= 1.3, said
    eta, said = training.position_eta(session, "volunteers", minimum=37)
    assert eta == 1.0 and "36 explored lists logged" in said
