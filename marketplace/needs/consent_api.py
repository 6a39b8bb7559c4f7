"""The resident's contact and consent as JSON (/api/v1/needs/{id}/contact, /consent): staff of the grid, admins.

Showing the contact is audited (``need.contact_viewed``) and needs a token's ``contacts:read`` scope: a feeding
system that reads and writes needs does not see residents' phones by that alone.
"""

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from marketplace.db.deps import DbSession
from marketplace.needs import consent, contact
from marketplace.needs.api import NEED_EXCEPTION_HANDLERS, said_problem
from marketplace.security.deps import Actor
from marketplace.security.guards import staff_or_admin, token_scope


def _consent_problem(request: Request[Any, Any, Any], exc: consent.ConsentProblem) -> Response[dict[str, Any]]:
    return said_problem(request, exc, exc.status_code)


class NeedContactApiController(Controller):
    path = "/api/v1/needs"
    tags = ["needs"]
    guards = [staff_or_admin]
    exception_handlers = NEED_EXCEPTION_HANDLERS | {consent.ConsentProblem: _consent_problem}

    @post(
        "/{need_id:int}/contact",
        operation_id="showNeedContact",
        summary="The beneficiary's full contact (audited)",
        description="Staff whose scope covers the need's grid, and admins: the name, phone and address as stored. "
        "Each call writes a need.contact_viewed audit row (who, which need, when, from where; not the number). "
        "A token needs the contacts:read scope. 404 outside the caller's scope.",
        guards=[token_scope("contacts:read")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def show_contact(self, db: DbSession, actor: Actor, need_id: FromPath[int]) -> dict[str, Any]:
        need, shown = contact.reveal_to_staff(db, actor, need_id)
        return {"need_id": need.id, **shown.as_json()}

    @post(
        "/{need_id:int}/consent",
        operation_id="recordNeedConsent",
        summary="Record the resident's consent to share their contact",
        description="`method` is how it was obtained: oral, written or phone; `note` is optional (at most 500 "
        "characters). From then on partners with an approved claim and volunteers confirmed on a shift of the "
        "need may show the contact. 409 naming consent when one is already recorded. Audited "
        "(need.consent_recorded).",
        guards=[token_scope("needs:write")],
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
    )
    def record_consent(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[consent.ConsentIn]
    ) -> dict[str, Any]:
        return consent.consent_out(consent.record_consent(db, actor, need_id, data)) or {}

    @post(
        "/{need_id:int}/consent/withdraw",
        operation_id="withdrawNeedConsent",
        summary="Withdraw the resident's consent",
        description="Partners and volunteers no longer see the contact; the record stays as history with who "
        "withdrew it, when and the optional `reason`. 409 naming consent when none is recorded. Audited "
        "(need.consent_withdrawn).",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def withdraw_consent(
        self,
        db: DbSession,
        actor: Actor,
        need_id: FromPath[int],
        data: JSONBody[consent.WithdrawalIn | None] = None,
    ) -> dict[str, Any]:
        withdrawal = data or consent.WithdrawalIn()
        return consent.consent_out(consent.withdraw_consent(db, actor, need_id, withdrawal)) or {}
