"""Pages for taking part: partners claim projects and follow their claims; volunteers sign up for shifts,
follow them, cancel, check in and check out.

Every POST calls the services in claims.py, signups.py and delivery.py. Success answers with a redirect
(303) to a page that says what happened; a refusal renders the page again with the problem next to the
form it concerns: 400 for a field, 409 when the data's state refused it (full, taken, too late).
"""

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.matches import (
    attendance_messages,
    claims,
    contact_sharing,
    delivery,
    page_data,
    round_proposals,
    signups,
)
from marketplace.matches import field_problems as problems
from marketplace.matches.claims import ClaimRequest
from marketplace.matches.models import MatchStatus
from marketplace.matches.page_forms import (
    MAX_REASON,
    FormProblem,
    claim_field_problem,
    conflict_message,
    line_claim,
    notices,
    reason_problem,
    row_id,
)
from marketplace.matches.services import Conflict, field_problem, open_need
from marketplace.matches.street_scope import (
    NotServed,
    VolunteerNotServed,
    not_served_message,
    serves_need,
    street_of_need,
    volunteer_elsewhere,
    volunteer_not_served_message,
)
from marketplace.needs.models import Shift
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.query_filters import MAX_ID
from marketplace.security.deps import Actor
from marketplace.security.guards import partner_only, roles, sessions_only, volunteer_only
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import SignupStatus
from marketplace.volunteers.services import notes as hours_notes

# Ids in the address stay within the database's INTEGER (PostgreSQL refuses larger ones with an error).
RowId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def _see(path: str, done: str) -> Redirect:
    return Redirect(f"{path}?done={done}", status_code=HTTP_303_SEE_OTHER)


def _status_of(problem: FormProblem) -> int:
    if problem.forbidden:
        return HTTP_403_FORBIDDEN
    return HTTP_400_BAD_REQUEST if problem.fields else HTTP_409_CONFLICT


def _withheld_message() -> str:
    return _(
        "The resident's contact cannot be shown: it is shared only on an approved claim or a confirmed shift, "
        "while the resident's consent is recorded. Ask the street office."
    )


def _reason(data: dict[str, Any], form: str) -> tuple[str | None, FormProblem | None]:
    reason = one(data, "reason").strip()
    message = reason_problem(reason)
    if message:
        return None, FormProblem(form, fields={"reason": message}, values={"reason": reason})
    return reason or None, None


class TakePartPagesController(Controller):
    """A project's take-part page (claims for partners, shifts for volunteers) and the claim form it posts."""

    path = "/projects"
    guards = [roles(Role.PARTNER, Role.VOLUNTEER), sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/{need_id:int}/take-part", name="matches:take-part", sync_to_thread=True)
    def take_part(
        self,
        reader: ReaderSession,
        actor: Actor,
        need_id: RowId,
        done: FromQuery[str | None] = None,
        offer: FromQuery[str | None] = None,
    ) -> Template:
        # ``offer``: the offer just published for a line (offers/for_line.py), chosen in that line's form.
        return take_part_page(reader, actor, need_id, notice=notices().get(done or ""), fresh_offer=offer or "")

    @post("/{need_id:int}/claim", name="matches:claim", guards=[partner_only], sync_to_thread=True)
    def claim(self, db: DbSession, actor: Actor, need_id: RowId, data: FormData) -> Template | Redirect:
        kind, line_id = one(data, "kind"), row_id(one(data, "resource_line_id"))
        if kind == "whole":
            request, problem = ClaimRequest("whole"), None
        elif kind == "line" and line_id is not None:
            request, problem = line_claim(data, line_id)
        elif kind == "line":
            raise field_problem("resource_line_id", problems.LINE_NOT_IN_PROJECT, "line_not_in_project")
        else:
            raise field_problem("kind", problems.NOT_A_CLAIM_KIND, "not_a_choice")
        if request is not None:
            problem = self._claim(db, actor, need_id, request, data)
            if problem is None:
                return _see("/claims", "claimed")
        problem = problem or FormProblem(kind)
        return take_part_page(db, actor, need_id, problem=problem, status_code=_status_of(problem))

    @staticmethod
    def _claim(
        db: Session, actor: CurrentUser, need_id: int, request: ClaimRequest, data: dict[str, Any]
    ) -> FormProblem | None:
        form = "whole" if request.kind == "whole" else f"line-{request.resource_line_id}"
        try:
            claims.claim(db, actor, need_id, request)
        except NotServed as error:
            db.rollback()
            return FormProblem(form, message=str(error.detail), values=_line_values(data), forbidden=True)
        except Conflict as error:
            db.rollback()
            return FormProblem(form, message=conflict_message(error), values=_line_values(data))
        except ValidationException as error:
            db.rollback()
            return claim_field_problem(error, FormProblem(form, values=_line_values(data)))
        return None


def _line_values(data: dict[str, Any]) -> dict[str, str]:
    return {"offer_id": one(data, "offer_id").strip(), "quantity": one(data, "quantity").strip()}


def take_part_page(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    *,
    notice: str | None = None,
    problem: FormProblem | None = None,
    status_code: int = 200,
    fresh_offer: str = "",
) -> Template:
    need = open_need(db, need_id)
    is_partner = actor.role == Role.PARTNER
    organization_id = actor.organization_id
    if is_partner and problem is None and organization_id is not None and not serves_need(db, organization_id, need_id):
        # Rule 4: a partner takes part only where its organization serves; the page says so, as a 403.
        problem = FormProblem("whole", message=not_served_message(street_of_need(db, need_id)), forbidden=True)
        status_code = HTTP_403_FORBIDDEN
    elsewhere = not is_partner and actor.id is not None and volunteer_elsewhere(db, actor.id, need_id)
    if elsewhere:
        # A volunteer signs up only in the streets they serve: the page says so, as a 403, and lists no shift.
        message = volunteer_not_served_message(street_of_need(db, need_id))
        problem, status_code = FormProblem("", message=message, forbidden=True), HTTP_403_FORBIDDEN  # no form
    partner = page_data.partner_view(db, actor, need_id) if is_partner else None
    if partner is not None and partner.organization_problem and status_code < HTTP_403_FORBIDDEN:
        # An organization not in good standing: the page says why, with the 403 of every partner-only page.
        status_code = HTTP_403_FORBIDDEN
    context = page_context(
        db,
        head=page_data.project_head(db, need),
        is_partner=is_partner,
        partner=partner,
        volunteer=None if is_partner or elsewhere else page_data.volunteer_view(db, actor, need_id, utcnow()),
        notice=notice,
        problem=problem,
        fresh_offer=fresh_offer[:12],
        active_page="board",
        serves_elsewhere=elsewhere,  # the refusal links to the profile's streets
    )
    return Template("matches/take_part.html", context=context, status_code=status_code)


class SignupFormsController(Controller):
    """The sign-up button of a shift on the take-part page."""

    path = "/shifts"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{shift_id:int}/sign-up", name="matches:sign-up", sync_to_thread=True)
    def sign_up(self, db: DbSession, actor: Actor, shift_id: RowId) -> Template | Redirect:
        shift = db.get(Shift, shift_id)
        if shift is None:
            raise NotFoundException(f"No shift {shift_id}")
        need_id = shift.need_id
        try:
            row, _created = signups.sign_up(db, actor, shift_id)
        except VolunteerNotServed:
            db.rollback()
            return take_part_page(db, actor, need_id)  # says why, as a 403
        except Conflict as error:
            db.rollback()
            problem = FormProblem(f"shift-{shift_id}", message=conflict_message(error))
            return take_part_page(db, actor, need_id, problem=problem, status_code=HTTP_409_CONFLICT)
        done = "signed_up_pending" if row.status is SignupStatus.PENDING else "signed_up"
        return _see(f"/projects/{need_id}/take-part", done)


class ClaimPagesController(Controller):
    """My claims: the partner organization's claims, with cancel and mark-delivered."""

    path = "/claims"
    guards = [partner_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="matches:claims", sync_to_thread=True)
    def index(
        self,
        reader: ReaderSession,
        actor: Actor,
        done: FromQuery[str | None] = None,
        status: FromQuery[MatchStatus | None] = None,
        delivered_in: Annotated[int | None, QueryParameter(ge=claims.FIRST_YEAR, le=claims.LAST_YEAR)] = None,
    ) -> Template:
        filters = claims.ClaimFilters(status, delivered_in)
        return self._page(reader, actor, notice=notices().get(done or ""), filters=filters)

    @post("/{match_id:int}/cancel", name="matches:claim-cancel", sync_to_thread=True)
    def cancel(self, db: DbSession, actor: Actor, match_id: RowId, data: FormData) -> Template | Redirect:
        reason, problem = _reason(data, f"claim-{match_id}")
        if problem is None:
            try:
                claims.cancel_claim(db, actor, match_id, reason)
                return _see("/claims", "claim_cancelled")
            except Conflict as error:
                db.rollback()
                problem = FormProblem(f"claim-{match_id}", message=conflict_message(error))
        return self._page(db, actor, problem=problem, status_code=_status_of(problem))

    @post("/{match_id:int}/delivered", name="matches:claim-delivered", sync_to_thread=True)
    def delivered(self, db: DbSession, actor: Actor, match_id: RowId) -> Template | Redirect:
        try:
            delivery.mark_delivered(db, actor, match_id)
        except Conflict as error:
            db.rollback()
            problem = FormProblem(f"claim-{match_id}", message=conflict_message(error))
            return self._page(db, actor, problem=problem, status_code=HTTP_409_CONFLICT)
        return _see("/claims", "delivered")

    @post("/{match_id:int}/contact", name="matches:claim-contact", sync_to_thread=True)
    def contact(self, db: DbSession, actor: Actor, match_id: RowId) -> Template:
        """The resident's contact on this claim's card, while their consent is recorded; audited."""
        try:
            _row, shown = contact_sharing.claim_contact(db, actor, match_id)
        except contact_sharing.ContactWithheld:
            db.rollback()
            problem = FormProblem(f"claim-{match_id}", message=_withheld_message())
            return self._page(db, actor, problem=problem, status_code=HTTP_403_FORBIDDEN)
        return self._page(db, actor, shown={match_id: shown})

    @staticmethod
    def _page(
        db: Session,
        actor: CurrentUser,
        *,
        notice: str | None = None,
        problem: FormProblem | None = None,
        status_code: int = 200,
        shown: dict[int, Any] | None = None,
        filters: claims.ClaimFilters | None = None,
    ) -> Template:
        page = page_data.claims_page(db, actor, filters)
        context = page_context(
            db,
            page=page,
            status_tabs=[claims.ClaimFilters(status) for status in claims.CLAIM_STATUSES],
            sharing=contact_sharing.sharing_of(db, [row.need for row in page.open + page.closed]),
            shown=shown or {},
            # A filtered list shows exactly the claims asked for; the proposals wait on the whole list.
            proposals=[] if page.filters.active else round_proposals.proposals_for(db, actor),
            notice=notice,
            problem=problem,
            max_reason=MAX_REASON,
            active_page="claims",
        )
        return Template("matches/claims.html", context=context, status_code=status_code)


class SignupPagesController(Controller):
    """My shifts: the volunteer's sign-ups, with cancel, check in and check out."""

    path = "/signups"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="matches:signups", sync_to_thread=True)
    def index(
        self,
        reader: ReaderSession,
        actor: Actor,
        done: FromQuery[str | None] = None,
        signup: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    ) -> Template:
        # After a check-out the page says what was credited and why, in place of the plain notice.
        checked_out = signup if done == "checked_out" else None
        notice = None if checked_out else notices().get(done or "")
        return self._page(reader, actor, notice=notice, checked_out_id=checked_out)

    @post("/{signup_id:int}/cancel", name="matches:signup-cancel", sync_to_thread=True)
    def cancel(self, db: DbSession, actor: Actor, signup_id: RowId, data: FormData) -> Template | Redirect:
        reason, problem = _reason(data, f"signup-{signup_id}")
        if problem is not None:
            return self._page(db, actor, problem=problem, status_code=HTTP_400_BAD_REQUEST)
        return self._act(
            db, actor, signup_id, lambda: signups.cancel_signup(db, actor, signup_id, reason), "signup_cancelled"
        )

    @post("/{signup_id:int}/check-in", name="matches:check-in", sync_to_thread=True)
    def check_in(self, db: DbSession, actor: Actor, signup_id: RowId) -> Template | Redirect:
        row = signups.own_signup(db, actor, signup_id)
        shift = db.get(Shift, row.shift_id)
        now = utcnow()
        if shift is not None and not page_data.check_in_open(shift, now) and row.status is SignupStatus.CONFIRMED:
            # The page keeps check-in to the shift's day: an early check-in would credit nothing anyway.
            problem = FormProblem(f"signup-{signup_id}", message=attendance_messages.check_in_closed(shift, now))
            return self._page(db, actor, problem=problem, status_code=HTTP_409_CONFLICT)
        return self._act(db, actor, signup_id, lambda: delivery.check_in(db, actor, signup_id, now), "checked_in")

    @post("/{signup_id:int}/check-out", name="matches:check-out", sync_to_thread=True)
    def check_out(self, db: DbSession, actor: Actor, signup_id: RowId) -> Template | Redirect:
        done = self._act(db, actor, signup_id, lambda: delivery.check_out(db, actor, signup_id), "checked_out")
        if isinstance(done, Redirect):  # the page it leads to says how many hours were credited, and why
            return Redirect(f"/signups?done=checked_out&signup={signup_id}", status_code=HTTP_303_SEE_OTHER)
        return done

    def _act(self, db: Session, actor: CurrentUser, signup_id: int, action: Any, done: str) -> Template | Redirect:
        try:
            action()
        except Conflict as error:
            db.rollback()
            message = attendance_messages.refusal(error) or conflict_message(error)
            problem = FormProblem(f"signup-{signup_id}", message=message)
            return self._page(db, actor, problem=problem, status_code=HTTP_409_CONFLICT)
        return _see("/signups", done)

    @post("/{signup_id:int}/contact", name="matches:signup-contact", sync_to_thread=True)
    def contact(self, db: DbSession, actor: Actor, signup_id: RowId) -> Template:
        """The resident's contact on this sign-up's card, while their consent is recorded; audited."""
        try:
            _row, shown = contact_sharing.signup_contact(db, actor, signup_id)
        except contact_sharing.ContactWithheld:
            db.rollback()
            problem = FormProblem(f"signup-{signup_id}", message=_withheld_message())
            return self._page(db, actor, problem=problem, status_code=HTTP_403_FORBIDDEN)
        return self._page(db, actor, shown={signup_id: shown})

    @staticmethod
    def _page(
        db: Session,
        actor: CurrentUser,
        *,
        notice: str | None = None,
        problem: FormProblem | None = None,
        status_code: int = 200,
        checked_out_id: int | None = None,
        shown: dict[int, Any] | None = None,
    ) -> Template:
        page = page_data.signups_page(db, actor, utcnow())
        page.checked_out = page_data.just_checked_out(page, checked_out_id)
        context = page_context(
            db,
            page=page,
            sharing=contact_sharing.sharing_of(db, [row.need for row in page.current + page.past]),
            shown=shown or {},
            proposals=round_proposals.proposals_for(db, actor),
            **hours_notes(),
            notice=notice,
            problem=problem,
            max_reason=MAX_REASON,
            active_page="signups",
        )
        return Template("matches/signups.html", context=context, status_code=status_code)


TAKE_PART_PAGE_HANDLERS = [TakePartPagesController, SignupFormsController, ClaimPagesController, SignupPagesController]
