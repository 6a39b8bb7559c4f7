"""Open escalations (吹哨报到) for staff and admins: oldest first, overdue and acknowledged steps marked,
acknowledge (报到) in place.

Staff see the steps of needs in their scope; admins every step. Opening the list runs the overdue
sweep first (as the API's list does), so a step past its deadline already shows the level above it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

import sqlalchemy as sa
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.i18n import gettext as _
from marketplace.needs import escalation, escalation_reasons, services
from marketplace.needs.models import Escalation, Need
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.models import Department, Grid
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_start

# Steps opened from / to a street day, inclusive (the home pages link each age of steps here).
OpenedFrom = Annotated[date | None, QueryParameter(name="from", description="Opened on or after this street day")]
OpenedTo = Annotated[date | None, QueryParameter(name="to", description="Opened on or before this street day")]


def reason_text(step: Escalation) -> str:
    """The step's reason; the overdue sweep's own reasons (stored in English) in the reader's language."""
    if step.opened_by_id is not None:
        return step.reason
    return escalation_reasons.system_reason_label(step.reason) or step.reason


@dataclass(frozen=True)
class OpenStep:
    step: Escalation
    need: Need
    grid: Grid | None
    department: Department | None
    overdue: bool
    may_acknowledge: bool
    acknowledged_by: str | None = None


# A city admin's list held 1,555 open steps on one page (1.3 MB); fifty a page, the counts over all of them.
PAGE_SIZE = 50
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]


@dataclass(frozen=True)
class StepsPage:
    """One page of the open steps the viewer may see, and the counts of every step the filters keep."""

    steps: list[OpenStep]
    total: int
    overdue: int
    waiting: int
    page: int
    pages: int


def open_steps(
    db: Session,
    viewer: CurrentUser,
    *,
    page: int = 1,
    waiting_only: bool = False,
    overdue_only: bool = False,
    opened_from: date | None = None,
    opened_to: date | None = None,
) -> StepsPage:
    """The steps of the still-open escalated needs the viewer may see, oldest first, ``PAGE_SIZE`` a page.

    A step is overdue when it was not acknowledged by its deadline; ``waiting_only`` keeps only the
    steps nobody has acknowledged yet (what the API's list returns), ``overdue_only`` the overdue ones;
    ``opened_from`` and ``opened_to`` keep the steps opened in those street days. A page past the last
    shows the last.
    """
    now = utcnow()
    waiting = Escalation.acknowledged_at.is_(None)  # type: ignore[union-attr]
    overdue = sa.and_(waiting, Escalation.deadline_at < now)  # type: ignore[arg-type,operator]
    conditions = [
        Escalation.resolved_at.is_(None),  # type: ignore[union-attr]
        escalation.need_still_open(),
        services.grids_in_scope(viewer),
    ]
    if waiting_only:
        conditions.append(waiting)
    if overdue_only:
        conditions.append(overdue)
    if opened_from is not None:
        conditions.append(Escalation.opened_at >= day_start(opened_from))  # type: ignore[arg-type,operator]
    if opened_to is not None:
        conditions.append(Escalation.opened_at < day_start(opened_to + timedelta(days=1)))  # type: ignore[arg-type,operator]

    def counted(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    total, overdue_count, waiting_count = db.execute(
        sa.select(sa.func.count(), counted(overdue), counted(waiting))
        .select_from(Escalation)
        .join(Need, Need.id == Escalation.need_id)  # type: ignore[arg-type]
        .where(*conditions)
    ).one()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(page, pages)
    statement = (
        sa.select(Escalation, Need, User.display_name)
        .join(Need, Need.id == Escalation.need_id)
        .outerjoin(User, User.id == Escalation.acknowledged_by_id)
        .where(*conditions)
        .order_by(Escalation.opened_at, Escalation.id)  # type: ignore[arg-type]
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    steps = [
        OpenStep(
            step=step,
            need=need,
            grid=db.get(Grid, need.grid_id),
            department=db.get(Department, step.department_id) if step.department_id else None,
            overdue=step.acknowledged_at is None and step.deadline_at < now,
            may_acknowledge=step.acknowledged_at is None and escalation.may_acknowledge(db, viewer, step),
            acknowledged_by=acknowledged_by,
        )
        for step, need, acknowledged_by in db.execute(statement).all()
    ]
    return StepsPage(steps, int(total), int(overdue_count), int(waiting_count), page, pages)


def _page(
    db: Session,
    actor: CurrentUser,
    *,
    page: int = 1,
    waiting_only: bool = False,
    overdue_only: bool = False,
    opened_from: date | None = None,
    opened_to: date | None = None,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    results = open_steps(
        db,
        actor,
        page=page,
        waiting_only=waiting_only,
        overdue_only=overdue_only,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    context = page_context(
        db,
        steps=results.steps,
        results=results,
        overdue_count=results.overdue,
        waiting_count=results.waiting,
        waiting_only=waiting_only,
        narrowed=overdue_only or opened_from is not None or opened_to is not None,
        reason_text=reason_text,
        notice=notice,
        problem=problem,
        active_page="escalations",
    )
    return Template("needs/escalations.html", context=context, status_code=status_code)


class EscalationPagesController(Controller):
    path = "/escalations"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="escalations:list", sync_to_thread=True)
    def index(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        waiting: FromQuery[bool] = False,
        overdue: FromQuery[bool] = False,
        opened_from: OpenedFrom = None,
        opened_to: OpenedTo = None,
        done: FromQuery[str | None] = None,
        page: PageNumber = 1,
    ) -> Template:
        escalation.escalate_overdue_when_due(reader, state.session_factory)
        notice = _("The escalation step was acknowledged.") if done == "acknowledged" else None
        return _page(
            reader,
            actor,
            page=page,
            waiting_only=waiting,
            overdue_only=overdue,
            opened_from=opened_from,
            opened_to=opened_to,
            notice=notice,
        )

    @post("/{escalation_id:int}/acknowledge", name="escalations:acknowledge", sync_to_thread=True)
    def acknowledge(self, db: DbSession, actor: Actor, escalation_id: FromPath[int]) -> Template | Redirect:
        try:
            escalation.acknowledge(db, actor, escalation_id)
        except escalation.EscalationProblem as problem:
            db.rollback()
            if problem.status_code == 404:
                raise NotFoundException(problem.message) from None
            return _page(db, actor, problem=problem.message, status_code=HTTP_409_CONFLICT)
        return Redirect("/escalations?done=acknowledged", status_code=HTTP_303_SEE_OTHER)
