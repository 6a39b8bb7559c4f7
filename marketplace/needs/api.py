"""The need list as JSON (/api/v1/needs): staff, admins and feeding systems (12345 hotline, e-home)."""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_409_CONFLICT
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from marketplace.api_errors import STATUS_CODES, use_reader_locale
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.i18n import gettext
from marketplace.masking import mask_name, mask_phone
from marketplace.matches import services as matches_services
from marketplace.needs import cancellation, changes, consent, duplicates, escalation, refusals, services
from marketplace.needs.models import Escalation, Need, NeedStatus
from marketplace.needs.schemas import (
    LineClosing,
    LineQuantityChange,
    NeedCreate,
    NeedRejection,
    NeedUpdate,
    ShiftCancellation,
    ShiftChange,
)
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, staff_or_admin, token_scope
from marketplace.validation import Id, Reason, Version, optional
from marketplace.vocabulary import Category, IntakeChannel, Urgency

MAX_PAGE = 100_000
ESCALATIONS_PAGE_SIZE = 50  # as the escalations page (escalation_pages.PAGE_SIZE)
IDEMPOTENCY_HEADER = "Idempotency-Key"


class VersionIn(BaseModel):
    """The version the caller saw; optional for decisions (without it, only the status is checked)."""

    version: optional(Version) = None


class MergeIn(BaseModel):
    """Merge this need into ``target_id``; ``version`` is this need's, ``target_version`` optionally the target's."""

    target_id: Id
    version: Version
    target_version: optional(Version) = None


class CancelIn(BaseModel):
    """Cancel the need: why (told to everyone whose claim or sign-up ends, and to the resident), and the
    ``version`` you read."""

    reason: Reason
    version: Version


class EscalateIn(BaseModel):
    reason: Reason
    department_id: optional(Id) = None


def escalation_out(row: Escalation) -> dict[str, Any]:
    return {
        "id": row.id,
        "need_id": row.need_id,
        "level": row.level.value,
        "department_id": row.department_id,
        "reason": row.reason,
        "opened_at": _iso(row.opened_at),
        "deadline_at": _iso(row.deadline_at),
        "acknowledged_at": _iso(row.acknowledged_at),
    }


class RejectionIn(NeedRejection):
    version: optional(Version) = None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def need_out(need: Need, *, full: bool) -> dict[str, Any]:
    """A need as JSON. Lists mask the beneficiary's name and phone and leave the address out; ``full`` (one need)
    shows the name and address as the staff page does, the phone still masked: the full contact is
    ``POST /api/v1/needs/{id}/contact``, an audited act."""
    name, phone = need.beneficiary_name, need.beneficiary_phone
    return {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "category": need.category.value,
        "grid_id": need.grid_id,
        "channel": need.channel.value,
        "urgency": need.urgency.value,
        "due_date": _iso(need.due_date),
        "beneficiary_name": name if full else mask_name(name),
        "beneficiary_phone": mask_phone(phone),
        "beneficiary_address": need.beneficiary_address if full else None,
        "status": need.status.value,
        "status_reason": need.status_reason,
        "duplicate_of_id": need.duplicate_of_id,
        "escalation_level": need.escalation_level.value if need.escalation_level else None,
        "version": need.version,
        "created_at": _iso(need.created_at),
        "updated_at": _iso(need.updated_at),
        "published_at": _iso(need.published_at),
    }


def need_detail_out(db: Session, need: Need) -> dict[str, Any]:
    assert need.id is not None
    data = need_out(need, full=True)
    data["ready_to_verify"] = matches_services.is_ready_to_verify(db, need.id)  # as the need list says it
    data["consent"] = consent.consent_out(consent.live_consent(db, need.id))
    data["intakes"] = [
        {
            "id": row.id,
            "channel": row.channel.value,
            "external_ref": row.external_ref,
            "idempotency_key": row.idempotency_key,
            "reporter_note": row.reporter_note,
            "received_at": _iso(row.received_at),
        }
        for row in services.intakes_of(db, need.id)
    ]
    data["resource_lines"] = [
        {
            "id": row.id,
            "kind": row.kind.value,
            "category": row.category.value,
            "description": row.description,
            "quantity": str(row.quantity),
            "unit": row.unit,
            "item_key": row.item_key,  # the item vocabulary's key for what the line names (null: none)
            "still_needed": str(row.still_needed),
            "closed_at": _iso(row.closed_at),
            "closed_reason": row.closed_reason,
        }
        for row in services.lines_of(db, need.id)
    ]
    data["shifts"] = [
        {
            "id": row.id,
            "title": row.title,
            "location": row.location,
            "starts_at": _iso(row.starts_at),
            "ends_at": _iso(row.ends_at),
            "slots": row.slots,
            "confirmed_count": row.confirmed_count,
            "requires_approval": row.requires_approval,
            "cancelled_at": _iso(row.cancelled_at),
            "cancel_reason": row.cancel_reason,
        }
        for row in services.shifts_of(db, need.id)
    ]
    return data


def problem(
    field: str, message: str, status_code: int = 400, code: str | None = None, **facts: Any
) -> Response[dict[str, Any]]:
    """A refusal naming the field, with its stable code (by its status where the raiser gave none) and its facts."""
    entry = {"key": field, "message": message, "code": code or STATUS_CODES.get(status_code, "invalid"), **facts}
    return Response(
        {"status_code": status_code, "detail": f"{field}: {message}", "extra": [entry]}, status_code=status_code
    )


def conflict(current: Need, message: str, code: str, **facts: Any) -> Response[dict[str, Any]]:
    body = {
        "status_code": HTTP_409_CONFLICT,
        "detail": message,
        "extra": {"code": code, **facts},
        "current": need_out(current, full=True),
    }
    return Response(body, status_code=HTTP_409_CONFLICT)


def said_problem(request: Request[Any, Any, Any], exc: refusals.Said, status_code: int) -> Response[dict[str, Any]]:
    """A needs refusal as the API answers it: the sentence in the reader's language, the code, the field, the facts."""
    use_reader_locale(request)
    return problem(exc.field, exc.message, status_code, exc.code, **exc.facts)


def _need_problem(request: Request[Any, Any, Any], exc: services.NeedProblem) -> Response[dict[str, Any]]:
    return said_problem(request, exc, exc.status_code)


def _not_found(request: Request[Any, Any, Any], exc: services.NeedNotFound) -> Response[dict[str, Any]]:
    """(The app's 404 handler answers first where one is set: NeedNotFound carries the same detail and extra.)"""
    use_reader_locale(request)
    need_id = exc.need_id
    detail = gettext(refusals.NEED_NOT_FOUND) % {"need_id": need_id}
    body = {"status_code": 404, "detail": detail, "extra": {"code": "need_not_found", "need_id": need_id}}
    return Response(body, status_code=404)


def _version_conflict(request: Request[Any, Any, Any], exc: services.VersionConflict) -> Response[dict[str, Any]]:
    use_reader_locale(request)
    return conflict(exc.current, f"version: {gettext(refusals.VERSION_CONFLICT)}", "version_conflict")


def _wrong_status(request: Request[Any, Any, Any], exc: services.WrongStatus) -> Response[dict[str, Any]]:
    use_reader_locale(request)
    status = exc.current.status
    message = gettext(refusals.WRONG_STATUS) % {"status": status.label}
    return conflict(exc.current, f"status: {message}", "wrong_status", status=status.value)


def _escalation_problem(request: Request[Any, Any, Any], exc: escalation.EscalationProblem) -> Response[Any]:
    return said_problem(request, exc, exc.status_code)


def _change_refused(request: Request[Any, Any, Any], exc: changes.ChangeRefused) -> Response[Any]:
    return said_problem(request, exc, exc.status_code)


def change_out(db: Session, result: changes.ChangeResult) -> dict[str, Any]:
    """The need after a change, and the claims and sign-ups the change adjusted."""
    return need_detail_out(db, result.need) | {
        "adjusted": {
            "claims_reduced": result.claims_reduced,
            "claims_released": result.claims_released,
            "signups_released": result.signups_released,
        }
    }


NEED_EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    changes.ChangeRefused: _change_refused,
    escalation.EscalationProblem: _escalation_problem,
    services.NeedProblem: _need_problem,
    services.NeedNotFound: _not_found,
    services.VersionConflict: _version_conflict,
    services.WrongStatus: _wrong_status,
}


def _with_header_key(request: Request[Any, Any, Any], data: NeedCreate) -> NeedCreate:
    """The Idempotency-Key header and the body's idempotency_key are one value; both sent must agree."""
    header = request.headers.get(IDEMPOTENCY_HEADER)
    if header is None:
        return data
    if data.idempotency_key is not None and data.idempotency_key != header.strip():
        message = gettext(refusals.KEY_DIFFERS)
        raise ValidationException(
            f"idempotency_key: {message}",
            extra=[{"key": "idempotency_key", "message": message, "code": "idempotency_key_differs"}],
        )
    try:
        return NeedCreate.model_validate(data.model_dump() | {"idempotency_key": header})
    except ValidationError:
        message = gettext(refusals.KEY_INVALID)
        entry = {"key": "Idempotency-Key", "message": message, "source": "header", "code": "invalid_idempotency_key"}
        raise ValidationException(f"Idempotency-Key: {message}", extra=[entry]) from None


class NeedApiController(Controller):
    path = "/api/v1/needs"
    tags = ["needs"]
    guards = [staff_or_admin]
    exception_handlers = NEED_EXCEPTION_HANDLERS

    @get(
        "/",
        operation_id="listNeeds",
        summary="The need list",
        description="Staff: needs of their grids or community; admins: all. Newest first, filtered and paged. "
        "Beneficiaries' names and phones are masked. Each item's `ready_to_verify` says whether nothing is left "
        "to wait for (a status that verifies, every line delivered or closed as enough, every shift over or "
        "cancelled, no approved claim undelivered): staff may verify it now; `ready_to_verify=true` lists those "
        "only.",
        guards=[token_scope("needs:read")],
        sync_to_thread=True,
    )
    def list_needs(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[NeedStatus | None] = None,
        category: FromQuery[Category | None] = None,
        grid: Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647, description="Grid id")] = None,
        channel: FromQuery[IntakeChannel | None] = None,
        urgency: FromQuery[Urgency | None] = None,
        to_review: Annotated[bool, QueryParameter(description="Only needs waiting for review")] = False,
        ready_to_verify: Annotated[
            bool, QueryParameter(description="Only needs ready to verify: nothing left to wait for")
        ] = False,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        filters = services.NeedFilters(
            status=status,
            category=category,
            grid_id=grid,
            channel=channel,
            urgency=urgency,
            to_review=to_review,
            ready_to_verify=ready_to_verify,
        )
        listing = services.list_needs(reader, actor, filters, page=page, page_size=page_size)
        return {
            "total": listing.total,
            "page": listing.page,
            "page_size": listing.page_size,
            "items": [need_out(row, full=False) | {"ready_to_verify": row.id in listing.ready} for row in listing.rows],
        }

    @post(
        "/",
        operation_id="createNeed",
        summary="Record a need (staff, or a feeding system with a needs:write token)",
        description="With an Idempotency-Key header (or body field idempotency_key) the same key never makes "
        "two needs: the first request gets 201, a repeat 200 with the same need. The grid must be in the "
        "caller's scope (403 naming grid_id otherwise).",
        guards=[token_scope("needs:write")],
        sync_to_thread=True,
    )
    def create_need(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, data: JSONBody[NeedCreate]
    ) -> Response[dict[str, Any]]:
        need, created = services.create_need(db, actor, _with_header_key(request, data))
        return Response(need_detail_out(db, need), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/{need_id:int}",
        operation_id="getNeed",
        summary="One need with its intake records, lines and shifts",
        description="404 when the need does not exist or is outside the caller's scope. The beneficiary's phone "
        "is masked; POST /api/v1/needs/{need_id}/contact shows it in full and is recorded in the audit log. "
        "`consent` is the resident's consent to share the contact with those who deliver (null when none). "
        "`ready_to_verify`: nothing is left to wait for, staff may verify the need now (as the need list says).",
        guards=[token_scope("needs:read")],
        sync_to_thread=True,
    )
    def get_need(self, reader: ReaderSession, actor: Actor, need_id: FromPath[int]) -> dict[str, Any]:
        return need_detail_out(reader, services.get_visible_need(reader, actor, need_id))

    @patch(
        "/{need_id:int}",
        operation_id="updateNeed",
        summary="Edit a need (optimistic locking)",
        description="Send the `version` you read; if the need changed since, 409 with the current values.",
        guards=[token_scope("needs:write")],
        sync_to_thread=True,
    )
    def update_need(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[NeedUpdate]
    ) -> dict[str, Any]:
        return need_detail_out(db, services.update_need(db, actor, need_id, data))

    @post(
        "/{need_id:int}/review",
        operation_id="startNeedReview",
        summary="Take a submitted need into review",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def review(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[VersionIn]) -> dict[str, Any]:
        return need_out(services.start_review(db, actor, need_id, version=data.version), full=True)

    @post(
        "/{need_id:int}/publish",
        operation_id="publishNeed",
        summary="Publish a reviewed need as a project on the public board",
        description="From submitted or under_review; 409 otherwise (or when `version` is stale). A need must ask "
        "for something: 409 naming `lines` when no resource line still needs a quantity and no shift has a free "
        "place (such a project could never be claimed or closed), and 409 naming `grid_id` when the need is a "
        "resident's report whose grid is still to confirm (`grid_to_confirm`; set it first); nothing is changed.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def publish(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[VersionIn]) -> dict[str, Any]:
        return need_out(services.publish_need(db, actor, need_id, version=data.version), full=True)

    @post(
        "/{need_id:int}/reject",
        operation_id="rejectNeed",
        summary="Reject a need with a reason",
        description="`reason` is required (400 naming it otherwise); `duplicate_of_id` may name the need it repeats.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def reject(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[RejectionIn]
    ) -> dict[str, Any]:
        need = services.reject_need(db, actor, need_id, data, version=data.version)
        return need_out(need, full=True)

    @get(
        "/{need_id:int}/duplicates",
        operation_id="listNeedDuplicates",
        summary="Likely duplicates of a need",
        description="Open needs of the same community whose title and description are most alike "
        "(character n-gram cosine, at most five, best first).",
        guards=[token_scope("needs:read")],
        sync_to_thread=True,
    )
    def list_duplicates(self, reader: ReaderSession, actor: Actor, need_id: FromPath[int]) -> list[dict[str, Any]]:
        need = services.get_visible_need(reader, actor, need_id)
        return [
            {"score": round(item.score, 3), "need": need_out(item.need, full=False)}
            for item in duplicates.likely_duplicates(reader, actor, need)
        ]

    @post(
        "/{need_id:int}/merge",
        operation_id="mergeNeed",
        summary="Merge a duplicate into another need",
        description="The need is cancelled with duplicate_of_id set; its intake records move to the target, "
        "which keeps every intake record. 409 when either version is stale, or when the need has live claims or "
        "sign-ups (they would hold offers and places for a cancelled need: merge the other way, or settle them).",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def merge(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[MergeIn]) -> dict[str, Any]:
        target = duplicates.merge_need(
            db, actor, need_id, data.target_id, version=data.version, target_version=data.target_version
        )
        return need_detail_out(db, target)

    @post(
        "/{need_id:int}/cancel",
        operation_id="cancelNeed",
        summary="Cancel a need, ending every claim and sign-up on it",
        description="Staff of the need's grid or community and admins, from submitted, under_review, published, "
        "partially_matched, matched or in_progress (409 naming `status` from completed, verified, rejected or "
        "cancelled; 409 naming `version` when it is stale, with the current need). `reason` (1 to 500 characters) "
        "is required (400 naming it). In one transaction: proposed claims, sign-ups and round proposals are "
        "released (rejected with the reason); approved line claims are cancelled and give their quantity back to "
        "their offers; an approved whole-project claim is cancelled; confirmed sign-ups are cancelled and their "
        "places freed; a volunteer checked in is checked out and credited for the time served; delivered claims "
        "and completed sign-ups stay. Each partner and volunteer concerned is notified; the resident's tracking "
        "page shows the need cancelled with the reason; audit event `need.cancel`. `ended` lists the match ids "
        "per outcome: released, withdrawn (a round's or staff's proposal never accepted, released the same way), "
        "cancelled, credited.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def cancel(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[CancelIn]) -> dict[str, Any]:
        result = cancellation.cancel_need(db, actor, need_id, reason=data.reason, version=data.version)
        ended = {outcome: result.ids(outcome) for outcome in cancellation.OUTCOMES}
        return need_detail_out(db, result.need) | {"ended": ended}

    @post(
        "/{need_id:int}/escalate",
        operation_id="escalateNeed",
        summary="Escalate a need one level (the street whistles, the level reports)",
        description="grid → community → street → department (department_id required at that step). "
        "Each level has a deadline and must be acknowledged; 409 when already at the top.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
    )
    def escalate(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[EscalateIn]
    ) -> dict[str, Any]:
        row = escalation.escalate(db, actor, need_id, data.reason, department_id=data.department_id)
        return escalation_out(row)

    @patch(
        "/{need_id:int}/lines/{line_id:int}",
        operation_id="changeNeedLine",
        summary="Change a resource line's quantity",
        description="Send the need's `version` you read (409 with the current need when it changed since). "
        "The quantity may not go below what approved or delivered claims hold (400 naming quantity); what is "
        "still needed moves by the difference, and proposed claims larger than it are reduced to it, or "
        "released when nothing is still needed, with `reason`. The claimants are notified. 409 on a line closed "
        "as enough, or when a delivered whole-project claim provided the line and the quantity grows. 409 naming "
        "quantity when a published need nobody holds a part of would then ask for nothing.",
        guards=[token_scope("needs:write")],
        sync_to_thread=True,
    )
    def change_line(
        self,
        db: DbSession,
        actor: Actor,
        need_id: FromPath[int],
        line_id: FromPath[int],
        data: JSONBody[LineQuantityChange],
    ) -> dict[str, Any]:
        result = changes.change_line_quantity(
            db, actor, need_id, line_id, version=data.version, quantity=data.quantity, reason=data.reason
        )
        return change_out(db, result)

    @post(
        "/{need_id:int}/lines/{line_id:int}/close",
        operation_id="closeNeedLine",
        summary="Close a resource line as enough (partly done: what came is enough)",
        description="What came is enough: the line needs nothing more and takes no new claims (409). Its "
        "proposed claims are released with the `reason` (required); approved claims deliver what they promised. "
        "409 naming reason when it is the last thing a published need nobody holds a part of asks for.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def close_line(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], line_id: FromPath[int], data: JSONBody[LineClosing]
    ) -> dict[str, Any]:
        result = changes.close_line(db, actor, need_id, line_id, version=data.version, reason=data.reason)
        return change_out(db, result)

    @patch(
        "/{need_id:int}/shifts/{shift_id:int}",
        operation_id="changeNeedShift",
        summary="Move a shift or change its slots",
        description="A shift moves only before it starts (409 otherwise), to a window of at most 24 hours that "
        "ends in the future. Slots never go below the confirmed volunteers (400 naming slots). Confirmed "
        "volunteers keep their places unless the new time overlaps another shift of theirs; everyone signed up "
        "is notified. Verification then waits for the new end.",
        guards=[token_scope("needs:write")],
        sync_to_thread=True,
    )
    def change_shift(
        self,
        db: DbSession,
        actor: Actor,
        need_id: FromPath[int],
        shift_id: FromPath[int],
        data: JSONBody[ShiftChange],
    ) -> dict[str, Any]:
        result = changes.change_shift(
            db,
            actor,
            need_id,
            shift_id,
            version=data.version,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            slots=data.slots,
        )
        return change_out(db, result)

    @post(
        "/{need_id:int}/shifts/{shift_id:int}/cancel",
        operation_id="cancelNeedShift",
        summary="Cancel a shift that has not started",
        description="Its sign-ups and their matches are cancelled with the `reason` (required) and the volunteers "
        "notified; it takes no new sign-ups and verification no longer waits for it. 409 naming reason when it is "
        "the last thing a published need nobody holds a part of asks for.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def cancel_shift(
        self,
        db: DbSession,
        actor: Actor,
        need_id: FromPath[int],
        shift_id: FromPath[int],
        data: JSONBody[ShiftCancellation],
    ) -> dict[str, Any]:
        result = changes.cancel_shift(db, actor, need_id, shift_id, version=data.version, reason=data.reason)
        return change_out(db, result)


class EscalationApiController(Controller):
    path = "/api/v1/escalations"
    tags = ["escalations"]
    guards = [staff_or_admin]
    exception_handlers = NEED_EXCEPTION_HANDLERS

    @get(
        "/",
        operation_id="listEscalations",
        summary="Open escalations, oldest first (admins)",
        description="Unacknowledged steps with their level, deadline and an overdue flag, oldest first and paged "
        "as the need list is (`page`, `page_size` up to 100, default 50; `total` counts every step; a page past "
        "the last is empty). A street admin sees their street's steps. The list request also runs the overdue "
        "sweep.",
        guards=[admin_only, token_scope("needs:read")],
        sync_to_thread=True,
    )
    def list_escalations(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = ESCALATIONS_PAGE_SIZE,
    ) -> dict[str, Any]:
        escalation.escalate_overdue_when_due(reader, state.session_factory)
        now = utcnow()
        # A street admin's list is their street's; a city admin's held 1,555 steps in one answer.
        rows, total = escalation.open_escalations(reader, actor, page=page, page_size=page_size)
        return {
            "total": total,
            "page": page,
            "page_size": page_size,
            "items": [escalation_out(row) | {"overdue": row.deadline_at < now} for row in rows],
        }

    @post(
        "/{escalation_id:int}/acknowledge",
        operation_id="acknowledgeEscalation",
        summary="Acknowledge (report to) an escalation step",
        description="Staff of the grid or community for those levels; admins for every level.",
        guards=[token_scope("needs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def acknowledge(self, db: DbSession, actor: Actor, escalation_id: FromPath[int]) -> dict[str, Any]:
        return escalation_out(escalation.acknowledge(db, actor, escalation_id))
