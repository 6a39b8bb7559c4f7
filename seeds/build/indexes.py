"""The seeded records as the matching library sees them, so the history's lists are ranked as the app ranks.

The app adapts its rows into the library's records (``marketplace.recommend.records``); this module
does the same from the seeding plan, field for field: a volunteer's text is their skills' names, a
need's text its title, description and the shift's title or the line's item. What changes while
the year plays out (a volunteer's record and hours booked in a week, an offer's remaining quantity,
record and open matches) is set on the index before each list is drawn (``as_of``), so every list
shows the features as they stood when it was drawn.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from scipy import sparse

from marketplace.vocabulary import Urgency
from matching.availability import shift_blocks, street_day_end
from matching.explain import Reason
from matching.features import (
    DAYS_CAP,
    DISTANCE_CAP_KM,
    EXPIRY_CAP_DAYS,
    OFFER,
    OFFER_FEATURES,
    SECONDS_PER_DAY,
    VOLUNTEER,
    VOLUNTEER_FEATURES,
    PairFeatures,
    days_between,
    experience,
    reliability,
    stack,
)
from matching.offers import AREA_SCALE_KM, OfferIndex
from matching.records import GridPoint, LineNeed, Offer, ShiftNeed, Volunteer, WeeklyWindow
from matching.text import TextSpace
from matching.volunteers import PROXIMITY_SCALE_KM, VolunteerIndex
from seeds.build.context import LineInfo, NeedInfo, OfferInfo, SeedContext, ShiftInfo
from seeds.build.volunteers import PERIODS
from seeds.clock import BEIJING

URGENCY_LEVEL = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.CRITICAL: 3}


def grid_points(ctx: SeedContext) -> list[GridPoint]:
    return [GridPoint(grid.id, grid.latitude, grid.longitude) for grid in ctx.place.grids]


def need_text(need: NeedInfo, extra: str) -> str:
    return " ".join(part for part in (need.row["title"], need.row["description"], extra) if part)


def shift_record(need: NeedInfo, shift: ShiftInfo, grid_id: int) -> ShiftNeed:
    return ShiftNeed(
        id=shift.id,
        need_id=need.id,
        text=need_text(need, shift.row["title"]),
        category=need.category.value if hasattr(need.category, "value") else str(need.category),
        grid_id=grid_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        open_slots=max(shift.row["slots"] - shift.row["confirmed_count"], 0),
        skill_ids=shift.skill_ids,
        urgency=URGENCY_LEVEL.get(need.row["urgency"], 1),
        due_date=need.row["due_date"],
    )


def line_record(need: NeedInfo, line: LineInfo, grid_id: int) -> LineNeed:
    return LineNeed(
        id=line.id,
        need_id=need.id,
        text=need_text(need, line.row["description"]),
        kind=str(line.kind.value if hasattr(line.kind, "value") else line.kind),
        category=str(line.category.value if hasattr(line.category, "value") else line.category),
        grid_id=grid_id,
        still_needed=float(line.row["still_needed"]),
        unit=line.unit,
        urgency=URGENCY_LEVEL.get(need.row["urgency"], 1),
        due_date=need.row["due_date"],
        item=line.row["description"],
    )


def week_of(moment: datetime) -> datetime:
    """Monday 00:00 (Qingdao) of the week ``moment`` falls in, as UTC: the week hours are counted in."""
    local = moment.astimezone(BEIJING)
    return (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


class VolunteerRanking:
    """The library's ``VolunteerIndex`` over the seeded volunteers, as of the moment a list is drawn.

    ``pairs`` gives what ``VolunteerIndex.pair_features`` gives (tests hold them equal, pair for pair),
    computed from the index's own matrices made dense, with each shift's text similarity worked out
    for every shift at once: one library call per list costs ~4 ms of sparse bookkeeping, and a year
    of lists would triple the demo's seeding time.
    """

    def __init__(self, ctx: SeedContext) -> None:
        vols = ctx.volunteers
        skill_names = {row["id"]: f"{row['name']} {row['name_en']}" for row in ctx.plan.rows["skill"]}
        self.ctx = ctx
        self.grid_ids = [grid.id for grid in ctx.place.grids]
        records = [
            Volunteer(
                id=vols.first_id + position,
                home_grid_id=self.grid_ids[vols.home_grids[position]],
                skill_ids=vols.skills[position],
                availability=tuple(
                    WeeklyWindow(weekday, *PERIODS[period]) for weekday, period in sorted(vols.availability[position])
                ),
                weekly_hour_cap=float(vols.profiles[position]["weekly_hour_cap"]),
                text=" ".join(skill_names[skill] for skill in sorted(vols.skills[position])),
            )
            for position in range(len(vols))
        ]
        self.space = TextSpace([record.text for record in records])
        shifts = [(need, shift) for need in ctx.needs for shift in need.shifts]
        texts = [need_text(need, shift.row["title"]) for need, shift in shifts]
        self.index = index = VolunteerIndex(records, grid_points(ctx), self.space)
        self.available = index.availability.toarray()
        self.skills = index.skills.toarray()
        assert index.text is not None
        similarity = _similarity(index.text, self.space, texts)
        self.text = {shift.id: similarity[:, column] for column, (_, shift) in enumerate(shifts)}

    def set_record(self, record: tuple[list[int], list[int]], hours: np.ndarray) -> None:
        """Each volunteer's fulfilled and failed matches so far, and hours held in the week that counts."""
        index = self.index
        index.fulfilled = np.asarray(record[0], dtype=np.float64)
        index.failed = np.asarray(record[1], dtype=np.float64)
        index.reliability = reliability(index.fulfilled, index.failed)
        index.hours = hours

    def pairs(
        self,
        need: NeedInfo,
        shift: ShiftInfo,
        when: datetime,
        record: tuple[list[int], list[int]],
        hours: np.ndarray,
        only: Sequence[int] | None = None,
    ) -> PairFeatures:
        """Every volunteer who passes the library's pre-filters for ``shift`` at ``when`` (or each of ``only``),
        with their features; ``record`` is (fulfilled, failed) per volunteer so far, ``hours`` the hours each
        holds in the shift's week."""
        self.set_record(record, hours)
        index = self.index
        blocks = shift_blocks(shift.starts_at, shift.ends_at)
        shift_hours = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        available = self.available[:, blocks].sum(axis=1) / max(len(blocks), 1)
        hours_left = index.cap - index.hours - shift_hours
        rows = np.flatnonzero((available > 0) & (hours_left >= 0)) if only is None else index.rows_of(only)
        required = [skill for skill in shift.skill_ids if skill < self.skills.shape[1]]
        if shift.skill_ids:
            coverage = self.skills[np.ix_(rows, required)].sum(axis=1) / len(shift.skill_ids)
        else:
            coverage = np.ones(len(rows))
        distance = index.distances.from_grid(self.grid_ids[need.grid_index], index.home[rows])
        cap = index.cap[rows]
        due = (
            street_day_end(need.row["due_date"]).timestamp()
            if need.row["due_date"] is not None
            else shift.starts_at.timestamp()
        )
        shift_need = shift_record(need, shift, self.grid_ids[need.grid_index])
        grid = index.distances.index[shift_need.grid_id]
        columns = {
            "skill_coverage": coverage,
            "availability": available[rows],
            "proximity": np.exp(-distance / PROXIMITY_SCALE_KM),
            "reliability": index.reliability[rows],
            "capacity": np.clip(np.where(cap > 0, hours_left[rows] / np.maximum(cap, 1e-9), 0.0), 0.0, 1.0),
            "text": self.text[shift.id][rows],
            # The signals the seeded records carry (none yet: their neutral values), from the index itself.
            "interest": index.interest(shift_need.category)[rows],
            "skill_related": index.related_skills(shift_need, rows)[1],
            "lives_in_community": index.same_community[grid, index.home[rows]],
            "community_familiarity": index.work_in(index.community_of(shift_need.grid_id))[1][rows],
            "distance_km": np.minimum(distance, DISTANCE_CAP_KM),
            "load": np.where(cap > 0, index.hours[rows] / np.maximum(cap, 1e-9), 1.0),
            "experience": experience(index.fulfilled[rows], index.failed[rows]),
            "urgency": np.full(len(rows), float(URGENCY_LEVEL.get(need.row["urgency"], 1))),
            "days_to_due": np.full(
                len(rows), days_between(min(due, shift.starts_at.timestamp()), when.timestamp(), DAYS_CAP)
            ),
        }
        return _pair_features(VOLUNTEER, need.id, shift.id, index.ids[rows], VOLUNTEER_FEATURES, columns)

    def library_pairs(self, need: NeedInfo, shift: ShiftInfo, when: datetime, only: Sequence[int]) -> PairFeatures:
        """The same from the library itself, with the record last set (what the tests compare with)."""
        return self.index.pair_features(shift_record(need, shift, self.grid_ids[need.grid_index]), when, only)


class OfferRanking:
    """The library's ``OfferIndex`` over the seeded offers, as of the moment a list is drawn (computed like
    ``VolunteerRanking``, from the index's own matrices, and held equal to ``OfferIndex.pair_features``)."""

    def __init__(self, ctx: SeedContext, offers: list[OfferInfo]) -> None:
        self.ctx = ctx
        self.offers = offers
        self.ids = {offer.id for offer in offers}
        self.grid_ids = [grid.id for grid in ctx.place.grids]
        records = [
            Offer(
                id=offer.id,
                organization_id=offer.organization_id,
                text=" ".join(part for part in (offer.row["title"], offer.row["description"]) if part),
                kind=str(offer.kind.value if hasattr(offer.kind, "value") else offer.kind),
                category=str(offer.category.value if hasattr(offer.category, "value") else offer.category),
                remaining=float(offer.row["remaining_quantity"]),
                unit=offer.unit,
                item=offer.row["title"],
                grid_ids=frozenset(self.grid_ids[index] for index in offer.grid_indexes),
                valid_until=offer.row["valid_until"],
            )
            for offer in offers
        ]
        self.space = TextSpace([record.text for record in records])
        lines = [(need, line) for need in ctx.needs for line in need.lines]
        texts = [need_text(need, line.row["description"]) for need, line in lines]
        self.index = index = OfferIndex(records, grid_points(ctx), self.space)
        self.valid_from = np.asarray([offer.row["valid_from"].timestamp() for offer in offers])
        self.serves = index.area.toarray() > 0
        assert index.text is not None
        similarity = _similarity(index.text, self.space, texts)
        self.text = {line.id: similarity[:, column] for column, (_, line) in enumerate(lines)}

    def set_record(self, fulfilled: np.ndarray, failed: np.ndarray, open_: np.ndarray) -> None:
        index = self.index
        index.remaining = np.asarray([float(offer.row["remaining_quantity"]) for offer in self.offers])
        index.fulfilled, index.failed, index.reliability = fulfilled, failed, reliability(fulfilled, failed)
        index.open_matches = open_

    def pairs(
        self,
        need: NeedInfo,
        line: LineInfo,
        when: datetime,
        fulfilled: np.ndarray,
        failed: np.ndarray,
        open_: np.ndarray,
    ) -> PairFeatures:
        """The offers an admin could be shown for ``line`` at ``when`` (the library's pre-filters of the time: same
        kind, live, offered by then), with their features; the arrays are per offer, in this ranking's order."""
        self.set_record(fulfilled, failed, open_)
        index = self.index
        now = when.timestamp()
        kind = str(line.kind.value if hasattr(line.kind, "value") else line.kind)
        rows = np.flatnonzero(
            (index.kind == kind) & (index.remaining > 0) & (index.valid_until > now) & (self.valid_from <= now)
        )
        # An offer that cannot serve the line (matching.units) covers none of it, as in the library. The lists
        # of the past still show such offers (admins turned them down): the history keeps its volume.
        serving = index.serving(rows, line_record(need, line, self.grid_ids[need.grid_index]))
        needed = max(float(line.row["still_needed"]), 1e-9)
        grid = index.distances.index[self.grid_ids[need.grid_index]]
        serves = self.serves[rows, grid]
        nearest = np.where(self.serves[rows], index.distances.km[grid][None, :], np.inf).min(axis=1, initial=np.inf)
        valid_until = index.valid_until[rows]
        due_date = need.row["due_date"]
        if due_date is not None:
            due = street_day_end(due_date).timestamp()
            validity = np.clip((valid_until - now) / max(due - now, 1.0), 0.0, 1.0)
        else:
            due = np.inf
            validity = np.where(np.isinf(valid_until), 1.0, 0.5)
        category = str(line.category.value if hasattr(line.category, "value") else line.category)
        columns = {
            "coverage": np.where(serving, np.minimum(index.remaining[rows], needed) / needed, 0.0),
            "category": (index.category[rows] == category).astype(np.float64),
            "area": np.where(serves, 1.0, np.exp(-nearest / AREA_SCALE_KM)),
            "reliability": index.reliability[rows],
            "text": self.text[line.id][rows],
            "validity": validity,
            "item": index.item_match(line_record(need, line, self.grid_ids[need.grid_index]).item_key)[rows],
            "community_familiarity": index.work_in(index.community_of(self.grid_ids[need.grid_index]))[1][rows],
            "distance_km": np.where(serves, 0.0, np.minimum(nearest, DISTANCE_CAP_KM)),
            "load": np.log1p(index.open_matches[rows]),
            "experience": experience(index.fulfilled[rows], index.failed[rows]),
            "urgency": np.full(len(rows), float(URGENCY_LEVEL.get(need.row["urgency"], 1))),
            "days_to_due": np.full(len(rows), days_between(due, now, DAYS_CAP) if np.isfinite(due) else DAYS_CAP),
            "days_to_expiry": np.clip((valid_until - now) / SECONDS_PER_DAY, 0.0, EXPIRY_CAP_DAYS),
        }
        return _pair_features(OFFER, need.id, line.id, index.ids[rows], OFFER_FEATURES, columns)

    def library_pairs(self, need: NeedInfo, line: LineInfo, when: datetime, only: Sequence[int]) -> PairFeatures:
        """The same from the library itself, with the record last set (what the tests compare with)."""
        return self.index.pair_features(line_record(need, line, self.grid_ids[need.grid_index]), when, only)


def _similarity(candidates: sparse.csr_matrix, space: TextSpace, texts: list[str]) -> np.ndarray:
    """Text similarity of every candidate (rows) with every text (columns), clipped to [0, 1] as the library does;
    each distinct text is vectorised once (a need's shifts share its text)."""
    if not texts:
        return np.zeros((candidates.shape[0], 0))
    return np.clip((candidates @ space.embed_each(texts).T).toarray(), 0.0, 1.0)


def _no_reasons(row: int, contributions: Mapping[str, float]) -> list[Reason]:
    return []


def _pair_features(
    kind: str, need_id: int, part_id: int, ids: np.ndarray, names: tuple[str, ...], columns: dict[str, np.ndarray]
) -> PairFeatures:
    matrix = stack(columns, names).reshape(len(ids), len(names))
    return PairFeatures(kind, need_id, part_id, ids, names, matrix, _no_reasons)
