"""Counts of matches for the home pages: the admins' review queue by kind and age, a partner's claims and
what its organization has contributed.

The queue counts use the review inbox's own base query and street scope (inbox.py), and the claim counts
the claims page's (claims.py), so each number is the number of items the linked page shows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col

from marketplace.matches import inbox
from marketplace.matches.claims import claims_of_organization
from marketplace.matches.models import Match, MatchKind, MatchStatus
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
    """One query over the inbox's pending items (its joins, its street condition), summed by kind and age."""
    conditions = inbox._conditions(inbox.InboxFilters().within(viewer), inbox.Clock.at())
    created = col(Match.created_at)
    kinds = list(MatchKind)
    columns = [
        sa.func.count(),
        _count_when(created >= today_starts),
        _count_when(sa.and_(created >= recent_starts, created < today_starts)),
        _count_when(created < recent_starts),
        *(_count_when(Match.kind == kind) for kind in kinds),
    ]
    row = db.execute(inbox._joined(sa.select(*columns), people=False).where(*conditions.values())).one()
    numbers = [int(value) for value in row]
    return QueueCounts(
        total=numbers[0],
        today=numbers[1],
        recent=numbers[2],
        older=numbers[3],
        kinds=dict(zip(kinds, numbers[4:], strict=True)),
    )


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
