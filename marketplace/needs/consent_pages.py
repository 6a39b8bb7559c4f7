"""The consent form of the staff need page: record the resident's consent to share their contact, or withdraw it.

Both go through ``marketplace.needs.consent`` (scope, one live record, audit). A refused form renders the need's
page again with the message next to the consent form: 400 naming the field, 409 when the state refused it.
"""

from typing import Any

from litestar import Controller, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import DbSession
from marketplace.forms import FormData, one, validate
from marketplace.i18n import gettext as _
from marketplace.needs import consent, services
from marketplace.needs.staff_pages import NeedStaffPagesController
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser


def _messages() -> dict[str, str]:
    return {
        "consent_method": _("Choose how the resident gave their consent."),
        "consent_note": _("The note may have at most 500 characters."),
        "withdraw_reason": _("The reason may have at most 500 characters."),
    }


def _refused(db: Session, actor: CurrentUser, need_id: int, **kwargs: Any) -> Template:
    db.rollback()
    try:
        return NeedStaffPagesController._detail(db, actor, need_id, **kwargs)
    except services.NeedNotFound:
        raise NotFoundException(_("No such need in your scope.")) from None


class NeedConsentPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{need_id:int}/consent", name="needs:consent-record", sync_to_thread=True)
    def record(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        values = {"consent_method": one(data, "method").strip(), "consent_note": one(data, "note").strip()}
        given, errors = validate(
            consent.ConsentIn, {"method": values["consent_method"], "note": values["consent_note"]}
        )
        if given is None:
            messages = {
                f"consent_{name}": _messages()[f"consent_{name}"] for name in errors if name in ("method", "note")
            }
            return _refused(db, actor, need_id, errors=messages, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            consent.record_consent(db, actor, need_id, given)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        except consent.ConsentProblem as refused:  # the sentence the API says too (needs.refusals)
            return _refused(db, actor, need_id, problem=refused.message, status_code=HTTP_409_CONFLICT)
        return Redirect(f"/needs/{need_id}?done=consent_recorded", status_code=HTTP_303_SEE_OTHER)

    @post("/{need_id:int}/consent/withdraw", name="needs:consent-withdraw", sync_to_thread=True)
    def withdraw(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        reason = one(data, "reason").strip()
        given, _errors = validate(consent.WithdrawalIn, {"reason": reason})
        if given is None:
            messages = {"withdraw_reason": _messages()["withdraw_reason"]}
            values = {"withdraw_reason": reason}
            return _refused(db, actor, need_id, errors=messages, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            consent.withdraw_consent(db, actor, need_id, given)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        except consent.ConsentProblem as refused:
            return _refused(db, actor, need_id, problem=refused.message, status_code=HTTP_409_CONFLICT)
        return Redirect(f"/needs/{need_id}?done=consent_withdrawn", status_code=HTTP_303_SEE_OTHER)
