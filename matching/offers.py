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
"""

from datetime import UTC, date, datetime, time

import numpy as np
from scipy import sparse

from matching.explain import Ranked, Reason, percent, quantity, top_reasons
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


class OfferIndex:
    def __init__(self, offers: list[Offer], grids: list[GridPoint], text_space: TextSpace | None = None) -> None:
        self.offers = offers
        self.ids = np.asarray([o.id for o in offers], dtype=np.int64)
        self.kind = np.asarray([o.kind for o in offers], dtype=object)
        self.category = np.asarray([o.category for o in offers], dtype=object)
        self.remaining = np.asarray([o.remaining for o in offers], dtype=np.float64)
        self.units = [o.unit for o in offers]
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
        self.reliability = (fulfilled + 1) / (fulfilled + failed + 2)
        self.text_space = text_space
        self.text = text_space.embed([o.text for o in offers]) if text_space else None

    def _nearest_area_km(self, grid_id: int, rows: np.ndarray) -> np.ndarray:
        """Distance from the need's grid to the nearest grid each offer serves (vectorised min)."""
        to_grid = self.distances.km[self.distances.index[grid_id]]
        # min over an offer's grids = FAR - max(FAR - d): the sparse row max does the work.
        flipped = self.area[rows].multiply(FAR_KM - to_grid[None, :]).tocsr()
        best = flipped.max(axis=1).toarray().ravel()
        return np.where(best > 0, FAR_KM - best, np.inf)

    def rank(self, line: LineNeed, now: datetime, k: int = 10, weights: dict[str, float] | None = None) -> list[Ranked]:
        weights = weights or DEFAULT_WEIGHTS
        rows = np.flatnonzero((self.kind == line.kind) & (self.remaining > 0) & (self.valid_until > now.timestamp()))
        if len(rows) == 0 or line.still_needed <= 0:
            return []
        coverage = np.minimum(self.remaining[rows], line.still_needed) / line.still_needed
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
        scores = np.asarray(sum(weight * values[name] for name, weight in weights.items()), dtype=np.float64)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((self.ids[rows[best]], -scores[best]))]
        return [
            self._explain(
                line,
                int(rows[p]),
                float(scores[p]),
                {n: float(v[p]) for n, v in values.items()},
                bool(serves[p]),
                float(nearest[p]),
                weights,
            )
            for p in best
        ]

    def _explain(
        self,
        line: LineNeed,
        row: int,
        score: float,
        value: dict[str, float],
        serves: bool,
        nearest_km: float,
        weights: dict[str, float],
    ) -> Ranked:
        contribution = {name: weights.get(name, 0.0) * value[name] for name in value}
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
        return Ranked(int(self.ids[row]), score, top_reasons(reasons))
