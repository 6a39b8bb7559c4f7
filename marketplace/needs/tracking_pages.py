"""Following a report without an account: the /track page and POST /api/v1/track (rules in tracking.py).

The lookup is a POST in both (it is counted, and the phone stays out of addresses and server logs);
the page's GET only shows the form, with the reference filled in when a link brings it.
"""

from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.params import FromQuery, JSONBody
from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
)
from msgspec import Struct
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, one
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.matches.services import field_problem
from marketplace.needs import submissions, tracking
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.deps import ClientAddress
from marketplace.security.guards import PUBLIC
from marketplace.too_many import too_many_page

NOT_FOUND = N_("No report matches this reference number and phone number. Check both and try again.")
MAX_FIELD = 64  # longer input is no reference or phone; it is cut before parsing


def _form(
    db: Session,
    *,
    ref: str = "",
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    progress: tracking.Progress | None = None,
    status_code: int = 200,
) -> Template:
    context = page_context(
        db,
        ref=ref,
        errors=errors or {},
        problem=problem,
        progress=progress,
        limit=tracking.LOOKUP_LIMIT,
        active_page="track",
    )
    return Template("needs/track.html", context=context, status_code=status_code)


class TrackPagesController(Controller):
    path = "/track"
    opt = PUBLIC  # residents follow their report without an account
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="needs:track-form", sync_to_thread=True)
    def form(self, reader: ReaderSession, ref: FromQuery[str | None] = None) -> Template:
        return _form(reader, ref=(ref or "").strip()[:MAX_FIELD])

    @post("/", name="needs:track", sync_to_thread=True, status_code=HTTP_200_OK)
    def look_up(self, db: DbSession, data: FormData, client_address: ClientAddress) -> Template:
        ref, phone = one(data, "ref").strip()[:MAX_FIELD], one(data, "phone").strip()[:MAX_FIELD]
        try:
            progress = tracking.track(db, client_address, ref, phone)
        except tracking.TrackingProblem as problem:
            return _form(db, ref=ref, errors={problem.field: _(problem.message)}, status_code=HTTP_400_BAD_REQUEST)
        except submissions.TooManySubmissions as limited:
            limit = tracking.LOOKUP_LIMIT
            detail = counted(
                "At most %(limit)d lookup an hour can be made from one connection.",
                "At most %(limit)d lookups an hour can be made from one connection.",
                limit,
                limit=limit,
                also_counts=("limit",),
            )
            return too_many_page(
                limited.retry_after,
                page_context(db, active_page="track"),
                back="/track?" + urlencode({"ref": ref}) if ref else "/track",
                back_label=_("Back to the lookup form"),
                detail=detail,
            )
        if progress is None:
            return _form(db, ref=ref, problem=_(NOT_FOUND), status_code=HTTP_404_NOT_FOUND)
        return _form(db, ref=progress.reference, progress=progress)


class TrackIn(Struct):
    ref: str = ""
    phone: str = ""


class TrackStepOut(Struct):
    stage: str
    reached: bool
    at: str | None


class TrackOut(Struct):
    reference: str
    title: str | None
    status: str
    stage: str
    phone: str | None
    reason: str | None
    project_url: str | None
    steps: list[TrackStepOut]
    merged_into: "TrackOut | None" = None


def _out(progress: tracking.Progress) -> TrackOut:
    return TrackOut(
        reference=progress.reference,
        title=progress.title,
        status=progress.status.value,
        stage=progress.current.key,
        phone=progress.phone,
        reason=progress.reason,
        project_url=progress.project_url,
        steps=[
            TrackStepOut(stage=step.key, reached=step.reached, at=step.at.isoformat() if step.at else None)
            for step in progress.steps
        ],
        merged_into=_out(progress.merged_into) if progress.merged_into else None,
    )


class TrackApiController(Controller):
    path = "/api/v1/track"
    tags = ["tracking"]
    opt = PUBLIC

    @post("/", operation_id="trackReport", sync_to_thread=True, status_code=HTTP_200_OK)
    def track(self, db: DbSession, data: JSONBody[TrackIn], client_address: ClientAddress) -> TrackOut:
        """A resident's report by its reference number (XQ-000202, xq202 or 202) and the phone given with it.

        Stages: received, review, published, arranged, done; or merged, rejected, cancelled. 404 when the
        pair does not match (the same answer for an unknown number); 429 after 20 lookups an hour per address.
        """
        ref, phone = data.ref.strip()[:MAX_FIELD], data.phone.strip()[:MAX_FIELD]
        try:
            progress = tracking.track(db, client_address, ref, phone)
        except tracking.TrackingProblem as problem:
            raise field_problem(problem.field, _(problem.message), problem.code) from None
        except submissions.TooManySubmissions as limited:
            raise TooManyRequestsException(
                detail=_("Too many lookups; try again later."),
                headers={"Retry-After": str(limited.retry_after)},
                extra={"retry_after": limited.retry_after},
            ) from None
        if progress is None:
            raise NotFoundException(_(NOT_FOUND))
        return _out(progress)
