"""The street's figures: needs collected and solved, by category, grid and channel; partners, volunteers, grids.

Every number is an aggregate query (COUNT/SUM with GROUP BY); no rows are loaded to be counted in Python.
A need merged into another as its duplicate is one problem reported twice, so it is counted once:
through the need it was merged into.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.needs.models import PUBLIC_STATUSES, SOLVED_STATUSES, Need
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid
from marketplace.vocabulary import Category, IntakeChannel
from marketplace.volunteers.models import VolunteerProfile

# Published but not yet solved: a project still looking for (or using) help.
OPEN_STATUSES = tuple(status for status in PUBLIC_STATUSES if status not in SOLVED_STATUSES)


class Tally(Struct):
    """Needs collected and solved in one group (a category, a grid, a channel)."""

    collected: int
    solved: int

    @property
    def completion_rate(self) -> float:
        return self.solved / self.collected if self.collected else 0.0


class CategoryTally(Tally):
    category: Category
    label: str


class ChannelTally(Tally):
    channel: IntakeChannel
    label: str


class GridTally(Tally):
    grid_id: int
    grid_code: str
    grid_name: str
    grid_name_en: str
    community_id: int
    community_name: str
    community_name_en: str


class StreetFigures(Struct):
    needs_collected: int
    needs_solved: int
    completion_rate: float
    open_projects: int
    partners_approved: int
    offers_active: int
    volunteers_registered: int
    volunteer_hours: float
    grids: int
    by_category: list[CategoryTally]
    by_grid: list[GridTally]
    by_channel: list[ChannelTally]


def _counted() -> Any:
    """The needs that count as collected: every need except merged duplicates."""
    return Need.duplicate_of_id.is_(None)  # type: ignore[union-attr]


def _solved_count() -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(SOLVED_STATUSES), 1), else_=0)), 0)  # type: ignore[attr-defined]


def street_figures(session: Session) -> StreetFigures:
    collected, solved, open_projects = session.execute(
        sa.select(
            sa.func.count(Need.id),
            _solved_count(),
            sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(OPEN_STATUSES), 1), else_=0)), 0),  # type: ignore[attr-defined]
        ).where(_counted())
    ).one()
    hours = session.execute(sa.select(sa.func.coalesce(sa.func.sum(VolunteerProfile.hours_total), 0))).scalar_one()
    return StreetFigures(
        needs_collected=collected,
        needs_solved=int(solved),
        completion_rate=int(solved) / collected if collected else 0.0,
        open_projects=int(open_projects),
        partners_approved=_count(session, Organization.id, Organization.status == OrganizationStatus.APPROVED),
        offers_active=_count(session, Offer.id, Offer.status == OfferStatus.ACTIVE),
        volunteers_registered=_count(session, VolunteerProfile.id),
        volunteer_hours=float(Decimal(hours)),
        grids=_count(session, Grid.id),
        by_category=_by_category(session),
        by_grid=_by_grid(session),
        by_channel=_by_channel(session),
    )


def _count(session: Session, column: Any, *conditions: Any) -> int:
    return session.execute(sa.select(sa.func.count(column)).where(*conditions)).scalar_one()


def _by_category(session: Session) -> list[CategoryTally]:
    statement = (
        sa.select(Need.category, sa.func.count(Need.id), _solved_count())
        .where(_counted())
        .group_by(Need.category)
        .order_by(sa.func.count(Need.id).desc(), Need.category)
    )
    return [
        CategoryTally(category=category, label=category.label, collected=collected, solved=int(solved))
        for category, collected, solved in session.execute(statement)
    ]


def _by_channel(session: Session) -> list[ChannelTally]:
    statement = (
        sa.select(Need.channel, sa.func.count(Need.id), _solved_count())
        .where(_counted())
        .group_by(Need.channel)
        .order_by(sa.func.count(Need.id).desc(), Need.channel)
    )
    return [
        ChannelTally(channel=channel, label=channel.label, collected=collected, solved=int(solved))
        for channel, collected, solved in session.execute(statement)
    ]


def _by_grid(session: Session) -> list[GridTally]:
    """Every grid, including those with no needs yet (an outer join), in community and grid order."""
    statement = (
        sa.select(
            Grid.id,
            Grid.code,
            Grid.name,
            Grid.name_en,
            Community.id,
            Community.name,
            Community.name_en,
            sa.func.count(Need.id),
            _solved_count(),
        )
        .join(Community, Community.id == Grid.community_id)
        .outerjoin(Need, sa.and_(Need.grid_id == Grid.id, _counted()))
        .group_by(Grid.id, Grid.code, Grid.name, Grid.name_en, Community.id, Community.name, Community.name_en)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    return [
        GridTally(
            grid_id=grid_id,
            grid_code=code,
            grid_name=name,
            grid_name_en=name_en,
            community_id=community_id,
            community_name=community_name,
            community_name_en=community_name_en,
            collected=collected,
            solved=int(solved),
        )
        for grid_id, code, name, name_en, community_id, community_name, community_name_en, collected, solved in (
            session.execute(statement)
        )
    ]
