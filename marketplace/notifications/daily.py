"""The daily digest: once a day, each user with unread notifications hears how many, by kind, in one message.

The ``notifications.digest`` job (scheduled at 18:00 street time by default, docs/jobs.md) counts, per
user, the unread notifications of the last day that no earlier digest counted (those newer than the
user's last digest) and sends one ``daily_digest`` notification through the outbox. The only channel
there is is the notification centre, so the digest is one centre entry ("今天您有 5 条未读消息：…")
linking to /notifications. Its once-key ``daily_digest:USER:DAY`` (the street's date) makes it at most
one per user per day, whoever runs the job and however often.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from marketplace.accounts.models import User
from marketplace.notifications.digest import street_day
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import send_once, sent_once_keys
from marketplace.notifications.waiting import waiting_unread

KIND = "daily_digest"
# How far back a digest looks: a day, so what came after yesterday's digest is counted too.
WINDOW = timedelta(days=1)


def once_key(user_id: int, now: datetime) -> str:
    return f"{KIND}:{user_id}:{street_day(now).isoformat()}"


def unread_by_kind(db: Session, now: datetime) -> dict[int, dict[str, int]]:
    """{user_id: {kind: unread count}} of active users: unread, of the last day, newer than their last digest."""
    earlier = aliased(Notification)
    last_digest = (
        sa.select(sa.func.coalesce(sa.func.max(earlier.id), 0))
        .where(earlier.user_id == Notification.user_id, earlier.kind == KIND)
        .scalar_subquery()
    )
    statement = (
        sa.select(Notification.user_id, Notification.kind, sa.func.count(Notification.id))
        .join(User, User.id == Notification.user_id)  # type: ignore[arg-type]
        .where(
            waiting_unread(now=now),  # unread, and still applying at the digest's moment (waiting.py)
            Notification.kind != KIND,
            Notification.created_at > now - WINDOW,
            Notification.created_at <= now,
            col(Notification.id) > last_digest,
            col(User.is_active).is_(True),
            col(User.daily_digest).is_(True),  # one may turn the digest off (/account)
        )
        .group_by(Notification.user_id, Notification.kind)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, kind, count in db.execute(statement).all():
        counts[int(user_id)][str(kind)] = int(count)
    return dict(counts)


def send_digests(db: Session, now: datetime) -> dict[str, int]:
    """One digest per user with unread news, in the caller's transaction: {"users": n, "sent": m}."""
    counts = unread_by_kind(db, now)
    already = sent_once_keys(db, [once_key(user_id, now) for user_id in counts])
    sent = 0
    for user_id, kinds in sorted(counts.items()):
        key = once_key(user_id, now)
        if key in already:
            continue
        sent += send_once(
            db,
            user_id,
            KIND,
            payload(now, kinds),
            once_key=key,
            subject_type="user",
            subject_id=user_id,
            digest_key=f"{KIND}:{user_id}",
        )
    return {"users": len(counts), "sent": sent}


def payload(now: datetime, kinds: dict[str, int]) -> dict[str, Any]:
    ordered = dict(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))
    return {"day": street_day(now).isoformat(), "total": sum(kinds.values()), "kinds": ordered}
