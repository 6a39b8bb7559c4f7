"""Database rows → the matching library's plain records (the library never sees the database)."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift, ShiftSkill
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.places.models import Grid
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerProfile,
    VolunteerSkill,
)
from matching import records
from matching.offers import OfferIndex
from matching.text import TextSpace
from matching.volunteers import VolunteerIndex

URGENCY_LEVEL = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.CRITICAL: 3}
LIVE_SIGNUPS = (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN, SignupStatus.COMPLETED)


def grid_points(db: Session) -> list[records.GridPoint]:
    rows = db.execute(sa.select(Grid.id, Grid.latitude, Grid.longitude)).all()
    return [records.GridPoint(int(row.id), float(row.latitude), float(row.longitude)) for row in rows]


def need_text(need: Need, extra: str = "") -> str:
    return " ".join(part for part in (need.title, need.description, extra) if part)


# Ids per IN list: far below SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 1000


def _in_chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def rows_of_needs(db: Session, model: Any, needs: list[Need], *order: Any) -> dict[int, list[Any]]:
    """The rows of ``model`` of every need, grouped by need id, in ``order`` within a need."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for ids in _in_chunks([need.id for need in needs]):
        for row in db.execute(sa.select(model).where(model.need_id.in_(ids)).order_by(*order)).scalars():
            grouped[row.need_id].append(row)
    return grouped


def shift_records(db: Session, need: Need, shifts: list[Shift] | None = None) -> list[records.ShiftNeed]:
    """The shifts of ``need`` (its rows, when the caller has loaded them already) as the library's records."""
    return shift_records_of(db, [need], None if shifts is None else {need.id or 0: shifts})


def shift_records_of(
    db: Session, needs: list[Need], shifts: dict[int, list[Shift]] | None = None
) -> list[records.ShiftNeed]:
    """The shifts of every need in a few queries, need by need in the order given, each need's by start."""
    if shifts is None:
        shifts = rows_of_needs(db, Shift, needs, Shift.starts_at, Shift.id)
    skills: dict[int, set[int]] = defaultdict(set)
    for ids in _in_chunks([shift.id for found in shifts.values() for shift in found]):
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
        )
        for need in needs
        for line in lines.get(need.id or 0, [])
    ]


def _week_start(now: datetime) -> datetime:
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def volunteer_records(db: Session, now: datetime | None = None, only: int | None = None) -> list[records.Volunteer]:
    """Every volunteer (or only profile ``only``) with skills, weekly windows, this week's booked hours and
    their record, in 5 queries."""
    now = now or utcnow()

    def scoped(query: Any, column: Any) -> Any:
        return query if only is None else query.where(column == only)

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
    week = _week_start(now)
    booked: dict[int, float] = defaultdict(float)
    booked_rows = (
        sa.select(ShiftSignup.volunteer_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.status.in_(LIVE_SIGNUPS),  # type: ignore[attr-defined]
            Shift.starts_at >= week,
            Shift.starts_at < week + timedelta(days=7),
        )
    )
    for volunteer_id, starts_at, ends_at in db.execute(scoped(booked_rows, ShiftSignup.volunteer_id)):
        booked[volunteer_id] += (ends_at - starts_at).total_seconds() / 3600
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
    profile_rows = sa.select(
        VolunteerProfile.id,
        VolunteerProfile.home_grid_id,
        VolunteerProfile.weekly_hour_cap,
        VolunteerProfile.fulfilled_count,
        VolunteerProfile.no_show_count,
    ).order_by(VolunteerProfile.id)
    return [
        records.Volunteer(
            id=row.id,
            home_grid_id=row.home_grid_id,
            skill_ids=frozenset(skills[row.id]),
            availability=tuple(windows[row.id]),
            weekly_hour_cap=float(row.weekly_hour_cap),
            hours_this_week=booked[row.id],
            fulfilled=row.fulfilled_count,
            no_show=row.no_show_count,
            cancelled=int(cancelled.get(row.id, 0)),
            text=" ".join(names[row.id]),
        )
        for row in db.execute(scoped(profile_rows, VolunteerProfile.id))
    ]


def offer_records(
    db: Session, now: datetime | None = None, organization_id: int | None = None, *, include_inactive: bool = False
) -> list[records.Offer]:
    """Offers a line could draw on now (of one organization when given): active, in their window, with some left."""
    now = now or utcnow()
    live = (
        sa.select(Offer)
        .where(
            Offer.status == OfferStatus.ACTIVE,
            Offer.remaining_quantity > 0,
            Offer.valid_from <= now,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until > now),  # type: ignore[union-attr]
        )
        .order_by(Offer.id)
    )
    if include_inactive:  # training joins past decisions to offers that have since run out or expired
        live = sa.select(Offer).order_by(Offer.id)
    if organization_id is not None:
        live = live.where(Offer.organization_id == organization_id)
    offers = list(db.execute(live).scalars())
    areas: dict[int, set[int]] = defaultdict(set)
    for offer_id, grid_id in db.execute(sa.select(OfferGrid.offer_id, OfferGrid.grid_id)):
        areas[offer_id].add(grid_id)
    outcomes: dict[tuple[int, str], int] = {}
    for offer_id, status, count in db.execute(
        sa.select(Match.offer_id, Match.status, sa.func.count())
        .where(Match.offer_id.is_not(None))  # type: ignore[union-attr]
        .group_by(Match.offer_id, Match.status)
    ):
        outcomes[(offer_id, status.value if hasattr(status, "value") else str(status))] = count
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
            grid_ids=frozenset(areas[int(offer.id or 0)]),
            valid_until=offer.valid_until,
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


def candidate_index(
    kind: str, candidates: list[Any], grids: list[records.GridPoint], texts: list[str] | None = None
) -> VolunteerIndex | OfferIndex:
    """The library's index of these volunteers or offers; ``texts`` (default: the candidates') fit its vocabulary."""
    space = text_space(texts if texts is not None else [candidate.text for candidate in candidates])
    return VolunteerIndex(candidates, grids, space) if kind == "volunteers" else OfferIndex(candidates, grids, space)
