"""A page of the notification centre made ready to show: every digest's heading and its items, rendered.

The centre page and the API both show this, so they say the same sentences. Everything here is
computed in the handler's thread (titles are looked up in one statement); templates only print it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from marketplace.notifications.centre import CentrePage, Digest
from marketplace.notifications.groups import group_heading
from marketplace.notifications.messages import Message, render
from marketplace.notifications.models import Notification
from marketplace.notifications.subjects import resolve


@dataclass(frozen=True)
class Item:
    """One notification as the reader sees it."""

    id: int
    kind: str
    subject_type: str
    subject_id: int
    title: str | None  # the project's title, when it is about one
    message: Message
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class DigestView:
    """One digest: its heading, its next step (when its items share one) and its items, newest first."""

    digest: Digest
    heading: Message
    next_step: str | None
    next_link: str | None
    items: list[Item]


def _item(row: Notification, payload: dict[str, Any]) -> Item:
    title = payload.get("need_title") or payload.get("title")
    return Item(
        id=row.id or 0,
        kind=row.kind,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        title=str(title) if title else None,
        message=render(row.kind, payload),
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _digest(digest: Digest, payloads: dict[int, dict[str, Any]]) -> DigestView:
    items = [_item(row, payloads.get(row.id or 0, row.payload or {})) for row in digest.members]
    latest = payloads.get(digest.latest.id or 0, digest.latest.payload or {})
    heading = render(digest.latest.kind, latest, digest.count, digest.subjects)
    title = latest.get("need_title") or latest.get("title")
    grouped = group_heading(digest.latest.kind, digest.digest_key, digest.day, digest.count, title and str(title))
    if grouped is not None:
        heading = grouped  # several proposals for the admin: said once, with the count, linked to exactly them
    next_step, next_link = heading.next_step, heading.next_link
    steps = {(item.message.next_step, item.message.next_link) for item in items}
    if next_step is None and len(steps) == 1:
        next_step, next_link = steps.pop()  # every item asks the same thing: say it once
    return DigestView(digest, heading, next_step, next_link, items)


def present(session: Session, page: CentrePage) -> list[DigestView]:
    """The page's digests with their sentences, the missing titles looked up once for the whole page."""
    rows = {row.id: row for digest in page.digests for row in (digest.latest, *digest.members)}
    payloads = resolve(session, rows.values())
    return [_digest(digest, payloads) for digest in page.digests]
