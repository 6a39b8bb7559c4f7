"""Escalation (吹哨报到): a stuck need goes grid → community → street → a named department.

Each level is one Escalation row (UNIQUE need + level) with a deadline and a required acknowledgement
(报到). A level not acknowledged by its deadline goes up one level in the sweep (``escalate_overdue``).
"""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.needs import escalation_reasons, refusals
from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedStatus
from marketplace.needs.services import NeedProblem, get_visible_need, grids_in_scope
from marketplace.notifications.services import admins_of_need, send
from marketplace.places.models import Community, Department, Grid
from marketplace.places.services import admin_may_see_street, street_of_grid
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import street_day
from marketplace.sweeps import SYSTEM_ROLE, acting_as_system, sweep_when_due

LADDER: tuple[EscalationLevel, ...] = (
    EscalationLevel.GRID,
    EscalationLevel.COMMUNITY,
    EscalationLevel.STREET,
    EscalationLevel.DEPARTMENT,
)
# How long each level has to acknowledge (报到) before the need goes up one level.
DEADLINES: dict[EscalationLevel, timedelta] = {
    EscalationLevel.GRID: timedelta(days=2),
    EscalationLevel.COMMUNITY: timedelta(days=3),
    EscalationLevel.STREET: timedelta(days=5),
    EscalationLevel.DEPARTMENT: timedelta(days=7),
}
CLOSED: tuple[NeedStatus, ...] = (NeedStatus.VERIFIED, NeedStatus.REJECTED, NeedStatus.CANCELLED, NeedStatus.COMPLETED)
_later = aliased(Escalation)  # the step above a stale one, in the sweep's probe


class EscalationProblem(refusals.Said, Exception):
    """The escalation's state refuses the request (409), or there is no such step for the actor (404)."""

    def __init__(self, field: str, code: str, sentence: str, status_code: int = 409, **values: Any) -> None:
        super().__init__(f"{field}: {sentence}")
        self._said(field, code, sentence, values)
        self.status_code = status_code


def _responsible(db: Session, need: Need, level: EscalationLevel) -> list[int]:
    """Who must acknowledge: the grid's staff, the community's staff, or the street's admins."""
    grid = db.get(Grid, need.grid_id)
    if level is EscalationLevel.GRID:
        statement = sa.select(StaffGrid.user_id).where(StaffGrid.grid_id == need.grid_id)
    elif level is EscalationLevel.COMMUNITY and grid is not None:
        statement = sa.select(User.id).where(User.role == Role.STAFF, User.community_id == grid.community_id)
    else:
        return admins_of_need(db, need.id or 0)  # the need's street's admins and the city admins
    return sorted(set(db.execute(statement).scalars()))


def may_acknowledge(db: Session, actor: CurrentUser, escalation: Escalation) -> bool:
    if actor.role == Role.ADMIN:  # a street admin acknowledges their street's steps; a city admin every street's
        need = db.get(Need, escalation.need_id)
        return need is not None and admin_may_see_street(actor, street_of_grid(db, need.grid_id))
    if actor.role != Role.STAFF or escalation.level not in (EscalationLevel.GRID, EscalationLevel.COMMUNITY):
        return False
    need = db.get(Need, escalation.need_id)
    grid = db.get(Grid, need.grid_id) if need else None
    if grid is None:
        return False
    if escalation.level is EscalationLevel.GRID and grid.id in (actor.grid_ids or ()):
        return True
    return actor.community_id is not None and grid.community_id == actor.community_id


def _open_level(
    db: Session,
    need: Need,
    level: EscalationLevel,
    reason: str,
    *,
    now: datetime,
    actor: CurrentUser | None,
    department_id: int | None = None,
) -> Escalation:
    assert need.id is not None
    row = Escalation(
        need_id=need.id,
        level=level,
        department_id=department_id,
        reason=reason,
        opened_by_id=actor.id if actor else None,
        opened_at=now,
        deadline_at=now + DEADLINES[level],
    )
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        raise EscalationProblem("level", "already_escalated", refusals.ALREADY_ESCALATED, level=level) from None
    db.execute(sa.update(Need).where(Need.id == need.id).values(escalation_level=level, version=Need.version + 1))  # type: ignore[arg-type]
    record(
        db,
        "need.escalate",
        object_type="escalation",
        object_id=row.id,
        after={"need_id": need.id, "level": level.value, "reason": reason, "deadline_at": row.deadline_at.isoformat()},
        actor=actor,
        actor_role=None if actor else SYSTEM_ROLE,  # the sweep opens it (escalate_overdue runs acting as the system)
    )
    for user_id in _responsible(db, need, level):
        payload = {"need_id": need.id, "title": need.title, "level": level.value, "escalation_id": row.id}
        send(db, user_id, "escalation_opened", payload, echo=False)
    return row


def _current_step(db: Session, need_id: int) -> Escalation | None:
    """The highest level the need has reached."""
    rows = db.execute(sa.select(Escalation).where(Escalation.need_id == need_id)).scalars()
    return max(rows, key=lambda row: LADDER.index(row.level), default=None)


def _next_level(current: Escalation | None) -> EscalationLevel | None:
    if current is None:
        return EscalationLevel.GRID
    index = LADDER.index(current.level)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def escalate(
    db: Session, actor: CurrentUser, need_id: int, reason: str, *, department_id: int | None = None
) -> Escalation:
    """Staff flag a need: it goes up one level (the first flag opens the grid level)."""
    need = get_visible_need(db, actor, need_id)
    if need.status in CLOSED:
        raise EscalationProblem("status", "not_escalatable", refusals.NOT_ESCALATABLE, status=need.status)
    level = _next_level(_current_step(db, need_id))
    if level is None:
        raise EscalationProblem("level", "at_top_level", refusals.AT_TOP_LEVEL)
    if level is EscalationLevel.DEPARTMENT:
        if department_id is None:
            raise NeedProblem("department_id", "department_required", refusals.DEPARTMENT_REQUIRED)
        if department_id not in {department.id for department in departments_of(db, need)}:
            raise NeedProblem(
                "department_id", "unknown_department", refusals.UNKNOWN_DEPARTMENT, department_id=department_id
            )
    else:
        department_id = None  # only the department level names one
    return _open_level(db, need, level, reason, now=utcnow(), actor=actor, department_id=department_id)


def departments_of(db: Session, need: Need) -> list[Department]:
    """The departments a need may be escalated to: its own street's, never another street's."""
    query = (
        sa.select(Department)
        .join(Community, Community.street_id == Department.street_id)
        .join(Grid, Grid.community_id == Community.id)
        .where(Grid.id == need.grid_id)
        .order_by(Department.id)
    )
    return list(db.execute(query).scalars())


def acknowledge(db: Session, actor: CurrentUser, escalation_id: int) -> Escalation:
    row = db.get(Escalation, escalation_id)
    if row is None or not may_acknowledge(db, actor, row):
        raise EscalationProblem(
            "escalation_id", "escalation_not_found", refusals.NO_STEP_TO_ACKNOWLEDGE, 404, escalation_id=escalation_id
        )
    done = db.execute(
        sa.update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.acknowledged_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(acknowledged_at=utcnow(), acknowledged_by_id=actor.id)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise EscalationProblem("escalation_id", "already_acknowledged", refusals.ALREADY_ACKNOWLEDGED)
    db.expire_all()
    row = db.get(Escalation, escalation_id)
    assert row is not None
    record(db, "escalation.acknowledge", object_type="escalation", object_id=escalation_id, actor=actor)
    return row


def escalate_overdue(db: Session, now: datetime | None = None) -> int:
    """The sweep: overdue needs open the grid level; unacknowledged levels past their deadline go up one.

    Returns how many escalation steps it opened. The department level is never opened automatically
    (a person names the department), so an overdue street level stays for admins to act on.
    """
    with acting_as_system():
        return _escalate_overdue(db, now or utcnow())


def _escalate_overdue(db: Session, now: datetime) -> int:
    opened = 0
    today = street_day(now)  # a due date is a street day: overdue from midnight in Qingdao, not in UTC
    overdue = db.execute(
        sa.select(Need).where(
            Need.due_date < today,  # type: ignore[operator]
            Need.status.not_in(CLOSED),  # type: ignore[attr-defined]
            Need.escalation_level.is_(None),  # type: ignore[union-attr]
        )
    ).scalars()
    for need in list(overdue):
        try:
            _open_level(db, need, EscalationLevel.GRID, escalation_reasons.PAST_DUE, now=now, actor=None)
            opened += 1
        except EscalationProblem:
            continue
    stale = db.execute(
        sa.select(Escalation).where(
            Escalation.acknowledged_at.is_(None),  # type: ignore[union-attr]
            Escalation.resolved_at.is_(None),  # type: ignore[union-attr]
            Escalation.deadline_at < now,  # type: ignore[arg-type]
            Escalation.level.in_((EscalationLevel.GRID, EscalationLevel.COMMUNITY)),  # type: ignore[attr-defined]
        )
    ).scalars()
    for step in list(stale):
        need = db.get(Need, step.need_id)
        level = _next_level(step)
        if need is None or level is None or need.status in CLOSED:
            continue
        try:
            _open_level(db, need, level, escalation_reasons.not_acknowledged(step.level), now=now, actor=None)
            opened += 1
        except EscalationProblem:
            continue
    return opened


def sweep_due(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """EXISTS work for ``escalate_overdue``: an overdue need not yet escalated, or a grid or community step
    past its deadline whose next level is not open yet. List requests write only when this holds."""
    now = now or utcnow()
    overdue = sa.select(Need.id).where(
        Need.due_date < street_day(now),  # type: ignore[operator]
        Need.status.not_in(CLOSED),  # type: ignore[attr-defined]
        Need.escalation_level.is_(None),  # type: ignore[union-attr]
        ~sa.exists().where(_later.need_id == Need.id, _later.level == EscalationLevel.GRID),
    )
    stale = [
        sa.select(Escalation.id)
        .join(Need, Need.id == Escalation.need_id)  # type: ignore[arg-type]
        .where(
            Escalation.level == level,
            Escalation.acknowledged_at.is_(None),  # type: ignore[union-attr]
            Escalation.resolved_at.is_(None),  # type: ignore[union-attr]
            Escalation.deadline_at < now,  # type: ignore[arg-type]
            Need.status.not_in(CLOSED),  # type: ignore[attr-defined]
            ~sa.exists().where(_later.need_id == Escalation.need_id, _later.level == _next_level_of(level)),
        )
        for level in (EscalationLevel.GRID, EscalationLevel.COMMUNITY)
    ]
    return sa.or_(sa.exists(overdue), *(sa.exists(query) for query in stale))


def _next_level_of(level: EscalationLevel) -> EscalationLevel:
    return LADDER[LADDER.index(level) + 1]


def escalate_overdue_when_due(reader: Session, writers: sessionmaker[Session]) -> int:
    """The sweep as list requests run it: a probe on the reader, the write lock only when there is work."""
    now = utcnow()
    return sweep_when_due(reader, writers, sweep_due(now), lambda db: escalate_overdue(db, now)) or 0


def end_escalation(db: Session, need_id: int, now: datetime | None = None) -> int:
    """A need that closes (cancelled, merged, rejected, completed, verified) ends its escalation in the same
    transaction: every step not yet resolved is resolved now, and the need no longer stands escalated (its page
    shows no level, as the escalations list and the counts have no step of it). Returns how many steps ended.

    Every path that closes a need calls it, so the page, the list and the counts agree whichever closed it."""
    ended = db.execute(
        sa.update(Escalation)
        .where(Escalation.need_id == need_id, Escalation.resolved_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(resolved_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    db.execute(
        sa.update(Need)
        .where(Need.id == need_id, Need.escalation_level.is_not(None))  # type: ignore[arg-type,union-attr]
        .values(escalation_level=None)
        .execution_options(synchronize_session=False)
    )
    return int(ended or 0)


def need_still_open() -> sa.ColumnElement[bool]:
    """A condition on Need: its steps can still be open (the need is not closed); the API and the page share it."""
    return Need.status.not_in(CLOSED)  # type: ignore[attr-defined]


def open_escalations(
    db: Session, viewer: CurrentUser, *, page: int = 1, page_size: int = 50
) -> tuple[list[Escalation], int]:
    """One page of the unacknowledged steps of needs in the viewer's scope (a street admin: their street's),
    oldest first as the escalations page lists them, and how many there are in all. A page past the last is
    empty (as the need list's)."""
    # Steps of a closed need are not open: the escalations page leaves them out too (``need_still_open``).
    in_scope = sa.select(Need.id).where(grids_in_scope(viewer), need_still_open())
    conditions = [
        Escalation.acknowledged_at.is_(None),  # type: ignore[union-attr]
        Escalation.resolved_at.is_(None),  # type: ignore[union-attr]
        Escalation.need_id.in_(in_scope),  # type: ignore[attr-defined]
    ]
    total = db.execute(sa.select(sa.func.count()).select_from(Escalation).where(*conditions)).scalar_one()
    statement = (
        sa.select(Escalation)
        .where(*conditions)
        .order_by(Escalation.opened_at, Escalation.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(db.execute(statement).scalars()), int(total)
