"""Counts of matches for the home pages: the admins' review queue by kind and age, a partner's claims and
what its organization has contributed.

The queue counts use the review inbox's own base query and street scope (inbox.py), and the claim counts
the claims page's (claims.py), so each number is the number of items the linked page shows.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col

from marketplace.matches import inbox
from marketplace.matches.claims import claims_of_organization
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.security.identity import CurrentUser


def _count_when(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class QueueCounts:
    """Pending items of the review inbox in the admin's streets."""

    total: int = 0
    kinds: dict[MatchKind, int] = field(default_factory=dict)
    today: int = 0  # proposed today (street day)
    recent: int = 0  # proposed one to three street days ago
    older: int = 0


def review_queue(db: Session, viewer: CurrentUser, *, today_starts: datetime, recent_starts: datetime) -> QueueCounts:
    """One grouped query: the inbox's pending items in the admin's streets (its street condition), counted per
    kind, each kind by age.

    It reads the matches alone, and a street admin's needs for the street: every pending match has a need and
    every need a grid (NOT NULL foreign keys), so the inbox's inner joins keep every row and its outer joins
    add none. Joining the rows the inbox's cards show, as this did, cost a city admin 117 ms on PostgreSQL and
    310 ms on SQLite over 27,607 pending items (SQLite looked up each item's organization, offer, line and
    shift for nothing); the street's condition came in SQLite's form, which PostgreSQL answered by joining every
    pending item of the city before keeping the street's 110 (120 ms for a street admin's home page)."""
    clock = replace(inbox.Clock.at(), dialect=db.get_bind().dialect.name)  # no compatibility read: not counted
    conditions = inbox._conditions(inbox.InboxFilters().within(viewer), clock)
    created = col(Match.created_at)
    statement = (
        sa.select(
            Match.kind,
            sa.func.count(),
            _count_when(created >= today_starts),
            _count_when(sa.and_(created >= recent_starts, created < today_starts)),
            _count_when(created < recent_starts),
        )
        .where(Match.status == MatchStatus.PROPOSED, *conditions.values())
        .group_by(Match.kind)
    )
    if conditions:  # the street's: a condition on the need's grid
        statement = statement.join(Need, col(Need.id) == Match.need_id)
    kinds = {kind: 0 for kind in MatchKind}
    total = today = recent = older = 0
    for kind, count, *ages in db.execute(statement).all():
        kinds[MatchKind(kind)] = int(count)
        total += int(count)
        today, recent, older = today + int(ages[0]), recent + int(ages[1]), older + int(ages[2])
    return QueueCounts(total=total, today=today, recent=recent, older=older, kinds=kinds)


def round_pending(db: Session, viewer: CurrentUser, round_id: int) -> int:
    """The round's items still pending, as the inbox filtered to that round (``/review?round=``) counts them."""
    filters = inbox.InboxFilters(round_id=round_id).within(viewer)
    return inbox.count_matching(db, filters, upto=None, clock=inbox.Clock.at())


@dataclass(frozen=True)
class ClaimCounts:
    """A partner's open claims as the claims page shows them."""

    waiting: int = 0  # proposed: waiting for the street's review
    to_deliver: int = 0  # approved: deliver, then mark delivered


def claim_counts(db: Session, organization_id: int | None) -> ClaimCounts:
    if organization_id is None:
        return ClaimCounts()
    claims = claims_of_organization(organization_id).order_by(None).subquery()
    row = db.execute(
        sa.select(
            _count_when(claims.c.status == MatchStatus.PROPOSED),
            _count_when(claims.c.status == MatchStatus.APPROVED),
        )
    ).one()
    return ClaimCounts(int(row[0]), int(row[1]))


@dataclass(frozen=True)
class Contribution:
    """What an organization has delivered: fulfilled claims, the projects they served, units per unit."""

    fulfilled: int = 0
    projects: int = 0
    this_year: int = 0
    units: list[tuple[str, Decimal]] = field(default_factory=list)  # (unit, quantity), largest first


def contribution(db: Session, organization_id: int | None, *, year_starts: datetime) -> Contribution:
    """Two queries: the counts, and the quantities delivered from the organization's offers by unit."""
    if organization_id is None:
        return Contribution()
    fulfilled = sa.and_(
        Match.organization_id == organization_id,
        Match.status == MatchStatus.FULFILLED,
        Match.kind != MatchKind.VOLUNTEER_SHIFT,
    )
    row = db.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.distinct(Match.need_id)),
            _count_when(col(Match.fulfilled_at) >= year_starts),
        ).where(fulfilled)
    ).one()
    units: dict[str, Decimal] = defaultdict(Decimal)
    for unit, quantity in db.execute(
        sa.select(Offer.unit, sa.func.sum(Match.quantity))
        .join(Offer, col(Offer.id) == Match.offer_id)
        .where(fulfilled, Match.kind == MatchKind.OFFER_LINE)
        .group_by(Offer.unit)
    ).all():
        units[unit] += Decimal(quantity or 0)
    ordered = sorted(units.items(), key=lambda item: (-item[1], item[0]))
    return Contribution(int(row[0]), int(row[1]), int(row[2]), ordered)
