"""Claims, sign-ups, the review queue and delivery as JSON under /api/v1 (documented in OpenAPI)."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.matches import claims, contact_sharing, delivery, reasons, review, round_proposals, signups
from marketplace.matches.contact_api import SharedContactApiController
from marketplace.matches.models import Match, MatchStatus
from marketplace.matches.what_next import checked_out_message, delivered_message
from marketplace.needs.models import Shift
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, partner_only, staff_or_admin, token_scope, volunteer_only
from marketplace.validation import TYPED_INTEGER, Id, Quantity, Reason, optional, text
from marketplace.volunteers.models import ShiftSignup

WRITE = token_scope("matches:write")
READ = token_scope("matches:read")


class ClaimIn(BaseModel):
    kind: Literal["whole", "line"]
    resource_line_id: Id | None = None
    offer_id: Id | None = None
    quantity: Quantity | None = None


class ReasonIn(BaseModel):
    reason: optional(Reason) = None


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: optional(Reason) = None


class VerifyIn(BaseModel):
    satisfaction: Annotated[int, TYPED_INTEGER]
    comment: optional(text(1000)) = None


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def match_out(row: Match, *, own: bool = False) -> dict[str, Any]:
    """A match as the API gives it; ``own``: the reader is the partner or volunteer it is of (the reason said so)."""
    return {
        "id": row.id,
        "need_id": row.need_id,
        "kind": row.kind.value,
        "source": row.source.value,
        "status": row.status.value,
        "resource_line_id": row.resource_line_id,
        "offer_id": row.offer_id,
        "quantity": _num(row.quantity),
        "shift_id": row.shift_id,
        "volunteer_id": row.volunteer_id,
        "organization_id": row.organization_id,
        **reasons.reason_fields(row, own=own),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "fulfilled_at": row.fulfilled_at.isoformat() if row.fulfilled_at else None,
        "created_at": row.created_at.isoformat(),
        # A round's proposal waits for its candidate: awaiting / accepted / declined (None for other matches).
        "round_id": row.round_id,
        "accepted_at": row.accepted_at.isoformat() if row.accepted_at else None,
        "answer": round_proposals.answer_state(row),
    }


def signup_out(row: ShiftSignup, shift: Shift | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "shift_id": row.shift_id,
        "match_id": row.match_id,
        "status": row.status.value,
        "checked_in_at": row.checked_in_at.isoformat() if row.checked_in_at else None,
        "checked_out_at": row.checked_out_at.isoformat() if row.checked_out_at else None,
        "hours_credited": _num(row.hours_credited),
    }
    if shift is not None:
        data["shift"] = {
            "id": shift.id,
            "need_id": shift.need_id,
            "title": shift.title,
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
    return data


class ClaimsApiController(Controller):
    path = "/api/v1"
    tags = ["claims"]

    @post(
        "/projects/{need_id:int}/claims",
        operation_id="createClaim",
        summary="Claim a whole project or part of a resource line",
        description="Partners of an approved organization. kind=whole claims the project (409, extra.code "
        "already_claimed, if another live claim exists); kind=line needs resource_line_id, offer_id (one of "
        "your offers) and quantity (≤ the line's still_needed and ≤ the offer's remaining). The claim waits in "
        "the review queue; quantities are reserved when an admin approves.",
        guards=[partner_only, WRITE],
        status_code=201,
        sync_to_thread=True,
    )
    def create_claim(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[ClaimIn]
    ) -> dict[str, Any]:
        request = claims.ClaimRequest(data.kind, data.resource_line_id, data.offer_id, data.quantity)
        return match_out(claims.claim(db, actor, need_id, request), own=True)

    @get(
        "/claims",
        operation_id="listClaims",
        summary="My organization's claims",
        description="`contact_shared` says, for an approved claim, whether the resident's consent is recorded: "
        "then POST /api/v1/claims/{match_id}/contact shows the resident's contact (null for other claims). "
        "`status` keeps the claims of one status, `delivered_in` those delivered in one year (street calendar), "
        "as the page /claims does; the numbers of GET /api/v1/me/home link to these lists.",
        guards=[partner_only, READ],
        sync_to_thread=True,
    )
    def list_claims(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[MatchStatus | None] = None,
        delivered_in: Annotated[
            int | None, QueryParameter(ge=claims.FIRST_YEAR, le=claims.LAST_YEAR, description="Street year")
        ] = None,
    ) -> dict[str, Any]:
        rows = claims.list_claims(reader, actor, claims.ClaimFilters(status, delivered_in))
        shared = contact_sharing.consented_needs(reader, [row.need_id for row in rows])
        items = [
            match_out(row, own=True)
            | {"contact_shared": row.need_id in shared if row.status in contact_sharing.SHARED_CLAIMS else None}
            for row in rows
        ]
        return {"total": len(rows), "items": items}

    @post(
        "/claims/{match_id:int}/cancel",
        operation_id="cancelClaim",
        summary="Withdraw a claim; an approved line claim gives its quantity back",
        guards=[partner_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def cancel_claim(
        self, db: DbSession, actor: Actor, match_id: FromPath[int], data: JSONBody[ReasonIn | None] = None
    ) -> dict[str, Any]:
        return match_out(claims.cancel_claim(db, actor, match_id, data.reason if data else None), own=True)

    @post(
        "/claims/{match_id:int}/delivered",
        operation_id="markClaimDelivered",
        summary="Mark an approved claim delivered (fulfilled)",
        description="The claim as it is now, with `message`: what the partner is told, in their language "
        "(the street confirms with the resident and closes the project; they are told when it is closed).",
        guards=[partner_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def delivered(self, db: DbSession, actor: Actor, match_id: FromPath[int]) -> dict[str, Any]:
        # ``message``: what the partner reads on the page too, with what happens next.
        return match_out(delivery.mark_delivered(db, actor, match_id), own=True) | {"message": delivered_message()}


class SignupsApiController(Controller):
    path = "/api/v1"
    tags = ["sign-ups"]

    @post(
        "/shifts/{shift_id:int}/signups",
        operation_id="signUpForShift",
        summary="Sign up for a shift",
        description="Volunteers. Confirmed at once unless the shift requires approval (then pending review). "
        "201 for a new sign-up, 200 with the existing one when you are already signed up; 409 when the shift "
        "is full or overlaps a shift you are confirmed for; 403 `street_not_served_by_you` when the shift's street "
        "is not one you volunteer in (your home grid's street, or one you chose to serve).",
        guards=[volunteer_only, WRITE],
        status_code=201,
        sync_to_thread=True,
    )
    def sign_up(self, db: DbSession, actor: Actor, shift_id: FromPath[int]) -> Response[dict[str, Any]]:
        row, created = signups.sign_up(db, actor, shift_id)
        return Response(signup_out(row), status_code=201 if created else 200)

    @get(
        "/signups",
        operation_id="listSignups",
        summary="My sign-ups",
        description="`contact_shared` says, for a confirmed or checked-in sign-up, whether the resident's consent "
        "is recorded: then POST /api/v1/signups/{signup_id}/contact shows the resident's contact (null otherwise).",
        guards=[volunteer_only, READ],
        sync_to_thread=True,
    )
    def list_signups(self, reader: ReaderSession, actor: Actor) -> dict[str, Any]:
        rows = signups.list_signups(reader, actor)
        shared = contact_sharing.consented_needs(reader, [shift.need_id for _signup, shift in rows])
        items = [
            signup_out(signup, shift)
            | {"contact_shared": shift.need_id in shared if signup.status in contact_sharing.SHARED_SIGNUPS else None}
            for signup, shift in rows
        ]
        return {"total": len(rows), "items": items}

    @post(
        "/signups/{signup_id:int}/cancel",
        operation_id="cancelSignup",
        summary="Cancel a sign-up; a confirmed one gives its slot back",
        guards=[volunteer_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def cancel(
        self, db: DbSession, actor: Actor, signup_id: FromPath[int], data: JSONBody[ReasonIn | None] = None
    ) -> dict[str, Any]:
        return signup_out(signups.cancel_signup(db, actor, signup_id, data.reason if data else None))

    @post(
        "/signups/{signup_id:int}/check-in",
        operation_id="checkIn",
        summary="Check in to a confirmed shift",
        guards=[volunteer_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def check_in(self, db: DbSession, actor: Actor, signup_id: FromPath[int]) -> dict[str, Any]:
        return signup_out(delivery.check_in(db, actor, signup_id))

    @post(
        "/signups/{signup_id:int}/check-out",
        operation_id="checkOut",
        summary="Check out; hours within the shift window are credited",
        description="The sign-up as it is now, with `message`: what the volunteer is told, in their language "
        "(the street confirms with the resident and closes the project; they are told when it is closed).",
        guards=[volunteer_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def check_out(self, db: DbSession, actor: Actor, signup_id: FromPath[int]) -> dict[str, Any]:
        return signup_out(delivery.check_out(db, actor, signup_id)) | {"message": checked_out_message()}

    @post(
        "/signups/{signup_id:int}/no-show",
        operation_id="markNoShow",
        summary="Record that a confirmed volunteer did not come, once the shift is over",
        description="Staff of the need's grid or community, or the street's admin. The sign-up and its match become "
        "`no_show` and the volunteer's no-show count grows by one; refused with 409 `no_show_not_yet` before the "
        "shift ends and `no_show_not_confirmed` for a sign-up that is not confirmed (checked in, completed, "
        "cancelled, already a no-show).",
        guards=[staff_or_admin, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def no_show(self, db: DbSession, actor: Actor, signup_id: FromPath[int]) -> dict[str, Any]:
        return signup_out(delivery.mark_no_show(db, actor, signup_id))


class ReviewApiController(Controller):
    path = "/api/v1"
    tags = ["review"]

    @post(
        "/matches/{match_id:int}/decision",
        operation_id="decideMatch",
        summary="Approve or reject a proposed match",
        description="Admins. Rejecting needs a reason. Approving an offer-line claim takes its quantity from the "
        "offer and the line; when not enough is left the answer is 409 (extra.code not_enough_left) and the claim "
        "stays proposed. A match decided already gives 409.",
        guards=[admin_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def decide(self, db: DbSession, actor: Actor, match_id: FromPath[int], data: JSONBody[DecisionIn]) -> Any:
        if data.decision == "approve":
            return match_out(review.approve(db, actor, match_id))
        return match_out(review.reject(db, actor, match_id, data.reason))

    @post(
        "/needs/{need_id:int}/verify",
        operation_id="verifyNeed",
        summary="Verify a completed need and record the resident's satisfaction (1–5)",
        guards=[staff_or_admin, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def verify(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[VerifyIn]) -> dict[str, Any]:
        need = delivery.verify_need(db, actor, need_id, data.satisfaction, data.comment)
        return {
            "id": need.id,
            "status": need.status.value,
            "satisfaction": need.satisfaction,
            "satisfaction_comment": need.satisfaction_comment,
            "verified_at": need.verified_at.isoformat() if need.verified_at else None,
        }


MATCH_API_HANDLERS = [ClaimsApiController, SignupsApiController, ReviewApiController, SharedContactApiController]
