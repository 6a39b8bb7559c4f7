"""An admin hears of a round's proposals as one entry with its count, linked to exactly those items.

A newcomer's walk found the street admin with 45 separate "a new proposal is waiting" notifications and a
badge of 45. Now notifications of one kind and target that arrive together are one entry ("6 proposals
from this round were accepted and wait for your approval" / "本轮匹配有 6 条推荐已被接受，待您批准"),
linked to the review filtered to them; the badge counts entries; marking the entry read marks them all.
Each notification stays its own row (grouping happens when the centre is read), so candidates answering
at the same moment, over real HTTP, each leave their row and still make one entry.
"""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.notifications.daily import send_digests
from marketplace.notifications.models import Notification
from marketplace.rounds.models import MatchRound
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import make_grid, post_form, reading, sign_in_as
from tests.test_concurrency import _figures, _fire
from tests.test_query_counts import _listing, statements_of_page

TITLE = "湖岛新村楼道清理"


def _badge(page: str) -> str | None:
    found = re.search(r'class="inbox-badge">([0-9+]+)<', page)
    return found.group(1) if found else None


def _lead(page: str) -> str:
    found = re.search(r'<p class="lead">(.*?)</p>', page, re.S)
    assert found is not None
    return " ".join(unescape(found.group(1)).split())


def test_a_rounds_answers_given_at_once_are_one_entry_linked_to_exactly_them(
    live_app: LiveApp,  # noqa: F811
    client: TestClient[object],
    session: Session,
    settings: Settings,
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN)
    grid = make_grid(session)
    need = mf.project(session, grid, title=TITLE)
    shift = mf.shift(session, need, slots=10, title="周六上午")
    matching_round = MatchRound()
    session.add(matching_round)
    session.commit()
    round_id = matching_round.id or 0
    people = []
    for _ in range(7):
        person, profile = mf.volunteer(session, grid)
        proposal = Match(
            need_id=need.id or 0,
            kind=MatchKind.VOLUNTEER_SHIFT,
            source=MatchSource.MATCHING_ROUND,
            round_id=round_id,
            shift_id=shift.id,
            volunteer_id=profile.id,
            status=MatchStatus.PROPOSED,
        )
        session.add(proposal)
        session.flush()
        session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=proposal.id))
        session.commit()
        people.append((person, proposal.id))

    # Six candidates accept at the same moment, one declines: every answer is its own row for the admin.
    calls: list[tuple[str, str, dict[str, str], object]] = [
        ("POST", f"/api/v1/proposals/{match_id}/accept", person.headers, None) for person, match_id in people[:6]
    ]
    person, match_id = people[6]
    calls.append(("POST", f"/api/v1/proposals/{match_id}/decline", person.headers, {"reason": "周六要上班"}))
    codes = _figures("six accept and one declines at once", _fire(live_app, calls), live_app)
    assert codes == Counter({200: 7}), codes
    with reading(session) as db:
        payloads = db.execute(
            sa.select(Notification.payload).where(
                Notification.user_id == admin.id, Notification.kind == "proposal_answered"
            )
        ).scalars()
        told = Counter(payload["answer"] for payload in payloads)
    assert dict(told) == {"accepted": 6, "declined": 1}

    client.cookies.set("lang", "en")
    page = client.get("/notifications").text
    assert _badge(page) == "2"  # two entries: the six accepted, the one declined
    assert _lead(page) == "2 unread notifications (7 items in all)"
    link = f"/review?round={round_id}&amp;answer=accepted"
    assert f'<a href="{link}">6 proposals from this round were accepted and wait for your approval</a>' in page
    assert page.count("6 proposals from this round") == 1

    # The link shows exactly these six in the review queue (the declined one is not there to decide).
    assert client.get(unescape(link)).status_code == 200
    queue = client.get(f"/api/v1/review?round={round_id}&answer=accepted").json()
    assert queue["total"] == 6
    assert sorted(item["id"] for item in queue["items"]) == sorted(match_id for _p, match_id in people[:6])

    client.cookies.set("lang", "zh_CN")
    zh = client.get("/notifications").text
    assert "本轮匹配有 6 条推荐已被接受，待您批准" in zh
    assert _badge(zh) == "2"
    assert _lead(zh) == "2 条未读消息（共 7 条）"

    # Marking the entry read marks all six; the badge counts the one entry left.
    body = client.get("/api/v1/notifications?unread=true").json()
    assert body["unread_total"] == 7 and body["unread_entries"] == 2
    accepted = next(d for d in body["digests"] if d["count"] == 6)
    assert accepted["link"] == f"/review?round={round_id}&answer=accepted"
    response = post_form(
        client, settings, "/notifications/read", {"digest_key": accepted["digest_key"], "day": accepted["day"]}
    )
    assert response.status_code == 303
    page = client.get("/notifications").text
    assert _badge(page) == "1"
    with reading(session) as db:
        unread = db.execute(
            sa.select(sa.func.count()).where(Notification.user_id == admin.id, Notification.read_at.is_(None))
        ).scalar_one()
    assert unread == 1


def test_a_days_new_proposals_are_one_entry_and_the_badge_counts_entries(
    client: TestClient[object], session: Session
) -> None:
    """The seeded street's admin: 45 new proposals of one day read as one entry, the badge says 1, not 45."""
    admin = sign_in_as(client, session, Role.ADMIN)
    day_start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Qingdao on 2026-06-01
    session.add_all(
        Notification(
            user_id=admin.id or 0,
            kind="match_proposed",
            subject_type="match",
            subject_id=1000 + n,
            digest_key=f"match_proposed:{admin.id}:2026-06-01",
            payload={"match_id": 1000 + n, "need_id": 7, "need_title": TITLE, "status": "proposed"},
            created_at=day_start + timedelta(minutes=5 * n),
        )
        for n in range(45)
    )
    session.add(
        Notification(
            user_id=admin.id or 0,
            kind="need_closed",
            subject_type="need",
            subject_id=7,
            digest_key="need_closed:need:7",
            payload={"need_id": 7, "title": TITLE},
            created_at=day_start,
        )
    )
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get("/notifications").text
    assert _badge(page) == "2"
    assert _lead(page) == "2 unread notifications (46 items in all)"
    assert '<a href="/review?from=2026-06-01&amp;to=2026-06-01">45 new proposals wait for your approval</a>' in page
    client.cookies.set("lang", "zh_CN")
    zh = client.get("/notifications").text
    assert "有 45 条新的对接申请待您批准" in zh and _badge(zh) == "2"


def test_the_daily_digest_says_a_groups_count_once(client: TestClient[object], session: Session) -> None:
    """The digest job's message for the admin of 45 new proposals names the 45 once, in both languages."""
    admin = sign_in_as(client, session, Role.ADMIN)
    now = datetime.now(UTC)
    session.add_all(
        Notification(
            user_id=admin.id or 0,
            kind="match_proposed",
            subject_type="match",
            subject_id=2000 + n,
            digest_key="match_proposed:round:9",
            payload={"match_id": 2000 + n, "need_id": 7, "need_title": TITLE, "round_id": 9},
            created_at=now - timedelta(minutes=50 - n),
        )
        for n in range(45)
    )
    session.commit()
    assert send_digests(session, now)["sent"] >= 1
    session.commit()
    client.cookies.set("lang", "en")
    digest = next(d for d in client.get("/api/v1/notifications").json()["digests"] if d["kind"] == "daily_digest")
    assert digest["text"] == "Unread today: 45 new proposals are waiting for review"
    client.cookies.set("lang", "zh_CN")
    digest = next(d for d in client.get("/api/v1/notifications").json()["digests"] if d["kind"] == "daily_digest")
    assert digest["text"] == "今天的未读消息：有 45 条新的对接申请待审核"
    # The round's 45 are one entry beside the digest: the badge says 2.
    assert _badge(client.get("/notifications").text) == "2"


def _proposals(session: Session, user_id: int, rounds: int, each: int, start: datetime) -> None:
    session.add_all(
        Notification(
            user_id=user_id,
            kind="proposal_answered",
            subject_type="match",
            subject_id=r * 1000 + n + 1,
            digest_key=f"proposal_answered:round:{r + 1}:accepted",
            payload={"match_id": r * 1000 + n + 1, "need_id": 7, "need_title": TITLE, "answer": "accepted"},
            created_at=start - timedelta(minutes=r * 5, seconds=n),
        )
        for r in range(rounds)
        for n in range(each)
    )
    session.commit()


def test_the_centre_and_its_badge_send_as_many_statements_for_ten_times_the_entries_and_rows(
    app: Litestar, client: TestClient[Litestar], session: Session
) -> None:
    """Grouping happens in SQL: no statement per entry or per notification (tests/test_query_counts.py's way)."""
    admin = sign_in_as(client, session, Role.ADMIN)
    start = datetime(2026, 6, 10, 4, 0, tzinfo=UTC)  # noon in Qingdao: every round falls on one street day
    _proposals(session, admin.id or 0, 2, 5, start)
    small = statements_of_page(app, client, "/notifications?show=unread")
    assert _badge(client.get("/notifications").text) == "2"
    _proposals(session, admin.id or 0, 20, 50, start - timedelta(days=3))
    large = statements_of_page(app, client, "/notifications?show=unread")
    assert _badge(client.get("/notifications").text) == "22"
    assert len(large) == len(small), _listing(large)
