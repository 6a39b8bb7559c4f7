"""Staff cancel a need and every live item on it ends: each kind of claim, sign-up and proposal walked to its end,
what offers and shifts held given back exactly, those affected told (in both languages), the resident's tracking
page saying "cancelled" with the reason, the board and the rounds' inputs without it, and the audit log."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.i18n import current_locale
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.notifications.messages import render
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer, OfferStatus
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import factories
from tests import matches_factories as mf
from tests.lifecycle_invariants import violations
from tests.needs_helpers import StaffWithToken, staff_with_token
from tests.security_helpers import audit_events, fetch, post_form, reading

# --- helpers (also used by the other test_need_cancel_* files) ------------------------------------------------


def staff_of(session: Session, need: Need) -> StaffWithToken:
    from marketplace.places.models import Grid

    with reading(session) as fresh:
        grid = fresh.get(Grid, need.grid_id)
    return staff_with_token(session, grid)


def version_of(session: Session, need_id: int) -> int:
    return int(fetch(session, Need, need_id).version)


def cancel(client: TestClient[Any], who: Any, need: Need, reason: str = "居民已搬走，不再需要", **body: Any) -> Any:
    """POST the cancellation with the version ``need`` was read at (``body`` overrides or adds fields)."""
    payload = {"reason": reason, "version": int(need.version)} | body
    return client.post(f"/api/v1/needs/{need.id}/cancel", json=payload, headers=who.headers)


def claim(
    client: TestClient[Any], person: mf.Person, need: Need, line: ResourceLine, offer: Offer, quantity: str
) -> int:
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": quantity},
        headers=person.headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def approve(client: TestClient[Any], boss: mf.Person, match_id: int) -> None:
    answer = client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert answer.status_code == 200, answer.text


def sign_up(client: TestClient[Any], person: mf.Person, shift: Shift) -> dict[str, Any]:
    answer = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def no_violations(session: Session) -> None:
    with session.get_bind().connect() as connection:  # type: ignore[union-attr]
        assert violations(connection) == {}


@contextmanager
def locale(code: str) -> Any:
    token = current_locale.set(code)
    try:
        yield
    finally:
        current_locale.reset(token)


def told(session: Session, user_id: int, code: str = "en") -> list[str]:
    """The need_cancelled notifications of a user, rendered in ``code`` with their next step."""
    with reading(session) as fresh:
        payloads = [
            row.payload
            for row in fresh.execute(
                sa.select(Notification).where(Notification.user_id == user_id, Notification.kind == "need_cancelled")
            ).scalars()
        ]
    with locale(code):
        messages = [render("need_cancelled", payload) for payload in payloads]
    return [f"{m.text} | {m.next_step or ''}" for m in messages]


def _round_proposal(session: Session, need: Need, **fields: Any) -> Match:
    """A matching round's proposal nobody has answered yet (a volunteer's holds a pending placeholder sign-up)."""
    row = Match(need_id=need.id or 0, source=MatchSource.MATCHING_ROUND, status=MatchStatus.PROPOSED, **fields)
    session.add(row)
    session.flush()
    if row.kind is MatchKind.VOLUNTEER_SHIFT:
        session.add(ShiftSignup(shift_id=row.shift_id or 0, volunteer_id=row.volunteer_id or 0, match_id=row.id))
    session.commit()
    return row


# --- the walk -------------------------------------------------------------------------------------------------


def test_cancelling_an_in_progress_need_ends_every_live_claim_sign_up_and_proposal(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="老旧小区楼道粉刷")
    grid_id = need.grid_id
    line = mf.line(session, need, "10")
    staff, boss = staff_of(session, need), mf.admin(session)
    from marketplace.places.models import Grid

    grid = fetch(session, Grid, grid_id)
    # Partners: an approved claim that took all its offer had (exhausted), a delivered one, a proposed one, and a
    # round's proposal of another offer nobody answered yet.
    approved_by, delivered_by, proposing, proposed_to = (mf.partner(session) for _ in range(4))
    exhausted_offer = mf.offer_of(session, approved_by.user, "5")
    approved_id = claim(client, approved_by, need, line, exhausted_offer, "5")
    approve(client, boss, approved_id)
    assert fetch(session, Offer, exhausted_offer.id).status is OfferStatus.EXHAUSTED
    delivered_offer = mf.offer_of(session, delivered_by.user, "20")
    delivered_id = claim(client, delivered_by, need, line, delivered_offer, "2")
    approve(client, boss, delivered_id)
    assert client.post(f"/api/v1/claims/{delivered_id}/delivered", headers=delivered_by.headers).status_code == 200
    proposing_offer = mf.offer_of(session, proposing.user, "30")
    proposed_id = claim(client, proposing, need, line, proposing_offer, "3")
    round_offer = mf.offer_of(session, proposed_to.user, "9")
    round_claim = _round_proposal(
        session,
        need,
        kind=MatchKind.OFFER_LINE,
        resource_line_id=line.id,
        offer_id=round_offer.id,
        quantity=Decimal(1),
        organization_id=proposed_to.user.organization_id,
    )
    # Volunteers: confirmed on a later shift, pending on one that needs approval, proposed by a round, and one
    # checked in on a shift that started half an hour ago.
    later = mf.shift(session, need, slots=3, starts_in_hours=48)
    reviewed = mf.shift(session, need, slots=2, starts_in_hours=72, requires_approval=True)
    started = factories.add_shift(
        session, need, 2, starts_at=utcnow() - timedelta(minutes=30), ends_at=utcnow() + timedelta(hours=2)
    )
    session.commit()
    confirmed, _confirmed_profile = mf.volunteer(session, grid)
    pending, _pending_profile = mf.volunteer(session, grid)
    proposed_volunteer, proposed_profile = mf.volunteer(session, grid)
    working, working_profile = mf.volunteer(session, grid)
    confirmed_signup = sign_up(client, confirmed, later)
    assert confirmed_signup["status"] == "confirmed"
    pending_signup = sign_up(client, pending, reviewed)
    assert pending_signup["status"] == "pending"
    round_signup = _round_proposal(
        session, need, kind=MatchKind.VOLUNTEER_SHIFT, shift_id=later.id, volunteer_id=proposed_profile.id
    )
    working_signup = sign_up(client, working, started)
    checked_in = client.post(f"/api/v1/signups/{working_signup['id']}/check-in", headers=working.headers)
    assert checked_in.status_code == 200, checked_in.text
    with reading(session) as fresh:  # they came when the shift started, half an hour ago
        fresh.execute(
            sa.update(ShiftSignup)
            .where(ShiftSignup.id == working_signup["id"])  # type: ignore[arg-type]
            .values(checked_in_at=utcnow() - timedelta(minutes=30))
        )
        fresh.commit()
    assert fetch(session, Need, need.id).status is NeedStatus.IN_PROGRESS
    hours_before = fetch(session, VolunteerProfile, working_profile.id).hours_total

    version = version_of(session, need.id)
    answer = client.post(
        f"/api/v1/needs/{need.id}/cancel",
        json={"reason": "居民已搬走，不再需要", "version": version},
        headers=staff.headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "cancelled" and body["status_reason"] == "居民已搬走，不再需要"
    assert body["version"] == version + 1
    assert sorted(body["ended"]["released"]) == sorted([proposed_id, pending_signup["match_id"]])
    assert sorted(body["ended"]["withdrawn"]) == sorted([round_claim.id, round_signup.id])
    assert sorted(body["ended"]["cancelled"]) == sorted([approved_id, confirmed_signup["match_id"]])
    assert body["ended"]["credited"] == [working_signup["match_id"]]

    # Proposals: rejected with the reason, not as an admin's verdict; their pending sign-ups cancelled.
    for match_id in (proposed_id, round_claim.id, pending_signup["match_id"], round_signup.id):
        row = fetch(session, Match, match_id)
        assert row.status is MatchStatus.REJECTED and row.decision_reason == "居民已搬走，不再需要"
        assert row.released_by_change and row.decided_by_id == staff.user.id
    for signup_id in (pending_signup["id"],):
        assert fetch(session, ShiftSignup, signup_id).status is SignupStatus.CANCELLED
    with reading(session) as fresh:
        placeholder = fresh.execute(sa.select(ShiftSignup).where(ShiftSignup.match_id == round_signup.id)).scalar_one()
        assert placeholder.status is SignupStatus.CANCELLED
    # The approved claim: cancelled; its offer has its 5 back and is active again; the line needs it again.
    assert fetch(session, Match, approved_id).status is MatchStatus.CANCELLED
    offer = fetch(session, Offer, exhausted_offer.id)
    assert offer.remaining_quantity == Decimal(5) and offer.status is OfferStatus.ACTIVE
    assert fetch(session, Offer, proposing_offer.id).remaining_quantity == Decimal(30)  # never reserved
    assert fetch(session, Offer, delivered_offer.id).remaining_quantity == Decimal(18)  # delivered stays
    assert fetch(session, Match, delivered_id).status is MatchStatus.FULFILLED
    assert fetch(session, ResourceLine, line.id).still_needed == Decimal(8)
    # The confirmed place is freed; the volunteer at work is checked out and credited for the half hour.
    assert fetch(session, ShiftSignup, confirmed_signup["id"]).status is SignupStatus.CANCELLED
    assert fetch(session, Shift, later.id).confirmed_count == 0
    working_row = fetch(session, ShiftSignup, working_signup["id"])
    assert working_row.status is SignupStatus.COMPLETED and working_row.hours_credited == Decimal("0.5")
    assert fetch(session, Match, working_signup["match_id"]).status is MatchStatus.FULFILLED
    assert fetch(session, VolunteerProfile, working_profile.id).hours_total == hours_before + Decimal("0.5")
    assert fetch(session, Shift, started.id).confirmed_count == 1  # the completed stay keeps its place
    no_violations(session)

    # Everyone concerned is told, in their language, what happened to their own item.
    approved_text = told(session, approved_by.user.id)
    assert len(approved_text) == 1 and "老旧小区楼道粉刷" in approved_text[0], approved_text
    assert "is cancelled and its quantity is back on your offer" in approved_text[0]
    assert "居民已搬走，不再需要" in approved_text[0]
    assert "released" in told(session, proposing.user.id)[0]
    assert "the street's proposal to you for" in told(session, proposed_to.user.id)[0]
    assert "nothing is counted against you" in told(session, confirmed.user.id)[0]
    assert "nothing is asked of you" in told(session, pending.user.id)[0]
    assert "proposal to you for" in told(session, proposed_volunteer.user.id)[0]
    assert "checked out and your time so far is credited" in told(session, working.user.id)[0]
    assert told(session, delivered_by.user.id) == []  # delivered: nothing of theirs changed
    chinese = told(session, approved_by.user.id, "zh_CN")[0]
    assert "街道取消了" in chinese and "老旧小区楼道粉刷" in chinese and "退回" in chinese, chinese

    # The audit log: one need.cancel with before and after, naming what ended.
    (event,) = audit_events(session, "need.cancel")
    assert event.before["status"] == "in_progress" and event.after["status"] == "cancelled"
    assert event.after["reason"] == "居民已搬走，不再需要" and event.actor_id == staff.user.id
    assert sorted(event.after["matches_cancelled"]) == sorted([approved_id, confirmed_signup["match_id"]])

    # Gone from the board and from what rounds and claims take; nothing new lands on it.
    assert client.get(f"/api/v1/projects/{need.id}").status_code == 404
    board = client.get("/api/v1/projects").json()
    assert need.id not in [item["id"] for item in board["items"]]
    refused = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": proposing_offer.id, "quantity": "1"},
        headers=proposing.headers,
    )
    assert refused.status_code in (404, 409)
    assert client.post(f"/api/v1/shifts/{later.id}/signups", headers=pending.headers).status_code in (404, 409)
    again = client.post(
        f"/api/v1/needs/{need.id}/cancel", json={"reason": "再取消", "version": version + 1}, headers=staff.headers
    )
    assert again.status_code == 409 and again.json()["detail"].startswith("status")


def test_whole_project_claims_end_too_and_the_offer_stays_untouched(client: TestClient[Any], session: Session) -> None:
    boss = mf.admin(session)
    proposed_need, approved_need = mf.project(session, title="整体认领甲"), mf.project(session, title="整体认领乙")
    for need in (proposed_need, approved_need):
        mf.line(session, need, "4")
    proposer, approver = mf.partner(session), mf.partner(session)
    whole = {"kind": "whole"}
    first = client.post(f"/api/v1/projects/{proposed_need.id}/claims", json=whole, headers=proposer.headers)
    second = client.post(f"/api/v1/projects/{approved_need.id}/claims", json=whole, headers=approver.headers)
    assert first.status_code == second.status_code == 201
    approve(client, boss, second.json()["id"])
    assert fetch(session, Need, approved_need.id).status is NeedStatus.MATCHED
    for need in (proposed_need, approved_need):
        fresh = fetch(session, Need, need.id)
        answer = cancel(client, staff_of(session, need), fresh, "问题已由居民自行解决")
        assert answer.status_code == 200, answer.text
    assert fetch(session, Match, first.json()["id"]).status is MatchStatus.REJECTED
    assert fetch(session, Match, second.json()["id"]).status is MatchStatus.CANCELLED
    assert "proposed claim of the whole project was released" in told(session, proposer.user.id)[0]
    assert "claim of the whole project is cancelled" in told(session, approver.user.id)[0]
    no_violations(session)


def test_the_resident_follows_the_report_to_cancelled_with_the_reason(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, status=NeedStatus.UNDER_REVIEW, title="路灯不亮", beneficiary_phone="13812348000")
    answer = cancel(client, staff_of(session, need), need, "已由供电公司修复")
    assert answer.status_code == 200, answer.text
    for code, words in (
        ("en", ("Cancelled", "The street cancelled this report")),
        ("zh_CN", ("已取消", "街道已取消此反映")),
    ):
        client.get(f"/lang/{code}?next=/")
        page = post_form(client, settings, "/track", {"ref": str(need.id), "phone": "13812348000"}).text
        assert "已由供电公司修复" in page
        for word in words:
            assert word in page, (code, word)
    with reading(session) as fresh:
        at = fresh.execute(sa.select(AuditEvent.created_at).where(AuditEvent.action == "need.cancel")).scalar_one()
    from marketplace.needs.tracking import progress_of

    with reading(session) as fresh:
        progress = progress_of(fresh, fresh.get(Need, need.id))  # type: ignore[arg-type]
    assert progress.current.key == "cancelled" and progress.current.at == at
    assert progress.reason == "已由供电公司修复"


def test_the_creator_hears_when_someone_else_cancels_their_need(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, title="垃圾桶破损")
    creator = staff_of(session, need)
    with reading(session) as fresh:
        fresh.execute(sa.update(Need).where(Need.id == need.id).values(created_by_id=creator.user.id))  # type: ignore[arg-type]
        fresh.commit()
    answer = cancel(client, staff_of(session, need), need, "录入错误")
    assert answer.status_code == 200, answer.text
    text = told(session, creator.user.id)
    assert text and "a need you recorded" in text[0] and "录入错误" in text[0]
