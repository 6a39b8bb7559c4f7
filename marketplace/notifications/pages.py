"""The notification centre page (/notifications) for every signed-in role."""

from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData
from marketplace.notifications.centre import centre_page, mark_read
from marketplace.notifications.present import present
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required, sessions_only
from marketplace.whole_numbers import whole_number


def _int(value: Any) -> int | None:
    return whole_number(value.strip()) if isinstance(value, str) else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _back(form: dict[str, Any]) -> str:
    show = "unread" if form.get("show") == "unread" else "all"
    page = _int(form.get("page")) or 1
    return f"/notifications?show={show}&page={page}"


class NotificationPagesController(Controller):
    path = "/notifications"
    guards = [login_required, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="notifications:centre", sync_to_thread=True)
    def centre(
        self,
        reader: ReaderSession,
        actor: Actor,
        show: Annotated[str, QueryParameter(pattern="^(all|unread)$")] = "all",
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        result = centre_page(reader, actor.id, unread_only=show == "unread", page=page)
        return Template(
            "notifications/centre.html",
            context=page_context(reader, centre=result, digests=present(reader, result), show=show),
        )

    @post("/read", name="notifications:read", sync_to_thread=True)
    def read(self, db: DbSession, actor: Actor, data: FormData) -> Redirect:
        """Mark one (``id``), one digest (``digest_key`` and ``day``) or everything (``all``) read."""
        if data.get("all"):
            mark_read(db, actor.id, everything=True)
        elif (one := _int(data.get("id"))) is not None:
            mark_read(db, actor.id, ids=[one])
        elif data.get("digest_key") and (day := _day(data.get("day"))):
            mark_read(db, actor.id, digest_key=str(data["digest_key"]), day=day)
        return Redirect(_back(data), status_code=HTTP_303_SEE_OTHER)
