"""The notification centre as JSON: GET /api/v1/notifications, POST /api/v1/notifications/read."""

from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import ValidationException
from litestar.params import JSONBody, QueryParameter
from msgspec import Struct

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.notifications.centre import centre_page, mark_read
from marketplace.notifications.present import DigestView, Item, present
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required, token_scope


class MarkRead(Struct, forbid_unknown_fields=True):
    """Which of my notifications to mark read: ``ids``, one digest (``digest_key`` + ``day``), or ``all``."""

    ids: list[int] | None = None
    digest_key: str | None = None
    day: date | None = None
    all: bool = False


def _notification_out(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "subject_type": item.subject_type,
        "subject_id": item.subject_id,
        "title": item.title,
        "text": item.message.text,
        "link": item.message.link,
        "next_step": item.message.next_step,
        "next_link": item.message.next_link,
        "created_at": item.created_at.isoformat(),
        "read_at": item.read_at.isoformat() if item.read_at else None,
        "no_longer_waiting": item.no_longer_waiting,
    }


def _digest_out(view: DigestView) -> dict[str, Any]:
    digest = view.digest
    return {
        "digest_key": digest.digest_key,
        "day": digest.day.isoformat(),
        "kind": digest.latest.kind,
        "count": digest.count,
        "subjects": digest.subjects,
        "unread": digest.unread,
        "latest_at": digest.latest_at.isoformat(),
        "text": view.heading.text,
        "link": view.heading.link,
        "next_step": view.next_step,
        "next_link": view.next_link,
        "no_longer_waiting": view.no_longer_waiting,
        "notifications": [_notification_out(item) for item in view.items],
    }


class NotificationApiController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    guards = [login_required]

    @get(
        "/",
        operation_id="listMyNotifications",
        summary="My notifications, grouped into daily digests",
        description="Newest first; notifications with the same digest_key on the same day (Asia/Shanghai) are one "
        "digest with a count, its heading and its notifications (at most 50), each naming its project (title), "
        "the outcome and the next step (next_step, with next_link where to take it). Only the caller's own "
        "notifications. Texts are in the caller's language. unread_total counts unread notifications, "
        "unread_entries the digests holding them (what the badge shows). A notification that asked the caller to "
        "act about something that no longer waits for them (a proposal answered or ended, a claim delivered, a "
        "shift checked in, over or cancelled, an escalation acknowledged, an organization's application decided or "
        "sent again) says no_longer_waiting, its next_step is 'Nothing to do.', and it is not counted as "
        "unread; a digest of only such notifications says no_longer_waiting and that it is handled.",
        # Notifications report on claims, sign-ups and proposals: a token reads them with matches:read.
        guards=[token_scope("matches:read")],
        sync_to_thread=True,
    )
    def list_mine(
        self,
        reader: ReaderSession,
        actor: Actor,
        unread: Annotated[bool, QueryParameter(description="Only unread notifications")] = False,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    ) -> dict[str, Any]:
        result = centre_page(reader, actor.id, unread_only=unread, page=page)
        return {
            "unread_total": result.unread_total,
            "unread_entries": result.unread_entries,
            "page": result.page,
            "pages": result.pages,
            "total_digests": result.total_digests,
            "digests": [_digest_out(view) for view in present(reader, result)],
        }

    @post(
        "/read",
        operation_id="markMyNotificationsRead",
        summary="Mark my notifications read",
        description="Send ids, or digest_key with day, or all=true. Only the caller's unread rows change; "
        "the answer says how many.",
        guards=[token_scope("matches:write")],
        status_code=200,
        sync_to_thread=True,
    )
    def read(self, db: DbSession, actor: Actor, data: JSONBody[MarkRead]) -> dict[str, int]:
        if data.all:
            return {"marked": mark_read(db, actor.id, everything=True)}
        if data.ids:
            return {"marked": mark_read(db, actor.id, ids=data.ids)}
        if data.digest_key is not None or data.day is not None:
            missing = "day" if data.day is None else "digest_key" if not data.digest_key else None
            if missing:
                raise ValidationException(
                    f"{missing}: required with {'digest_key' if missing == 'day' else 'day'}",
                    extra=[{"key": missing, "message": "required to mark a digest read"}],
                )
            return {"marked": mark_read(db, actor.id, digest_key=data.digest_key, day=data.day)}
        raise ValidationException(
            "ids: send ids, digest_key with day, or all=true",
            extra=[{"key": "ids", "message": "nothing to mark: send ids, digest_key with day, or all=true"}],
        )
