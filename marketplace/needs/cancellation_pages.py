"""The "Cancel this need" form of a need's staff page (/needs/{id}): a reason and a confirmation, a plain form post.

Success redirects to the page with a notice; a reason or confirmation missing renders the page again (400) with
the message next to the field and the typed reason kept; a state that refuses (409: the need has ended, someone
saved first) says so above the form. The work is the domain's (marketplace.needs.cancellation), as for the API.
"""

from typing import Any

from litestar import Controller, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from marketplace.db.deps import DbSession
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.matches.services import Conflict
from marketplace.needs import cancellation, services
from marketplace.needs.staff_pages import NeedStaffPagesController, _conflict_message, _version, _visible
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin


class NeedCancellationPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{need_id:int}/cancel", name="needs:staff-cancel", sync_to_thread=True)
    def cancel(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        _visible(db, actor, need_id)
        reason = one(data, "reason").strip()
        values = {"cancel_reason": reason, "cancel_confirm": one(data, "confirm")}
        errors: dict[str, str] = {}
        try:
            cancellation.clean_reason(reason)
        except services.NeedProblem as refused:  # the sentence the API says too (needs.refusals)
            errors["cancel_reason"] = refused.message
        if one(data, "confirm") != "yes":
            errors["cancel_confirm"] = _("Tick the box to confirm that every claim and sign-up on it ends.")
        if errors:
            return self._page(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            cancellation.cancel_need(db, actor, need_id, reason=reason, version=_version(data) or 0)
        except services.WrongStatus as refusal:
            message = _("This need is %(status)s: it can no longer be cancelled.") % {
                "status": refusal.current.status.label
            }
            return self._page(db, actor, need_id, problem=message, values=values, status_code=HTTP_409_CONFLICT)
        except Conflict as busy:  # said in the reader's language where raised (cancellation.busy)
            return self._page(
                db, actor, need_id, problem=str(busy.detail), values=values, status_code=HTTP_409_CONFLICT
            )
        except services.VersionConflict:
            return self._page(
                db, actor, need_id, problem=_conflict_message(), values=values, status_code=HTTP_409_CONFLICT
            )
        return Redirect(f"/needs/{need_id}?done=cancelled", status_code=HTTP_303_SEE_OTHER)

    @staticmethod
    def _page(
        db: Any,
        actor: Any,
        need_id: int,
        *,
        values: dict[str, str],
        status_code: int,
        errors: dict[str, str] | None = None,
        problem: str | None = None,
    ) -> Template:
        db.rollback()  # nothing of a refused cancellation is kept; the page shows the need as it is
        return NeedStaffPagesController._detail(
            db, actor, need_id, errors=errors, values=values, problem=problem, status_code=status_code
        )
