"""The notification centre: only the reader's own notifications, grouped into daily digests, read/unread."""

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.notifications.centre import centre_page, unread_count
from marketplace.notifications.digest import digest_key_for
from marketplace.notifications.models import Notification
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_user, post_form, reading, sign_in_as

# 10:00 in Qingdao on 2026-06-01 (02:00 UTC); the next street-local day starts 16:00 UTC.
MORNING = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def add_notifications(
    session: Session,
    user_id: int,
    count: int,
    *,
    kind: str = "signup_confirmed",
    start: datetime = MORNING,
    step: timedelta = timedelta(minutes=5),
    key: str | None = None,
    payload: dict[str, Any] | None = None,
    subject_id: int = 7,
) -> None:
    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            subject_type="need",
            subject_id=subject_id,
            digest_key=key or digest_key_for(kind, "need", 7),
            payload=payload or {"need_id": 7, "need_title": "湖岛新村改造"},
            created_at=start + step * n,
        )
        for n in range(count)
    ]
    session.add_all(rows)
    session.commit()


def my_ids(session: Session, user_id: int) -> list[int]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Notification.id).where(Notification.user_id == user_id)).scalars())


def unread_of(session: Session, user_id: int) -> int:
    with reading(session) as fresh:
        return unread_count(fresh, user_id)


def test_thirty_on_one_day_are_one_digest_and_two_days_are_two(session: Session) -> None:
    user = make_user(session, Role.VOLUNTEER)
    add_notifications(session, user.id, 30)
    with reading(session) as fresh:
        page = centre_page(fresh, user.id)
    assert [(d.count, d.unread) for d in page.digests] == [(30, 30)]
    assert len(page.digests[0].members) == 30

    other = make_user(session, Role.VOLUNTEER)
    # 15:30 and 16:30 UTC are 23:30 and 00:30 in Qingdao: two street-local days.
    add_notifications(session, other.id, 2, start=datetime(2026, 6, 1, 15, 30, tzinfo=UTC), step=timedelta(hours=1))
    with reading(session) as fresh:
        page = centre_page(fresh, other.id)
    assert [(d.day.isoformat(), d.count) for d in page.digests] == [("2026-06-02", 1), ("2026-06-01", 1)]


def test_page_shows_a_digest_and_never_another_users_notifications(
    client: TestClient[Litestar], session: Session
) -> None:
    me = sign_in_as(client, session, Role.PARTNER)
    stranger = make_user(session, Role.PARTNER)
    add_notifications(session, me.id, 12)
    add_notifications(session, stranger.id, 3, kind="claim_approved", payload={"need_id": 9, "need_title": "秘密项目"})
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "湖岛新村改造" in page.text and "12" in page.text
    assert "秘密项目" not in page.text
    body = client.get("/api/v1/notifications").json()
    assert body["unread_total"] == 12 and body["total_digests"] == 1
    digest = body["digests"][0]
    assert digest["count"] == 12 and digest["unread"] == 12 and len(digest["notifications"]) == 12
    assert {"digest_key", "day", "kind", "latest_at", "text", "link"} <= digest.keys()
    assert digest["link"] == "/projects/7"


def test_marking_read_touches_only_my_rows(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    me = sign_in_as(client, session, Role.VOLUNTEER)
    stranger = make_user(session, Role.VOLUNTEER)
    add_notifications(session, me.id, 3)
    add_notifications(session, stranger.id, 4)
    theirs = my_ids(session, stranger.id)
    token = csrf_for(client, settings)

    response = client.post("/api/v1/notifications/read", json={"ids": theirs}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json() == {"marked": 0}
    assert unread_of(session, stranger.id) == 4

    mine = my_ids(session, me.id)
    response = client.post("/api/v1/notifications/read", json={"ids": mine[:1]}, headers={"X-CSRF-Token": token})
    assert response.json() == {"marked": 1}
    assert unread_of(session, me.id) == 2

    response = post_form(client, settings, "/notifications/read", {"all": "1", "show": "unread"})
    assert response.status_code == 303 and response.headers["location"].startswith("/notifications?show=unread")
    assert unread_of(session, me.id) == 0
    assert unread_of(session, stranger.id) == 4
    # Marking again changes nothing: read_at is only set where it is still empty.
    again = client.post("/api/v1/notifications/read", json={"all": True}, headers={"X-CSRF-Token": token})
    assert again.json() == {"marked": 0}


def test_mark_one_digest_read_and_filter_unread(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    me = sign_in_as(client, session, Role.STAFF)
    add_notifications(session, me.id, 5)
    add_notifications(session, me.id, 2, kind="escalation_opened", start=MORNING + timedelta(hours=3))
    body = client.get("/api/v1/notifications?unread=true").json()
    assert [d["count"] for d in body["digests"]] == [2, 5]
    key, day = body["digests"][1]["digest_key"], body["digests"][1]["day"]
    response = post_form(client, settings, "/notifications/read", {"digest_key": key, "day": day})
    assert response.status_code == 303
    assert unread_of(session, me.id) == 2
    unread = client.get("/api/v1/notifications?unread=true").json()
    assert [d["kind"] for d in unread["digests"]] == ["escalation_opened"]
    everything = client.get("/api/v1/notifications").json()
    assert [(d["count"], d["unread"]) for d in everything["digests"]] == [(2, 2), (5, 0)]


def test_mark_read_names_the_missing_field(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.VOLUNTEER)
    token = csrf_for(client, settings)
    response = client.post("/api/v1/notifications/read", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and "ids" in response.text
    response = client.post("/api/v1/notifications/read", json={"digest_key": "k"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and "day" in response.text


def test_badge_counts_unread_for_every_role(client: TestClient[Litestar], session: Session) -> None:
    for role in (Role.ADMIN, Role.STAFF, Role.PARTNER, Role.VOLUNTEER):
        client.cookies.clear()
        user = sign_in_as(client, session, role)
        add_notifications(session, user.id, 4)
        page = client.get("/figures").text
        assert 'href="/notifications"' in page
        assert 'class="inbox-badge">1<' in page  # four of one kind and day: one entry


def test_anonymous_gets_no_centre(client: TestClient[Litestar]) -> None:
    assert client.get("/api/v1/notifications").status_code == 401
    assert 'href="/notifications"' not in client.get("/figures").text


def test_password_reset_link_never_shown(client: TestClient[Litestar], session: Session) -> None:
    me = sign_in_as(client, session, Role.VOLUNTEER)
    add_notifications(
        session, me.id, 1, kind="password_reset", key="password_reset:x", payload={"link": "/reset/SECRET"}
    )
    assert "SECRET" not in client.get("/notifications").text
    assert "SECRET" not in client.get("/api/v1/notifications").text


def test_pagination_of_digests(client: TestClient[Litestar], session: Session) -> None:
    me = sign_in_as(client, session, Role.VOLUNTEER)
    for n in range(25):
        add_notifications(session, me.id, 1, key=f"k{n}", start=MORNING + timedelta(minutes=n))
    first = client.get("/api/v1/notifications").json()
    second = client.get("/api/v1/notifications?page=2").json()
    assert (first["pages"], len(first["digests"]), len(second["digests"])) == (2, 20, 5)
    assert first["digests"][0]["digest_key"] == "k24"
    assert client.get("/notifications?page=2").status_code == 200


def test_a_digest_about_several_projects_lists_each_of_them(client: TestClient[Litestar], session: Session) -> None:
    me = sign_in_as(client, session, Role.ADMIN)
    # The seed data keys a whole day of one kind for one user together, across projects.
    for n, title in enumerate(("甲项目", "乙项目", "丙项目")):
        add_notifications(
            session,
            me.id,
            1,
            kind="match_proposed",
            key="match_proposed:1:2026-06-01",
            start=MORNING + timedelta(minutes=n),
            payload={"need_id": n + 1, "need_title": title},
            subject_id=n + 1,
        )
    client.cookies.set("lang", "en")
    digest = client.get("/api/v1/notifications").json()["digests"][0]
    assert (digest["count"], digest["subjects"]) == (3, 3)
    assert digest["text"] == "3 new proposals wait for your approval"  # linked to the review of that day
    assert [item["text"] for item in digest["notifications"]] == [
        f"A new proposal for {title} is waiting for review" for title in ("丙项目", "乙项目", "甲项目")
    ]
    assert [item["link"] for item in digest["notifications"]] == ["/projects/3", "/projects/2", "/projects/1"]
    client.cookies.set("lang", "zh_CN")
    page = client.get("/notifications").text
    assert "及另外" not in page
    assert all(f"“{title}”有一条新的对接申请待审核" in page for title in ("甲项目", "乙项目", "丙项目"))


def test_a_rejection_says_so_with_its_reason(client: TestClient[Litestar], session: Session) -> None:
    me = sign_in_as(client, session, Role.PARTNER)
    payload = {"need_id": 3, "need_title": "杭州支路铺设透水砖", "status": "rejected", "reason": "已由其他单位认领"}
    add_notifications(session, me.id, 1, kind="match_decided", key="match_decided:x", payload=payload)
    client.cookies.set("lang", "en")
    text = client.get("/api/v1/notifications").json()["digests"][0]["text"]
    assert text == "Your proposal for 杭州支路铺设透水砖 was rejected. Reason: 已由其他单位认领"
    client.cookies.set("lang", "zh_CN")
    assert "未获批准。理由：已由其他单位认领" in client.get("/notifications").text
