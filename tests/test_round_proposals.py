"""A matching round's proposals are offers to the volunteer or partner, not their acts: they are notified,
see them as proposals (never as their own sign-ups or claims), accept or decline them once, and an admin
approves a proposal only after its candidate accepted it."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs import participation
from marketplace.needs.models import Need, ResourceLine, Shift, ShiftSkill
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer, OfferGrid
from marketplace.recommend import services as recommend_service
from marketplace.rounds import services as rounds_service
from marketplace.rounds import worker
from marketplace.rounds.models import RoundMethod
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)
from marketplace.volunteers.services import hours_summary
from tests import matches_factories as mf
from tests.factories import make_offer
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.matches_factories import Person
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_events,
    fetch,
    login,
    make_grid,
    make_org,
    make_user,
    post_form,
    reading,
)
from tests.test_concurrency import _figures, _fire

TITLE = "老旧小区改造"


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    recommend_service.forget()  # each test's database may reuse the previous one's address and ids
    yield
    worker.wait(timeout=60)
    recommend_service.forget()


@dataclass
class Street:
    need: Need
    line: ResourceLine
    shift: Shift
    offers: tuple[Offer, Offer]
    partner: Person
    volunteers: dict[int, Person]  # profile id → the volunteer with an API token
    admin: Person


def _volunteer(session: Session, grid_id: int, name: str, skill: Skill) -> tuple[int, Person]:
    user = make_user(session, Role.VOLUNTEER, display_name=name)
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid_id, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    session.add(VolunteerSkill(volunteer_id=profile.id or 0, skill_id=skill.id or 0))
    session.add_all(
        [AvailabilitySlot(volunteer_id=profile.id or 0, weekday=d, start_minute=0, end_minute=1440) for d in range(7)]
    )
    session.commit()
    return profile.id or 0, mf.with_token(session, user)


def _street(session: Session) -> Street:
    """A published need with a 5,000 m² line and a two-place shift; a partner's two brick offers; three volunteers."""
    grid = make_grid(session)
    skill = Skill(code="first-aid", group="medical", name="急救", name_en="First aid")
    session.add(skill)
    session.commit()
    need = mf.project(session, grid, title=TITLE, urgency=Urgency.HIGH)
    line = mf.line(session, need, "5000")
    shift = mf.shift(session, need, slots=2, requires_approval=False, title="垃圾分类督导")
    session.add(ShiftSkill(shift_id=shift.id or 0, skill_id=skill.id or 0))
    organization = make_org(session, name="绿帆建材")
    bricks = make_offer(session, organization, title="透水砖", remaining_quantity=Decimal(3200))
    more = make_offer(session, organization, title="透水砖（二批）", remaining_quantity=Decimal(1000))
    session.add_all([OfferGrid(offer_id=o.id or 0, grid_id=grid.id or 0) for o in (bricks, more)])
    session.commit()
    partner = mf.with_token(session, make_user(session, Role.PARTNER, organization_id=organization.id))
    volunteers = dict(_volunteer(session, grid.id or 0, name, skill) for name in ("王急救", "李护士", "赵医生"))
    return Street(need, line, shift, (bricks, more), partner, volunteers, mf.admin(session))


def _run_round(factory: sessionmaker[Session]) -> int:
    with factory() as db:
        row = rounds_service.start(db, method=RoundMethod.OPTIMAL, k=20, started_by_id=None, actor_role="cli")
        db.commit()
        round_id = row.id or 0
    worker.run_with_heartbeat(round_id, factory, factory)
    return round_id


def _round_matches(session: Session, kind: MatchKind | None = None) -> list[Match]:
    with reading(session) as db:
        query = sa.select(Match).where(Match.source == MatchSource.MATCHING_ROUND).order_by(Match.id)
        if kind is not None:
            query = query.where(Match.kind == kind)
        return list(db.execute(query).scalars())


def _proposed(session_factory: sessionmaker[Session]) -> tuple[Street, int, list[Match], list[Match]]:
    with session_factory() as session:
        street = _street(session)
        round_id = _run_round(session_factory)
        return (
            street,
            round_id,
            _round_matches(session, MatchKind.VOLUNTEER_SHIFT),
            _round_matches(session, MatchKind.OFFER_LINE),
        )


def _decide(client: TestClient[Any], admin: Person, match_id: int, decision: str = "approve", **body: Any) -> Any:
    return client.post(
        f"/api/v1/matches/{match_id}/decision", headers=admin.headers, json={"decision": decision} | body
    )


def _notifications(session: Session, user_id: int, kind: str) -> list[Notification]:
    with reading(session) as db:
        query = sa.select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        return list(db.execute(query).scalars())


def test_a_round_proposes_to_candidates_who_see_offers_not_their_own_sign_ups_or_claims(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street, round_id, shifts, lines = _proposed(session_factory)
    assert len(shifts) == 2 and len(lines) == 2
    for match in shifts + lines:
        assert match.round_id == round_id and match.status is MatchStatus.PROPOSED and match.accepted_at is None
    assert {e.after["round_id"] for e in audit_events(session, "match.propose")} == {round_id}

    proposed = shifts[0]
    volunteer = street.volunteers[proposed.volunteer_id or 0]
    # The volunteer is told, with the project's title and the shift, in the API of their notifications.
    sent = _notifications(session, volunteer.user.id or 0, "proposal_offered")
    assert [n.payload["need_title"] for n in sent] == [TITLE] and sent[0].payload["shift"] == "垃圾分类督导"
    centre = client.get("/api/v1/notifications", headers=volunteer.headers).json()
    text = centre["digests"][0]["text"]
    assert TITLE in text and "垃圾分类督导" in text, text
    client.cookies.set("lang", "en")
    english = client.get("/api/v1/notifications", headers=volunteer.headers).json()["digests"][0]
    assert "proposes you for the shift" in english["text"] and TITLE in english["text"], english

    # A proposal, not a sign-up: in the API ...
    mine = client.get("/api/v1/proposals", headers=volunteer.headers).json()
    assert [item["id"] for item in mine["items"]] == [proposed.id]
    assert mine["items"][0]["need_title"] == TITLE and mine["items"][0]["answer"] == "awaiting"
    assert mine["items"][0]["shift"]["id"] == street.shift.id and mine["items"][0]["round_id"] == round_id
    assert client.get("/api/v1/signups", headers=volunteer.headers).json()["total"] == 0
    # ... in the volunteer's hours ...
    with reading(session) as db:
        assert hours_summary(db, proposed.volunteer_id or 0).recent == []
    # ... and on "My shifts", where it sits under "Proposed to you" with Accept and Decline.
    login(client, volunteer.user.username, DEFAULT_PASSWORD)
    page = client.get("/signups")
    assert page.status_code == 200
    proposals_part, own_part = page.text.split('id="current-heading"', 1)
    assert "Proposed to you" in proposals_part and "垃圾分类督导" in proposals_part and TITLE in proposals_part
    assert f'action="/proposals/{proposed.id}/accept"' in proposals_part
    assert f'action="/proposals/{proposed.id}/decline"' in proposals_part
    assert "You have no shifts coming up." in own_part and "垃圾分类督导" not in own_part

    # The partner: two offers proposed for the line, none of them a claim of theirs.
    partner_sent = _notifications(session, street.partner.user.id or 0, "proposal_offered")
    assert len(partner_sent) == 2 and {n.payload["need_title"] for n in partner_sent} == {TITLE}
    theirs = client.get("/api/v1/proposals", headers=street.partner.headers).json()
    assert sorted(item["id"] for item in theirs["items"]) == sorted(m.id for m in lines)
    assert client.get("/api/v1/claims", headers=street.partner.headers).json()["total"] == 0
    login(client, street.partner.user.username, DEFAULT_PASSWORD)
    claims_page = client.get("/claims").text
    assert "Proposed to you" in claims_page and "透水砖" in claims_page
    assert "Your organization has not claimed any project yet." in claims_page

    # Staff see the shift's roster with the proposal marked as such.
    with reading(session) as db:
        progress = participation.shift_progress(db, [db.get(Shift, street.shift.id)])
    assert sorted(entry.proposed for entry in progress[0].signups) == [True, True]


def test_approval_waits_for_the_answer_then_accept_and_approve_confirm(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street, _round, shifts, lines = _proposed(session_factory)
    proposal, line_proposal = shifts[0], lines[0]
    volunteer = street.volunteers[proposal.volunteer_id or 0]

    early = _decide(client, street.admin, proposal.id or 0)
    assert early.status_code == 409 and early.json()["extra"]["code"] == "awaiting_answer"
    early_line = _decide(client, street.admin, line_proposal.id or 0)
    assert early_line.status_code == 409 and early_line.json()["extra"]["code"] == "awaiting_answer"
    bulk = client.post("/api/v1/matches/bulk-approve", headers=street.admin.headers, json={"ids": [proposal.id]})
    assert bulk.json()["approved"] == [] and bulk.json()["failed"][0]["code"] == "awaiting_answer"
    assert fetch(session, Match, proposal.id).status is MatchStatus.PROPOSED

    accepted = client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=volunteer.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["answer"] == "accepted" and accepted.json()["accepted_at"]
    assert [e.object_id for e in audit_events(session, "proposal.accept")] == [proposal.id]
    told = _notifications(session, street.admin.user.id or 0, "proposal_answered")
    assert [(n.payload["answer"], n.payload["need_title"]) for n in told] == [("accepted", TITLE)]

    # Accepted, it is the volunteer's sign-up waiting for the street: listed, pending, no longer a proposal.
    signups = client.get("/api/v1/signups", headers=volunteer.headers).json()
    assert [(s["match_id"], s["status"]) for s in signups["items"]] == [(proposal.id, "pending")]
    assert client.get("/api/v1/proposals", headers=volunteer.headers).json()["total"] == 0
    login(client, volunteer.user.username, DEFAULT_PASSWORD)
    client.cookies.set("lang", "en")
    page = client.get("/signups").text
    assert "Proposed to you" not in page and "Waiting for the street to confirm your place." in page

    client.cookies.clear()  # the API calls below go with tokens only
    approved = _decide(client, street.admin, proposal.id or 0)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["answer"] == "accepted"
    assert fetch(session, Shift, street.shift.id).confirmed_count == 1
    confirmed = client.get("/api/v1/signups", headers=volunteer.headers).json()["items"]
    assert [s["status"] for s in confirmed] == ["confirmed"]
    login(client, volunteer.user.username, DEFAULT_PASSWORD)
    client.cookies.set("lang", "en")
    mine = client.get("/signups").text
    assert "Waiting for the street to confirm your place." not in mine and "Confirmed" in mine
    client.cookies.clear()

    # The partner's line proposal: accepted, it becomes their claim; approved, the offer gives the quantity.
    assert client.post(f"/api/v1/proposals/{line_proposal.id}/accept", headers=street.partner.headers).is_success
    claims = client.get("/api/v1/claims", headers=street.partner.headers).json()
    assert [(c["id"], c["status"]) for c in claims["items"]] == [(line_proposal.id, "proposed")]
    assert _decide(client, street.admin, line_proposal.id or 0).status_code == 200
    offer = fetch(session, Offer, line_proposal.offer_id)
    assert offer.remaining_quantity == offer.quantity - (line_proposal.quantity or 0)


def test_decline_cancels_with_the_reason_frees_the_pair_and_happens_once(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street, _round, shifts, lines = _proposed(session_factory)
    proposal, other = shifts
    volunteer = street.volunteers[proposal.volunteer_id or 0]
    declined = client.post(
        f"/api/v1/proposals/{proposal.id}/decline", headers=volunteer.headers, json={"reason": "那天要上班"}
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "cancelled" and declined.json()["answer"] == "declined"
    row = fetch(session, Match, proposal.id)
    assert row.decision_reason == "那天要上班" and row.accepted_at is None
    with reading(session) as db:
        signup = db.execute(sa.select(ShiftSignup).where(ShiftSignup.match_id == proposal.id)).scalar_one()
    assert signup.status is SignupStatus.CANCELLED
    assert [e.after["status"] for e in audit_events(session, "proposal.decline")] == ["cancelled"]
    told = _notifications(session, street.admin.user.id or 0, "proposal_answered")
    assert [(n.payload["answer"], n.payload.get("reason")) for n in told] == [("declined", "那天要上班")]

    # Once: no second answer, no approval of what was declined.
    for path in ("decline", "accept"):
        again = client.post(f"/api/v1/proposals/{proposal.id}/{path}", headers=volunteer.headers)
        assert again.status_code == 409 and "declined already" in again.text
    assert _decide(client, street.admin, proposal.id or 0).status_code == 409
    # The declined proposal is no sign-up of theirs, not even a cancelled one; the pair is free again.
    assert client.get("/api/v1/signups", headers=volunteer.headers).json()["total"] == 0
    mine = client.post(f"/api/v1/shifts/{street.shift.id}/signups", headers=volunteer.headers)
    assert mine.status_code == 201 and mine.json()["status"] == "confirmed"

    # The partner declines without a reason; an admin may reject another proposal before any answer.
    line_declined = client.post(f"/api/v1/proposals/{lines[0].id}/decline", headers=street.partner.headers)
    assert line_declined.status_code == 200 and fetch(session, Match, lines[0].id).decision_reason
    rejected = _decide(client, street.admin, other.id or 0, "reject", reason="换人")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    too_late = client.post(
        f"/api/v1/proposals/{other.id}/accept", headers=street.volunteers[other.volunteer_id or 0].headers
    )
    assert too_late.status_code == 409 and "decided already" in too_late.text
    long = client.post(
        f"/api/v1/proposals/{lines[1].id}/decline", headers=street.partner.headers, json={"reason": "x" * 501}
    )
    assert long.status_code == 400 and "reason" in long.text


def test_only_the_candidate_can_answer(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street, _round, shifts, lines = _proposed(session_factory)
    proposal = shifts[0]
    candidate = street.volunteers[proposal.volunteer_id or 0]
    bystander = next(p for pid, p in street.volunteers.items() if pid not in {m.volunteer_id for m in shifts})
    other_partner = mf.partner(session)
    for person, match_id in (
        (bystander, proposal.id),
        (other_partner, proposal.id),
        (other_partner, lines[0].id),
        (candidate, lines[0].id),  # a volunteer cannot answer the partner's proposal
        (street.partner, proposal.id),
    ):
        for path in ("accept", "decline"):
            answer = client.post(f"/api/v1/proposals/{match_id}/{path}", headers=person.headers)
            assert answer.status_code == 404, (person.user.username, match_id, path, answer.text)
    assert client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=street.admin.headers).status_code == 403
    assert client.get("/api/v1/proposals", headers=bystander.headers).json()["total"] == 0
    # The placeholder sign-up is not the candidate's to cancel or check in either: they answer the proposal.
    with reading(session) as db:
        placeholder = db.execute(sa.select(ShiftSignup.id).where(ShiftSignup.match_id == proposal.id)).scalar_one()
    assert client.post(f"/api/v1/signups/{placeholder}/cancel", headers=candidate.headers).status_code == 404
    assert fetch(session, Match, proposal.id).status is MatchStatus.PROPOSED
    assert audit_events(session, "proposal.accept") == [] and audit_events(session, "proposal.decline") == []


def test_the_pages_accept_and_decline_and_say_why_when_refused(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street, _round, shifts, lines = _proposed(session_factory)
    first, second = shifts
    volunteer = street.volunteers[first.volunteer_id or 0]
    login(client, volunteer.user.username, DEFAULT_PASSWORD)
    client.cookies.set("lang", "en")
    accepted = post_form(client, settings, f"/proposals/{first.id}/accept")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/signups?done=proposal_accepted"
    page = client.get(accepted.headers["location"]).text
    assert "You accepted the proposal." in page and "Waiting for the street to confirm your place." in page
    again = post_form(client, settings, f"/proposals/{first.id}/accept")
    assert again.status_code == 409 and "You have accepted this proposal already" in again.text
    stranger = post_form(client, settings, f"/proposals/{second.id}/accept")
    assert stranger.status_code == 404

    login(client, street.partner.user.username, DEFAULT_PASSWORD)
    client.cookies.set("lang", "zh_CN")
    too_long = post_form(client, settings, f"/proposals/{lines[0].id}/decline", {"reason": "长" * 501})
    assert too_long.status_code == 400 and 'aria-invalid="true"' in too_long.text
    declined = post_form(client, settings, f"/proposals/{lines[0].id}/decline", {"reason": "库存已用于别处"})
    assert declined.status_code == 303 and declined.headers["location"] == "/claims?done=proposal_declined"
    assert fetch(session, Match, lines[0].id).decision_reason == "库存已用于别处"
    assert f'id="proposal-{lines[1].id}"' in client.get("/claims").text
    assert f'id="proposal-{lines[0].id}"' not in client.get("/claims").text


def test_signing_up_for_a_proposed_shift_accepts_the_proposal(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    street, _round, shifts, _lines = _proposed(session_factory)
    proposal = shifts[0]
    volunteer = street.volunteers[proposal.volunteer_id or 0]
    answer = client.post(f"/api/v1/shifts/{street.shift.id}/signups", headers=volunteer.headers)
    assert answer.status_code == 200 and answer.json()["match_id"] == proposal.id
    assert answer.json()["status"] == "pending"  # the street still approves it
    assert fetch(session, Match, proposal.id).accepted_at is not None


def test_round_proposals_written_before_this_rule_wait_for_an_answer_too(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title=TITLE)
    shift = mf.shift(session, need, slots=2)
    later = mf.shift(session, need, slots=2, starts_in_hours=72)
    person, profile = mf.volunteer(session, grid)
    admin = mf.admin(session)
    # As a round wrote them before: no round recorded, a pending placeholder sign-up, nobody asked.
    old = Match(
        need_id=need.id or 0,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.MATCHING_ROUND,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=MatchStatus.PROPOSED,
    )
    # And one an admin approved back then: it stays the volunteer's confirmed shift.
    kept = Match(
        need_id=need.id or 0,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.MATCHING_ROUND,
        shift_id=later.id,
        volunteer_id=profile.id,
        status=MatchStatus.APPROVED,
    )
    session.add_all([old, kept])
    session.flush()
    session.add_all(
        [
            ShiftSignup(
                shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=old.id, status=SignupStatus.PENDING
            ),
            ShiftSignup(
                shift_id=later.id or 0, volunteer_id=profile.id or 0, match_id=kept.id, status=SignupStatus.CONFIRMED
            ),
        ]
    )
    session.commit()
    assert [p["id"] for p in client.get("/api/v1/proposals", headers=person.headers).json()["items"]] == [old.id]
    signups = client.get("/api/v1/signups", headers=person.headers).json()["items"]
    assert [(s["match_id"], s["status"]) for s in signups] == [(kept.id, "confirmed")]
    refused = _decide(client, admin, old.id or 0)
    assert refused.status_code == 409 and refused.json()["extra"]["code"] == "awaiting_answer"
    assert client.post(f"/api/v1/proposals/{old.id}/accept", headers=person.headers).status_code == 200
    assert _decide(client, admin, old.id or 0).status_code == 200


def test_accepting_many_times_at_once_decides_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    grid = make_grid(session)
    need = mf.project(session, grid, title=TITLE)
    shift = mf.shift(session, need, slots=2)
    person, profile = mf.volunteer(session, grid)
    proposal = Match(
        need_id=need.id or 0,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.MATCHING_ROUND,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=MatchStatus.PROPOSED,
    )
    session.add(proposal)
    session.flush()
    session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=proposal.id))
    session.commit()
    mf.admin(session)
    path = f"/api/v1/proposals/{proposal.id}"
    calls: list[tuple[str, str, dict[str, str], object]] = [("POST", f"{path}/accept", person.headers, None)] * 8
    calls += [("POST", f"{path}/decline", person.headers, {"reason": "no"})] * 4
    codes = _figures("accept ×8 and decline ×4 of one proposal", _fire(live_app, calls), live_app)
    assert codes == Counter({200: 1, 409: 11}), codes
    row = fetch(session, Match, proposal.id)
    answers = audit_events(session, "proposal.accept") + audit_events(session, "proposal.decline")
    assert len(answers) == 1
    if row.accepted_at is not None:
        assert row.status is MatchStatus.PROPOSED and answers[0].action == "proposal.accept"
    else:
        assert row.status is MatchStatus.CANCELLED and answers[0].action == "proposal.decline"
    with reading(session) as db:
        admins_told = db.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one()
        users = db.execute(sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN)).scalar_one()
    assert admins_told == users  # one answer, told once to each admin
