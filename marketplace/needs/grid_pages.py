"""Setting the grid of a resident's report filed without it (needs/unsure_grid.py): a form on the need's page.

A plain form post; success redirects to the need's page with a notice, a refusal shows the page again with
the message next to the field (400), or above it when the need changed or closed meanwhile (409).
"""

from litestar import Controller, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from marketplace.db.deps import DbSession
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.needs import services
from marketplace.needs.staff_pages import NeedStaffPagesController, _conflict_message, _version
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.whole_numbers import whole_number

FIELD = "grid-grid_id"  # the field's key on the need's page


class NeedGridPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{need_id:int}/grid", name="needs:set-grid", sync_to_thread=True)
    def set_grid(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        text = one(data, "grid_id").strip()
        grid_id = whole_number(text)
        values = {FIELD: text}
        if grid_id is None:
            errors = {FIELD: _("Choose a grid")}
            return self._again(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            services.set_grid(db, actor, need_id, grid_id, version=_version(data))
        except services.VersionConflict:
            return self._again(db, actor, need_id, problem=_conflict_message(), status_code=HTTP_409_CONFLICT)
        except services.NeedProblem as problem:
            if problem.status_code == HTTP_409_CONFLICT:  # the API's sentence, naming the status (needs.refusals)
                return self._again(db, actor, need_id, problem=problem.message, status_code=HTTP_409_CONFLICT)
            errors = {FIELD: _("Choose one of the offered values.")}
            return self._again(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        return Redirect(f"/needs/{need_id}?done=grid_set", status_code=HTTP_303_SEE_OTHER)

    @staticmethod
    def _again(db: DbSession, actor: Actor, need_id: int, **page: object) -> Template:
        db.rollback()  # nothing of the refused change is kept
        return NeedStaffPagesController._detail(db, actor, need_id, **page)  # type: ignore[arg-type]
