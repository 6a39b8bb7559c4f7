"""What builders share: the plan, the clock, the people pools, one RNG per stage, and indexes of what exists."""

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from seeds.clock import SeedClock
from seeds.loading import Progress
from seeds.people import PeoplePools
from seeds.plan import Plan, Row


@dataclass
class GridInfo:
    id: int
    index: int
    community_index: int
    name: str
    latitude: float
    longitude: float
    households: int
    compounds: tuple[tuple[str, str], ...]
    roads: tuple[str, ...]


@dataclass
class CommunityInfo:
    id: int
    name: str
    name_en: str
    grid_indexes: list[int] = field(default_factory=list)


@dataclass
class Places:
    street_id: int
    city: str
    district: str
    communities: list[CommunityInfo]
    grids: list[GridInfo]
    departments: dict[str, int]
    # Kilometres between grids, by grid index.
    distances: list[list[float]] = field(default_factory=list)


@dataclass
class OrganizationInfo:
    id: int
    kind: str
    status: str
    name: str
    offer_keys: tuple[str, ...]
    grid_indexes: list[int]
    approved_at: datetime | None
    story_key: str | None = None


@dataclass
class Users:
    admins: list[int] = field(default_factory=list)
    community_staff: dict[int, int] = field(default_factory=dict)  # community index -> user id
    grid_staff: dict[int, int] = field(default_factory=dict)  # grid index -> user id
    partner_managers: dict[int, int] = field(default_factory=dict)  # organization id -> user id


@dataclass
class Volunteers:
    """Parallel lists by volunteer position (profile id = position + first_id)."""

    first_id: int = 1
    user_ids: list[int] = field(default_factory=list)
    home_grids: list[int] = field(default_factory=list)
    skills: list[frozenset[int]] = field(default_factory=list)
    # Weekly availability as (weekday, period) pairs; period 0 morning, 1 afternoon, 2 evening.
    availability: list[frozenset[tuple[int, int]]] = field(default_factory=list)
    reliability: list[float] = field(default_factory=list)
    joined: list[datetime] = field(default_factory=list)
    profiles: list[Row] = field(default_factory=list)
    by_grid: dict[int, list[int]] = field(default_factory=dict)
    by_skill: dict[int, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.user_ids)


@dataclass
class OfferInfo:
    id: int
    organization_id: int
    kind: str
    category: str
    unit: str
    grid_indexes: frozenset[int]
    row: Row


@dataclass
class LineInfo:
    id: int
    kind: str
    category: str
    unit: str
    row: Row


@dataclass
class ShiftInfo:
    id: int
    starts_at: datetime
    ends_at: datetime
    weekday: int
    period: int
    skill_ids: frozenset[int]
    row: Row


@dataclass
class NeedInfo:
    id: int
    grid_index: int
    category: str
    status: str
    row: Row
    lines: list[LineInfo] = field(default_factory=list)
    shifts: list[ShiftInfo] = field(default_factory=list)


@dataclass
class SeedContext:
    seed: int
    clock: SeedClock
    people: PeoplePools
    password_hash: str
    plan: Plan = field(default_factory=Plan)
    progress: Progress | None = None
    places: Places | None = None
    skill_ids: dict[str, int] = field(default_factory=dict)
    organizations: list[OrganizationInfo] = field(default_factory=list)
    users: Users = field(default_factory=Users)
    volunteers: Volunteers = field(default_factory=Volunteers)
    offers: list[OfferInfo] = field(default_factory=list)
    needs: list[NeedInfo] = field(default_factory=list)
    story: dict[str, Any] = field(default_factory=dict)
    # Rows already in the plan when this street began (a city shares one plan among its streets).
    row_starts: dict[str, int] = field(default_factory=dict)

    def own_rows(self, table: str) -> list[Row]:
        """This street's rows of ``table``: those added since the street began (all of them for one street)."""
        return self.plan.rows.get(table, [])[self.row_starts.get(table, 0) :]

    def rng(self, stage: str) -> random.Random:
        """An RNG of its own per stage, so changing one stage does not reshuffle the others."""
        return random.Random(f"{self.seed}:{stage}")

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    @property
    def place(self) -> Places:
        assert self.places is not None, "places are built first"
        return self.places


def quantity(value: float | int) -> Decimal:
    """A quantity as stored: two decimals."""
    return Decimal(value).quantize(Decimal("0.01"))
