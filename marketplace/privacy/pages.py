"""Pages: one's own data and deletion request, the admins' erasure requests, staff's resident requests."""

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.forms import FormData
from marketplace.i18n import gettext as _
from marketplace.needs.services import mask_name, mask_phone
from marketplace.own_password import retyped_password
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.privacy import erasure, residents
from marketplace.privacy.export import account_and_hours, export_own
from marketplace.privacy.export import summary as export_summary
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import admin_only, login_required, sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.whole_numbers import whole_number


def _text(form: dict[str, Any], key: str, limit: int = 200) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)[:limit]


def _message(problem: erasure.ErasureProblem | residents.LookupProblem) -> str:
    params = dict(getattr(problem, "params", ()) or ())
    return _(problem.message) % params if params else _(problem.message)


def json_download(data: dict[str, Any], filename: str) -> Response[bytes]:
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


class MyDataController(Controller):
    """One's own data: see it, download it, ask for the account to be deleted."""

    path = "/account/privacy"
    guards = [login_required, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _context(self, db: Session, actor: CurrentUser, **extra: Any) -> dict[str, Any]:
        user, hours = account_and_hours(db, actor.id)
        values = {"errors": {}, "notice": None} | extra
        return page_context(
            db,
            account=user,
            hours=hours,
            summary=export_summary(db, actor.id),
            requested_at=erasure.request_pending(db, actor.id),
            **values,
        )

    @get("/", name="privacy:mine", sync_to_thread=True)
    def page(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        notices = {
            "requested": _("Your request is sent. An administrator of the street will delete your account."),
            "withdrawn": _("Your request is withdrawn. Your account stays."),
        }
        notice = notices.get(request.query_params.get("done", ""))
        return Template("privacy/mine.html", context=self._context(reader, actor, notice=notice))

    @get("/data.json", name="privacy:download", sync_to_thread=True)
    def download(self, reader: ReaderSession, actor: Actor) -> Response[bytes]:
        return json_download(export_own(reader, actor), f"my-data-{utcnow():%Y%m%d}.json")

    @post("/erasure", name="privacy:request", sync_to_thread=True)
    def request_erasure(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        actor: Actor,
        data: FormData,
        client_address: ClientAddress,
    ) -> Template | Redirect:
        password, confirmed = _text(data, "password", 1024), bool(_text(data, "confirm"))
        if password and confirmed:
            # Before ``db`` is used: the check writes its count in a transaction of its own.
            checked = retyped_password(
                request, db, actor, password, client_address=client_address, back="/account/privacy"
            )
            if isinstance(checked, Template):
                return checked
        try:
            erasure.request_erasure(db, actor, password, confirmed)
        except erasure.ErasureProblem as problem:
            context = self._context(db, actor, errors={problem.field: _message(problem)})
            return Template("privacy/mine.html", context=context, status_code=problem.status_code)
        return Redirect(path="/account/privacy?done=requested", status_code=HTTP_303_SEE_OTHER)

    @post("/erasure/withdraw", name="privacy:withdraw", sync_to_thread=True)
    def withdraw(self, db: DbSession, actor: Actor) -> Template | Redirect:
        try:
            erasure.withdraw_request(db, actor)
        except erasure.ErasureProblem as problem:
            context = self._context(db, actor, errors={problem.field: _message(problem)})
            return Template("privacy/mine.html", context=context, status_code=problem.status_code)
        return Redirect(path="/account/privacy?done=withdrawn", status_code=HTTP_303_SEE_OTHER)


class AdminErasureController(Controller):
    """Admins see the open deletion requests and carry them out."""

    path = "/admin/privacy"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @staticmethod
    def _context(db: Session, actor: CurrentUser, **extra: Any) -> dict[str, Any]:
        values = {"errors": {}, "notice": None, "admin_section": "privacy", "failed_user_id": None} | extra
        return page_context(db, requests=erasure.pending_requests(db, actor), **values)

    @get("/", name="privacy:admin", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        erased = request.query_params.get("erased", "")
        notice = _("Account #%(id)s is erased.") % {"id": erased} if whole_number(erased) is not None else None
        return Template("privacy/admin.html", context=self._context(reader, actor, notice=notice))

    @post("/erasures", name="privacy:erase_by_form", sync_to_thread=True)
    def erase_by_form(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        """A request received on paper or at the counter: the admin names the account."""
        raw = _text(data, "user_id").strip().lstrip("#")
        user_id = whole_number(raw)
        if user_id is None:
            error = {"user_id": _("Enter the number of the account (user_id), e.g. 42.")}
            return Template("privacy/admin.html", context=self._context(db, actor, errors=error), status_code=400)
        return self._erase(db, actor, user_id, data)

    @post("/erasures/{user_id:int}", name="privacy:erase", sync_to_thread=True)
    def erase(self, db: DbSession, actor: Actor, user_id: FromPath[int], data: FormData) -> Template | Redirect:
        return self._erase(db, actor, user_id, data)

    def _erase(self, db: Session, actor: CurrentUser, user_id: int, data: dict[str, Any]) -> Template | Redirect:
        if not _text(data, "confirm"):
            error = {"confirm": _("Tick the box to confirm: erasure cannot be undone.")}
            return Template("privacy/admin.html", context=self._context(db, actor, errors=error), status_code=400)
        try:
            erasure.erase_user(db, actor, user_id)
        except erasure.ErasureProblem as problem:
            context = self._context(db, actor, errors={problem.field: _message(problem)}, failed_user_id=user_id)
            return Template("privacy/admin.html", context=context, status_code=problem.status_code)
        return Redirect(path=f"/admin/privacy?erased={user_id}", status_code=HTTP_303_SEE_OTHER)


def _need_rows(needs: list[Any]) -> list[dict[str, Any]]:
    """What the result list shows: masked, since the page only confirms whose needs they are."""
    return [
        {
            "id": need.id,
            "reference": f"XQ-{need.id:06d}",
            "title": need.title,
            "status": need.status,
            "name": mask_name(need.beneficiary_name),
            "phone": mask_phone(need.beneficiary_phone),
            "created_at": need.created_at,
        }
        for need in needs
    ]


class ResidentRequestsController(Controller):
    """Staff (of the resident's grid) and admins answer a resident's request: export or anonymise."""

    path = "/privacy/residents"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @staticmethod
    def _page(db: Session, status_code: int = 200, **extra: Any) -> Template:
        values = {"errors": {}, "notice": None, "lookup": {"phone": "", "reference": ""}, "needs": None} | extra
        return Template("privacy/residents.html", context=page_context(db, **values), status_code=status_code)

    def _find(self, db: Session, actor: CurrentUser, data: dict[str, Any]) -> tuple[list[Any], dict[str, str], str]:
        lookup = {"phone": _text(data, "phone", 40), "reference": _text(data, "reference", 40)}
        phone, need_id = residents.parse_lookup(lookup["phone"], lookup["reference"])
        return residents.find_needs(db, actor, phone, need_id), lookup, ("phone" if phone else "reference")

    @get("/", name="privacy:residents", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        done = request.query_params.get("anonymised", "")
        anonymised = whole_number(done, minimum=0)
        notice = _("%(count)s need(s) anonymised.") % {"count": anonymised} if anonymised is not None else None
        return self._page(reader, notice=notice)

    @post("/find", name="privacy:residents_find", sync_to_thread=True, status_code=200)
    def find(self, reader: ReaderSession, actor: Actor, data: FormData) -> Template:
        """A POST, so the phone number never sits in an address, a log or the browser's history."""
        try:
            needs, lookup, _by = self._find(reader, actor, data)
        except residents.LookupProblem as problem:
            return self._page(reader, 400, errors={problem.field: _message(problem)}, lookup=data_lookup(data))
        return self._page(reader, lookup=lookup, needs=_need_rows(needs))

    @post("/export", name="privacy:residents_export", sync_to_thread=True, status_code=200)
    def export(self, db: DbSession, actor: Actor, data: FormData) -> Response[bytes] | Template:
        try:
            needs, _lookup, by = self._find(db, actor, data)
        except residents.LookupProblem as problem:
            return self._page(db, 400, errors={problem.field: _message(problem)}, lookup=data_lookup(data))
        if not needs:
            return self._page(
                db, 404, errors={"phone": _("No need of yours matches.")}, lookup=data_lookup(data), needs=[]
            )
        document = residents.export_resident(db, actor, needs, by)
        return json_download(document, f"resident-data-{utcnow():%Y%m%d}.json")

    @post("/anonymise", name="privacy:residents_anonymise", sync_to_thread=True, status_code=200)
    def anonymise(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        try:
            needs, lookup, by = self._find(db, actor, data)
        except residents.LookupProblem as problem:
            return self._page(db, 400, errors={problem.field: _message(problem)}, lookup=data_lookup(data))
        if not _text(data, "confirm"):
            error = {"confirm": _("Tick the box to confirm: the contact cannot be restored.")}
            return self._page(db, 400, errors=error, lookup=lookup, needs=_need_rows(needs))
        if not needs:
            return self._page(db, 404, errors={"phone": _("No need of yours matches.")}, lookup=lookup, needs=[])
        count = residents.anonymise_resident(db, actor, needs, by)
        return Redirect(path=f"/privacy/residents?anonymised={count}", status_code=HTTP_303_SEE_OTHER)


def data_lookup(data: dict[str, Any]) -> dict[str, str]:
    return {"phone": _text(data, "phone", 40), "reference": _text(data, "reference", 40)}


PRIVACY_PAGE_HANDLERS: list[Any] = [MyDataController, AdminErasureController, ResidentRequestsController]
