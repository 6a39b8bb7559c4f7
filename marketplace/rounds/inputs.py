"""What a round plans with, read from the database: the open lines and shifts, the capacities left, and
the pairs and times already spoken for. Rows become the library's records through recommend/records.py.

Proposals still waiting for review hold what they would take: their quantities are subtracted from
offers and lines, their places from shifts, their hours and times are the volunteer's. So a second
round right after the first proposes nothing twice, and no plan promises the same unit or hour twice.

A street's round (``street_id``) plans that street's open needs only, among the volunteers serving the
street (living there or having chosen it) and the offers of organizations serving it (registered there or
serving one of its grids). What proposals hold is counted across every street: a volunteer serving two
streets has one week of hours, an offer one remaining quantity.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.matches import services as matches_services
from marketplace.matches.models import PROPOSAL_SOURCES, Match, MatchKind, MatchStatus
from marketplace.matches.services import JUDGED, LIVE, OPEN_STATUSES
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer as OfferRow
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.organizations.services import organizations_serving, volunteers_serving
from marketplace.places.services import grid_in_street
from marketplace.recommend import services as recommend_services
from marketplace.recommend.services import serving_query
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from matching import records
from matching.availability import street_week
from matching.round import Window, with_capacity

# A volunteer holds a slot with these, and their time to held_until (one rule: matches' held_time).
SLOT_HOLDERS = matches_services.SLOT_HOLDERS
_live = [status.value for status in LIVE]


@dataclass
class RoundInputs:
    lines: list[records.LineNeed]
    shifts: list[records.ShiftNeed]
    offers: list[records.Offer]  # usable offers, less what proposals hold
    volunteers: list[records.Volunteer]  # active volunteers, plus the hours proposals hold
    taken_lines: set[tuple[int, int]] = field(default_factory=set)
    taken_shifts: set[tuple[int, int]] = field(default_factory=set)
    busy: dict[int, list[Window]] = field(default_factory=dict)


# What a need's line and shift records read of it (``recommend.records``): a city street's 1,500 open needs as
# whole Need rows were read for these seven columns.
NEED_COLUMNS = (Need.id, Need.title, Need.description, Need.category, Need.grid_id, Need.urgency, Need.due_date)


def _open_needs_query(street_id: int | None, *columns: Any) -> Any:
    return sa.select(*columns).where(Need.status.in_(OPEN_STATUSES), grid_in_street(street_id, Need.grid_id))  # type: ignore[attr-defined]


def _open_needs(db: Session, street_id: int | None = None) -> list[Any]:
    """The open needs (of the street), by id, with the columns of ``NEED_COLUMNS`` only."""
    return list(db.execute(_open_needs_query(street_id, *NEED_COLUMNS).order_by(Need.id)).all())


def _open_parts(db: Session, street_id: int | None) -> tuple[list[records.LineNeed], list[records.ShiftNeed]]:
    """The lines that take claims and the shifts that take sign-ups of the open needs, need by need as
    ``line_records_of`` and ``shift_records_of`` give them: a few statements whatever the street's size, the
    needs asked by their query (one statement per need for its skills and another for its whole claims, and
    the needs' ids bound a thousand at a time, before)."""
    needs = _open_needs(db, street_id)
    among = _open_needs_query(street_id, Need.id)
    line_rows = recommend_services.rows_of_needs(
        db,
        ResourceLine,
        [],
        ResourceLine.id,
        where=matches_services.lines_taking_claims(),
        columns=recommend_services.LINE_COLUMNS,
        among=among,
    )
    taking = matches_services.shifts_taking_signups()
    shift_rows = recommend_services.rows_of_needs(
        db, Shift, [], Shift.starts_at, Shift.id, where=taking, columns=recommend_services.SHIFT_COLUMNS, among=among
    )
    shift_ids = sa.select(Shift.id).where(Shift.need_id.in_(among), *taking)  # type: ignore[attr-defined]
    lines = recommend_services.line_records_of(db, needs, line_rows)
    shifts = recommend_services.shift_records_of(db, needs, shift_rows, shifts_among=shift_ids)
    return lines, shifts


def _pending_query(kind: MatchKind, touching: Any, *selected: Any) -> Any:
    query = sa.select(*selected).where(Match.kind == kind, Match.status == MatchStatus.PROPOSED)
    return query if touching is None else query.where(touching)


def _pending(db: Session, kind: MatchKind, touching: Any = None) -> list[Match]:
    """Proposals waiting for review; with ``touching`` (a condition), only those it holds (a street's)."""
    return list(db.execute(_pending_query(kind, touching, Match)).scalars())


def _street_needs(street_id: int | None) -> Any:
    """The id query of a street's needs (None: no restriction)."""
    return None if street_id is None else sa.select(Need.id).where(grid_in_street(street_id, Need.grid_id))


def live_line_pairs(db: Session, needs: Any = None, lines: set[int] | None = None) -> set[tuple[int, int]]:
    """Line-offer pairs with a live match: of the street's ``needs``, or of just these ``lines``."""
    query = sa.select(Match.resource_line_id, Match.offer_id).where(
        Match.kind == MatchKind.OFFER_LINE,
        Match.status.in_(_live),  # type: ignore[attr-defined]
    )
    if needs is not None:
        query = query.where(Match.need_id.in_(needs))  # type: ignore[attr-defined]
    if lines is not None:
        query = query.where(Match.resource_line_id.in_(sorted(lines)))  # type: ignore[union-attr]
    return {(int(line), int(offer)) for line, offer in db.execute(query)}


def live_shift_pairs(db: Session, needs: Any = None) -> set[tuple[int, int]]:
    """Pairs with a live match, or a sign-up that is not cancelled (its partial unique index forbids another)."""
    matched = sa.select(Match.shift_id, Match.volunteer_id).where(
        Match.kind == MatchKind.VOLUNTEER_SHIFT,
        Match.status.in_(_live),  # type: ignore[attr-defined]
    )
    signed = sa.select(ShiftSignup.shift_id, ShiftSignup.volunteer_id).where(
        ShiftSignup.status != SignupStatus.CANCELLED
    )
    if needs is not None:
        matched = matched.where(Match.need_id.in_(needs))  # type: ignore[attr-defined]
        signed = signed.where(ShiftSignup.shift_id.in_(sa.select(Shift.id).where(Shift.need_id.in_(needs))))  # type: ignore[attr-defined]
    return {(int(s), int(v)) for s, v in [*db.execute(matched), *db.execute(signed)]}


def refused_pairs(db: Session, kind: MatchKind, needs: Any = None) -> set[tuple[int, int]]:
    """Pairs an admin rejected or a candidate declined: a later round does not propose them again.

    A claim released because its need changed was refused by no one: once the line needs more again, a round
    may propose the offer again."""
    part, candidate = (
        (Match.resource_line_id, Match.offer_id)
        if kind is MatchKind.OFFER_LINE
        else (Match.shift_id, Match.volunteer_id)
    )
    declined = sa.and_(
        Match.status == MatchStatus.CANCELLED,
        Match.source.in_(PROPOSAL_SOURCES),  # type: ignore[attr-defined]
        Match.accepted_at.is_(None),  # type: ignore[union-attr]
    )
    rejected = sa.and_(Match.status == MatchStatus.REJECTED, JUDGED)
    query = sa.select(part, candidate).where(Match.kind == kind, sa.or_(rejected, declined))
    if needs is not None:
        query = query.where(Match.need_id.in_(needs))  # type: ignore[attr-defined]
    return {(int(a), int(b)) for a, b in db.execute(query)}


def _busy(db: Session, now: datetime, volunteers: Any = None) -> dict[int, list[Window]]:
    """Each volunteer's (or, with the id query ``volunteers``, each of those's) confirmed shifts and shifts
    proposed to them, still to come, in whichever street."""
    confirmed = (
        sa.select(ShiftSignup.volunteer_id, Shift.starts_at, matches_services.held_until())
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(ShiftSignup.status.in_(SLOT_HOLDERS), matches_services.held_until() > now)  # type: ignore[attr-defined]
    )
    proposed = (
        sa.select(Match.volunteer_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Match.shift_id)  # type: ignore[arg-type]
        .where(Match.kind == MatchKind.VOLUNTEER_SHIFT, Match.status == MatchStatus.PROPOSED, Shift.ends_at > now)
    )
    if volunteers is not None:
        confirmed = confirmed.where(ShiftSignup.volunteer_id.in_(volunteers))  # type: ignore[attr-defined]
        proposed = proposed.where(Match.volunteer_id.in_(volunteers))  # type: ignore[union-attr]
    busy: dict[int, list[Window]] = defaultdict(list)
    for volunteer_id, starts_at, ends_at in [*db.execute(confirmed), *db.execute(proposed)]:
        busy[int(volunteer_id)].append((starts_at, ends_at))
    return dict(busy)


def _usable_offers(db: Session, now: datetime, street_id: int | None = None) -> list[records.Offer]:
    """Live offers of approved organizations (an approval of another's would be refused), serving the street."""
    approved = (
        sa.select(OfferRow.id)
        .join(Organization, Organization.id == OfferRow.organization_id)  # type: ignore[arg-type]
        .where(Organization.status == OrganizationStatus.APPROVED)
    )
    if street_id is not None:
        approved = approved.where(OfferRow.organization_id.in_(organizations_serving({street_id})))  # type: ignore[attr-defined]
    usable = {int(offer_id) for offer_id in db.execute(approved).scalars()}
    among = None if street_id is None else approved
    return [offer for offer in recommend_services.offer_records(db, now, among=among) if offer.id in usable]


def _active_volunteers(db: Session, now: datetime, street_id: int | None = None) -> list[records.Volunteer]:
    query = sa.select(VolunteerProfile.id).join(User, User.id == VolunteerProfile.user_id).where(User.is_active)  # type: ignore[arg-type]
    if street_id is not None:
        query = query.where(VolunteerProfile.id.in_(volunteers_serving({street_id})))  # type: ignore[union-attr]
    active = set(db.execute(query).scalars())
    among = None if street_id is None else query
    return [
        volunteer for volunteer in recommend_services.volunteer_records(db, now, among=among) if volunteer.id in active
    ]


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def load(db: Session, now: datetime, street_id: int | None = None) -> RoundInputs:
    """Everything open now in ``street_id`` (None: every street), with what pending proposals hold taken out.

    A street's round reads only what touches the street: its needs' proposals and pairs, and its candidates'
    holds wherever they are (an offer's quantity and a volunteer's hours are one, whichever street asks).
    """
    needs_here = _street_needs(street_id)
    offers_here = volunteers_here = None
    if street_id is not None:
        # Rule 5's candidates of the street, as the street's recommendation index reads them.
        offers_here, volunteers_here = serving_query("offers", street_id), serving_query("volunteers", street_id)
    pending_lines = _pending(
        db,
        MatchKind.OFFER_LINE,
        None if needs_here is None else sa.or_(Match.need_id.in_(needs_here), Match.offer_id.in_(offers_here)),  # type: ignore[attr-defined, union-attr]
    )
    touching_shifts = (
        None if needs_here is None else sa.or_(Match.need_id.in_(needs_here), Match.volunteer_id.in_(volunteers_here))  # type: ignore[attr-defined, union-attr]
    )
    pending_shifts = _pending(db, MatchKind.VOLUNTEER_SHIFT, touching_shifts)
    held_by_line: dict[int, float] = defaultdict(float)
    held_by_offer: dict[int, float] = defaultdict(float)
    for match in pending_lines:
        held_by_line[match.resource_line_id or 0] += float(match.quantity or 0)
        held_by_offer[match.offer_id or 0] += float(match.quantity or 0)
    places_held: dict[int, int] = defaultdict(int)
    for match in pending_shifts:
        places_held[match.shift_id or 0] += 1

    lines: list[records.LineNeed] = []
    shifts: list[records.ShiftNeed] = []
    open_lines, open_shifts = _open_parts(db, street_id)
    for line in open_lines:
        left = line.still_needed - held_by_line.get(line.id, 0.0)
        if left > 0:
            lines.append(line if left == line.still_needed else replace(line, still_needed=left))
    for shift in open_shifts:
        slots = shift.open_slots - places_held.get(shift.id, 0)
        if slots > 0 and shift.starts_at > now:
            shifts.append(shift if slots == shift.open_slots else replace(shift, open_slots=slots))

    busy = _busy(db, now, volunteers_here)
    shift_times = {
        shift_id: (street_week(start), _hours(start, end))
        for shift_id, start, end in db.execute(
            sa.select(Shift.id, Shift.starts_at, Shift.ends_at).where(
                # The pending proposals' shifts asked by their query, not by their ids bound in a list.
                Shift.id.in_(_pending_query(MatchKind.VOLUNTEER_SHIFT, touching_shifts, Match.shift_id))  # type: ignore[union-attr]
            )
        )
    }
    # What pending proposals hold, in each shift's own week (the round budgets hours per week).
    booked: dict[int, dict[date, float]] = defaultdict(dict)
    for match in pending_shifts:
        if match.shift_id in shift_times:
            week, hours = shift_times[match.shift_id]
            held = booked[match.volunteer_id or 0]
            held[week] = held.get(week, 0.0) + hours
    offers = _usable_offers(db, now, street_id)
    offers, volunteers = with_capacity(
        offers, _active_volunteers(db, now, street_id), reserved=held_by_offer, booked_by_week=booked
    )
    return RoundInputs(
        lines=lines,
        shifts=shifts,
        offers=offers,
        volunteers=volunteers,
        taken_lines=live_line_pairs(db, needs_here) | refused_pairs(db, MatchKind.OFFER_LINE, needs_here),
        taken_shifts=live_shift_pairs(db, needs_here) | refused_pairs(db, MatchKind.VOLUNTEER_SHIFT, needs_here),
        busy=busy,
    )
