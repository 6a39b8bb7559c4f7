"""A notification whose payload names its claim, sign-up, escalation or organization by something that is not a
whole number still reads, and so does everything on the reader's pages.

The "handled" rule (notifications/waiting.py) reads the id such a notification names from its payload, for all
of the reader's rows, in the statements the centre, the unread badge (on every page, in the login check) and the
daily digest send. Senders write numbers, but a row written by hand, by an older sender or an import may hold
"abc"; on PostgreSQL the rule cast it and the whole statement failed: the reader's every page answered 500.
Now such a row names nothing: it still waits (unread, its "Next: …" as it was told), and the rows beside it
read as before.
"""

from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.notifications import daily
from marketplace.notifications.centre import unread_count, unread_entries
from marketplace.notifications.outbox import send
from tests import matches_factories as mf
from tests.security_helpers import reading, sign_in_as

TITLE = "湖岛街道楼道照明改造"
NOT_NUMBERS = ["abc", "12abc", 12.5, "99999999999999999999", "", [3], {"id": 3}]
# Each kind that names what it asked about in its payload, and under which key.
NAMED = [
    ("need_line_changed", "match_id", {"outcome": "kept", "line": "LED灯", "before": "10", "after": "12"}),
    ("need_line_closed", "match_id", {"outcome": "whole", "line": "LED灯"}),
    ("need_shift_changed", "signup_id", {"outcome": "kept", "shift": "楼道清扫", "moved": True}),
    ("need_shift_changed", "match_id", {"outcome": "whole", "shift": "楼道清扫", "moved": True}),
    ("escalation_opened", "escalation_id", {"level": "community"}),
    ("organization.register", "organization_id", {"organization": "绿帆建材有限公司"}),
    ("organization.resubmit", "organization_id", {"organization": "绿帆建材有限公司"}),
    ("organization.reject", "organization_id", {"organization": "绿帆建材有限公司"}),
]


def _delivered_claim(session: Session, partner: mf.Person) -> Match:
    """A claim whose "deliver as agreed" no longer waits: the row beside the bad ones still reads as handled."""
    need = mf.project(session, title=TITLE)
    line = mf.line(session, need, "10")
    offer = mf.offer_of(session, partner.user)
    match = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=line.id,
        offer_id=offer.id,
        quantity=Decimal("2"),
        organization_id=partner.user.organization_id,
        status=MatchStatus.FULFILLED,
        fulfilled_at=utcnow(),
    )
    session.add(match)
    session.commit()
    return match


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_the_centre_the_badge_and_the_digest_still_answer(
    client: TestClient[Litestar], session: Session, value: Any
) -> None:
    reader = sign_in_as(client, session, Role.PARTNER)
    person = mf.with_token(session, reader)
    user_id = reader.id or 0
    need = mf.project(session, title=TITLE)
    for index, (kind, key, fields) in enumerate(NAMED):
        payload = {"need_id": need.id, "need_title": TITLE, key: value} | fields
        send(session, user_id, kind, payload, echo=False, digest_key=f"{kind}:bad:{index}")
    handled = _delivered_claim(session, person)
    payload = {"need_id": handled.need_id, "need_title": TITLE, "match_id": handled.id, "outcome": "kept"}
    send(session, user_id, "need_line_changed", payload | {"line": "LED灯"}, echo=False, digest_key="good")
    session.commit()

    answer = client.get("/api/v1/notifications", headers=person.headers | {"Accept-Language": "en"})
    assert answer.status_code == 200, answer.text[:500]
    body = answer.json()
    by_key = {digest["digest_key"]: digest for digest in body["digests"]}
    for index, (kind, _key, _fields) in enumerate(NAMED):
        digest = by_key[f"{kind}:bad:{index}"]
        assert digest["no_longer_waiting"] is False and digest["unread"] == 1, digest
        assert digest["next_step"].startswith("Next: "), digest
    assert by_key["good"]["no_longer_waiting"] is True and by_key["good"]["unread"] == 0
    assert (body["unread_total"], body["unread_entries"]) == (len(NAMED), len(NAMED))

    for path in ("/notifications", "/notifications?show=unread", "/"):  # the badge is on every page
        page = client.get(path, headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200, (path, page.text[:300])
    assert f'<span class="inbox-badge">{len(NAMED)}<' in client.get("/notifications").text
    with reading(session) as db:
        assert (unread_count(db, user_id), unread_entries(db, user_id)) == (len(NAMED), len(NAMED))
        assert daily.unread_by_kind(db, utcnow())[user_id]["need_line_changed"] == 1
