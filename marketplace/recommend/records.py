"""Database rows → the matching library's plain records (the library never sees the database)."""

import os
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift, ShiftSkill
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.services import offering_organization_ids
from marketplace.places.models import Grid
from marketplace.settings import AREA_KEYS, PROXIMITY_KEYS, Settings, parse_scales
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSkill,
)
from matching import records
from matching.availability import STREET_TIMEZONE, street_week
from matching.offers import OfferIndex
from matching.text import TextSpace
from matching.volunteers import VolunteerIndex

URGENCY_LEVEL = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.CRITICAL: 3}
LIVE_SIGNUPS = (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN, SignupStatus.COMPLETED)


def grid_points(db: Session) -> list[records.GridPoint]:
    rows = db.execute(sa.select(Grid.id, Grid.latitude, Grid.longitude, Grid.community_id)).all()
    return [
        records.GridPoint(int(row.id), float(row.latitude), float(row.longitude), int(row.community_id)) for row in rows
    ]


def skill_groups(db: Session) -> dict[int, str]:
    """Each skill's group of the taxonomy (care, repair, ...): a related skill earns partial credit."""
    return {int(skill_id): group for skill_id, group in db.execute(sa.select(Skill.id, Skill.group))}


@dataclass(frozen=True)
class CommunityWork:
    """Past work that ended well, per community id, as of a moment: a volunteer's shifts (a fulfilled match
    or a completed sign-up, each shift once) and an organization's projects (fulfilled matches, each need once)."""

    volunteers: Mapping[int, Mapping[int, int]] = field(default_factory=dict)
    organizations: Mapping[int, Mapping[int, int]] = field(default_factory=dict)


def community_work(db: Session, as_of: datetime) -> CommunityWork:
    """The street's own history as it stood at ``as_of`` (serving: now; training: the decision's date, so a
    decision never learns from work done after it)."""
    return CommunityWork(volunteer_work(db, as_of), organization_work(db, as_of))


def _ended_well_by(as_of: datetime) -> Any:
    return sa.and_(
        Match.status == MatchStatus.FULFILLED,
        sa.func.coalesce(Match.fulfilled_at, Match.decided_at, Match.created_at) <= as_of,
    )


def volunteer_work(
    db: Session, as_of: datetime, only: int | None = None, among: Any = None
) -> dict[int, dict[int, int]]:
    """Per volunteer (or only profile ``only``, or those of the id query ``among``), the shifts per community
    that ended well by ``as_of``: one grouped query."""
    matched = (
        sa.select(Match.volunteer_id.label("volunteer_id"), Match.shift_id.label("shift_id"), Grid.community_id)
        .join(Need, Need.id == Match.need_id)  # type: ignore[arg-type]
        .join(Grid, Grid.id == Need.grid_id)  # type: ignore[arg-type]
        .where(Match.kind == MatchKind.VOLUNTEER_SHIFT, _ended_well_by(as_of))
    )
    if only is not None:
        matched = matched.where(Match.volunteer_id == only)
    if among is not None:
        matched = matched.where(Match.volunteer_id.in_(among))  # type: ignore[union-attr]
    signed = (
        sa.select(ShiftSignup.volunteer_id, ShiftSignup.shift_id, Grid.community_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .join(Need, Need.id == Shift.need_id)  # type: ignore[arg-type]
        .join(Grid, Grid.id == Need.grid_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.status == SignupStatus.COMPLETED,
            sa.func.coalesce(ShiftSignup.checked_out_at, Shift.ends_at) <= as_of,
        )
    )
    if only is not None:
        signed = signed.where(ShiftSignup.volunteer_id == only)
    if among is not None:
        signed = signed.where(ShiftSignup.volunteer_id.in_(among))  # type: ignore[attr-defined]
    shifts = sa.union(matched, signed).subquery()  # UNION: a shift both matched and signed up for counts once
    work: dict[int, dict[int, int]] = defaultdict(dict)
    grouped = sa.select(shifts.c.volunteer_id, shifts.c.community_id, sa.func.count()).group_by(
        shifts.c.volunteer_id, shifts.c.community_id
    )
    for volunteer_id, community_id, count in db.execute(grouped):
        work[int(volunteer_id)][int(community_id)] = int(count)
    return dict(work)


def organization_work(
    db: Session, as_of: datetime, only: int | None = None, among: Any = None
) -> dict[int, dict[int, int]]:
    """Per organization (or only organization ``only``), the projects per community its fulfilled matches
    served by ``as_of``: one query."""
    organization = sa.func.coalesce(Match.organization_id, Offer.organization_id)
    grouped = (
        sa.select(organization, Grid.community_id, sa.func.count(sa.distinct(Match.need_id)))
        .join(Need, Need.id == Match.need_id)  # type: ignore[arg-type]
        .join(Grid, Grid.id == Need.grid_id)  # type: ignore[arg-type]
        .outerjoin(Offer, Offer.id == Match.offer_id)  # type: ignore[arg-type]
        .where(
            Match.kind.in_((MatchKind.OFFER_LINE, MatchKind.WHOLE_NEED)),  # type: ignore[attr-defined]
            _ended_well_by(as_of),
            organization.is_not(None),
        )
        .group_by(organization, Grid.community_id)
    )
    if only is not None:
        grouped = grouped.where(organization == only)
    if among is not None:  # an id query of organizations
        grouped = grouped.where(organization.in_(among))
    work: dict[int, dict[int, int]] = defaultdict(dict)
    for organization_id, community_id, count in db.execute(grouped):
        work[int(organization_id)][int(community_id)] = int(count)
    return dict(work)


def candidates_as_of(db: Session, candidates: list[Any], as_of: datetime, week_of: datetime | None = None) -> list[Any]:
    """The volunteer or offer records as they stood at ``as_of`` (training): their community work, and their
    load and record then, not today's (``volunteer_state_as_of``, ``offer_state_as_of``). A volunteer's load
    is the hours they held by then in the week of ``week_of`` (the shift's start; ``as_of`` when not given)."""
    work = community_work(db, as_of)
    ids = [candidate.id for candidate in candidates]
    if candidates and isinstance(candidates[0], records.Volunteer):
        volunteers = volunteer_state_as_of(db, as_of, ids, week_of)
        week = street_week(week_of or as_of)
        return [_volunteer_then(candidate, work, volunteers, week) for candidate in candidates]
    offers = offer_state_as_of(db, as_of, ids)
    return [_offer_then(candidate, work, offers) for candidate in candidates]


@dataclass(frozen=True)
class StateThen:
    """What a candidate's load and record were at a past moment (the counts that happened after it taken off)."""

    hours_that_week: dict[int, float] = field(default_factory=dict)  # volunteers: booked in as_of's week
    fulfilled_since: dict[int, int] = field(default_factory=dict)  # ended well at or after as_of
    failed_since: dict[int, int] = field(default_factory=dict)  # no-shows (volunteers) at or after as_of
    cancelled_since: dict[int, int] = field(default_factory=dict)  # cancellations made after as_of
    open_then: dict[int, int] = field(default_factory=dict)  # offers: matches open at as_of


def volunteer_state_as_of(db: Session, as_of: datetime, ids: list[int], week_of: datetime | None = None) -> StateThen:
    """Each volunteer's hours booked by ``as_of`` in the week of ``week_of`` (``as_of``'s when not given), and
    the completions, no-shows and own cancellations that came after it: two queries per chunk of ids."""
    week = street_week(week_of or as_of)
    starts = datetime.combine(week, time.min, STREET_TIMEZONE)
    state = StateThen()
    for chunk in _in_chunks(ids):
        booked = (
            sa.select(ShiftSignup.volunteer_id, Shift.starts_at, Shift.ends_at)
            .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
            .where(
                ShiftSignup.volunteer_id.in_(chunk),  # type: ignore[attr-defined]
                ShiftSignup.status.in_([*LIVE_SIGNUPS, SignupStatus.NO_SHOW]),  # type: ignore[attr-defined]
                ShiftSignup.created_at < as_of,
                Shift.starts_at >= starts,
                Shift.starts_at < starts + timedelta(days=7),
            )
        )
        for volunteer_id, starts_at, ends_at in db.execute(booked):
            hours = (ends_at - starts_at).total_seconds() / 3600
            state.hours_that_week[volunteer_id] = state.hours_that_week.get(volunteer_id, 0.0) + hours
        later = (
            sa.select(ShiftSignup.volunteer_id, ShiftSignup.status, sa.func.count())
            .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
            .where(
                ShiftSignup.volunteer_id.in_(chunk),  # type: ignore[attr-defined]
                sa.or_(
                    sa.and_(
                        ShiftSignup.status.in_([SignupStatus.COMPLETED, SignupStatus.NO_SHOW]),  # type: ignore[attr-defined]
                        Shift.ends_at >= as_of,
                    ),
                    # When a cancellation was made is not kept: one of a sign-up made after as_of came after it.
                    sa.and_(ShiftSignup.status == SignupStatus.CANCELLED, ShiftSignup.created_at >= as_of),
                ),
            )
            .group_by(ShiftSignup.volunteer_id, ShiftSignup.status)
        )
        for volunteer_id, status, count in db.execute(later):
            target = {
                SignupStatus.COMPLETED: state.fulfilled_since,
                SignupStatus.NO_SHOW: state.failed_since,
                SignupStatus.CANCELLED: state.cancelled_since,
            }[SignupStatus(status)]
            target[int(volunteer_id)] = int(count)
    return state


def offer_state_as_of(db: Session, as_of: datetime, ids: list[int]) -> StateThen:
    """Each offer's matches open at ``as_of`` (made before it, not yet ended), and those that ended well or
    were cancelled after it: one query per chunk of ids."""
    state = StateThen()
    ended = sa.or_(
        sa.and_(Match.fulfilled_at.is_not(None), Match.fulfilled_at < as_of),  # type: ignore[union-attr]
        sa.and_(
            Match.status.in_([MatchStatus.REJECTED, MatchStatus.CANCELLED]),  # type: ignore[attr-defined]
            Match.decided_at < as_of,  # type: ignore[operator]
        ),
    )
    for chunk in _in_chunks(ids):
        rows = sa.select(
            Match.offer_id, Match.status, Match.created_at, ended.label("ended"), Match.fulfilled_at, Match.decided_at
        ).where(
            Match.offer_id.in_(chunk)  # type: ignore[union-attr]
        )
        for offer_id, status, created_at, was_ended, fulfilled_at, decided_at in db.execute(rows):
            offer_id = int(offer_id)
            if created_at < as_of and not was_ended:
                state.open_then[offer_id] = state.open_then.get(offer_id, 0) + 1
            if status == MatchStatus.FULFILLED and (fulfilled_at is None or fulfilled_at >= as_of):
                state.fulfilled_since[offer_id] = state.fulfilled_since.get(offer_id, 0) + 1
            if status == MatchStatus.CANCELLED and (decided_at is None or decided_at >= as_of):
                state.cancelled_since[offer_id] = state.cancelled_since.get(offer_id, 0) + 1
    return state


def _volunteer_then(
    candidate: records.Volunteer, work: CommunityWork, then: StateThen, week: date
) -> records.Volunteer:
    vid = candidate.id
    hours = then.hours_that_week.get(vid, 0.0)
    return replace(
        candidate,
        community_work=work.volunteers.get(vid, {}),
        hours_this_week=hours,
        hours_by_week={week: hours},
        fulfilled=max(candidate.fulfilled - then.fulfilled_since.get(vid, 0), 0),
        no_show=max(candidate.no_show - then.failed_since.get(vid, 0), 0),
        cancelled=max(candidate.cancelled - then.cancelled_since.get(vid, 0), 0),
    )


def _offer_then(candidate: records.Offer, work: CommunityWork, then: StateThen) -> records.Offer:
    oid = candidate.id
    return replace(
        candidate,
        community_work=work.organizations.get(candidate.organization_id, {}),
        open_matches=then.open_then.get(oid, 0),
        fulfilled=max(candidate.fulfilled - then.fulfilled_since.get(oid, 0), 0),
        cancelled=max(candidate.cancelled - then.cancelled_since.get(oid, 0), 0),
    )


def need_text(need: Need, extra: str = "") -> str:
    return " ".join(part for part in (need.title, need.description, extra) if part)


# Ids per IN list: far below SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 1000


def _in_chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def rows_of_needs(
    db: Session,
    model: Any,
    needs: list[Need],
    *order: Any,
    where: Sequence[Any] = (),
    columns: Sequence[Any] = (),
    among: Any = None,
) -> dict[int, list[Any]]:
    """The rows of ``model`` of every need (those meeting ``where``), grouped by need id, in ``order`` within a
    need. With ``columns``, only those (plain rows whose attributes bear the columns' names) instead of whole
    model objects; with ``among``, a query of the needs' ids, asked inside the one statement instead of binding
    the ids a thousand at a time."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    selected = sa.select(*columns) if columns else sa.select(model)
    for ids in [among] if among is not None else _in_chunks([need.id for need in needs]):
        result = db.execute(selected.where(model.need_id.in_(ids), *where).order_by(*order))
        for row in result if columns else result.scalars():
            grouped[row.need_id].append(row)
    return grouped


# What a shift's record and its taking sign-ups (``matches.services.open_shifts``) read of its row.
SHIFT_COLUMNS = (
    Shift.id,
    Shift.need_id,
    Shift.title,
    Shift.starts_at,
    Shift.ends_at,
    Shift.slots,
    Shift.confirmed_count,
    Shift.cancelled_at,
)


# What a line's record reads of its row (``line_records_of``).
LINE_COLUMNS = (
    ResourceLine.id,
    ResourceLine.need_id,
    ResourceLine.description,
    ResourceLine.kind,
    ResourceLine.category,
    ResourceLine.still_needed,
    ResourceLine.unit,
    ResourceLine.item_key,
)


def shift_records(db: Session, need: Need, shifts: list[Shift] | None = None) -> list[records.ShiftNeed]:
    """The shifts of ``need`` (its rows, when the caller has loaded them already) as the library's records."""
    return shift_records_of(db, [need], None if shifts is None else {need.id or 0: shifts})


def shift_records_of(
    db: Session, needs: list[Need], shifts: dict[int, list[Any]] | None = None, *, shifts_among: Any = None
) -> list[records.ShiftNeed]:
    """The shifts of every need in a few queries, need by need in the order given, each need's by start. The
    rows given need only the columns of ``SHIFT_COLUMNS``; ``shifts_among``, a query of their ids, reads their
    skills in one statement instead of binding the ids a thousand at a time."""
    if shifts is None:
        shifts = rows_of_needs(db, Shift, needs, Shift.starts_at, Shift.id)
    skills: dict[int, set[int]] = defaultdict(set)
    chunks = [shifts_among] if shifts_among is not None else None
    for ids in chunks or _in_chunks([shift.id for found in shifts.values() for shift in found]):
        query = sa.select(ShiftSkill.shift_id, ShiftSkill.skill_id).where(ShiftSkill.shift_id.in_(ids))  # type: ignore[attr-defined]
        for shift_id, skill_id in db.execute(query):
            skills[shift_id].add(skill_id)
    return [
        records.ShiftNeed(
            id=int(shift.id or 0),
            need_id=int(need.id or 0),
            text=need_text(need, shift.title),
            category=need.category.value,
            grid_id=need.grid_id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            open_slots=max(shift.slots - shift.confirmed_count, 0),
            skill_ids=frozenset(skills[int(shift.id or 0)]),
            urgency=URGENCY_LEVEL.get(need.urgency, 1),
            due_date=need.due_date,
        )
        for need in needs
        for shift in shifts.get(need.id or 0, [])
    ]


def line_records(db: Session, need: Need, lines: list[ResourceLine] | None = None) -> list[records.LineNeed]:
    """The resource lines of ``need`` (its rows, when the caller has loaded them already) as the library's records."""
    return line_records_of(db, [need], None if lines is None else {need.id or 0: lines})


def line_records_of(
    db: Session, needs: list[Need], lines: dict[int, list[ResourceLine]] | None = None
) -> list[records.LineNeed]:
    """The resource lines of every need in one query (per thousand needs), need by need, each need's by id."""
    if lines is None:
        lines = rows_of_needs(db, ResourceLine, needs, ResourceLine.id)
    return [
        records.LineNeed(
            id=int(line.id or 0),
            need_id=int(need.id or 0),
            text=need_text(need, line.description),
            kind=line.kind.value,
            category=line.category.value,
            grid_id=need.grid_id,
            still_needed=float(line.still_needed),
            unit=line.unit,
            urgency=URGENCY_LEVEL.get(need.urgency, 1),
            due_date=need.due_date,
            item=line.description,
            item_key=line.item_key or "",
        )
        for need in needs
        for line in lines.get(need.id or 0, [])
    ]


def volunteer_records(
    db: Session,
    now: datetime | None = None,
    only: int | None = None,
    *,
    among: Any = None,
    include_disabled: bool = False,
) -> list[records.Volunteer]:
    """Every volunteer (or only profile ``only``, or those of the id query ``among``: a street's) with skills,
    weekly windows, this week's booked hours, their record, interests and past work per community (as of
    ``now``), in 7 queries that read only those volunteers' rows. Only volunteers whose account is active: a
    disabled or erased account is offered nowhere (``include_disabled``: training, which reads past decisions)."""
    now = now or utcnow()
    if not include_disabled:
        active = sa.select(VolunteerProfile.id).join(User, User.id == VolunteerProfile.user_id).where(User.is_active)  # type: ignore[arg-type]
        among = active if among is None else active.where(VolunteerProfile.id.in_(among))  # type: ignore[union-attr]

    def scoped(query: Any, column: Any) -> Any:
        if only is not None:
            query = query.where(column == only)
        return query if among is None else query.where(column.in_(among))

    skills: dict[int, set[int]] = defaultdict(set)
    names: dict[int, list[str]] = defaultdict(list)
    skill_rows = sa.select(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id, Skill.name, Skill.name_en).join(
        Skill,
        Skill.id == VolunteerSkill.skill_id,  # type: ignore[arg-type]
    )
    for volunteer_id, skill_id, name, name_en in db.execute(scoped(skill_rows, VolunteerSkill.volunteer_id)):
        skills[volunteer_id].add(skill_id)
        names[volunteer_id] += [name, name_en]
    windows: dict[int, list[records.WeeklyWindow]] = defaultdict(list)
    window_rows = sa.select(
        AvailabilitySlot.volunteer_id,
        AvailabilitySlot.weekday,
        AvailabilitySlot.start_minute,
        AvailabilitySlot.end_minute,
    )
    for volunteer_id, weekday, start, end in db.execute(scoped(window_rows, AvailabilitySlot.volunteer_id)):
        windows[volunteer_id].append(records.WeeklyWindow(weekday, start, end))
    # Hours held per street week, from this week on: a shift is judged by the hours of its own week.
    this_week = street_week(now)
    booked: dict[int, dict[date, float]] = defaultdict(dict)
    booked_rows = (
        sa.select(ShiftSignup.volunteer_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.status.in_(LIVE_SIGNUPS),  # type: ignore[attr-defined]
            Shift.starts_at >= datetime.combine(this_week, time.min, STREET_TIMEZONE),
        )
    )
    for volunteer_id, starts_at, ends_at in db.execute(scoped(booked_rows, ShiftSignup.volunteer_id)):
        week, hours = street_week(starts_at), booked[volunteer_id]
        hours[week] = hours.get(week, 0.0) + (ends_at - starts_at).total_seconds() / 3600
    # A sign-up the admins rejected is stored cancelled too; only the volunteer's own cancellations count
    # against their record.
    cancelled_rows = (
        sa.select(ShiftSignup.volunteer_id, sa.func.count())
        .outerjoin(Match, Match.id == ShiftSignup.match_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.status == SignupStatus.CANCELLED,
            sa.or_(Match.id.is_(None), Match.status == MatchStatus.CANCELLED),  # type: ignore[union-attr]
        )
        .group_by(ShiftSignup.volunteer_id)
    )
    cancelled = dict(db.execute(scoped(cancelled_rows, ShiftSignup.volunteer_id)).all())
    interests: dict[int, set[str]] = defaultdict(set)
    interest_rows = sa.select(VolunteerInterest.volunteer_id, VolunteerInterest.category)
    for volunteer_id, category in db.execute(scoped(interest_rows, VolunteerInterest.volunteer_id)):
        interests[volunteer_id].add(category.value)
    work = volunteer_work(db, now, only, among)
    profile_rows = sa.select(
        VolunteerProfile.id,
        VolunteerProfile.home_grid_id,
        VolunteerProfile.weekly_hour_cap,
        VolunteerProfile.fulfilled_count,
        VolunteerProfile.no_show_count,
        VolunteerProfile.reliability_rate,
    ).order_by(VolunteerProfile.id)
    return [
        records.Volunteer(
            id=row.id,
            home_grid_id=row.home_grid_id,
            skill_ids=frozenset(skills[row.id]),
            availability=tuple(windows[row.id]),
            weekly_hour_cap=float(row.weekly_hour_cap),
            hours_this_week=booked[row.id].get(this_week, 0.0),
            hours_by_week=booked[row.id],
            fulfilled=row.fulfilled_count,
            no_show=row.no_show_count,
            cancelled=int(cancelled.get(row.id, 0)),
            text=" ".join(names[row.id]),
            interests=frozenset(interests[row.id]),
            community_work=work.get(row.id, {}),
            reliability_rate=row.reliability_rate,
        )
        for row in db.execute(scoped(profile_rows, VolunteerProfile.id))
    ]


def offer_records(
    db: Session,
    now: datetime | None = None,
    organization_id: int | None = None,
    *,
    include_inactive: bool = False,
    among: Any = None,
) -> list[records.Offer]:
    """Offers a line could draw on now (of one organization when given, or of the id query ``among``: a
    street's): active, in their window, with some left, of an organization in good standing (a suspended,
    rejected or pending one's offers are offered nowhere: the organizations domain's one rule)."""
    now = now or utcnow()
    live = (
        sa.select(Offer)
        .where(
            Offer.status == OfferStatus.ACTIVE,
            Offer.remaining_quantity > 0,
            Offer.valid_from <= now,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until > now),  # type: ignore[union-attr]
            Offer.organization_id.in_(offering_organization_ids()),  # type: ignore[attr-defined]
        )
        .order_by(Offer.id)
    )
    if include_inactive:  # training joins past decisions to offers that have since run out or expired
        live = sa.select(Offer).order_by(Offer.id)
    if organization_id is not None:
        live = live.where(Offer.organization_id == organization_id)
    area_rows = sa.select(OfferGrid.offer_id, OfferGrid.grid_id)
    outcome_rows = (
        sa.select(Match.offer_id, Match.status, sa.func.count())
        .where(Match.offer_id.is_not(None))  # type: ignore[union-attr]
        .group_by(Match.offer_id, Match.status)
    )
    owners = None
    if among is not None:
        live = live.where(Offer.id.in_(among))  # type: ignore[union-attr]
        area_rows = area_rows.where(OfferGrid.offer_id.in_(among))  # type: ignore[attr-defined]
        outcome_rows = outcome_rows.where(Match.offer_id.in_(among))  # type: ignore[union-attr]
        owners = sa.select(Offer.organization_id).where(Offer.id.in_(among))  # type: ignore[union-attr]
    offers = list(db.execute(live).scalars())
    areas: dict[int, set[int]] = defaultdict(set)
    for offer_id, grid_id in db.execute(area_rows):
        areas[offer_id].add(grid_id)
    outcomes: dict[tuple[int, str], int] = {}
    for offer_id, status, count in db.execute(outcome_rows):
        outcomes[(offer_id, status.value if hasattr(status, "value") else str(status))] = count
    work = organization_work(db, now, organization_id, owners)
    return [
        records.Offer(
            id=int(offer.id or 0),
            organization_id=offer.organization_id,
            text=" ".join(part for part in (offer.title, offer.description) if part),
            kind=offer.kind.value,
            category=offer.category.value,
            remaining=float(offer.remaining_quantity),
            unit=offer.unit,
            item=offer.title,
            item_key=offer.item_key or "",
            grid_ids=frozenset(areas[int(offer.id or 0)]),
            valid_until=offer.valid_until,
            available_from=offer.available_from,
            community_work=work.get(offer.organization_id, {}),
            fulfilled=outcomes.get((int(offer.id or 0), MatchStatus.FULFILLED.value), 0),
            cancelled=outcomes.get((int(offer.id or 0), MatchStatus.CANCELLED.value), 0),
            open_matches=outcomes.get((int(offer.id or 0), MatchStatus.PROPOSED.value), 0)
            + outcomes.get((int(offer.id or 0), MatchStatus.APPROVED.value), 0),
        )
        for offer in offers
    ]


def text_space(texts: list[str]) -> TextSpace | None:
    """A vocabulary fitted on each distinct non-blank text once (many volunteers list the same skills);
    None when there is no text at all, and ranking then ignores the text feature."""
    distinct = sorted({text for text in texts if text.strip()})
    return TextSpace(distinct) if distinct else None


@dataclass(frozen=True)
class DistanceScales:
    """The matching's distance scales in km (settings): per need category for volunteers, per line category
    or kind for offers; the library's defaults where none is set."""

    proximity_km: Mapping[str, float] = field(default_factory=dict)
    area_km: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings) -> "DistanceScales":
        return cls(dict(settings.match_proximity_km), dict(settings.match_area_km))

    @classmethod
    def from_env(cls) -> "DistanceScales":
        return cls(
            parse_scales("MATCH_PROXIMITY_KM", os.environ.get("MARKETPLACE_MATCH_PROXIMITY_KM"), PROXIMITY_KEYS),
            parse_scales("MATCH_AREA_KM", os.environ.get("MARKETPLACE_MATCH_AREA_KM"), AREA_KEYS),
        )


# The serving application's scales (create_app sets them from its settings); commands that build indexes
# without an application read them from the environment, as Settings.from_env would.
_configured: list[DistanceScales] = []


def use_distance_scales(scales: DistanceScales) -> None:
    _configured[:] = [scales]


def distance_scales() -> DistanceScales:
    return _configured[0] if _configured else DistanceScales.from_env()


def candidate_index(
    kind: str,
    candidates: list[Any],
    grids: list[records.GridPoint],
    texts: list[str] | None = None,
    skill_groups: Mapping[int, str] | None = None,
    scales: DistanceScales | None = None,
    space: TextSpace | None = None,
) -> VolunteerIndex | OfferIndex:
    """The library's index of these volunteers or offers; ``texts`` (default: the candidates') fit its vocabulary,
    or ``space`` is one fitted already (training builds an index a day over one vocabulary); ``skill_groups``
    (``skill_groups(db)``) give related skills partial credit, ``scales`` default to the settings'."""
    if space is None:
        space = text_space(texts if texts is not None else [candidate.text for candidate in candidates])
    scales = scales or distance_scales()
    if kind == "volunteers":
        return VolunteerIndex(candidates, grids, space, skill_groups=skill_groups, proximity_km=scales.proximity_km)
    return OfferIndex(candidates, grids, space, area_km=scales.area_km)
