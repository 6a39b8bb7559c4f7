"""What claims, sign-ups, decisions and deliveries share: errors, loaders, and the need's state function."""

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlmodel import Session, select

from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import gettext
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.need_progress import progress_status
from marketplace.matches.reasons import OFFER_WITHDRAWN
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.places.services import street_of_grid

if TYPE_CHECKING:
    from marketplace.matches.claims import ClaimFilters as ClaimFilters
    from marketplace.matches.compatibility import serves as serves
    from marketplace.matches.delivery import CHECK_IN_OPENS as CHECK_IN_OPENS
    from marketplace.matches.delivery import VERIFIABLE as VERIFIABLE
    from marketplace.matches.delivery import blockers_among as blockers_among
    from marketplace.matches.delivery import check_in as check_in
    from marketplace.matches.delivery import check_out as check_out
    from marketplace.matches.delivery import is_ready_to_verify as is_ready_to_verify
    from marketplace.matches.delivery import ready_to_verify as ready_to_verify
    from marketplace.matches.delivery import verify_need as verify_need
    from marketplace.matches.held_time import SLOT_HOLDERS as SLOT_HOLDERS
    from marketplace.matches.held_time import held_until as held_until
    from marketplace.matches.openings import lines_taking_claims as lines_taking_claims
    from marketplace.matches.openings import open_lines as open_lines
    from marketplace.matches.openings import open_shifts as open_shifts
    from marketplace.matches.openings import shifts_taking_signups as shifts_taking_signups
    from marketplace.matches.page_data import profile_id_of as profile_id_of
    from marketplace.matches.page_data import signups_page as signups_page
    from marketplace.matches.page_forms import conflict_message as conflict_message
    from marketplace.matches.page_forms import field_codes as field_codes
    from marketplace.matches.page_forms import parse_quantity as parse_quantity
    from marketplace.matches.page_forms import reason_problem as reason_problem
    from marketplace.matches.page_forms import row_id as row_id
    from marketplace.matches.reasons import line_now_needs as line_now_needs
    from marketplace.matches.reasons import reason_fields as reason_fields
    from marketplace.matches.reasons import reason_shown as reason_shown
    from marketplace.matches.reasons import said_reason as said_reason
    from marketplace.matches.reasons import shift_moved_onto as shift_moved_onto
    from marketplace.matches.review import people_of as people_of
    from marketplace.matches.round_proposals import AWAITING as AWAITING
    from marketplace.matches.round_proposals import answer_state as answer_state
    from marketplace.matches.round_proposals import (
        not_an_unaccepted_proposal_signup as not_an_unaccepted_proposal_signup,
    )
    from marketplace.matches.round_proposals import notify_candidates as notify_candidates
    from marketplace.matches.round_proposals import proposals_for as proposals_for
    from marketplace.matches.signups import lock_volunteer as lock_volunteer
    from marketplace.matches.signups import overlapping_confirmed as overlapping_confirmed
    from marketplace.matches.staff_proposals import StaffProposal as StaffProposal
    from marketplace.matches.staff_proposals import live_pairs as live_pairs
    from marketplace.matches.staff_proposals import propose as propose
    from marketplace.matches.street_scope import needs_served_by as needs_served_by
    from marketplace.matches.street_scope import needs_served_by_volunteer as needs_served_by_volunteer
    from marketplace.matches.street_scope import served_pairs as served_pairs
    from marketplace.matches.street_scope import serves_need as serves_need
    from marketplace.matches.summaries import claim_counts as claim_counts
    from marketplace.matches.summaries import contribution as contribution
    from marketplace.matches.summaries import review_queue as review_queue
    from marketplace.matches.summaries import round_pending as round_pending
    from marketplace.matches.waiting import match_moved_on as match_moved_on
    from marketplace.matches.waiting import shift_place_moved_on as shift_place_moved_on
    from marketplace.matches.waiting import signup_moved_on as signup_moved_on

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "AWAITING": "round_proposals",
    "CHECK_IN_OPENS": "delivery",
    "ClaimFilters": "claims",
    "SLOT_HOLDERS": "held_time",
    "StaffProposal": "staff_proposals",
    "VERIFIABLE": "delivery",
    "blockers_among": "delivery",
    "answer_state": "round_proposals",
    "check_in": "delivery",
    "check_out": "delivery",
    "claim_counts": "summaries",
    "conflict_message": "page_forms",
    "field_codes": "page_forms",
    "contribution": "summaries",
    "held_until": "held_time",
    "is_ready_to_verify": "delivery",
    "live_pairs": "staff_proposals",
    "match_moved_on": "waiting",
    "line_now_needs": "reasons",
    "lines_taking_claims": "openings",
    "lock_volunteer": "signups",
    "mark_no_show": "delivery",
    "need_of_signup": "delivery",
    "needs_served_by": "street_scope",
    "needs_served_by_volunteer": "street_scope",
    "not_an_unaccepted_proposal_signup": "round_proposals",
    "notify_candidates": "round_proposals",
    "open_lines": "openings",
    "open_shifts": "openings",
    "overlapping_confirmed": "signups",
    "parse_quantity": "page_forms",
    "people_of": "review",
    "profile_id_of": "page_data",
    "proposals_for": "round_proposals",
    "propose": "staff_proposals",
    "ready_to_verify": "delivery",
    "reason_problem": "page_forms",
    "reason_fields": "reasons",
    "reason_shown": "reasons",
    "review_queue": "summaries",
    "round_pending": "summaries",
    "row_id": "page_forms",
    "said_reason": "reasons",
    "served_pairs": "street_scope",
    "serves": "compatibility",
    "serves_need": "street_scope",
    "shift_moved_onto": "reasons",
    "shift_place_moved_on": "waiting",
    "shifts_taking_signups": "openings",
    "signup_moved_on": "waiting",
    "signups_page": "page_data",
    "verify_need": "delivery",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


# A need whose project partners may claim and volunteers may join.
OPEN_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS)
# Statuses the state function moves a need between by itself (never out of verified, cancelled...).
AUTOMATIC_STATUSES = (*OPEN_STATUSES, NeedStatus.COMPLETED)
LIVE = (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.FULFILLED)
HELD = (MatchStatus.APPROVED, MatchStatus.FULFILLED)
# A decided match whose end says something of the pair: all but a claim released because its need changed
# (stored rejected with the change's reason, as the partner is told; nobody judged the offer). Training's
# decisions and the rounds' refused pairs read verdicts through this one condition.
JUDGED = Match.released_by_change.is_(False)  # type: ignore[attr-defined]

_need = Need.__table__  # type: ignore[attr-defined]
_line = ResourceLine.__table__  # type: ignore[attr-defined]
_shift = Shift.__table__  # type: ignore[attr-defined]
_match = Match.__table__  # type: ignore[attr-defined]


class Conflict(ClientException):
    """409: the request was valid but the data's state refuses it (already claimed, full, not enough left)."""

    status_code = HTTP_409_CONFLICT
    # True when ``detail`` is already a sentence in the reader's language (refusals.py): pages show it as it is.
    said = False


def field_problem(
    field: str, message: str, code: str = "invalid", said: dict[str, str] | None = None, **facts: Any
) -> ValidationException:
    """A 400 that names the field and the reason, in the shape the rest of the API uses.

    ``message``: an English sentence (``field_problems``, marked ``N_``) said here in the reader's language and
    filled with ``said`` (words already in that language); a sentence translated already is kept as it is.
    ``extra``'s entry keeps the stable ``code`` (``field_problems.CODES``) and the raw ``facts`` for programs:
    pages choose what to show by the code, never by the sentence.
    """
    text = gettext(message) % said if said else gettext(message)
    extra = {"key": field, "message": text, "source": "body", "code": code, **facts}
    return ValidationException(f"{field}: {text}", extra=[extra])


def open_need(db: Session, need_id: int) -> Need:
    need = db.get(Need, need_id)
    if need is None or need.status not in OPEN_STATUSES:
        raise NotFoundException(f"No open project {need_id}")
    return need


def set_match_status(
    db: Session,
    match_id: int,
    *,
    expected: tuple[MatchStatus, ...],
    status: MatchStatus,
    **values: Any,
) -> bool:
    """One conditional UPDATE: move the match only from an expected status; False if someone got there first."""
    result = db.execute(
        sa.update(_match)
        .where(_match.c.id == match_id, _match.c.status.in_([s.value for s in expected]))
        .values(status=status.value, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def take_from_line(db: Session, line_id: int, quantity: Decimal) -> bool:
    result = db.execute(
        sa.update(_line)
        .where(_line.c.id == line_id, _line.c.still_needed >= quantity, _line.c.closed_at.is_(None))
        .values(still_needed=_line.c.still_needed - quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


# pg_advisory_xact_lock(class, key): arbitrary constants naming "adding to a need" (key: the need's id) and
# "a round writing its proposals" (key: the round's street id, 0 for a round over every street).
_NEED_ENTRY_CLASS = 734_2027
_ROUND_ENTRY_CLASS = 734_2028
_EVERY_STREET = 0


def enter_open_need(db: Session, need_id: int) -> Need:
    """The first step of anything that adds a claim, sign-up or proposal to a need: 404 unless it is open.

    Taken before any row lock: a shared lock on the need's entry (PostgreSQL), which cancelling the need
    (``close_need_entry``) takes exclusively before it locks anything. Adders never wait for each other; a
    cancellation waits for those already inside to commit (and then ends what they made), and those arriving
    later wait here, holding nothing, and then read the need cancelled. Every row lock comes after this one on
    both sides, so the two can never deadlock (SQLite serialises writers anyway).
    """
    _lock(db, _NEED_ENTRY_CLASS, need_id, shared=True)
    need = db.get(Need, need_id, populate_existing=True)  # read now, not as loaded before the wait
    if need is None or need.status not in OPEN_STATUSES:
        raise NotFoundException(f"No open project {need_id}")
    return need


def enter_open_needs_for_round(db: Session, street_id: int | None, need_ids: Iterable[int]) -> set[int]:
    """A round's ``enter_open_need``: which of the plan's needs are open now, held so until the commit.

    One shared lock for the round's street (every street: 0) rather than one per need: a city's round can
    propose for thousands of needs, more than PostgreSQL's lock table holds. ``close_need_entry`` takes the
    street's and the every-street lock after the need's, so a cancellation waits for a round that is writing
    and a round waits for a cancellation under way, each before any row lock.
    """
    _lock(db, _ROUND_ENTRY_CLASS, street_id or _EVERY_STREET, shared=True)
    ids = sorted(set(need_ids))
    if not ids:
        return set()
    query = sa.select(_need.c.id).where(
        _need.c.id.in_(ids), _need.c.status.in_([status.value for status in OPEN_STATUSES])
    )
    return {int(need_id) for need_id in db.execute(query).scalars()}


def close_need_entry(db: Session, need_id: int) -> None:
    """Wait until nobody is adding to the need and keep newcomers out until this commits (cancelling).

    Always in this order (the need, its street, every street), so two cancellations never wait on each other
    in a circle; a no-op on SQLite, whose writers take turns.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    _lock(db, _NEED_ENTRY_CLASS, need_id)
    grid_id = db.execute(sa.select(_need.c.grid_id).where(_need.c.id == need_id)).scalar_one_or_none()
    street_id = street_of_grid(db, grid_id) if grid_id is not None else None
    if street_id is not None:
        _lock(db, _ROUND_ENTRY_CLASS, street_id)
    _lock(db, _ROUND_ENTRY_CLASS, _EVERY_STREET)


def _lock(db: Session, lock_class: int, key: int, *, shared: bool = False) -> None:
    """A transaction-scoped advisory lock (PostgreSQL; a no-op on SQLite)."""
    if db.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        db.execute(sa.text(f"SELECT {function}(:class, :key)"), {"class": lock_class, "key": key})


def give_back_to_line(db: Session, line_id: int, quantity: Decimal, *, reopen: bool = True) -> dict[str, str] | None:
    """What a withdrawn approved claim held is needed again.

    A line closed as enough while the claim held part of it opens again for what the claim held, its quantity
    becoming what staff called enough (what the line's claims held then): left closed at 0, a published need
    could be left asking for nothing with nothing held, which no one could ever complete. Returns the reopened
    line's new quantity and still-needed (for the audit trail), or None when the line was open. ``reopen``
    False leaves a closed line closed (its need is cancelled: nobody will be asked for it again).
    """
    db.execute(
        sa.update(_line)
        .where(
            _line.c.id == line_id,
            _line.c.still_needed + quantity <= _line.c.quantity,
            _line.c.closed_at.is_(None),
        )
        .values(still_needed=_line.c.still_needed + quantity)
        .execution_options(synchronize_session=False)
    )
    if not reopen:
        return None
    held_by_others = (
        sa.select(sa.func.coalesce(sa.func.sum(_match.c.quantity), 0))
        .where(
            _match.c.resource_line_id == line_id,
            _match.c.kind == MatchKind.OFFER_LINE.value,
            _match.c.status.in_([status.value for status in HELD]),
        )
        .scalar_subquery()
    )
    reopened = db.execute(
        sa.update(_line)
        .where(_line.c.id == line_id, _line.c.closed_at.is_not(None))
        .values(quantity=held_by_others + quantity, still_needed=quantity, closed_at=None, closed_reason=None)
        .returning(_line.c.quantity, _line.c.still_needed)
        .execution_options(synchronize_session=False)
    ).first()
    if reopened is None:
        return None
    return {"quantity": str(reopened.quantity), "still_needed": str(reopened.still_needed)}


def take_slot(db: Session, shift_id: int) -> bool:
    """A place on the shift, never beyond its slots (the WHERE clause is the guard)."""
    result = db.execute(
        sa.update(_shift)
        .where(_shift.c.id == shift_id, _shift.c.confirmed_count < _shift.c.slots, _shift.c.cancelled_at.is_(None))
        .values(confirmed_count=_shift.c.confirmed_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def give_back_slot(db: Session, shift_id: int) -> None:
    db.execute(
        sa.update(_shift)
        .where(_shift.c.id == shift_id, _shift.c.confirmed_count > 0)
        .values(confirmed_count=_shift.c.confirmed_count - 1)
        .execution_options(synchronize_session=False)
    )


def need_state(db: Session, need_id: int) -> NeedStatus | None:
    """The status a need's matches put it in (the rule: ``need_progress.progress_status``)."""
    lines = db.execute(sa.select(_line.c.still_needed).where(_line.c.need_id == need_id)).scalars().all()
    shifts = db.execute(
        sa.select(_shift.c.confirmed_count, _shift.c.slots).where(
            _shift.c.need_id == need_id, _shift.c.cancelled_at.is_(None)
        )
    ).all()
    statuses = db.execute(
        sa.select(_match.c.kind, _match.c.status).where(_match.c.need_id == need_id, _match.c.status.in_(HELD))
    ).all()
    held = [(MatchKind(kind), MatchStatus(status)) for kind, status in statuses]
    return progress_status(lines, [(c, s) for c, s in shifts], held)


def refresh_need_status(db: Session, need_id: int) -> None:
    """Move the need to the status its matches imply, if it is in an automatic status."""
    state = need_state(db, need_id)
    if state is None:
        return
    values: dict[str, Any] = {"status": state.value, "updated_at": utcnow()}
    if state is NeedStatus.COMPLETED:
        values["completed_at"] = sa.func.coalesce(_need.c.completed_at, utcnow())
    moved = db.execute(
        sa.update(_need)
        .where(
            _need.c.id == need_id,
            _need.c.status.in_([s.value for s in AUTOMATIC_STATUSES]),
            _need.c.status != state.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if state is NeedStatus.COMPLETED and moved.rowcount == 1:  # type: ignore[attr-defined]
        from marketplace.needs import services as needs_services  # the needs domain builds on this module

        needs_services.end_escalation(db, need_id)  # a completed need's open steps end with it


def end_waiting_on_offer(db: Session, actor: Any, offer_id: int) -> list[int]:
    """The claims and proposals still waiting on an offer its partner withdrew end with it (cancelled, the
    reason stored as ``OFFER_WITHDRAWN``, each audited): an admin could never approve them (approval needs
    an active offer), so they would wait in the review queue and on the need for good. They reserved
    nothing (approval reserves), so nothing is given back. Approved claims stay: the partner delivers them
    or cancels them. Returns the ended matches' ids."""
    waiting = db.execute(sa.select(_match.c.id, _match.c.need_id).where(_waiting_on(offer_id))).all()
    ended: list[int] = []
    now = utcnow()
    for match_id, _need in waiting:
        # Conditional: an approval that got there first keeps its claim.
        if not set_match_status(
            db,
            match_id,
            expected=(MatchStatus.PROPOSED,),
            status=MatchStatus.CANCELLED,
            decision_reason=OFFER_WITHDRAWN,
            decided_at=now,
        ):
            continue
        ended.append(match_id)
        record(
            db,
            "match.cancel",
            object_type="match",
            object_id=match_id,
            before={"status": MatchStatus.PROPOSED.value},
            after={"status": MatchStatus.CANCELLED.value, "decision_reason": OFFER_WITHDRAWN, "offer_id": offer_id},
            actor=actor,
        )
    for need_id in sorted({need_id for _, need_id in waiting}):
        refresh_need_status(db, need_id)
    return ended


def _waiting_on(offer_id: int) -> sa.ColumnElement[bool]:
    """What withdrawing the offer ends: its matches still proposed (claims, and proposals answered or not)."""
    return sa.and_(_match.c.offer_id == offer_id, _match.c.status == MatchStatus.PROPOSED.value)


def waiting_on_offer(db: Session, offer_id: int) -> tuple[int, int]:
    """How many claims (a partner's own) and proposals (a staff member's or a matching round's) withdrawing the
    offer would end now (``end_waiting_on_offer``'s rule): what the partner reads before withdrawing, and the
    API's ``waiting``."""
    return _claims_and_proposals(db, _waiting_on(offer_id))


def ended_with_offer(db: Session, offer_id: int) -> tuple[int, int]:
    """How many claims and proposals ended when the offer was withdrawn (``end_waiting_on_offer``): a withdrawn
    offer stays withdrawn, so these are exactly the ones its withdrawal ended. For the sentence the partner
    reads after withdrawing, and the API's ``ended``."""
    return _claims_and_proposals(
        db,
        sa.and_(
            _match.c.offer_id == offer_id,
            _match.c.status == MatchStatus.CANCELLED.value,
            _match.c.decision_reason == OFFER_WITHDRAWN,
        ),
    )


def _claims_and_proposals(db: Session, condition: sa.ColumnElement[bool]) -> tuple[int, int]:
    """The matches meeting ``condition``, counted as (partners' claims, staff's and rounds' proposals)."""
    rows = db.execute(sa.select(_match.c.source, sa.func.count()).where(condition).group_by(_match.c.source)).all()
    counts = {getattr(source, "value", source): int(number) for source, number in rows}
    claims = counts.get(MatchSource.PARTNER_CLAIM.value, 0)
    return claims, sum(counts.values()) - claims


def live_matches(db: Session, need_id: int) -> list[Match]:
    return list(db.exec(select(Match).where(Match.need_id == need_id, Match.status.in_(LIVE))).all())  # type: ignore[attr-defined]


def live_whole_claim(db: Session, need_id: int) -> Match | None:
    """The need's live whole-project claim (proposed, approved or delivered), if any: at most one (a unique index).

    While it lives the partner answers for everything the project still needs: no line claims and no
    sign-ups are taken (see docs/need_changes.md).
    """
    return db.exec(
        select(Match).where(
            Match.need_id == need_id,
            Match.kind == MatchKind.WHOLE_NEED,
            Match.status.in_(LIVE),  # type: ignore[attr-defined]
        )
    ).first()
