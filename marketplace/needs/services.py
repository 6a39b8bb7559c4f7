"""The need list for staff, admins and feeding systems: intake, scoped reads, optimistic edits, review.

Scope lives in the queries: staff see and record needs only in their own grids or their community's
grids; admins everywhere. Concurrency is settled by the database: the UNIQUE idempotency key of
need_intake makes a repeated submission return the first need, and an edit is a conditional UPDATE
on the version the editor saw.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar.exceptions import NotFoundException
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.services import changed, record, snapshot
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import gettext

# Re-exported for callers written before marketplace.masking held the rule; new code imports it from there.
from marketplace.items.services import with_item_key
from marketplace.masking import mask_name as mask_name
from marketplace.masking import mask_phone as mask_phone
from marketplace.matches import services as matches_services
from marketplace.needs import refusals
from marketplace.needs.models import GridToConfirm, Need, NeedIntake, NeedStatus, ResourceLine, Shift, ShiftSkill
from marketplace.needs.schemas import NeedCreate, NeedRejection, NeedUpdate
from marketplace.notifications.services import send
from marketplace.places.models import Grid
from marketplace.places.services import admin_may_see_street, grid_in_admin_streets, street_of_grid
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import street_today
from marketplace.vocabulary import Category, IntakeChannel, Urgency
from marketplace.volunteers.models import Skill

if TYPE_CHECKING:
    from marketplace.needs.board import BoardFilters as BoardFilters
    from marketplace.needs.board import ProjectCard as ProjectCard
    from marketplace.needs.board import check_filters_exist as check_filters_exist
    from marketplace.needs.board import count_projects as count_projects
    from marketplace.needs.board import filter_projects as filter_projects
    from marketplace.needs.board import load_cards as load_cards
    from marketplace.needs.board import parse_filters as parse_filters
    from marketplace.needs.consent import live_consent as live_consent
    from marketplace.needs.consent import live_consents as live_consents
    from marketplace.needs.contact import Contact as Contact
    from marketplace.needs.contact import Office as Office
    from marketplace.needs.contact import contact_of as contact_of
    from marketplace.needs.duplicates import OPEN_STATUSES as OPEN_STATUSES
    from marketplace.needs.duplicates import THRESHOLD as THRESHOLD
    from marketplace.needs.duplicates import TOP as TOP
    from marketplace.needs.duplicates import need_text as need_text
    from marketplace.needs.escalation import end_escalation as end_escalation
    from marketplace.needs.escalation import escalate_overdue as escalate_overdue
    from marketplace.needs.escalation import escalate_overdue_when_due as escalate_overdue_when_due
    from marketplace.needs.escalation_reasons import system_reason_label as system_reason_label
    from marketplace.needs.list_filters import LIST_FILTERS as LIST_FILTERS
    from marketplace.needs.list_filters import ListFilters as ListFilters
    from marketplace.needs.list_filters import filter_query as filter_query
    from marketplace.needs.list_filters import filters_in as filters_in
    from marketplace.needs.list_filters import filters_out as filters_out
    from marketplace.needs.list_filters import staff_list_filters as staff_list_filters
    from marketplace.needs.submissions import NeedSubmission as NeedSubmission
    from marketplace.needs.submissions import TooManySubmissions as TooManySubmissions
    from marketplace.needs.submissions import count_in as count_in
    from marketplace.needs.submissions import reference_number as reference_number
    from marketplace.needs.summaries import escalation_counts as escalation_counts
    from marketplace.needs.summaries import shifts_between as shifts_between
    from marketplace.needs.tracking import phone_digits as phone_digits
    from marketplace.needs.waiting import escalation_moved_on as escalation_moved_on

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "BoardFilters": "board",
    "Contact": "contact",
    "LIST_FILTERS": "list_filters",
    "ListFilters": "list_filters",
    "NeedSubmission": "submissions",
    "OPEN_STATUSES": "duplicates",
    "Office": "contact",
    "ProjectCard": "board",
    "THRESHOLD": "duplicates",
    "TOP": "duplicates",
    "TooManySubmissions": "submissions",
    "check_filters_exist": "board",
    "contact_of": "contact",
    "count_in": "submissions",
    "count_projects": "board",
    "end_escalation": "escalation",
    "escalate_overdue": "escalation",
    "escalate_overdue_when_due": "escalation",
    "escalation_counts": "summaries",
    "escalation_moved_on": "waiting",
    "filter_projects": "board",
    "filter_query": "list_filters",
    "filters_in": "list_filters",
    "filters_out": "list_filters",
    "live_consent": "consent",
    "live_consents": "consent",
    "load_cards": "board",
    "need_text": "duplicates",
    "parse_filters": "board",
    "phone_digits": "tracking",
    "reference_number": "submissions",
    "shifts_between": "summaries",
    "staff_list_filters": "list_filters",
    "system_reason_label": "escalation_reasons",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


# Statuses from which staff may publish or reject a need (it has not been a project yet).
REVIEWABLE: tuple[NeedStatus, ...] = (NeedStatus.SUBMITTED, NeedStatus.UNDER_REVIEW)
# Fields an audit row of a need records.
AUDITED_FIELDS = [
    "title",
    "description",
    "category",
    "grid_id",
    "grid_to_confirm",
    "channel",
    "urgency",
    "due_date",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_address",
    "status",
    "status_reason",
    "duplicate_of_id",
    "version",
]


class NeedProblem(refusals.Said, Exception):
    """Bad input found against the database (an unknown grid, a grid out of scope), or a state that refuses it:
    names the field, carries a stable ``code`` and says ``message`` in the reader's language (needs.refusals)."""

    def __init__(self, field: str, code: str, sentence: str, *, status_code: int = 400, **values: Any) -> None:
        super().__init__(f"{field}: {sentence}")
        self._said(field, code, sentence, values)
        self.status_code = status_code


# The refusal of a need that asks for nothing (its sentence: needs.refusals.NOTHING_ASKED).
NOTHING_ASKED = refusals.NOTHING_ASKED


class NothingAsked(NeedProblem):
    """Publishing would put the need on the public board asking for nothing: no item still needed, no free
    shift place. Such a project can never be claimed nor close. 409 naming ``lines`` (a change that would take
    away the last thing asked is refused by ``changes`` with its own field, LAST_THING_ASKED)."""

    def __init__(self) -> None:
        super().__init__("lines", "nothing_asked", refusals.NOTHING_ASKED, status_code=409)


GRID_TO_CONFIRM = refusals.GRID_TO_CONFIRM


class GridNotConfirmed(NeedProblem):
    """Publishing would match the need from a stand-in grid (a resident's report without its grid,
    ``grid_to_confirm``): distances, the grid's staff and the offers' service areas would all be wrong.
    409 naming ``grid_id``; staff set the grid first (``set_grid`` or an edit)."""

    def __init__(self) -> None:
        super().__init__("grid_id", "grid_to_confirm", refusals.GRID_TO_CONFIRM, status_code=409)


class NeedNotFound(NotFoundException):
    """No such need, or not one the viewer may see (the same answer, so scope leaks nothing).

    A 404 wherever it surfaces: a page or route that does not catch it still answers "not found".
    """

    def __init__(self, need_id: int) -> None:
        # Said in the language of the request raising it; the API's 404 handler (api_errors) keeps it whole.
        detail = gettext(refusals.NEED_NOT_FOUND) % {"need_id": need_id}
        super().__init__(detail, extra={"code": "need_not_found", "need_id": need_id})
        self.need_id = need_id


class VersionConflict(Exception):
    """Someone else changed the need since the editor loaded it."""

    # Read by the error logging: a refused edit is the client's 409, not a server error to log.
    status_code = 409

    def __init__(self, current: Need) -> None:
        super().__init__("changed by someone else")
        self.current = current


class WrongStatus(Exception):
    status_code = 409

    def __init__(self, current: Need) -> None:
        super().__init__(f"the need is {current.status.value}")
        self.current = current


# --- scope ---------------------------------------------------------------------------------------------


def grids_in_scope(viewer: CurrentUser) -> sa.ColumnElement[bool]:
    """The grids a viewer works in, as a condition on Need.grid_id (an admin: their street's, or all).

    A resident's report without its grid (grid_to_confirm) sits under a stand-in grid until staff set it: grid
    staff see it once it is theirs; community staff see one that named their community; admins see every one.
    """
    if viewer.role == Role.ADMIN:
        return grid_in_admin_streets(viewer, Need.grid_id)
    if viewer.role != Role.STAFF:
        return sa.false()
    conditions: list[sa.ColumnElement[bool]] = []
    to_confirm = Need.grid_to_confirm
    if viewer.grid_ids:
        conditions.append(sa.and_(Need.grid_id.in_(sorted(viewer.grid_ids)), to_confirm.is_(None)))  # type: ignore[attr-defined,union-attr]
    if viewer.community_id is not None:
        in_community = sa.select(Grid.id).where(Grid.community_id == viewer.community_id)
        known = sa.or_(to_confirm.is_(None), to_confirm == GridToConfirm.COMMUNITY)  # type: ignore[union-attr]
        conditions.append(sa.and_(Need.grid_id.in_(in_community), known))  # type: ignore[attr-defined]
    return sa.or_(*conditions) if conditions else sa.false()


def needs_visible_to(viewer: CurrentUser) -> sa.Select[Any]:
    return sa.select(Need).where(grids_in_scope(viewer))


def may_work_in_grid(db: Session, viewer: CurrentUser, grid_id: int) -> bool:
    if viewer.role == Role.ADMIN:
        return admin_may_see_street(viewer, street_of_grid(db, grid_id))
    if viewer.role != Role.STAFF:
        return False
    if grid_id in (viewer.grid_ids or ()):
        return True
    grid = db.get(Grid, grid_id)
    return grid is not None and viewer.community_id is not None and grid.community_id == viewer.community_id


def check_grid(db: Session, viewer: CurrentUser, grid_id: int) -> Grid:
    grid = db.get(Grid, grid_id)
    if grid is None:
        raise NeedProblem("grid_id", "unknown_grid", refusals.UNKNOWN_GRID, grid_id=grid_id)
    if not may_work_in_grid(db, viewer, grid_id):
        raise NeedProblem("grid_id", "grid_out_of_scope", refusals.GRID_OUT_OF_SCOPE, status_code=403, grid_id=grid_id)
    return grid


def get_visible_need(db: Session, viewer: CurrentUser, need_id: int) -> Need:
    need = db.execute(needs_visible_to(viewer).where(Need.id == need_id)).scalars().first()
    if need is None:
        raise NeedNotFound(need_id)
    return need  # type: ignore[no-any-return]


def visible_need_and_readiness(db: Session, viewer: CurrentUser, need_id: int) -> tuple[Need, bool]:
    """``get_visible_need`` and whether it is ready to verify (``matches.services.ready_to_verify``), one query."""
    row = db.execute(
        needs_visible_to(viewer).add_columns(matches_services.ready_to_verify()).where(Need.id == need_id)
    ).first()
    if row is None:
        raise NeedNotFound(need_id)
    return row[0], bool(row[1])


# --- listing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedFilters:
    status: NeedStatus | None = None
    category: Category | None = None
    grid_id: int | None = None
    channel: IntakeChannel | None = None
    urgency: Urgency | None = None
    # "Mine to review": submitted or under review, in the viewer's scope.
    to_review: bool = False
    # One need by its reference number (XQ-000202), still within the viewer's scope.
    need_id: int | None = None
    # Past its due date (a street day) and not finished yet.
    overdue: bool = False
    # In one community's grids (a city admin chooses a community before one of its grids).
    community_id: int | None = None
    # Ready to verify (待验收): nothing left to wait for (``matches.services.ready_to_verify``).
    ready_to_verify: bool = False


@dataclass
class NeedListing:
    rows: list[Need]
    total: int
    page: int
    page_size: int
    ready: frozenset[int] = frozenset()  # the ids of the rows ready to verify (待验收)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# A need in one of these statuses is no longer overdue, whatever its due date.
FINISHED: tuple[NeedStatus, ...] = (
    NeedStatus.COMPLETED,
    NeedStatus.VERIFIED,
    NeedStatus.REJECTED,
    NeedStatus.CANCELLED,
)


def overdue_condition() -> sa.ColumnElement[bool]:
    """Past its due date (street days: overdue from midnight in Qingdao) and not finished."""
    return sa.and_(Need.due_date < street_today(), Need.status.not_in(FINISHED))  # type: ignore[attr-defined,operator]


def filtered_needs(viewer: CurrentUser, filters: NeedFilters) -> sa.Select[Any]:
    """The visible needs matching the filters, unordered: what the list shows and the home page counts."""
    statement = needs_visible_to(viewer)
    if filters.status is not None:
        statement = statement.where(Need.status == filters.status)
    if filters.category is not None:
        statement = statement.where(Need.category == filters.category)
    if filters.grid_id is not None:
        statement = statement.where(Need.grid_id == filters.grid_id)
    if filters.community_id is not None:
        in_community = sa.select(Grid.id).where(Grid.community_id == filters.community_id)
        statement = statement.where(Need.grid_id.in_(in_community))  # type: ignore[attr-defined]
    if filters.channel is not None:
        statement = statement.where(Need.channel == filters.channel)
    if filters.urgency is not None:
        statement = statement.where(Need.urgency == filters.urgency)
    if filters.to_review:
        statement = statement.where(Need.status.in_(REVIEWABLE))  # type: ignore[attr-defined]
    if filters.need_id is not None:
        statement = statement.where(Need.id == filters.need_id)
    if filters.overdue:
        statement = statement.where(overdue_condition())
    if filters.ready_to_verify:
        statement = statement.where(matches_services.ready_to_verify())
    return statement


def count_needs(db: Session, viewer: CurrentUser, filters: NeedFilters) -> int:
    """How many needs the list shows for these filters (one query)."""
    statement = filtered_needs(viewer, filters)
    return int(db.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one())


def list_needs(db: Session, viewer: CurrentUser, filters: NeedFilters, *, page: int, page_size: int) -> NeedListing:
    statement = filtered_needs(viewer, filters)
    total = db.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one()
    # Each row says whether it is ready to verify, in the same query.
    rows = db.execute(
        statement.add_columns(matches_services.ready_to_verify().label("ready_to_verify"))
        .order_by(Need.created_at.desc(), Need.id.desc())  # type: ignore[attr-defined]
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    ready = frozenset(need.id for need, is_ready in rows if is_ready)
    return NeedListing(rows=[need for need, _ in rows], total=int(total), page=page, page_size=page_size, ready=ready)


def intakes_of(db: Session, need_id: int) -> list[NeedIntake]:
    statement = sa.select(NeedIntake).where(NeedIntake.need_id == need_id).order_by(NeedIntake.id)
    return list(db.execute(statement).scalars())


def lines_of(db: Session, need_id: int) -> list[ResourceLine]:
    statement = sa.select(ResourceLine).where(ResourceLine.need_id == need_id).order_by(ResourceLine.id)
    return list(db.execute(statement).scalars())


def shifts_of(db: Session, need_id: int) -> list[Shift]:
    statement = sa.select(Shift).where(Shift.need_id == need_id).order_by(Shift.starts_at, Shift.id)
    return list(db.execute(statement).scalars())


# --- what a need asks for ----------------------------------------------------------------------------


def asking(need_id: Any, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The need asks for something: a resource line not closed that still needs a quantity, or a shift not
    cancelled, not over (it ends after ``now``, the street's clock: instants in UTC) with a free place. The one
    rule for every path that puts a need on the board or keeps it there. A shift that has ended asks for nobody:
    it takes no sign-ups any more (``matches.signups.sign_up``), so a need asking only for it asks for nothing.

    ``need_id`` is an id, or ``Need.id`` for a condition on every need of a query (correlated).
    """
    open_line = sa.exists().where(
        ResourceLine.need_id == need_id,
        ResourceLine.closed_at.is_(None),  # type: ignore[union-attr]
        ResourceLine.still_needed > 0,  # type: ignore[operator]
    )
    open_shift = sa.exists().where(
        Shift.need_id == need_id,
        Shift.cancelled_at.is_(None),  # type: ignore[union-attr]
        Shift.ends_at > (now or utcnow()),  # type: ignore[operator]
        Shift.slots > Shift.confirmed_count,  # type: ignore[operator]
    )
    return sa.or_(open_line, open_shift)


def asks_for_something(db: Session, need_id: int, now: datetime | None = None) -> bool:
    return bool(db.execute(sa.select(asking(need_id, now))).scalar_one())


# A change refused because it would take away the last thing a published project asks for (the API's words).
LAST_THING_ASKED = refusals.LAST_THING_ASKED


def asks_nothing_on_board(db: Session, need: Need) -> bool:
    """After a change: a published need that nobody holds a part of yet, asking for nothing (to refuse).

    A need with an approved or delivered claim or sign-up is matched (or further) once it asks nothing more
    and goes on to completion; a published one would sit on the board for good, never claimed nor closed.
    """
    assert need.id is not None
    return need.status is NeedStatus.PUBLISHED and not asks_for_something(db, need.id)


# --- intake --------------------------------------------------------------------------------------------


def _need_by_key(db: Session, key: str) -> Need | None:
    statement = sa.select(Need).join(NeedIntake, NeedIntake.need_id == Need.id).where(NeedIntake.idempotency_key == key)
    return db.execute(statement).scalars().first()  # type: ignore[no-any-return]


def _check_skills(db: Session, data: NeedCreate) -> None:
    wanted = {skill_id for shift in data.shifts for skill_id in shift.skill_ids}
    if not wanted:
        return
    known = set(db.execute(sa.select(Skill.id).where(Skill.id.in_(sorted(wanted)))).scalars())  # type: ignore[union-attr]
    for index, shift in enumerate(data.shifts):
        for skill_id in shift.skill_ids:
            if skill_id not in known:
                raise NeedProblem(
                    f"shifts.{index}.skill_ids", "unknown_skill", refusals.UNKNOWN_SKILL, skill_id=skill_id
                )


def _repeat(db: Session, actor: CurrentUser, key: str) -> Need:
    need = _need_by_key(db, key)
    if need is None:
        raise RuntimeError("idempotency key conflict without a need")  # pragma: no cover - an impossible state
    if not may_work_in_grid(db, actor, need.grid_id):
        raise NeedProblem("idempotency_key", "idempotency_key_used", refusals.IDEMPOTENCY_KEY_USED, status_code=409)
    return need


def create_need(
    db: Session,
    actor: CurrentUser | None,
    data: NeedCreate,
    *,
    audit_action: str = "need.create",
    grid_to_confirm: GridToConfirm | None = None,
) -> tuple[Need, bool]:
    """Record a need with its intake record, lines and shifts; returns (need, created).

    With an idempotency key, a repeated submission returns the first need and ``created`` False:
    the UNIQUE key decides between concurrent requests, the loser rolls back and reads the winner's.
    """
    if actor is not None:
        check_grid(db, actor, data.grid_id)
    elif db.get(Grid, data.grid_id) is None:
        raise NeedProblem("grid_id", "unknown_grid", refusals.UNKNOWN_GRID, grid_id=data.grid_id)
    _check_skills(db, data)
    key = data.idempotency_key
    if key is not None and actor is not None and _need_by_key(db, key) is not None:
        return _repeat(db, actor, key), False
    actor_id = actor.id if actor else None
    try:
        need = data.to_row(created_by_id=actor_id)
        need.grid_to_confirm = grid_to_confirm
        db.add(need)
        db.flush()
        assert need.id is not None
        db.add(data.intake_row(need.id, recorded_by_id=actor_id))
        db.flush()  # the idempotency key's UNIQUE index answers here
    except IntegrityError:
        if key is None or actor is None:
            raise
        db.rollback()
        return _repeat(db, actor, key), False
    for line in data.resource_lines:
        db.add(with_item_key(db, line.to_row(need.id)))
    for shift_data in data.shifts:
        shift = shift_data.to_row(need.id)
        db.add(shift)
        db.flush()
        for skill_id in sorted(set(shift_data.skill_ids)):
            db.add(ShiftSkill(shift_id=shift.id, skill_id=skill_id))  # type: ignore[arg-type]
    after = snapshot(need, AUDITED_FIELDS) or {}
    after |= {"lines": len(data.resource_lines), "shifts": len(data.shifts), "external_ref": data.external_ref}
    record(db, audit_action, object_type="need", object_id=need.id, after=after, actor=actor)
    db.flush()
    return need, True


# --- edits and decisions -------------------------------------------------------------------------------


def current_need(db: Session, need_id: int) -> Need:
    """The need as the database holds it now (whatever this session had loaded)."""
    db.expire_all()
    need = db.get(Need, need_id)
    if need is None:
        raise NeedNotFound(need_id)
    return need


def detached_need(db: Session, need_id: int) -> Need:
    """The current row, kept readable after the request's transaction rolls back (for the 409 answer)."""
    need = current_need(db, need_id)
    db.expunge(need)
    return need


def update_need(db: Session, actor: CurrentUser, need_id: int, data: NeedUpdate) -> Need:
    """Apply an edit if nobody changed the need since ``data.version``; else VersionConflict."""
    need = get_visible_need(db, actor, need_id)
    # A finished need is a closed record (its figures, its residents' answers, its volunteers' hours): edits
    # stop with it, as additions do. The UPDATE checks it again, against a cancellation at the same moment.
    if need.status in FINISHED:
        raise NeedProblem("status", "need_finished", refusals.NEED_FINISHED, status_code=409, status=need.status)
    changes = data.changes()
    if "grid_id" in changes:
        check_grid(db, actor, changes["grid_id"])
        changes["grid_to_confirm"] = None  # staff chose the grid: it is no longer a stand-in
    before = snapshot(need, AUDITED_FIELDS)
    statement = (
        sa.update(Need)
        .where(Need.id == need_id, Need.version == data.version, Need.status.not_in(FINISHED))  # type: ignore[arg-type,attr-defined]
        .values(**changes, version=Need.version + 1, updated_at=utcnow())
    )
    if db.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        raise VersionConflict(detached_need(db, need_id))
    need = current_need(db, need_id)
    old, new = changed(before, snapshot(need, AUDITED_FIELDS))
    record(db, "need.update", object_type="need", object_id=need_id, before=old, after=new, actor=actor)
    return need


def set_grid(db: Session, actor: CurrentUser, need_id: int, grid_id: int, *, version: int | None) -> Need:
    """Staff set the grid of a resident's report filed without it (the stand-in grid may be the right one too):
    grid_to_confirm is cleared in the same version-checked UPDATE, audited as need.grid_set."""
    need = get_visible_need(db, actor, need_id)
    if need.status in FINISHED:
        raise NeedProblem("status", "need_finished", refusals.NEED_FINISHED, status_code=409, status=need.status)
    check_grid(db, actor, grid_id)
    before = snapshot(need, AUDITED_FIELDS)
    conditions = [Need.id == need_id, Need.status.not_in(FINISHED)]  # type: ignore[attr-defined]
    if version is not None:
        conditions.append(Need.version == version)
    statement = (
        sa.update(Need)
        .where(*conditions)
        .values(grid_id=grid_id, grid_to_confirm=None, version=Need.version + 1, updated_at=utcnow())
    )
    if db.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        raise VersionConflict(detached_need(db, need_id))
    need = current_need(db, need_id)
    old, new = changed(before, snapshot(need, AUDITED_FIELDS))
    record(db, "need.grid_set", object_type="need", object_id=need_id, before=old, after=new, actor=actor)
    return need


def _transition(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    *,
    allowed: tuple[NeedStatus, ...],
    values: dict[str, Any],
    action: str,
    version: int | None,
    requires: tuple[tuple[sa.ColumnElement[bool], NeedProblem], ...] = (),
) -> Need:
    """Move the need to ``values`` if it is in an ``allowed`` status (at ``version`` when given) and meets
    every one of ``requires`` (conditions, checked in the same UPDATE, each with the problem raised when it
    is the first to fail)."""
    need = get_visible_need(db, actor, need_id)
    before = snapshot(need, AUDITED_FIELDS)
    conditions = [Need.id == need_id, Need.status.in_(allowed)]  # type: ignore[attr-defined]
    if version is not None:
        conditions.append(Need.version == version)
    conditions.extend(condition for condition, _problem in requires)
    statement = sa.update(Need).where(*conditions).values(**values, version=Need.version + 1, updated_at=utcnow())
    if db.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        current = detached_need(db, need_id)
        if version is not None and current.version != version:
            raise VersionConflict(current)
        if current.status in allowed:
            for condition, problem in requires:
                if not db.scalar(sa.select(condition).select_from(Need).where(Need.id == need_id)):
                    raise problem
        raise WrongStatus(current)
    need = current_need(db, need_id)
    old, new = changed(before, snapshot(need, AUDITED_FIELDS))
    record(db, action, object_type="need", object_id=need_id, before=old, after=new, actor=actor)
    return need


def _tell_creator(db: Session, actor: CurrentUser, need: Need, kind: str, **payload: Any) -> None:
    if need.created_by_id is not None and need.created_by_id != actor.id:
        send(db, need.created_by_id, kind, {"need_id": need.id, "title": need.title, **payload}, echo=False)


def start_review(db: Session, actor: CurrentUser, need_id: int, *, version: int | None = None) -> Need:
    return _transition(
        db,
        actor,
        need_id,
        allowed=(NeedStatus.SUBMITTED,),
        values={"status": NeedStatus.UNDER_REVIEW},
        action="need.review",
        version=version,
    )


def publish_need(db: Session, actor: CurrentUser, need_id: int, *, version: int | None = None) -> Need:
    """A reviewed need becomes a project on the public board, if its grid is known (GridNotConfirmed) and it
    asks for something (NothingAsked).

    The condition is part of the UPDATE: a line closed or a shift cancelled meanwhile cannot slip through.
    """
    need = _transition(
        db,
        actor,
        need_id,
        allowed=REVIEWABLE,
        values={"status": NeedStatus.PUBLISHED, "status_reason": None, "published_at": utcnow()},
        action="need.publish",
        version=version,
        requires=((Need.grid_to_confirm.is_(None), GridNotConfirmed()), (asking(need_id), NothingAsked())),  # type: ignore[union-attr]
    )
    _tell_creator(db, actor, need, "need_published")
    return need


def reject_need(
    db: Session, actor: CurrentUser, need_id: int, decision: NeedRejection, *, version: int | None = None
) -> Need:
    values: dict[str, Any] = {"status": NeedStatus.REJECTED, "status_reason": decision.reason}
    if decision.duplicate_of_id is not None:
        if decision.duplicate_of_id == need_id:
            raise NeedProblem("duplicate_of_id", "not_itself", refusals.NOT_ITSELF)
        get_visible_need(db, actor, decision.duplicate_of_id)
        values["duplicate_of_id"] = decision.duplicate_of_id
    need = _transition(db, actor, need_id, allowed=REVIEWABLE, values=values, action="need.reject", version=version)
    from marketplace.needs.escalation import end_escalation  # escalation builds on this module

    end_escalation(db, need_id)  # a rejected need's open steps end with it
    need = current_need(db, need_id)
    _tell_creator(db, actor, need, "need_rejected", reason=decision.reason)
    return need
