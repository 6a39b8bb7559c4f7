"""Ranking partners' offers for a resource line: vectorised features, default scorer, explanations.

Features (each in [0, 1]):
- ``category``: 1 when the offer's category is the line's, else 0.
- ``coverage``: min(remaining, still needed) / still needed: the share of the gap it could fill.
- ``area``: 1 when the offer's service area includes the need's grid, else exp(-km / scale) from the
  nearest grid it serves; the scale is 3 km, or the line category's (else kind's) own (``area_km``).
- ``validity``: the share of the time from now to the end of the due street day that the offer's
  window [available_from, valid_until] covers (1 when valid until the due date and available now; 0
  when it starts after the due date); without a due date 1 for an open-ended offer available now,
  else 0.5.
- ``reliability``: the organization's fulfilled against failed matches, Laplace-smoothed (or the
  record's rate when it came as one, without counts).
- ``text``: TF-IDF cosine between the offer's text and the line's text.
- ``item``: 1 when the offer's item key is the line's, 0 when both are known and differ, 0.5 when
  either is unknown.
- ``community_familiarity``: the organization's past fulfilled work in the line's community.
Pre-filters: something left, not expired, and able to serve the line (``matching.units.can_serve``: same kind,
the same unit however spelt, the same item where the unit does not say what it measures); no incompatible offer
is ranked.
``pair_features`` adds the learned ranker's context columns (``matching.features``).
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from scipy import sparse

from matching.availability import STREET_TIMEZONE, street_day_end
from matching.explain import Ranked, Reason, day_month, percent, quantity, quantity_en
from matching.features import (
    DAYS_CAP,
    DISTANCE_CAP_KM,
    EXPIRY_CAP_DAYS,
    OFFER,
    OFFER_FEATURES,
    SECONDS_PER_DAY,
    PairFeatures,
    days_between,
    experience,
    familiarity,
    rates,
    reliability_of,
    scales_km,
    sentence_contributions,
    stack,
    top_k,
    weighted_score,
    work_per_community,
)
from matching.geo import GridDistances
from matching.records import GridPoint, LineNeed, Offer
from matching.text import TextSpace
from matching.units import Condition, canonical, condition, fold, items_agree

# The default scorer's weights (they sum to 1; docs/matching.md gives the reasons): how much of the gap
# it fills, then whether it is the thing asked for (category, then the item itself), where it serves,
# the partner's record, whether it is there in time, ties to the community, and the words.
DEFAULT_WEIGHTS: dict[str, float] = {
    "coverage": 0.24,
    "area": 0.16,
    "category": 0.14,
    "item": 0.14,
    "reliability": 0.10,
    "validity": 0.08,
    "community_familiarity": 0.08,
    "text": 0.06,
}
AREA_SCALE_KM = 3.0
FAR_KM = 1e6
# rank_many scores lines in blocks of about this many (line, offer) pairs: 8 MB per float column.
CHUNK_PAIRS = 1 << 20
REASONS_SHOWN = 3  # as explain.top_reasons


@dataclass
class OfferFeatures:
    """Feature columns for the offers that passed the pre-filters, their rows, and what explains them."""

    rows: np.ndarray
    values: dict[str, np.ndarray]
    serves: np.ndarray
    nearest_km: np.ndarray
    worked: np.ndarray  # the organization's past fulfilled work in the line's community
    starts_later: np.ndarray  # available only from a moment after the decision


def unit_key(unit: str) -> str:
    """A unit as compared: the unit table's spelling of a known alias (平方米 → m²), width, case and spaces folded."""
    return fold(canonical(unit))


class OfferIndex:
    def __init__(
        self,
        offers: list[Offer],
        grids: list[GridPoint],
        text_space: TextSpace | None = None,
        area_km: Mapping[str, float] | None = None,
    ) -> None:
        """``area_km`` maps a line category or kind to the distance scale of ``area`` (the category's scale
        first, then the kind's, else 3 km): ValueError names a scale that is not a positive, finite number."""
        self.area_km = scales_km(area_km, "area_km")
        self.offers = offers
        self.ids = np.asarray([o.id for o in offers], dtype=np.int64)
        self.kind = np.asarray([o.kind for o in offers], dtype=object)
        self.category = np.asarray([o.category for o in offers], dtype=object)
        self.remaining = np.asarray([o.remaining for o in offers], dtype=np.float64)
        self.units = [o.unit for o in offers]
        self.unit_keys = np.asarray([unit_key(o.unit) for o in offers], dtype=object)
        keys = list(dict.fromkeys(self.unit_keys.tolist()))
        self._distinct_units = keys
        where = {key: code for code, key in enumerate(keys)}
        self._unit_codes = np.asarray([where[key] for key in self.unit_keys.tolist()], dtype=np.int64)
        self._relations: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.items = [o.item for o in offers]
        self.item_keys = np.asarray([o.item_key for o in offers], dtype=object)
        self.valid_until = np.asarray(
            [o.valid_until.timestamp() if o.valid_until else np.inf for o in offers], dtype=np.float64
        )
        self.available_from = np.asarray(
            [o.available_from.timestamp() if o.available_from else -np.inf for o in offers], dtype=np.float64
        )
        self.distances = GridDistances(grids)
        self.grid_community = np.asarray([-1 if g.community_id is None else g.community_id for g in grids])
        self._community_work = work_per_community([o.community_work for o in offers])
        self._familiarity: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        rows = [row for row, o in enumerate(offers) for _ in o.grid_ids]
        columns = [self.distances.index[g] for o in offers for g in o.grid_ids]
        self.area = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, columns)), shape=(len(offers), len(grids))
        )
        fulfilled = np.asarray([o.fulfilled for o in offers], dtype=np.float64)
        failed = np.asarray([o.no_show + o.cancelled for o in offers], dtype=np.float64)
        self.fulfilled, self.failed = fulfilled, failed
        self.rate = rates([o.reliability_rate for o in offers])
        self.reliability = reliability_of(fulfilled, failed, self.rate)
        self.open_matches = np.asarray([o.open_matches for o in offers], dtype=np.float64)
        self.text_space = text_space
        self.text = text_space.embed_each([o.text for o in offers]) if text_space else None

    def _nearest_area_km(self, grid_id: int, rows: np.ndarray) -> np.ndarray:
        """Distance from the need's grid to the nearest grid each offer serves (vectorised min)."""
        return self._area(self.area[rows], grid_id)[1]

    def area_scale(self, line: LineNeed) -> float:
        """The distance scale of ``area`` for this line: its category's, else its kind's, else 3 km."""
        return self.area_km.get(line.category, self.area_km.get(line.kind, AREA_SCALE_KM))

    def community_of(self, grid_id: int) -> int:
        """The community of a grid, -1 when unknown."""
        return int(self.grid_community[self.distances.index[grid_id]])

    def work_in(self, community: int) -> tuple[np.ndarray, np.ndarray]:
        """Every offer's organization's past fulfilled work in a community, and that as ``community_familiarity``."""
        if community not in self._familiarity:
            tasks = self._community_work.get(community) if community >= 0 else None
            tasks = tasks if tasks is not None else np.zeros(len(self.offers))
            self._familiarity[community] = (tasks, familiarity(tasks))
        return self._familiarity[community]

    def item_match(self, item_key: str) -> np.ndarray:
        """Every offer's ``item`` for a line with this item key: 1 the same, 0 another known, 0.5 either unknown."""
        if not item_key:
            return np.full(len(self.offers), 0.5)
        return np.where(self.item_keys == "", 0.5, (self.item_keys == item_key).astype(np.float64))

    def _area(
        self, area: sparse.csr_matrix, grid_id: int, scale_km: float = AREA_SCALE_KM
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the offers whose service areas are the rows of ``area``: whether each serves the grid,
        its distance to the nearest grid it serves, and the ``area`` feature."""
        position = self.distances.index[grid_id]
        counts = np.diff(area.indptr)
        owner = np.repeat(np.arange(area.shape[0]), counts)
        serves = np.zeros(area.shape[0], dtype=bool)
        serves[owner[(area.indices == position) & (area.data > 0)]] = True
        # min over an offer's grids = FAR - max(FAR - d), the row max of the flipped distances (0 when it
        # serves none: no stored entry); max(FAR - d) is FAR - min(d) rounded the same way.
        flipped = area.data * (FAR_KM - self.distances.km[position][area.indices])
        best = np.zeros(area.shape[0])
        nonempty = counts > 0
        if nonempty.any():
            best[nonempty] = np.maximum.reduceat(flipped, area.indptr[:-1][nonempty])
        nearest = np.where(best > 0, FAR_KM - best, np.inf)
        return serves, nearest, np.where(serves, 1.0, np.exp(-nearest / scale_km))

    def unit_relation(self, unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a line counted in ``unit``, over every offer (``matching.units.condition``): whether the units
        alone pair it (time, money); whether they pair it for an offer of the line's category (the unit says
        how much, not of what); and whether the names must agree too (the generic 个). Computed once per
        distinct unit of the offers, kept per line unit."""
        key = unit_key(unit)
        if key not in self._relations:
            found = [condition(offer_unit, unit) for offer_unit in self._distinct_units]
            free = np.asarray([c is Condition.UNITS for c in found], dtype=bool)
            bound = np.asarray([c in (Condition.CATEGORY, Condition.ITEM) for c in found], dtype=bool)
            named = np.asarray([c is Condition.ITEM for c in found], dtype=bool)
            codes = self._unit_codes
            self._relations[key] = (free[codes], bound[codes], named[codes])
        return self._relations[key]

    def serving(self, rows: np.ndarray, line: LineNeed) -> np.ndarray:
        """Which offers at ``rows`` can serve the line: ``matching.units.can_serve`` (without conversions) for
        every row at once. Kind, unit and category are whole-column comparisons; only a generic 个 compares
        names, one pair at a time (there are few)."""
        free, bound, named = self.unit_relation(line.unit)
        kind = self.kind[rows] == line.kind
        ok = kind & (free[rows] | (bound[rows] & (self.category[rows] == line.category)))
        for position in np.flatnonzero(ok & named[rows]).tolist():
            row = int(rows[position])
            ok[position] = items_agree(self.items[row], line.item, self.item_keys[row] or "", line.item_key)
        return ok

    def _coverage(self, rows: np.ndarray, line: LineNeed, serving: np.ndarray | None = None) -> np.ndarray:
        # Quantities in units that cannot serve the line do not compare: 48 lamps are not covered by 800 m² of
        # bricks. ``serving`` defaults to the units alone (the rows ranked have passed ``serving`` already).
        if serving is None:
            free, bound, _ = self.unit_relation(line.unit)
            serving = free[rows] | bound[rows]
        needed = max(line.still_needed, 1e-9)
        return np.where(serving, np.minimum(self.remaining[rows], needed) / needed, 0.0)

    def _validity(self, rows: np.ndarray, line: LineNeed, now: datetime) -> np.ndarray:
        """The share of [now, end of the due street day] the offer's [available_from, valid_until] covers: the
        part up to valid_until less the part before available_from (0 for an offer starting after the due day)."""
        moment = now.timestamp()
        if line.due_date is not None:
            span = max(street_day_end(line.due_date).timestamp() - moment, 1.0)
            until = np.clip((self.valid_until[rows] - moment) / span, 0.0, 1.0)
            before = np.clip((self.available_from[rows] - moment) / span, 0.0, 1.0)
            return np.maximum(until - before, 0.0)
        starts_now = self.available_from[rows] <= moment
        return np.where(np.isinf(self.valid_until[rows]) & starts_now, 1.0, 0.5)

    def _live(self, kind: str, now: datetime, unit: str | None = None) -> np.ndarray:
        """Rows of the offers a line of this kind (and unit, when given) may take: something left, not expired,
        and the line's unit (perhaps spelt otherwise, or the generic 个 for a count), to be checked for the item."""
        live = (self.kind == kind) & (self.remaining > 0) & (self.valid_until > now.timestamp())
        if unit is not None:
            free, bound, _ = self.unit_relation(unit)
            live &= free | bound
        return np.flatnonzero(live)

    def candidates(self, line: LineNeed, now: datetime) -> np.ndarray:
        """Rows of the offers that pass the pre-filters for ``line``: live, and able to serve it."""
        if line.still_needed <= 0:
            return np.zeros(0, dtype=np.int64)
        rows = self._live(line.kind, now, line.unit)
        return rows[self.serving(rows, line)]

    def rows_of(self, candidate_ids: Sequence[int]) -> np.ndarray:
        """Index rows of these offers (unknown ids are left out)."""
        return np.flatnonzero(np.isin(self.ids, np.asarray(list(candidate_ids), dtype=np.int64)))

    def features(self, line: LineNeed, now: datetime, only: Sequence[int] | None = None) -> OfferFeatures:
        """Features of every offer that passes the pre-filters (or of each of ``only``, for training on
        decisions about offers that have since run out), as whole-column arithmetic."""
        if only is None:
            rows = self.candidates(line, now)
            serving = np.ones(len(rows), dtype=bool)
        else:
            rows = self.rows_of(only)
            serving = self.serving(rows, line)
        serves, nearest, area = self._area(self.area[rows], line.grid_id, self.area_scale(line))
        worked, familiar = self.work_in(self.community_of(line.grid_id))
        text = (
            np.clip(self.text_space.similarity(line.text, self.text[rows]), 0.0, 1.0)
            if self.text is not None and self.text_space is not None and line.text
            else np.zeros(len(rows))
        )
        values = {
            "coverage": self._coverage(rows, line, serving),
            "category": (self.category[rows] == line.category).astype(np.float64),
            "area": area,
            "reliability": self.reliability[rows],
            "text": text,
            "validity": self._validity(rows, line, now),
            "item": self.item_match(line.item_key)[rows],
            "community_familiarity": familiar[rows],
        }
        values = {name: np.asarray(column, dtype=np.float64) for name, column in values.items()}
        return OfferFeatures(rows, values, serves, nearest, worked[rows], self.available_from[rows] > now.timestamp())

    def rank(self, line: LineNeed, now: datetime, k: int = 10, weights: dict[str, float] | None = None) -> list[Ranked]:
        weights = weights or DEFAULT_WEIGHTS
        features = self.features(line, now)
        rows, values = features.rows, features.values
        if len(rows) == 0:
            return []
        scores = weighted_score(values, weights)
        best = top_k(scores, self.ids[rows], k)
        return self._explain(line, features, best, scores[best], weights)

    def rank_many(
        self,
        lines: Sequence[LineNeed],
        now: datetime,
        k: int = 10,
        weights: dict[str, float] | None = None,
        *,
        ranked: Callable[[int], None] | None = None,
        chunk_pairs: int = CHUNK_PAIRS,
    ) -> list[list[Ranked]]:
        """``rank(line, now, k, weights)`` for every line, in order, computed many lines at a time.

        The same offers, scores and reasons as one ``rank()`` per line (a test compares them). Lines of
        one kind share their candidates; every column is computed once per distinct value of what it
        depends on (the grid for ``area``, the due date for ``validity``, the text for ``text``: one
        sparse product for all of them) and gathered into a matrix, one row per line, scored together in
        blocks of about ``chunk_pairs`` pairs. Only the ``k`` kept per line are explained.
        Lines of one kind and unit share their candidates; the offers of another item (category, or name for a
        generic 个) are struck out of each line's scores.
        ``ranked(n)`` is told how many lines are done.
        """
        weights = weights or DEFAULT_WEIGHTS
        lists: list[list[Ranked]] = [[] for _ in lines]
        groups: dict[tuple[str, str] | None, list[int]] = defaultdict(list)
        for position, line in enumerate(lines):
            # None: needing nothing, no offers.
            groups[(line.kind, unit_key(line.unit)) if line.still_needed > 0 else None].append(position)
        done = 0
        for group, members in groups.items():
            rows = self._live(group[0], now, lines[members[0]].unit) if group is not None else np.zeros(0, np.int64)
            step = max(1, chunk_pairs // len(rows)) if len(rows) else len(members)
            columns = _Columns(self, rows, now)
            for first in range(0, len(members), step):
                chunk = members[first : first + step]
                if len(rows):
                    found = self._rank_chunk([lines[p] for p in chunk], columns, k, weights)
                    for p, ranked_list in zip(chunk, found, strict=True):
                        lists[p] = ranked_list
                done += len(chunk)
                if ranked is not None:
                    ranked(done)
        return lists

    def _rank_chunk(
        self, lines: list[LineNeed], columns: "_Columns", k: int, weights: dict[str, float]
    ) -> list[list[Ranked]]:
        rows = columns.rows
        areas = [columns.area(line) for line in lines]
        values = {
            "coverage": columns.matrix("coverage", lines),
            "category": columns.matrix("category", lines),
            "area": np.stack([area for _, _, area in areas]),
            "reliability": self.reliability[rows],
            "text": columns.text(lines),
            "validity": columns.matrix("validity", lines),
            "item": columns.matrix("item", lines),
            "community_familiarity": columns.matrix("community_familiarity", lines),
        }
        scores = weighted_score(values, weights)
        _, bound, _ = self.unit_relation(lines[0].unit)
        if bound[rows].any():  # some offers may be of another item: strike them out line by line
            scores = np.where(np.stack([self.serving(rows, line) for line in lines]), scores, -np.inf)
        ids = self.ids[rows]
        out: list[list[Ranked]] = []
        for i, line in enumerate(lines):
            best = top_k(scores[i], ids, k)
            best = best[np.isfinite(scores[i, best])]
            serves, nearest, _ = areas[i]
            of_line_values = {name: column[i] if column.ndim == 2 else column for name, column in values.items()}
            worked = columns.worked(line)
            of_line = OfferFeatures(rows, of_line_values, serves, nearest, worked, columns.starts_later)
            out.append(self._explain(line, of_line, best, scores[i, best], weights))
        return out

    def pair_features(self, line: LineNeed, now: datetime, only: Sequence[int] | None = None) -> PairFeatures:
        """Every offer that passes the pre-filters (or each of ``only``) as a row of ``OFFER_FEATURES``."""
        features = self.features(line, now, only)
        rows = features.rows
        n = len(rows)
        due = street_day_end(line.due_date).timestamp() if line.due_date is not None else np.inf
        expiry = np.clip((self.valid_until[rows] - now.timestamp()) / SECONDS_PER_DAY, 0.0, EXPIRY_CAP_DAYS)
        columns = {
            **features.values,
            "distance_km": np.where(features.serves, 0.0, np.minimum(features.nearest_km, DISTANCE_CAP_KM)),
            "load": np.log1p(self.open_matches[rows]),
            "experience": experience(self.fulfilled[rows], self.failed[rows]),
            "urgency": np.full(n, float(line.urgency)),
            "days_to_due": np.full(n, days_between(due, now.timestamp(), DAYS_CAP) if np.isfinite(due) else DAYS_CAP),
            "days_to_expiry": expiry,
        }
        return PairFeatures(
            OFFER,
            line.need_id,
            line.id,
            self.ids[rows],
            OFFER_FEATURES,
            stack(columns, OFFER_FEATURES).reshape(n, len(OFFER_FEATURES)),
            lambda position, contribution: self.reasons(line, features, position, contribution),
        )

    def _explain(
        self,
        line: LineNeed,
        features: OfferFeatures,
        positions: np.ndarray,
        scores: np.ndarray,
        weights: Mapping[str, float],
    ) -> list[Ranked]:
        """The offers at ``positions`` of ``features`` with their scores, explained, in this order.

        Columns are read into Python numbers once per list. The contributions are the default
        columns' own: no context column adds to them and ``load`` contributes nothing here.
        """
        columns = {name: column[positions].tolist() for name, column in features.values.items()}
        rows = features.rows[positions]
        serves, nearest = features.serves[positions].tolist(), features.nearest_km[positions].tolist()
        done, failed, rate = self.fulfilled[rows].tolist(), self.failed[rows].tolist(), self.rate[rows].tolist()
        open_matches = self.open_matches[rows].tolist()
        worked, later = features.worked[positions].tolist(), features.starts_later[positions].tolist()
        explained: list[Ranked] = []
        for i, (candidate, score) in enumerate(zip(self.ids[rows].tolist(), scores.tolist(), strict=True)):
            value = {name: column[i] for name, column in columns.items()}
            contribution = {name: weights.get(name, 0.0) * number for name, number in value.items()}
            contribution["load"] = 0.0
            facts = _Facts(
                serves[i],
                nearest[i],
                int(done[i]),
                int(failed[i]),
                rate[i],
                int(open_matches[i]),
                int(worked[i]),
                self.offers[int(rows[i])].available_from if later[i] else None,
            )
            sentences = self._sentences(line, value, contribution, facts, limit=REASONS_SHOWN)
            explained.append(Ranked(candidate, score, tuple(sentences)))
        return explained

    def reasons(
        self, line: LineNeed, features: OfferFeatures, position: int, contributions: Mapping[str, float]
    ) -> list[Reason]:
        """The sentences about one offer, each carrying its feature's contribution to the score.

        Context columns in ``contributions`` add to the sentence they speak through
        (``matching.features.SENTENCE_OF``); ``load`` has a sentence of its own.
        """
        row = int(features.rows[position])
        value = {name: float(column[position]) for name, column in features.values.items()}
        merged = sentence_contributions(OFFER, contributions)
        facts = _Facts(
            bool(features.serves[position]),
            float(features.nearest_km[position]),
            int(self.fulfilled[row]),
            int(self.failed[row]),
            float(self.rate[row]),
            int(self.open_matches[row]),
            int(features.worked[position]),
            self.offers[row].available_from if features.starts_later[position] else None,
        )
        return self._sentences(line, value, {name: merged.get(name, 0.0) for name in [*value, "load"]}, facts)

    @staticmethod
    def _sentences(
        line: LineNeed,
        value: Mapping[str, float],
        contribution: Mapping[str, float],
        facts: "_Facts",
        limit: int | None = None,
    ) -> list[Reason]:
        """Every sentence about an offer, in a fixed order; with ``limit``, only ``top_reasons``'s
        choice (the ``limit`` largest positive contributions, earlier sentences first among equals),
        and only those are written."""
        counted = facts.done + facts.failed
        # An offer starting later says when it starts; one covering the time to the due date says so.
        timely = value["validity"] >= 0.999 or (facts.available_from is not None and value["validity"] > 0)
        said = [
            "coverage",
            *(["category"] if value["category"] else []),
            *(["item"] if value["item"] >= 1.0 else []),
            *(["area"] if facts.serves or np.isfinite(facts.nearest_km) else []),
            *(["community_familiarity"] if facts.worked > 0 else []),
            *(["reliability"] if counted or np.isfinite(facts.rate) else []),
            *(["validity"] if timely else []),
            *(["text"] if value["text"] > 0.05 else []),
            *(["load"] if contribution["load"] > 0 else []),
        ]
        if limit is not None:
            helpful = [name for name in said if contribution[name] > 0]
            said = sorted(helpful, key=contribution.__getitem__, reverse=True)[:limit]
        reasons: list[Reason] = []
        for name in said:
            number = value.get(name, 0.0)
            if name == "coverage":
                share = percent(number)
                gap_zh, gap_en = quantity(line.still_needed, line.unit), quantity_en(line.still_needed, line.unit)
                zh, en = f"可满足尚缺{gap_zh}中的{share}", f"covers {share} of the {gap_en} still needed"
            elif name == "category":
                number, zh, en = 1.0, "类别与需求一致", "same category as the need"
            elif name == "item":
                number, zh, en = 1.0, "与所需物品相同", "the same item as the need"
            elif name == "area" and facts.serves:
                number, zh, en = 1.0, "服务范围覆盖该网格", "serves the need's grid"
            elif name == "area":
                km = f"{facts.nearest_km:.1f}"
                zh, en = f"距其最近的服务网格{km}公里", f"{km} km from the nearest grid it serves"
            elif name == "community_familiarity":
                times = facts.worked
                zh = f"曾在本社区兑现{times}次对接"
                en = f"delivered {times} time{'' if times == 1 else 's'} in this community before"
            elif name == "reliability" and counted:
                done = facts.done
                zh, en = f"以往{counted}次对接兑现{done}次", f"delivered {done} of {counted} past matches"
            elif name == "reliability":
                share = percent(number)
                zh, en = f"以往对接兑现率{share}", f"delivers {share} of matches"
            elif name == "validity" and facts.available_from is not None:
                day_zh, day_en = day_month(facts.available_from.astimezone(STREET_TIMEZONE).date())
                zh, en = f"{day_zh}起可提供", f"available from {day_en}"
            elif name == "validity":
                number, zh, en = 1.0, "有效期覆盖截止日期", "valid until the due date"
            elif name == "text":
                zh, en = f"描述相似度{percent(number)}", f"{percent(number)} text match with the need"
            else:
                open_matches = facts.open_matches
                number = float(open_matches)
                zh, en = (
                    ("目前没有进行中的对接", "no other matches in progress")
                    if open_matches == 0
                    else (f"目前仅有{open_matches}项进行中的对接", f"only {open_matches} other matches in progress")
                )
            reasons.append(Reason(name, number, contribution[name], zh, en))
        return reasons


class _Facts(NamedTuple):
    """What the sentences about one offer say besides the feature values."""

    serves: bool  # serves the line's grid
    nearest_km: float  # to the nearest grid it serves
    done: int
    failed: int
    rate: float  # the record as a rate, NaN when none was given
    open_matches: int
    worked: int  # the organization's past fulfilled work in the line's community
    available_from: datetime | None  # when it starts, if after the decision


class _Columns:
    """The columns of one kind's live offers, each computed once per distinct value it depends on."""

    def __init__(self, index: OfferIndex, rows: np.ndarray, now: datetime) -> None:
        self.index, self.rows, self.now = index, rows, now
        self.service_areas = index.area[rows]
        self.cache: dict[tuple[str, Hashable], np.ndarray] = {}
        self.areas: dict[tuple[int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.starts_later = index.available_from[rows] > now.timestamp()

    def area(self, line: LineNeed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (line.grid_id, self.index.area_scale(line))
        if key not in self.areas:
            self.areas[key] = self.index._area(self.service_areas, *key)
        return self.areas[key]

    def worked(self, line: LineNeed) -> np.ndarray:
        """The organizations' past fulfilled work in the line's community."""
        return self.index.work_in(self.index.community_of(line.grid_id))[0][self.rows]

    def matrix(self, name: str, lines: list[LineNeed]) -> np.ndarray:
        """One row per line of the column ``name`` (coverage, category, validity, item or community_familiarity)."""
        index, rows = self.index, self.rows
        compute: dict[str, tuple[Callable[[LineNeed], Hashable], Callable[[LineNeed], np.ndarray]]] = {
            "coverage": (
                lambda line: (unit_key(line.unit), line.still_needed),
                lambda line: index._coverage(rows, line),
            ),
            "category": (
                lambda line: line.category,
                lambda line: (index.category[rows] == line.category).astype(np.float64),
            ),
            "validity": (lambda line: line.due_date, lambda line: index._validity(rows, line, self.now)),
            "item": (lambda line: line.item_key, lambda line: index.item_match(line.item_key)[rows]),
            "community_familiarity": (
                lambda line: index.community_of(line.grid_id),
                lambda line: index.work_in(index.community_of(line.grid_id))[1][rows],
            ),
        }
        key_of, column_of = compute[name]
        out = np.empty((len(lines), len(rows)))
        for i, line in enumerate(lines):
            key = (name, key_of(line))
            if key not in self.cache:
                self.cache[key] = np.asarray(column_of(line), dtype=np.float64)
            out[i] = self.cache[key]
        return out

    def text(self, lines: list[LineNeed]) -> np.ndarray:
        """Text similarity, one row per line: the distinct texts against the offers in one sparse product."""
        index, rows = self.index, self.rows
        if index.text is None or index.text_space is None or not any(line.text for line in lines):
            return np.zeros(len(rows))
        texts = list(dict.fromkeys(line.text for line in lines if line.text))
        queries = index.text_space.embed(texts)
        similar = np.clip(np.asarray((index.text[rows] @ queries.T).todense()).T, 0.0, 1.0).astype(np.float64)
        where = {text: i for i, text in enumerate(texts)}
        out = np.zeros((len(lines), len(rows)))
        for i, line in enumerate(lines):
            if line.text:
                out[i] = similar[where[line.text]]
        return out
