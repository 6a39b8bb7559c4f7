"""The notification centre as JSON: GET /api/v1/notifications, POST /api/v1/notifications/read."""

from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import ValidationException
from litestar.params import JSONBody, QueryParameter
from msgspec import Struct

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.notifications.centre import Digest, centre_page, mark_read
from marketplace.notifications.messages import render
from marketplace.notifications.models import Notification
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required


class MarkRead(Struct, forbid_unknown_fields=True):
    """Which of my notifications to mark read: ``ids``, one digest (``digest_key`` + ``day``), or ``all``."""

    ids: list[int] | None = None
    digest_key: str | None = None
    day: date | None = None
    all: bool = False


def _notification_out(row: Notification) -> dict[str, Any]:
    message = render(row.kind, row.payload)
    return {
        "id": row.id,
        "kind": row.kind,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "text": message.text,
        "link": message.link,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


def _digest_out(digest: Digest) -> dict[str, Any]:
    message = render(digest.latest.kind, digest.latest.payload, digest.count, digest.subjects)
    return {
        "digest_key": digest.digest_key,
        "day": digest.day.isoformat(),
        "kind": digest.latest.kind,
        "count": digest.count,
        "subjects": digest.subjects,
        "unread": digest.unread,
        "latest_at": digest.latest_at.isoformat(),
        "text": message.text,
        "link": message.link,
        "notifications": [_notification_out(row) for row in digest.members],
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
        "digest with a count. Only the caller's own notifications. Texts are in the caller's language.",
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
            "page": result.page,
            "pages": result.pages,
            "total_digests": result.total_digests,
            "digests": [_digest_out(digest) for digest in result.digests],
        }

    @post(
        "/read",
        operation_id="markMyNotificationsRead",
        summary="Mark my notifications read",
        description="Send ids, or digest_key with day, or all=true. Only the caller's unread rows change; "
        "the answer says how many.",
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
