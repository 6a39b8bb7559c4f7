"""A notification that asked its reader to act reads as handled once what it asked about no longer waits.

Found as a partner: "2 proposals are waiting for your answer — Next: accept or decline it in My claims" still
said so, and still counted in the unread badge, after the partner withdrew the offer (which ends those
proposals). Now whether a notification still applies is read with it, from the match's state: an entry of
only such notifications says "No longer waiting: these 2 proposals were answered or ended" / "已处理：这2项
推荐已不再等待您答复" with "Nothing to do.", and neither the badge, the unread counts nor the unread filter
count it; nothing is written when a GET reads it. The class: every kind that asks its reader to act
("Next: …"), each after the thing it asked about moved on. And several proposals are "them", not "it".
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.i18n import current_locale
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.notifications.centre import unread_count, unread_entries
from marketplace.notifications.messages import RENDERERS, render
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import send
from marketplace.notifications.payloads import match_payload
from marketplace.notifications.waiting import ASKS
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, reading
from tests.test_query_counts import statements_of

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
TITLE = "湖岛街道楼道照明改造"


def _centre(client: TestClient[Litestar], person: mf.Person, language: dict[str, str], **query: Any) -> Any:
    answer = client.get("/api/v1/notifications", params=query, headers=person.headers | language)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _badge(client: TestClient[Litestar], person: mf.Person) -> str:
    """The page as the person sees it signed in (the badge is read with the login check)."""
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "en")
    page = client.get("/notifications").text
    client.cookies.clear()  # tokens again from here on
    return page


def _rows(session: Session, user_id: int) -> list[Notification]:
    with reading(session) as db:
        return list(db.execute(sa.select(Notification).where(Notification.user_id == user_id)).scalars())


# --- the partner's case, through the API and the pages -----------------------------------------------------


def _two_proposals(client: TestClient[Litestar], session: Session) -> tuple[mf.Person, int, list[int]]:
    """Staff propose one of the partner's offers for two lines of a project: two proposals, one entry."""
    need = mf.project(session, title=TITLE)
    lines = [mf.line(session, need, "100") for _ in range(2)]
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="10", title="LED灯泡捐赠")
    boss = mf.admin(session)
    ids = []
    for line in lines:
        body = {"kind": "offers", "part_id": line.id, "candidate_id": offer.id, "shown_rank": 1}
        made = client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=boss.headers)
        assert made.status_code == 201, made.text
        ids.append(int(made.json()["id"]))
    return partner, offer.id or 0, ids


def test_withdrawing_the_offer_makes_its_waiting_proposals_read_as_handled_and_leave_the_badge(
    client: TestClient[Litestar], session: Session
) -> None:
    partner, offer_id, _ = _two_proposals(client, session)
    before = _centre(client, partner, EN)
    (digest,) = before["digests"]
    assert (digest["count"], digest["text"]) == (2, "2 proposals are waiting for your answer")
    # Two proposals are "them": the step agrees with the count.
    assert digest["next_step"] == "Next: accept or decline them in My claims."
    assert digest["no_longer_waiting"] is False
    assert (before["unread_total"], before["unread_entries"]) == (2, 1)
    zh = _centre(client, partner, ZH)["digests"][0]
    assert zh["text"] == "有2条推荐等待您答复" and zh["next_step"] == "下一步：在“我的认领”中接受或谢绝。"
    assert 'class="inbox-badge">1<' in _badge(client, partner)

    writer = {"Authorization": f"Bearer {token_for(session, partner.user, ('offers:write',))}"}
    withdrawn = client.post(f"/api/v1/offers/{offer_id}/withdraw", headers=writer)
    assert withdrawn.status_code == 200 and withdrawn.json()["ended"]["proposals"] == 2, withdrawn.text

    after = _centre(client, partner, EN)
    (digest,) = after["digests"]
    assert digest["text"] == "No longer waiting: these 2 proposals were answered or ended"
    assert (digest["next_step"], digest["next_link"], digest["no_longer_waiting"]) == ("Nothing to do.", None, True)
    assert digest["unread"] == 0
    # Each item still says what the street proposed (that happened), and that nothing is to be done now.
    for item in digest["notifications"]:
        assert item["text"].startswith("The street proposes your offer LED灯泡捐赠 for ")
        assert (item["next_step"], item["no_longer_waiting"]) == ("Nothing to do.", True)
    assert (after["unread_total"], after["unread_entries"]) == (0, 0)
    assert _centre(client, partner, EN, unread="true")["digests"] == []
    zh = _centre(client, partner, ZH)["digests"][0]
    assert (zh["text"], zh["next_step"]) == ("已处理：这2项推荐已不再等待您答复", "无需操作。")
    page = _badge(client, partner)
    assert "inbox-badge" not in page
    assert "No longer waiting: these 2 proposals were answered or ended" in page
    assert "accept or decline" not in page and "You have read everything." in page
    # Decided when read: the rows themselves were not touched.
    assert [row.read_at for row in _rows(session, partner.user.id or 0)] == [None, None]


def test_an_entry_with_one_proposal_ended_says_the_one_still_waiting(
    client: TestClient[Litestar], session: Session
) -> None:
    partner, _, (first, second) = _two_proposals(client, session)
    boss = mf.admin(session)
    decided = client.post(
        f"/api/v1/matches/{first}/decision", json={"decision": "reject", "reason": "已另行安排"}, headers=boss.headers
    )
    assert decided.status_code == 200, decided.text
    body = _centre(client, partner, EN)
    offered = next(d for d in body["digests"] if d["kind"] == "proposal_offered")
    assert offered["text"].startswith("The street proposes your offer LED灯泡捐赠 for ") and TITLE in offered["text"]
    assert offered["next_step"] == "Next: accept or decline it in My claims." and offered["unread"] == 1
    steps = {item["id"]: item["next_step"] for item in offered["notifications"]}
    by_match = {row.id: row.subject_id for row in _rows(session, partner.user.id or 0)}
    assert {by_match[i]: step for i, step in steps.items()} == {
        first: "Nothing to do.",
        second: "Next: accept or decline it in My claims.",
    }
    # The proposal still waiting, and the street's word that it withdrew the other.
    assert body["unread_entries"] == 2


# --- the class: every kind that asks its reader to act ------------------------------------------------------


@dataclass
class Case:
    """A notification as its sender writes it, about something waiting for its reader, and what ends that."""

    reader: mf.Person
    kind: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    digest_key: str | None
    move_on: Callable[[Session], None]


def _line_match(session: Session, status: MatchStatus, source: MatchSource, **fields: Any) -> tuple[mf.Person, Match]:
    need = mf.project(session, title=TITLE)
    line = mf.line(session, need, "10")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user)
    match = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=source,
        resource_line_id=line.id,
        offer_id=offer.id,
        quantity=Decimal("2"),
        organization_id=partner.user.organization_id,
        status=status,
        **fields,
    )
    session.add(match)
    session.commit()
    return partner, match


def _shift_match(
    session: Session, status: MatchStatus, source: MatchSource, signup: SignupStatus, **fields: Any
) -> tuple[mf.Person, Match]:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid, title=TITLE))
    volunteer, profile = mf.volunteer(session, grid)
    match = Match(
        need_id=shift.need_id,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=source,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=status,
        **fields,
    )
    session.add(match)
    session.flush()
    session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=match.id, status=signup))
    session.commit()
    return volunteer, match


def _set_match(match_id: int, **values: Any) -> Callable[[Session], None]:
    def move_on(session: Session) -> None:
        session.execute(sa.update(Match).where(Match.id == match_id).values(**values))  # type: ignore[arg-type]

    return move_on


def _set_signup(match_id: int, status: SignupStatus) -> Callable[[Session], None]:
    def move_on(session: Session) -> None:
        session.execute(
            sa.update(ShiftSignup).where(ShiftSignup.match_id == match_id).values(status=status)  # type: ignore[arg-type]
        )

    return move_on


def _ended(status: MatchStatus) -> dict[str, Any]:
    return {"status": status, "decision_reason": "已另行安排", "decided_at": datetime.now(UTC)}


def _about_match(
    reader: mf.Person, kind: str, session: Session, match: Match, move_on: Any, key: str | None = None
) -> Case:
    return Case(reader, kind, "match", match.id or 0, match_payload(session, match), key, move_on)


def _proposal_offered_to_a_partner(session: Session) -> Case:
    partner, match = _line_match(session, MatchStatus.PROPOSED, MatchSource.STAFF)
    # Withdrawing the offer ends it (offers.services → matches.services.end_waiting_on_offer).
    return _about_match(
        partner, "proposal_offered", session, match, _set_match(match.id or 0, **_ended(MatchStatus.CANCELLED))
    )


def _proposal_offered_to_a_volunteer(session: Session) -> Case:
    volunteer, match = _shift_match(session, MatchStatus.PROPOSED, MatchSource.MATCHING_ROUND, SignupStatus.PENDING)
    # Answered (accepted): it now waits for the street, not for the volunteer.
    move_on = _set_match(match.id or 0, accepted_at=datetime.now(UTC))
    return _about_match(volunteer, "proposal_offered", session, match, move_on, "proposal_offered:round:0")


def _match_proposed(session: Session) -> Case:
    _, match = _line_match(session, MatchStatus.PROPOSED, MatchSource.PARTNER_CLAIM)
    move_on = _set_match(match.id or 0, status=MatchStatus.APPROVED, decided_at=datetime.now(UTC))
    return _about_match(mf.admin(session), "match_proposed", session, match, move_on)


def _proposal_answered(session: Session) -> Case:
    _, match = _line_match(session, MatchStatus.PROPOSED, MatchSource.STAFF, accepted_at=datetime.now(UTC))
    move_on = _set_match(match.id or 0, **_ended(MatchStatus.REJECTED))
    key = f"proposal_answered:need:{match.need_id}:accepted"
    case = _about_match(mf.admin(session), "proposal_answered", session, match, move_on, key)
    case.payload |= {"answer": "accepted", "who": "绿帆建材"}
    return case


def _claim_approved(session: Session) -> Case:
    partner, match = _line_match(session, MatchStatus.APPROVED, MatchSource.PARTNER_CLAIM)
    move_on = _set_match(match.id or 0, status=MatchStatus.FULFILLED, fulfilled_at=datetime.now(UTC))
    return _about_match(partner, "claim_approved", session, match, move_on)


def _match_approved(session: Session) -> Case:
    partner, match = _line_match(session, MatchStatus.APPROVED, MatchSource.PARTNER_CLAIM)
    return _about_match(
        partner, "match_approved", session, match, _set_match(match.id or 0, **_ended(MatchStatus.CANCELLED))
    )


def _match_decided_approval(session: Session) -> Case:
    volunteer, match = _shift_match(session, MatchStatus.APPROVED, MatchSource.VOLUNTEER_SIGNUP, SignupStatus.CONFIRMED)
    # Checked in: "Next: check in" is done, though the match stays approved until the check-out.
    return _about_match(volunteer, "match_decided", session, match, _set_signup(match.id or 0, SignupStatus.CHECKED_IN))


def _signup_confirmed_by_review(session: Session) -> Case:
    volunteer, match = _shift_match(session, MatchStatus.APPROVED, MatchSource.VOLUNTEER_SIGNUP, SignupStatus.CONFIRMED)
    return _about_match(
        volunteer, "signup_confirmed", session, match, _set_signup(match.id or 0, SignupStatus.CHECKED_IN)
    )


def _signup_confirmed_at_once(session: Session) -> Case:
    volunteer, match = _shift_match(session, MatchStatus.APPROVED, MatchSource.VOLUNTEER_SIGNUP, SignupStatus.CONFIRMED)
    # signups.py: about the shift. The volunteer cancelled their place.
    case = _about_match(
        volunteer, "signup_confirmed", session, match, _set_signup(match.id or 0, SignupStatus.CANCELLED)
    )
    case.subject_type, case.subject_id = "shift", match.shift_id or 0
    return case


def _shift_reminder(session: Session) -> Case:
    volunteer, match = _shift_match(session, MatchStatus.APPROVED, MatchSource.VOLUNTEER_SIGNUP, SignupStatus.CONFIRMED)
    case = _about_match(
        volunteer, "shift_reminder", session, match, _set_signup(match.id or 0, SignupStatus.CHECKED_IN)
    )
    case.subject_type, case.subject_id = "shift", match.shift_id or 0
    case.digest_key = f"shift_reminder:shift:{match.shift_id}"
    return case


CASES: dict[str, tuple[str, Callable[[Session], Case]]] = {
    "proposal offered to a partner, then withdrawn": ("proposal_offered", _proposal_offered_to_a_partner),
    "proposal offered to a volunteer, then answered": ("proposal_offered", _proposal_offered_to_a_volunteer),
    "proposal for review, then approved": ("match_proposed", _match_proposed),
    "accepted proposal for approval, then rejected": ("proposal_answered", _proposal_answered),
    "approved claim, then delivered": ("claim_approved", _claim_approved),
    "approved claim (seed data), then cancelled": ("match_approved", _match_approved),
    "approved sign-up (older row), then checked in": ("match_decided", _match_decided_approval),
    "sign-up confirmed by review, then checked in": ("signup_confirmed", _signup_confirmed_by_review),
    "sign-up confirmed at once, then cancelled": ("signup_confirmed", _signup_confirmed_at_once),
    "shift reminder, then checked in": ("shift_reminder", _shift_reminder),
}
# Kinds that ask the reader to act that this file does not read: where each is read, or why none needs to be.
HANDLED_ELSEWHERE = "read against its subject in tests/test_notifications_handled_more_kinds.py"
LEFT_TO_OTHERS = {
    "escalation_opened": HANDLED_ELSEWHERE,
    "organization.register": HANDLED_ELSEWHERE,
    "organization.reject": HANDLED_ELSEWHERE,
    "organization.resubmit": HANDLED_ELSEWHERE,
    "need_line_changed": HANDLED_ELSEWHERE,
    "need_line_closed": HANDLED_ELSEWHERE,
    "need_shift_changed": HANDLED_ELSEWHERE,
    "organization.approve": "an open-ended invitation (publish your offers): nothing to be done with",
    "organization.reinstate": "an open-ended invitation (publish your offers): nothing to be done with",
    "daily_digest": "it points at the centre itself, whose entries say what still waits",
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_notification_that_asked_to_act_reads_as_handled_once_nothing_waits(
    client: TestClient[Litestar], session: Session, name: str
) -> None:
    kind, build = CASES[name]
    case = build(session)
    assert case.kind == kind
    user_id = case.reader.user.id or 0
    send(
        session,
        user_id,
        case.kind,
        case.payload,
        echo=False,
        subject_type=case.subject_type,
        subject_id=case.subject_id,
        digest_key=case.digest_key,
    )
    session.commit()
    before = _centre(client, case.reader, EN)
    (digest,) = before["digests"]
    assert digest["next_step"].startswith("Next: ") and digest["no_longer_waiting"] is False, digest
    assert before["unread_entries"] == 1

    case.move_on(session)
    session.commit()
    after = _centre(client, case.reader, EN)
    (digest,) = after["digests"]
    assert digest["text"].startswith("No longer waiting: ") and TITLE in digest["text"], digest["text"]
    assert (digest["next_step"], digest["no_longer_waiting"], digest["unread"]) == ("Nothing to do.", True, 0)
    (item,) = digest["notifications"]
    assert (item["next_step"], item["no_longer_waiting"], item["read_at"]) == ("Nothing to do.", True, None)
    assert (after["unread_total"], after["unread_entries"]) == (0, 0)
    zh = _centre(client, case.reader, ZH)["digests"][0]
    assert zh["text"].startswith("已处理：") and TITLE in zh["text"] and zh["next_step"] == "无需操作。"
    with reading(session) as db:
        assert (unread_count(db, user_id), unread_entries(db, user_id)) == (0, 0)


def test_the_cases_cover_every_kind_that_asks_to_act() -> None:
    """Every kind whose sentence can say "Next: <do something>" is read against its subject's state here, or
    is named as another domain's with the reason."""
    line = {"match_kind": "offer_line", "line": "砖", "line_kind": "material", "quantity": "2", "unit": "m²"}
    shift = {"match_kind": "volunteer_shift", "shift": "督导", "starts_at": "2026-06-04T01:00:00+00:00"}
    variants = [{}, line, {"match_kind": "whole_need"}, shift, {"answer": "accepted"}]
    variants += [v | {"status": status} for v in (line, shift) for status in ("approved", "rejected")]
    variants += [{"outcome": outcome} for outcome in ("whole", "reduced", "recorded", "released", "moved")]
    token = current_locale.set("en")
    try:
        asking = {
            kind
            for kind in RENDERERS
            for variant in variants
            if (step := render(kind, {"need_id": 1, "need_title": TITLE, "level": "community"} | variant).next_step)
            and step.startswith("Next: ")
            and not step.startswith("Next: nothing")
        }
    finally:
        current_locale.reset(token)
    covered = {kind for kind, _build in CASES.values()}  # each with a case that ends what it asked
    assert covered <= set(ASKS)  # the kinds added since: tests/test_notifications_handled_more_kinds.py
    assert asking - covered - set(LEFT_TO_OTHERS) == set()
    assert asking >= covered


# --- one statement for all: the check adds no query per notification ----------------------------------------


def test_the_centre_and_the_badge_read_whether_each_still_applies_in_the_statements_they_send_anyway(
    client: TestClient[Litestar], session: Session, app: Litestar
) -> None:
    partner, offer_id, match_ids = _two_proposals(client, session)
    writer = {"Authorization": f"Bearer {token_for(session, partner.user, ('offers:write',))}"}
    assert client.post(f"/api/v1/offers/{offer_id}/withdraw", headers=writer).status_code == 200

    def add(n: int) -> None:
        for match_id in match_ids * n:
            send(
                session,
                partner.user.id or 0,
                "proposal_offered",
                {"match_id": match_id, "need_title": TITLE, "match_kind": "offer_line"},
                echo=False,
                subject_type="match",
                subject_id=match_id,
                digest_key=f"proposal_offered:round:{match_id}",  # an entry each: more rows to check
            )
        session.commit()

    def counts() -> tuple[int, int]:
        assert client.get("/api/v1/notifications", headers=partner.headers).status_code == 200
        with statements_of(app.state.engine) as api:
            client.get("/api/v1/notifications", headers=partner.headers)
        assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
        client.get("/notifications")
        with statements_of(app.state.engine) as page:
            text = client.get("/notifications").text
        client.cookies.clear()
        assert "inbox-badge" not in text
        return len(api), len(page)

    add(1)
    few = counts()
    add(6)
    assert counts() == few
