"""Ranking partners' offers for a resource line: vectorised features, default scorer, explanations.

Features (each in [0, 1]):
- ``category``: 1 when the offer's category is the line's, else 0.
- ``coverage``: min(remaining, still needed) / still needed: the share of the gap it could fill.
- ``area``: 1 when the offer's service area includes the need's grid, else exp(-km / 3) from the
  nearest grid it serves.
- ``validity``: 1 when the offer is valid until the due date (or open-ended), else the share of
  the time to the due date it still covers.
- ``reliability``: the organization's fulfilled against failed matches, Laplace-smoothed.
- ``text``: TF-IDF cosine between the offer's text and the line's text.
Pre-filters: same kind (material, service, venue, funds, expertise), something left, not expired.
``pair_features`` adds the learned ranker's context columns (``matching.features``).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
from scipy import sparse

from matching.explain import Ranked, Reason, percent, quantity, top_reasons
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
    reliability,
    sentence_contributions,
    stack,
    weighted_score,
)
from matching.geo import GridDistances
from matching.records import GridPoint, LineNeed, Offer
from matching.text import TextSpace

DEFAULT_WEIGHTS: dict[str, float] = {
    "coverage": 0.30,
    "category": 0.25,
    "area": 0.20,
    "reliability": 0.10,
    "text": 0.10,
    "validity": 0.05,
}
AREA_SCALE_KM = 3.0
FAR_KM = 1e6


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), UTC)


@dataclass
class OfferFeatures:
    """Feature columns for the offers that passed the pre-filters, their rows, and what explains them."""

    rows: np.ndarray
    values: dict[str, np.ndarray]
    serves: np.ndarray
    nearest_km: np.ndarray


def unit_key(unit: str) -> str:
    """A unit as compared: case, spaces and the common spellings of square metres folded together."""
    folded = unit.strip().lower().replace(" ", "")
    return {"m2": "m²", "平方米": "m²", "平米": "m²", "sqm": "m²"}.get(folded, folded)


class OfferIndex:
    def __init__(self, offers: list[Offer], grids: list[GridPoint], text_space: TextSpace | None = None) -> None:
        self.offers = offers
        self.ids = np.asarray([o.id for o in offers], dtype=np.int64)
        self.kind = np.asarray([o.kind for o in offers], dtype=object)
        self.category = np.asarray([o.category for o in offers], dtype=object)
        self.remaining = np.asarray([o.remaining for o in offers], dtype=np.float64)
        self.units = [o.unit for o in offers]
        self.unit_keys = np.asarray([unit_key(o.unit) for o in offers], dtype=object)
        self.valid_until = np.asarray(
            [o.valid_until.timestamp() if o.valid_until else np.inf for o in offers], dtype=np.float64
        )
        self.distances = GridDistances(grids)
        rows = [row for row, o in enumerate(offers) for _ in o.grid_ids]
        columns = [self.distances.index[g] for o in offers for g in o.grid_ids]
        self.area = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, columns)), shape=(len(offers), len(grids))
        )
        fulfilled = np.asarray([o.fulfilled for o in offers], dtype=np.float64)
        failed = np.asarray([o.no_show + o.cancelled for o in offers], dtype=np.float64)
        self.fulfilled, self.failed = fulfilled, failed
        self.reliability = reliability(fulfilled, failed)
        self.open_matches = np.asarray([o.open_matches for o in offers], dtype=np.float64)
        self.text_space = text_space
        self.text = text_space.embed_each([o.text for o in offers]) if text_space else None

    def _nearest_area_km(self, grid_id: int, rows: np.ndarray) -> np.ndarray:
        """Distance from the need's grid to the nearest grid each offer serves (vectorised min)."""
        to_grid = self.distances.km[self.distances.index[grid_id]]
        # min over an offer's grids = FAR - max(FAR - d): the sparse row max does the work.
        flipped = self.area[rows].multiply(FAR_KM - to_grid[None, :]).tocsr()
        best = flipped.max(axis=1).toarray().ravel()
        return np.where(best > 0, FAR_KM - best, np.inf)

    def rows_of(self, candidate_ids: Sequence[int]) -> np.ndarray:
        """Index rows of these offers (unknown ids are left out)."""
        return np.flatnonzero(np.isin(self.ids, np.asarray(list(candidate_ids), dtype=np.int64)))

    def features(self, line: LineNeed, now: datetime, only: Sequence[int] | None = None) -> OfferFeatures:
        """Features of every offer that passes the pre-filters (or of each of ``only``, for training on
        decisions about offers that have since run out), as whole-column arithmetic."""
        if only is None:
            live = (self.kind == line.kind) & (self.remaining > 0) & (self.valid_until > now.timestamp())
            rows = np.flatnonzero(live) if line.still_needed > 0 else np.zeros(0, dtype=np.int64)
        else:
            rows = self.rows_of(only)
        # Quantities in different units do not compare: 48 lamps are not covered by 800 m² of bricks.
        same_unit = self.unit_keys[rows] == unit_key(line.unit)
        needed = max(line.still_needed, 1e-9)
        coverage = np.where(same_unit, np.minimum(self.remaining[rows], needed) / needed, 0.0)
        grid_position = self.distances.index[line.grid_id]
        serves = np.asarray(self.area[rows][:, grid_position].todense()).ravel() > 0
        nearest = self._nearest_area_km(line.grid_id, rows)
        area = np.where(serves, 1.0, np.exp(-nearest / AREA_SCALE_KM))
        if line.due_date is not None:
            due = _end_of(line.due_date).timestamp()
            span = max(due - now.timestamp(), 1.0)
            validity = np.clip((self.valid_until[rows] - now.timestamp()) / span, 0.0, 1.0)
        else:
            validity = np.where(np.isinf(self.valid_until[rows]), 1.0, 0.5)
        text = (
            np.clip(self.text_space.similarity(line.text, self.text[rows]), 0.0, 1.0)
            if self.text is not None and self.text_space is not None and line.text
            else np.zeros(len(rows))
        )
        values = {
            "coverage": coverage,
            "category": (self.category[rows] == line.category).astype(np.float64),
            "area": area,
            "reliability": self.reliability[rows],
            "text": text,
            "validity": validity,
        }
        values = {name: np.asarray(column, dtype=np.float64) for name, column in values.items()}
        return OfferFeatures(rows, values, serves, nearest)

    def rank(self, line: LineNeed, now: datetime, k: int = 10, weights: dict[str, float] | None = None) -> list[Ranked]:
        weights = weights or DEFAULT_WEIGHTS
        features = self.features(line, now)
        rows, values = features.rows, features.values
        if len(rows) == 0:
            return []
        scores = weighted_score(values, weights)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((self.ids[rows[best]], -scores[best]))]
        return [self._explain(line, features, int(p), float(scores[p]), weights) for p in best]

    def pair_features(self, line: LineNeed, now: datetime, only: Sequence[int] | None = None) -> PairFeatures:
        """Every offer that passes the pre-filters (or each of ``only``) as a row of ``OFFER_FEATURES``."""
        features = self.features(line, now, only)
        rows = features.rows
        n = len(rows)
        due = _end_of(line.due_date).timestamp() if line.due_date is not None else np.inf
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
        self, line: LineNeed, features: OfferFeatures, position: int, score: float, weights: dict[str, float]
    ) -> Ranked:
        contribution = {
            name: weights.get(name, 0.0) * float(column[position]) for name, column in features.values.items()
        }
        row = int(features.rows[position])
        return Ranked(int(self.ids[row]), score, top_reasons(self.reasons(line, features, position, contribution)))

    def reasons(
        self, line: LineNeed, features: OfferFeatures, position: int, contributions: Mapping[str, float]
    ) -> list[Reason]:
        """The sentences about one offer, each carrying its feature's contribution to the score.

        Context columns in ``contributions`` add to the sentence they speak through
        (``matching.features.SENTENCE_OF``); ``load`` has a sentence of its own.
        """
        row = int(features.rows[position])
        value = {name: float(column[position]) for name, column in features.values.items()}
        serves, nearest_km = bool(features.serves[position]), float(features.nearest_km[position])
        merged = sentence_contributions(OFFER, contributions)
        contribution = {name: merged.get(name, 0.0) for name in [*value, "load"]}
        gap = quantity(line.still_needed, line.unit)
        share = percent(value["coverage"])
        reasons = [
            Reason(
                "coverage",
                value["coverage"],
                contribution["coverage"],
                f"可满足尚缺{gap}中的{share}",
                f"covers {share} of the {gap} still needed",
            ),
        ]
        if value["category"]:
            reasons.append(
                Reason("category", 1.0, contribution["category"], "类别与需求一致", "same category as the need")
            )
        if serves:
            reasons.append(Reason("area", 1.0, contribution["area"], "服务范围覆盖该网格", "serves the need's grid"))
        elif np.isfinite(nearest_km):
            reasons.append(
                Reason(
                    "area",
                    value["area"],
                    contribution["area"],
                    f"距其最近的服务网格{nearest_km:.1f}公里",
                    f"{nearest_km:.1f} km from the nearest grid it serves",
                )
            )
        done, failed = int(self.fulfilled[row]), int(self.failed[row])
        if done + failed:
            reasons.append(
                Reason(
                    "reliability",
                    value["reliability"],
                    contribution["reliability"],
                    f"以往{done + failed}次对接兑现{done}次",
                    f"delivered {done} of {done + failed} past matches",
                )
            )
        if value["validity"] >= 0.999:
            reasons.append(
                Reason("validity", 1.0, contribution["validity"], "有效期覆盖截止日期", "valid until the due date")
            )
        if value["text"] > 0.05:
            similar = percent(value["text"])
            reasons.append(
                Reason(
                    "text",
                    value["text"],
                    contribution["text"],
                    f"描述相似度{similar}",
                    f"{similar} text match with the need",
                )
            )
        open_matches = int(self.open_matches[row])
        if contribution["load"] > 0:
            zh, en = (
                ("目前没有进行中的对接", "no other matches in progress")
                if open_matches == 0
                else (f"目前仅有{open_matches}项进行中的对接", f"only {open_matches} other matches in progress")
            )
            reasons.append(Reason("load", float(open_matches), contribution["load"], zh, en))
        return reasons
