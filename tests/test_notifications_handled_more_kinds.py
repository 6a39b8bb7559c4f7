"""The rest of the kinds that ask their reader to act read as handled once what they asked about no longer waits.

Found as a volunteer: "Reminder: your shift … starts … — Next: check in in My shifts" still counted in the
unread badge the day after the shift, though nobody can check in once a shift is over (the sign-up stays
confirmed when the volunteer did not come). Now a reminder (and a confirmed sign-up's "check in") no longer
waits once the shift is over or cancelled. The same rule (``notifications/waiting.py``, one SQL condition read
with the rows) now also covers the kinds the first change left to other domains, each walked to its end:

- a change to a published need that kept the reader's claim ("your claim stands: deliver as agreed") or sign-up
  ("come at the new time"), once that claim is delivered or ended, or the sign-up checked in or its shift over;
- an escalation's "needs your acknowledgement" (admins, staff), once the step is acknowledged or the need closed;
- a resubmitted application's "review it again" (admins), once the organization is approved or rejected;
- a rejection's "correct your application and send it again" (the manager), once sent again or approved.

What a change did that asks nothing ("reduced", "released") never waited, so it is not "handled" either.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedStatus, Shift
from marketplace.notifications.centre import unread_count, unread_entries
from marketplace.notifications.outbox import send
from marketplace.notifications.payloads import match_payload
from marketplace.notifications.waiting import ASKS
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.security_helpers import make_grid, reading
from tests.test_query_counts import statements_of

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
TITLE = "湖岛街道楼道照明改造"
ORGANIZATION = "绿帆建材有限公司"


def _centre(client: TestClient[Litestar], person: mf.Person, language: dict[str, str], **query: Any) -> Any:
    answer = client.get("/api/v1/notifications", params=query, headers=person.headers | language)
    assert answer.status_code == 200, answer.text
    return answer.json()


@dataclass
class Case:
    """A notification as its sender writes it, about something waiting for its reader, and what ends that."""

    reader: mf.Person
    kind: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    move_on: Callable[[Session], None]
    named: str = TITLE  # what the handled sentence names
    digest_key: str | None = None


def _update(model: Any, row_id: int, **values: Any) -> Callable[[Session], None]:
    def move_on(session: Session) -> None:
        session.execute(sa.update(model).where(model.id == row_id).values(**values))

    return move_on


def _line_claim(session: Session, status: MatchStatus = MatchStatus.APPROVED) -> tuple[mf.Person, Match]:
    need = mf.project(session, title=TITLE)
    line = mf.line(session, need, "10")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user)
    match = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=line.id,
        offer_id=offer.id,
        quantity=Decimal("2"),
        organization_id=partner.user.organization_id,
        status=status,
        decision_reason="已另行安排" if status is MatchStatus.CANCELLED else None,
    )
    session.add(match)
    session.commit()
    return partner, match


def _whole_claim(session: Session) -> tuple[mf.Person, Match]:
    need = mf.project(session, title=TITLE)
    partner = mf.partner(session)
    match = Match(
        need_id=need.id or 0,
        kind=MatchKind.WHOLE_NEED,
        source=MatchSource.PARTNER_CLAIM,
        organization_id=partner.user.organization_id,
        status=MatchStatus.APPROVED,
    )
    session.add(match)
    session.commit()
    return partner, match


def _place(session: Session) -> tuple[mf.Person, Match, ShiftSignup]:
    """A volunteer's confirmed place on a shift starting tomorrow."""
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid, title=TITLE))
    volunteer, profile = mf.volunteer(session, grid)
    match = Match(
        need_id=shift.need_id,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.VOLUNTEER_SIGNUP,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=MatchStatus.APPROVED,
    )
    session.add(match)
    session.flush()
    signup = ShiftSignup(
        shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=match.id, status=SignupStatus.CONFIRMED
    )
    session.add(signup)
    session.commit()
    return volunteer, match, signup


def _shift_over(shift_id: int) -> Callable[[Session], None]:
    """The shift happened (yesterday) and the volunteer did not check in: the sign-up stays confirmed."""
    starts = datetime.now(UTC) - timedelta(days=1)
    return _update(Shift, shift_id, starts_at=starts, ends_at=starts + timedelta(hours=3))


# --- 1. a shift's reminder, and a confirmed sign-up's "check in" -------------------------------------------------


def _reminder(session: Session, move_on: Callable[[int, int], Callable[[Session], None]]) -> Case:
    volunteer, match, signup = _place(session)
    shift_id = match.shift_id or 0
    key = f"shift_reminder:shift:{shift_id}"
    payload = match_payload(session, match)
    return Case(volunteer, "shift_reminder", "shift", shift_id, payload, move_on(shift_id, signup.id or 0), TITLE, key)


def _reminder_then_the_shift_is_over(session: Session) -> Case:
    return _reminder(session, lambda shift_id, _signup: _shift_over(shift_id))


def _reminder_then_the_shift_is_cancelled(session: Session) -> Case:
    return _reminder(session, lambda shift_id, _signup: _update(Shift, shift_id, cancelled_at=datetime.now(UTC)))


def _confirmed_sign_up_then_the_shift_is_over(session: Session) -> Case:
    volunteer, match, _signup = _place(session)
    payload = match_payload(session, match)
    return Case(volunteer, "signup_confirmed", "match", match.id or 0, payload, _shift_over(match.shift_id or 0))


def _approved_place_then_the_shift_is_over(session: Session) -> Case:
    """Older rows said "approved" about a volunteer's place: "Next: check in", over once the shift is."""
    volunteer, match, _signup = _place(session)
    payload = match_payload(session, match) | {"status": "approved"}
    return Case(volunteer, "match_decided", "match", match.id or 0, payload, _shift_over(match.shift_id or 0))


# --- 2. what a change to a published need kept -----------------------------------------------------------------


def _change(match: Match, **fields: Any) -> dict[str, Any]:
    return {"need_id": match.need_id, "title": TITLE, "match_id": match.id} | fields


def _line_changed_claim_stands_then_delivered(session: Session) -> Case:
    partner, match = _line_claim(session)
    payload = _change(match, line="LED灯", before="10", after="12", quantity="2", unit="个", outcome="kept")
    move_on = _update(Match, match.id or 0, status=MatchStatus.FULFILLED, fulfilled_at=datetime.now(UTC))
    return Case(partner, "need_line_changed", "need", match.need_id, payload, move_on)


def _line_closed_proposed_claim_stands_then_rejected(session: Session) -> Case:
    partner, match = _line_claim(session, MatchStatus.PROPOSED)
    payload = _change(match, line="LED灯", quantity="2", unit="个", outcome="kept")
    move_on = _update(
        Match, match.id or 0, status=MatchStatus.REJECTED, decided_at=datetime.now(UTC), decision_reason="已另行安排"
    )
    return Case(partner, "need_line_closed", "need", match.need_id, payload, move_on)


def _line_changed_whole_claim_then_cancelled(session: Session) -> Case:
    partner, match = _whole_claim(session)
    payload = _change(match, line="LED灯", before="10", after="12", unit="个", outcome="whole")
    move_on = _update(
        Match, match.id or 0, status=MatchStatus.CANCELLED, decided_at=datetime.now(UTC), decision_reason="已另行安排"
    )
    return Case(partner, "need_line_changed", "need", match.need_id, payload, move_on)


def _shift_moved_sign_up_stands_then_checked_in(session: Session) -> Case:
    volunteer, match, signup = _place(session)
    payload = _change(match, shift="垃圾分类督导", moved=True, outcome="kept", signup_id=signup.id) | {"match_id": None}
    move_on = _update(ShiftSignup, signup.id or 0, status=SignupStatus.CHECKED_IN)
    return Case(volunteer, "need_shift_changed", "need", match.need_id, payload, move_on)


def _shift_moved_sign_up_stands_then_the_shift_is_over(session: Session) -> Case:
    volunteer, match, signup = _place(session)
    payload = _change(match, shift="垃圾分类督导", moved=True, outcome="kept", signup_id=signup.id) | {"match_id": None}
    return Case(volunteer, "need_shift_changed", "need", match.need_id, payload, _shift_over(match.shift_id or 0))


def _shift_moved_whole_claim_then_delivered(session: Session) -> Case:
    partner, match = _whole_claim(session)
    payload = _change(match, shift="垃圾分类督导", moved=True, outcome="whole")
    move_on = _update(Match, match.id or 0, status=MatchStatus.FULFILLED, fulfilled_at=datetime.now(UTC))
    return Case(partner, "need_shift_changed", "need", match.need_id, payload, move_on)


# --- escalations and organizations' applications -----------------------------------------------------------------


def _escalation(session: Session, move_on: Callable[[Escalation], Callable[[Session], None]]) -> Case:
    need = mf.project(session, title=TITLE)
    now = datetime.now(UTC)
    step = Escalation(
        need_id=need.id or 0, level=EscalationLevel.COMMUNITY, reason="超时未认领", opened_at=now,
        deadline_at=now + timedelta(hours=24),
    )  # fmt: skip
    session.add(step)
    session.commit()
    payload = {"need_id": need.id, "title": TITLE, "level": "community", "escalation_id": step.id}
    admin = mf.admin(session)
    return Case(admin, "escalation_opened", "user", admin.user.id or 0, payload, move_on(step))


def _escalation_then_acknowledged(session: Session) -> Case:
    return _escalation(session, lambda step: _update(Escalation, step.id or 0, acknowledged_at=datetime.now(UTC)))


def _escalation_then_the_need_closed(session: Session) -> Case:
    return _escalation(session, lambda step: _update(Need, step.need_id, status=NeedStatus.VERIFIED))


def _organization(session: Session, status: OrganizationStatus) -> tuple[mf.Person, Organization]:
    partner = mf.partner(session)
    organization = session.get(Organization, partner.user.organization_id)
    assert organization is not None
    organization.name, organization.status = ORGANIZATION, status
    organization.status_reason = "营业执照照片不清晰" if status is OrganizationStatus.REJECTED else None
    session.add(organization)
    session.commit()
    return partner, organization


def _resubmitted_then_approved(session: Session) -> Case:
    _, organization = _organization(session, OrganizationStatus.PENDING)
    payload = {"organization": ORGANIZATION, "organization_id": organization.id, "changed": ["address"]}
    admin = mf.admin(session)
    move_on = _update(Organization, organization.id or 0, status=OrganizationStatus.APPROVED)
    return Case(admin, "organization.resubmit", "user", admin.user.id or 0, payload, move_on, ORGANIZATION)


def _registered_then_rejected(session: Session) -> Case:
    _, organization = _organization(session, OrganizationStatus.PENDING)
    payload = {"organization": ORGANIZATION, "organization_id": organization.id}
    admin = mf.admin(session)
    move_on = _update(Organization, organization.id or 0, status=OrganizationStatus.REJECTED, status_reason="不服务")
    return Case(admin, "organization.register", "user", admin.user.id or 0, payload, move_on, ORGANIZATION)


def _rejected_then_sent_again(session: Session) -> Case:
    manager, organization = _organization(session, OrganizationStatus.REJECTED)
    payload = {"organization": ORGANIZATION, "organization_id": organization.id, "status": "rejected"}
    move_on = _update(Organization, organization.id or 0, status=OrganizationStatus.PENDING, status_reason=None)
    return Case(manager, "organization.reject", "user", manager.user.id or 0, payload, move_on, ORGANIZATION)


CASES: dict[str, tuple[str, Callable[[Session], Case]]] = {
    "reminder, then the shift is over unchecked": ("shift_reminder", _reminder_then_the_shift_is_over),
    "reminder, then the shift is cancelled": ("shift_reminder", _reminder_then_the_shift_is_cancelled),
    "sign-up confirmed, then the shift is over": ("signup_confirmed", _confirmed_sign_up_then_the_shift_is_over),
    "approved place (older row), then the shift is over": ("match_decided", _approved_place_then_the_shift_is_over),
    "line changed, claim stands, then delivered": ("need_line_changed", _line_changed_claim_stands_then_delivered),
    "line closed, proposed claim stands, then rejected": (
        "need_line_closed",
        _line_closed_proposed_claim_stands_then_rejected,
    ),
    "line changed, whole claim, then cancelled": ("need_line_changed", _line_changed_whole_claim_then_cancelled),
    "shift moved, sign-up stands, then checked in": ("need_shift_changed", _shift_moved_sign_up_stands_then_checked_in),
    "shift moved, sign-up stands, then over": (
        "need_shift_changed",
        _shift_moved_sign_up_stands_then_the_shift_is_over,
    ),
    "shift moved, whole claim, then delivered": ("need_shift_changed", _shift_moved_whole_claim_then_delivered),
    "escalation, then acknowledged": ("escalation_opened", _escalation_then_acknowledged),
    "escalation, then the need closed": ("escalation_opened", _escalation_then_the_need_closed),
    "application sent again, then approved": ("organization.resubmit", _resubmitted_then_approved),
    "application rejected, then sent again": ("organization.reject", _rejected_then_sent_again),
    "new application, then rejected": ("organization.register", _registered_then_rejected),
}
ZH_NAMED = {
    "organization.resubmit": ORGANIZATION,
    "organization.reject": ORGANIZATION,
    "organization.register": ORGANIZATION,
}


def _send(session: Session, case: Case) -> None:
    send(
        session,
        case.reader.user.id or 0,
        case.kind,
        case.payload,
        echo=False,
        subject_type=case.subject_type,
        subject_id=case.subject_id,
        digest_key=case.digest_key,
    )
    session.commit()


@pytest.mark.parametrize("name", list(CASES))
def test_it_reads_as_handled_once_what_it_asked_no_longer_waits(
    client: TestClient[Litestar], session: Session, name: str
) -> None:
    kind, build = CASES[name]
    case = build(session)
    assert case.kind == kind
    user_id = case.reader.user.id or 0
    _send(session, case)
    before = _centre(client, case.reader, EN)
    (digest,) = before["digests"]
    assert digest["next_step"].startswith("Next: ") and digest["no_longer_waiting"] is False, digest
    assert (before["unread_total"], before["unread_entries"]) == (1, 1)

    case.move_on(session)
    session.commit()
    after = _centre(client, case.reader, EN)
    (digest,) = after["digests"]
    assert digest["text"].startswith("No longer waiting: ") and case.named in digest["text"], digest["text"]
    assert (digest["next_step"], digest["no_longer_waiting"], digest["unread"]) == ("Nothing to do.", True, 0)
    (item,) = digest["notifications"]
    assert (item["next_step"], item["no_longer_waiting"], item["read_at"]) == ("Nothing to do.", True, None)
    assert (after["unread_total"], after["unread_entries"]) == (0, 0)
    assert _centre(client, case.reader, EN, unread="true")["digests"] == []
    zh = _centre(client, case.reader, ZH)["digests"][0]
    assert zh["text"].startswith("已处理：") and case.named in zh["text"] and zh["next_step"] == "无需操作。", zh
    with reading(session) as db:
        assert (unread_count(db, user_id), unread_entries(db, user_id)) == (0, 0)


def test_a_reminder_for_a_shift_still_ahead_or_under_way_still_waits(
    client: TestClient[Litestar], session: Session
) -> None:
    """Only the end of the shift ends it: a shift that started an hour ago can still be checked in to."""
    case = _reminder(
        session, lambda shift_id, _signup: _update(Shift, shift_id, starts_at=datetime.now(UTC) - timedelta(hours=1))
    )
    _send(session, case)
    case.move_on(session)
    session.commit()
    body = _centre(client, case.reader, EN)
    (digest,) = body["digests"]
    assert digest["no_longer_waiting"] is False and digest["next_step"].startswith("Next: check in")
    assert body["unread_entries"] == 1


@pytest.mark.parametrize("outcome", ["reduced", "released"])
def test_a_change_that_asked_nothing_stays_as_it_was_told(
    client: TestClient[Litestar], session: Session, outcome: str
) -> None:
    """ "Your proposed claim was released: nothing to deliver" asked nothing; it is news, unread until read."""
    partner, match = _line_claim(session, MatchStatus.CANCELLED if outcome == "released" else MatchStatus.PROPOSED)
    payload = _change(match, line="LED灯", before="10", after="1", quantity="1", was="2", unit="个", outcome=outcome)
    _send(session, Case(partner, "need_line_changed", "need", match.need_id, payload, lambda s: None))
    body = _centre(client, partner, EN)
    (digest,) = body["digests"]
    assert digest["no_longer_waiting"] is False and digest["text"].startswith(TITLE)
    assert body["unread_entries"] == 1


def test_every_kind_that_asks_is_walked_here_or_in_the_first_file() -> None:
    from tests.test_notifications_no_longer_waiting import CASES as FIRST

    covered = {kind for kind, _build in [*CASES.values(), *FIRST.values()]}
    assert covered == set(ASKS)


# --- one statement for all: the new kinds add no query per notification ----------------------------------------


def test_the_centre_reads_the_new_kinds_in_the_statements_it_sends_anyway(
    client: TestClient[Litestar], session: Session, app: Litestar
) -> None:
    admin = mf.admin(session)
    cases = [build(session) for _kind, build in CASES.values()]

    def add() -> None:
        for case in cases:  # every kind to one reader, each an entry of its own
            case.reader = admin
            case.digest_key = f"{case.kind}:{case.subject_id}:{len(case.payload)}:{id(case)}"[:120]
            _send(session, case)

    def count() -> int:
        assert client.get("/api/v1/notifications", headers=admin.headers).status_code == 200
        with statements_of(app.state.engine) as api:
            client.get("/api/v1/notifications", headers=admin.headers)
        return len(api)

    add()
    add()  # two of each: every entry lists its notifications (one statement for all the entries)
    few = count()
    for case in cases:
        case.move_on(session)
    session.commit()
    add()
    add()
    add()
    assert count() == few
