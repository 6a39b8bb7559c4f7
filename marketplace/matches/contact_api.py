"""The resident's contact for the partner or volunteer who delivers, as JSON (rules: contact_sharing.py)."""

from typing import Any

from litestar import Controller, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from marketplace.db.deps import DbSession
from marketplace.matches import contact_sharing
from marketplace.security.deps import Actor
from marketplace.security.guards import partner_only, token_scope, volunteer_only

CONTACTS = token_scope("contacts:read")
WHEN = (
    "Only while the resident's consent is recorded by the street's staff; otherwise 403 naming consent (ask the "
    "street office, whose grid and service station GET /api/v1/grids lists). Each call writes a need.contact_shared "
    "audit row naming the {what} and the consent it relied on. A token needs the contacts:read scope."
)


class SharedContactApiController(Controller):
    path = "/api/v1"
    tags = ["claims"]

    @post(
        "/claims/{match_id:int}/contact",
        operation_id="showClaimContact",
        summary="The resident's contact for an approved claim (with consent; audited)",
        description="Partners: the name, phone and address of the need's beneficiary, for your organization's "
        "approved claim (403 naming claim for a proposed, fulfilled or cancelled one; 404 for another's). "
        + WHEN.format(what="claim"),
        guards=[partner_only, CONTACTS],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def claim_contact(self, db: DbSession, actor: Actor, match_id: FromPath[int]) -> dict[str, Any]:
        row, shown = contact_sharing.claim_contact(db, actor, match_id)
        return {"match_id": row.id, "need_id": row.need_id, **shown.as_json()}

    @post(
        "/signups/{signup_id:int}/contact",
        operation_id="showSignupContact",
        summary="The resident's contact for a confirmed shift (with consent; audited)",
        description="Volunteers: the name, phone and address of the need's beneficiary, for your confirmed or "
        "checked-in sign-up (403 naming signup otherwise; 404 for another's). " + WHEN.format(what="sign-up"),
        guards=[volunteer_only, CONTACTS],
        tags=["sign-ups"],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def signup_contact(self, db: DbSession, actor: Actor, signup_id: FromPath[int]) -> dict[str, Any]:
        row, shown = contact_sharing.signup_contact(db, actor, signup_id)
        return {"signup_id": row.id, **shown.as_json()}
