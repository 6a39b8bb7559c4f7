"""A page of the notification centre made ready to show: every digest's heading and its items, rendered.

The centre page and the API both show this, so they say the same sentences. Everything here is
computed in the handler's thread (titles are looked up in one statement); templates only print it.
A notification whose subject no longer waits for the reader (``waiting.py``, read with the rows) keeps its
sentence with "Nothing to do." for its step; an entry of only such notifications reads as handled.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from marketplace.notifications.centre import CentrePage, Digest
from marketplace.notifications.groups import group_heading
from marketplace.notifications.handled import handled
from marketplace.notifications.messages import Message, render
from marketplace.notifications.models import Notification
from marketplace.notifications.phrases import nothing_to_do
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
    no_longer_waiting: bool = False  # it asked the reader to act; what it asked about no longer waits


@dataclass(frozen=True)
class DigestView:
    """One digest: its heading, its next step (when its items share one) and its items, newest first."""

    digest: Digest
    heading: Message
    next_step: str | None
    next_link: str | None
    items: list[Item]
    no_longer_waiting: bool = False  # every notification of it asked something that no longer waits


def _item(row: Notification, payload: dict[str, Any], ended: bool = False) -> Item:
    title = payload.get("need_title") or payload.get("title")
    message = render(row.kind, payload)
    if ended:  # what happened stays told; what it asked no longer waits
        message = Message(message.text, message.link, nothing_to_do().text, None)
    return Item(
        id=row.id or 0,
        kind=row.kind,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        title=str(title) if title else None,
        message=message,
        created_at=row.created_at,
        read_at=row.read_at,
        no_longer_waiting=ended,
    )


def _digest(digest: Digest, payloads: dict[int, dict[str, Any]]) -> DigestView:
    def payload_of(row: Notification) -> dict[str, Any]:
        return payloads.get(row.id or 0, row.payload or {})

    kind = digest.latest.kind
    items = [_item(row, payload_of(row), (row.id or 0) in digest.ended_ids) for row in digest.members]
    if digest.waiting <= 0:  # nothing of it waits for the reader any more
        heading = handled(kind, payload_of(digest.latest), digest.count)
        heading = Message(heading.text, items[0].message.link if items else None, heading.next_step)
        return DigestView(digest, heading, heading.next_step, None, items, no_longer_waiting=True)
    # Told of what still waits: the newest such notification, counted with the others that wait.
    still = [row for row in digest.members if (row.id or 0) not in digest.ended_ids] or [digest.latest]
    latest, count = payload_of(still[0]), digest.waiting
    heading = render(kind, latest, count, min(digest.subjects, count))
    title = latest.get("need_title") or latest.get("title")
    grouped = group_heading(kind, digest.digest_key, digest.day, count, title and str(title))
    if grouped is not None:
        heading = grouped  # several proposals for the admin: said once, with the count, linked to exactly them
    next_step, next_link = heading.next_step, heading.next_link
    steps = {(item.message.next_step, item.message.next_link) for item in items if not item.no_longer_waiting}
    if next_step is None and len(steps) == 1:
        next_step, next_link = steps.pop()  # every item still waiting asks the same thing: say it once
        several = render(kind, latest, count) if count > 1 else None
        if several is not None and several.next_step and several.next_link == next_link:
            next_step = several.next_step  # in the kind's words for several ("accept or decline them")
    return DigestView(digest, heading, next_step, next_link, items)


def present(session: Session, page: CentrePage) -> list[DigestView]:
    """The page's digests with their sentences, the missing titles looked up once for the whole page."""
    rows = {row.id: row for digest in page.digests for row in (digest.latest, *digest.members)}
    payloads = resolve(session, rows.values())
    return [_digest(digest, payloads) for digest in page.digests]
