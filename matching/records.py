"""Plain records the matching library works on; the application adapts its rows into these.

Nothing here knows about the web or the database: ids are opaque integers, times are aware
datetimes, quantities are floats in the unit of the line or offer.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class GridPoint:
    id: int
    latitude: float
    longitude: float
    community_id: int | None = None  # the community the grid belongs to: ties are per community


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A weekly window when a volunteer can serve: weekday 0 = Monday, minutes from midnight."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class ShiftNeed:
    """A volunteer shift of a need, with what the need says about itself."""

    id: int
    need_id: int
    text: str
    category: str
    grid_id: int
    starts_at: datetime
    ends_at: datetime
    open_slots: int
    skill_ids: frozenset[int] = frozenset()
    urgency: int = 1  # 0 low, 1 normal, 2 high, 3 critical
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class Volunteer:
    id: int
    home_grid_id: int
    skill_ids: frozenset[int] = frozenset()
    availability: tuple[WeeklyWindow, ...] = ()
    weekly_hour_cap: float = 8.0
    hours_this_week: float = 0.0
    # Hours already held per week (its Monday, ``availability.street_week``). When any volunteer of an
    # index has them, a shift's capacity and load are read in the shift's own week; otherwise every
    # shift reads ``hours_this_week``.
    hours_by_week: Mapping[date, float] = field(default_factory=dict, hash=False)
    fulfilled: int = 0
    no_show: int = 0
    cancelled: int = 0
    text: str = ""
    # The kinds of work they want to do: need categories (``ShiftNeed.category`` values).
    interests: frozenset[str] = frozenset()
    # Past work that ended fulfilled, per community id, as of the decision (familiarity with a place).
    community_work: Mapping[int, int] = field(default_factory=dict, hash=False)
    # A record given as a rate (an import's "completes 92% of tasks"), used when there are no counts.
    reliability_rate: float | None = None


@dataclass(frozen=True, slots=True)
class LineNeed:
    """A resource line of a need: what is still needed, of which kind and category."""

    id: int
    need_id: int
    text: str
    kind: str
    category: str
    grid_id: int
    still_needed: float
    unit: str
    urgency: int = 1
    due_date: date | None = None
    item: str = ""  # what the line names (its description): whether a count of 个 is the same item as 盏
    item_key: str = ""  # the item vocabulary's key for what the line names ("" when not recognised)


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    organization_id: int
    text: str
    kind: str
    category: str
    remaining: float
    unit: str
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    valid_until: datetime | None = None
    fulfilled: int = 0
    no_show: int = 0
    cancelled: int = 0
    open_matches: int = 0
    item: str = ""  # what the offer names (its title), compared with a line's item (matching.units)
    item_key: str = ""  # the item vocabulary's key for what the offer names ("" when not recognised)
    available_from: datetime | None = None  # the offer's start date: nothing can be delivered before it
    # The organization's past work that ended fulfilled, per community id, as of the decision.
    community_work: Mapping[int, int] = field(default_factory=dict, hash=False)
    reliability_rate: float | None = None  # as for volunteers: a rate when the record came without counts


OUTCOMES = ("approved", "rejected", "fulfilled", "no_show")


@dataclass(frozen=True, slots=True)
class Decision:
    """An admin's decision on a candidate shown for a shift or resource line, and what came of it.

    ``need_part_id`` is the shift or resource line the candidate was ranked for (``need_id`` is its
    need); ``candidate_kind`` is ``"volunteer"`` or ``"offer"``; ``outcome`` is one of ``OUTCOMES``
    (``approved`` means approved and not yet delivered); ``shown_rank`` is the candidate's position
    in the list the admin saw, 1 for the first; ``decided_at`` is aware.
    """

    need_id: int
    need_part_id: int
    candidate_id: int
    candidate_kind: str
    outcome: str
    shown_rank: int
    decided_at: datetime

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {', '.join(OUTCOMES)}")
        if self.candidate_kind not in ("volunteer", "offer"):
            raise ValueError(f"unknown candidate kind {self.candidate_kind!r}; expected 'volunteer' or 'offer'")
        if self.shown_rank < 1:
            raise ValueError(f"shown_rank starts at 1, got {self.shown_rank}")
        if self.decided_at.tzinfo is None:
            raise ValueError("decided_at must be timezone-aware")
