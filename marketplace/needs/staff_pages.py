"""The need list for staff and admins, as pages: the scoped list, one need in full, and the decisions on it.

Every read and decision goes through the need services, which apply the viewer's scope in their queries;
these handlers only turn form fields into service calls and service answers into pages.
"""

from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.forms import FormData, one, validate
from marketplace.i18n import gettext as _
from marketplace.items.services import item_labels
from marketplace.masking import mask_name, mask_phone
from marketplace.matches import services as matches_services
from marketplace.matches.services import Conflict
from marketplace.needs import (
    cancellation_forms,
    change_forms,
    consent,
    contact,
    duplicates,
    escalation,
    list_filters,
    participation,
    refusals,
    services,
    submissions,
)
from marketplace.needs.escalation_pages import reason_text
from marketplace.needs.intake_pages import grids_for
from marketplace.needs.models import ConsentMethod, Escalation, EscalationLevel, NeedStatus
from marketplace.needs.schemas import NeedRejection
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.models import Grid
from marketplace.places.services import community_first, grid_names, list_grid_groups, viewer_street_ids
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.vocabulary import Category, IntakeChannel, Urgency
from marketplace.whole_numbers import whole_number

PAGE_SIZE = 20
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]


def _notices() -> dict[str, str]:
    return {
        "published": _("The need is published on the project board."),
        "rejected": _("The need was rejected."),
        "merged": _("The duplicate was merged into this need; it keeps every intake record."),
        "escalated": _("The need was escalated one level."),
        "acknowledged": _("The escalation step was acknowledged."),
        "created": _("The need is recorded. Check the likely duplicates below before publishing it."),
        "saved": _("Your changes are saved."),
        "verified": _("The need is verified and closed; the resident's satisfaction is recorded."),
        "no_show": _("Recorded as a no-show: it counts in the volunteer's record."),
        "consent_recorded": _(
            "The resident's consent is recorded: partners and volunteers who deliver may now see the contact."
        ),
        "consent_withdrawn": _("The consent is withdrawn: partners and volunteers no longer see the contact."),
        "grid_set": _("The grid is set: the staff of that grid now see the need."),
        **change_forms.notices(),
        **cancellation_forms.notices(),
    }


def _conflict_message() -> str:
    return _("The need was changed by someone else. Reload the page and try again.")


def grid_to_confirm_message() -> str:
    """Why a resident's report whose grid nobody has set is not published (services.GridNotConfirmed)."""
    return _(refusals.GRID_TO_CONFIRM)


def nothing_asked_message() -> str:
    """Why a need that asks for nothing is not published (services.NothingAsked), in the reader's language."""
    return _(refusals.NOTHING_ASKED)


def _version(form: dict[str, Any], name: str = "version") -> int | None:
    text = one(form, name).strip()
    return whole_number(text)


def _visible(db: Session, actor: CurrentUser, need_id: int) -> Any:
    try:
        return services.get_visible_need(db, actor, need_id)
    except services.NeedNotFound:
        raise NotFoundException(_("No such need in your scope.")) from None


class NeedStaffPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get(
        "/",
        name="needs:staff-list",
        sync_to_thread=True,
        dependencies=list_filters.LIST_FILTERS,
    )
    def index(
        self,
        reader: ReaderSession,
        actor: Actor,
        filters: list_filters.ListFilters,
        page: PageNumber = 1,
    ) -> Template:
        """The list for its filters (needs/list_filters.py: the exports read the same definition)."""
        listing = services.list_needs(reader, actor, filters, page=page, page_size=PAGE_SIZE)
        # The tab's count: every need of the viewer's scope ready to verify (the home's number, the same link).
        ready_only = services.NeedFilters(ready_to_verify=True)
        ready_count = listing.total if filters == ready_only else services.count_needs(reader, actor, ready_only)
        # The viewer's streets' grids; a city admin's: every community, the chosen one's grids.
        streets = viewer_street_ids(actor)
        grid_groups = list_grid_groups(reader, streets, filters.community_id, filters.grid_id)
        query = list_filters.filter_query(filters)
        context = page_context(
            reader,
            listing=listing,
            results=listing,
            filters=filters,
            filter_query=query,
            ready_count=ready_count,
            grids=grid_names(reader, [row.grid_id for row in listing.rows]),
            grid_groups=grid_groups,
            grid_hint=community_first(streets, grid_groups),
            statuses=list(NeedStatus),
            categories=list(Category),
            channels=list(IntakeChannel),
            urgencies=list(Urgency),
            mask_name=mask_name,
            mask_phone=mask_phone,
            reference=query.get("q", ""),
            reference_number=submissions.reference_number,
            active_page="needs",
        )
        return Template("needs/staff/list.html", context=context)

    @staticmethod
    def _detail(
        db: Session,
        actor: CurrentUser,
        need_id: int,
        *,
        notice: str | None = None,
        problem: str | None = None,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
        contact_revealed: bool = False,
    ) -> Template:
        try:
            # The need and the one rule the list's 待验收 filter applies: nothing is left to wait for.
            need, ready_to_verify = services.visible_need_and_readiness(db, actor, need_id)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        steps = list(
            db.execute(sa.select(Escalation).where(Escalation.need_id == need_id).order_by(Escalation.id)).scalars()
        )
        current = max((escalation.LADDER.index(step.level) for step in steps), default=-1)
        lines = participation.line_progress(db, services.lines_of(db, need_id))
        shifts = participation.shift_progress(db, services.shifts_of(db, need_id))
        claims = participation.claims_of(db, need_id)
        next_level = escalation.LADDER[current + 1] if current + 1 < len(escalation.LADDER) else None
        context = page_context(
            db,
            need=need,
            grid=db.get(Grid, need.grid_id),
            # A resident's report without its grid: the grids staff may file it under (needs/grid_pages.py).
            grid_choices=grids_for(db, actor, None, need.grid_id) if need.grid_to_confirm else [],
            intakes=services.intakes_of(db, need_id),
            lines=lines,
            shifts=shifts,
            claims=claims,
            verifiable=need.status in matches_services.VERIFIABLE,
            # What it waits for, by the rule verify_need applies, over the rows this page has read.
            blockers=[
                blocker.said
                for blocker in matches_services.blockers_among(
                    [item.line for item in lines], [item.shift for item in shifts], [c.match for c in claims], utcnow()
                )
            ],
            ready_to_verify=ready_to_verify,
            likely=duplicates.likely_duplicates(db, actor, need),
            steps=[(step, escalation.may_acknowledge(db, actor, step)) for step in steps],
            reason_text=reason_text,
            now=utcnow(),
            next_level=next_level,
            needs_department=next_level is EscalationLevel.DEPARTMENT,
            departments=escalation.departments_of(db, need),
            reviewable=need.status in services.REVIEWABLE,
            finished=need.status in services.FINISHED,  # a closed record: no edit button
            can_escalate=need.status not in escalation.CLOSED and next_level is not None,
            notice=notice,
            problem=problem,
            errors=errors or {},
            values=values or {},
            active_page="needs",
            mask_phone=mask_phone,
            contact_revealed=contact_revealed,
            consents=consent.history(db, need_id),
            has_contact=consent.has_contact(need),
            consent_methods=list(ConsentMethod),
            item_labels=item_labels(db, [item.line.item_key for item in lines]),
            **change_forms.form_context(need, [item.shift for item in shifts]),
            **cancellation_forms.form_context(need, claims, shifts),
        )
        return Template("needs/staff/detail.html", context=context, status_code=status_code)

    @get("/{need_id:int}", name="needs:staff-detail", sync_to_thread=True)
    def detail(
        self, reader: ReaderSession, actor: Actor, need_id: FromPath[int], done: FromQuery[str | None] = None
    ) -> Template:
        return self._detail(reader, actor, need_id, notice=_notices().get(done or ""))

    @post("/{need_id:int}/contact", name="needs:staff-contact", sync_to_thread=True)
    def reveal_contact(self, db: DbSession, actor: Actor, need_id: FromPath[int]) -> Template:
        """The resident's full phone, for this page only; who looked is audited (the number itself is not)."""
        try:
            contact.reveal_to_staff(db, actor, need_id)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        return self._detail(db, actor, need_id, contact_revealed=True)

    def _done(self, need_id: int, done: str) -> Redirect:
        return Redirect(f"/needs/{need_id}?done={done}", status_code=HTTP_303_SEE_OTHER)

    def _conflict(self, db: Session, actor: CurrentUser, need_id: int, message: str | None = None) -> Template:
        db.rollback()
        return self._detail(db, actor, need_id, problem=message or _conflict_message(), status_code=HTTP_409_CONFLICT)

    @post("/{need_id:int}/publish", name="needs:staff-publish", sync_to_thread=True)
    def publish(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        _visible(db, actor, need_id)
        try:
            services.publish_need(db, actor, need_id, version=_version(data))
        except (services.VersionConflict, services.WrongStatus):
            return self._conflict(db, actor, need_id)
        except (services.NothingAsked, services.GridNotConfirmed) as refusal:
            db.rollback()
            message = (
                nothing_asked_message() if isinstance(refusal, services.NothingAsked) else grid_to_confirm_message()
            )
            return self._detail(
                db, actor, need_id, problem=message, errors={refusal.field: message}, status_code=HTTP_409_CONFLICT
            )
        return self._done(need_id, "published")

    @post("/{need_id:int}/reject", name="needs:staff-reject", sync_to_thread=True)
    def reject(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        _visible(db, actor, need_id)
        reason = one(data, "reason").strip()
        decision, errors = validate(NeedRejection, {"reason": reason})
        if decision is None:
            return self._detail(
                db,
                actor,
                need_id,
                errors={"reason": _("Give a reason for the rejection.")} if "reason" in errors else errors,
                values={"reason": reason},
                status_code=HTTP_400_BAD_REQUEST,
            )
        try:
            services.reject_need(db, actor, need_id, decision, version=_version(data))
        except (services.VersionConflict, services.WrongStatus):
            return self._conflict(db, actor, need_id)
        return self._done(need_id, "rejected")

    @post("/{need_id:int}/merge", name="needs:staff-merge", sync_to_thread=True)
    def merge(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        """Merge this need into ``target_id`` (as the API does): it is cancelled, its intake records move there."""
        _visible(db, actor, need_id)
        target_id, version = _version(data, "target_id"), _version(data)
        if target_id is None or version is None:
            return self._detail(
                db, actor, need_id, problem=_("Choose the need to merge into."), status_code=HTTP_400_BAD_REQUEST
            )
        try:
            duplicates.merge_need(
                db, actor, need_id, target_id, version=version, target_version=_version(data, "target_version")
            )
        except services.VersionConflict:
            return self._conflict(db, actor, need_id)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        except services.NeedProblem as refused:  # the sentence the API says too (needs.refusals)
            if refused.status_code != HTTP_409_CONFLICT:
                db.rollback()
                errors = {refused.field: refused.message}
                return self._detail(db, actor, need_id, problem=refused.message, errors=errors, status_code=400)
            return self._conflict(db, actor, need_id, refused.message)
        return self._done(target_id, "merged")

    @post("/{need_id:int}/escalate", name="needs:staff-escalate", sync_to_thread=True)
    def escalate(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        _visible(db, actor, need_id)
        reason = one(data, "reason").strip()
        department = _version(data, "department_id")
        values = {"escalate_reason": reason}
        if not reason or len(reason) > 500:
            errors = {"escalate_reason": _("Give a reason for the escalation (at most 500 characters).")}
            return self._detail(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            escalation.escalate(db, actor, need_id, reason, department_id=department)
        except services.NeedProblem as refused:
            db.rollback()
            errors = {"department_id": refused.message}
            return self._detail(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        except escalation.EscalationProblem as refused:
            return self._conflict(db, actor, need_id, refused.message)
        return self._done(need_id, "escalated")

    @post("/{need_id:int}/acknowledge", name="needs:staff-acknowledge", sync_to_thread=True)
    def acknowledge(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        _visible(db, actor, need_id)
        step_id = _version(data, "escalation_id")
        step = db.get(Escalation, step_id) if step_id is not None else None
        if step is None or step.need_id != need_id:
            raise NotFoundException(_("No such escalation step."))
        try:
            escalation.acknowledge(db, actor, step.id)  # type: ignore[arg-type]
        except escalation.EscalationProblem as refused:
            if refused.status_code == 404:
                raise NotFoundException(refused.message) from None
            return self._conflict(db, actor, need_id, refused.message)
        return self._done(need_id, "acknowledged")

    @post("/{need_id:int}/signups/{signup_id:int}/no-show", name="needs:staff-no-show", sync_to_thread=True)
    def no_show(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], signup_id: FromPath[int]
    ) -> Template | Redirect:
        """Record that a confirmed volunteer did not come, once the shift is over (delivery.mark_no_show)."""
        _visible(db, actor, need_id)
        if matches_services.need_of_signup(db, signup_id) != need_id:
            raise NotFoundException(_("No such sign-up."))
        try:
            matches_services.mark_no_show(db, actor, signup_id)
        except Conflict as refused:
            return self._conflict(db, actor, need_id, str(refused.detail))
        return self._done(need_id, "no_show")

    @post("/{need_id:int}/verify", name="needs:staff-verify", sync_to_thread=True)
    def verify(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        """Close a delivered need with the resident's satisfaction (1–5) through the delivery service."""
        _visible(db, actor, need_id)
        text, comment = one(data, "satisfaction").strip(), one(data, "comment").strip()
        values = {"satisfaction": text, "comment": comment}
        satisfaction = whole_number(text, minimum=0, maximum=99)
        try:
            matches_services.verify_need(db, actor, need_id, satisfaction, comment or None)
        except ValidationException as problem:
            db.rollback()
            field = str((problem.extra or [{}])[0].get("key", "satisfaction"))  # type: ignore[index,union-attr]
            messages = {
                "satisfaction": _("Choose how satisfied the resident is, from 1 to 5."),
                "comment": _("The comment may have at most 1000 characters."),
            }
            errors = {field: messages.get(field, str(problem.detail))}
            return self._detail(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        except Conflict:
            message = _("The need cannot be verified yet; see what it still waits for.")
            return self._conflict(db, actor, need_id, message)
        return self._done(need_id, "verified")
