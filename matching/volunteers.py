"""Ranking volunteers for a shift: vectorised features, the default scorer, explanations, top k.

Features (each in [0, 1], higher is better):
- ``skill_coverage``: share of the shift's required skills the volunteer has (1 when none required).
- ``availability``: share of the shift's half-hours inside the volunteer's weekly availability.
- ``proximity``: exp(-distance / 2 km) between the volunteer's home grid and the need's grid.
- ``reliability``: (fulfilled + 1) / (fulfilled + no-shows + cancellations + 2), Laplace-smoothed
  (``matching.features.reliability``: a Beta(1, 1) prior, so a newcomer scores 0.5).
- ``capacity``: weekly hours left after this shift, over the weekly cap, so work spreads out.
- ``text``: TF-IDF cosine between the volunteer's text (skills, notes) and the need's text.
Pre-filters: the volunteer must be free for part of the shift and have the hours for it.
``pair_features`` adds the learned ranker's context columns (``matching.features``).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np
from scipy import sparse

from matching.availability import availability_matrix, shift_blocks
from matching.explain import Ranked, Reason, percent, top_reasons
from matching.features import (
    DAYS_CAP,
    DISTANCE_CAP_KM,
    VOLUNTEER,
    VOLUNTEER_FEATURES,
    PairFeatures,
    days_between,
    experience,
    reliability,
    sentence_contributions,
    stack,
    weighted_score,
)
from matching.geo import GridDistances
from matching.records import GridPoint, ShiftNeed, Volunteer
from matching.text import TextSpace

# The default scorer's weights (they sum to 1): skills and time first, then distance.
DEFAULT_WEIGHTS: dict[str, float] = {
    "skill_coverage": 0.35,
    "availability": 0.25,
    "proximity": 0.20,
    "reliability": 0.10,
    "capacity": 0.05,
    "text": 0.05,
}
PROXIMITY_SCALE_KM = 2.0


@dataclass
class VolunteerFeatures:
    """Feature columns for the candidates that passed the pre-filters, and their row positions."""

    rows: np.ndarray
    values: dict[str, np.ndarray]
    distance_km: np.ndarray
    skills_held: np.ndarray
    skills_required: int
    hours_left: np.ndarray


class VolunteerIndex:
    """Everything about the volunteers that does not depend on the shift, built once."""

    def __init__(self, volunteers: list[Volunteer], grids: list[GridPoint], text_space: TextSpace | None = None):
        self.volunteers = volunteers
        self.ids = np.asarray([v.id for v in volunteers], dtype=np.int64)
        self.distances = GridDistances(grids)
        self.home = self.distances.positions([v.home_grid_id for v in volunteers])
        skill_count = 1 + max((max(v.skill_ids) for v in volunteers if v.skill_ids), default=0)
        rows = [row for row, v in enumerate(volunteers) for _ in v.skill_ids]
        columns = [skill for v in volunteers for skill in v.skill_ids]
        self.skills = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(volunteers), skill_count)
        ).tocsc()
        self.availability = availability_matrix([v.availability for v in volunteers]).tocsc()
        fulfilled = np.asarray([v.fulfilled for v in volunteers], dtype=np.float64)
        failed = np.asarray([v.no_show + v.cancelled for v in volunteers], dtype=np.float64)
        self.fulfilled = fulfilled
        self.failed = failed
        self.reliability = reliability(fulfilled, failed)
        self.cap = np.asarray([max(v.weekly_hour_cap, 0.0) for v in volunteers], dtype=np.float64)
        self.hours = np.asarray([v.hours_this_week for v in volunteers], dtype=np.float64)
        self.text_space = text_space
        self.text = text_space.embed_each([v.text for v in volunteers]) if text_space else None

    def rows_of(self, candidate_ids: Sequence[int]) -> np.ndarray:
        """Index rows of these volunteers (unknown ids are left out)."""
        return np.flatnonzero(np.isin(self.ids, np.asarray(list(candidate_ids), dtype=np.int64)))

    def features(self, shift: ShiftNeed, only: Sequence[int] | None = None) -> VolunteerFeatures:
        """Features of every volunteer who passes the pre-filters, as whole-column arithmetic.

        ``only`` names the candidates instead of the pre-filters: training needs the features of the
        volunteers an admin actually decided on, even those who would not pass the filters today."""
        blocks = shift_blocks(shift.starts_at, shift.ends_at)
        shift_hours = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        available = np.asarray(self.availability[:, blocks].sum(axis=1)).ravel() / max(len(blocks), 1)
        hours_left = self.cap - self.hours - shift_hours
        rows = np.flatnonzero((available > 0) & (hours_left >= 0)) if only is None else self.rows_of(only)

        required = [skill for skill in shift.skill_ids if skill < self.skills.shape[1]]
        if shift.skill_ids:
            held = np.asarray(self.skills[rows][:, required].sum(axis=1)).ravel() if required else np.zeros(len(rows))
            coverage = held / len(shift.skill_ids)
        else:
            held = np.zeros(len(rows))
            coverage = np.ones(len(rows))
        distance = self.distances.from_grid(shift.grid_id, self.home[rows])
        capacity = np.where(self.cap[rows] > 0, hours_left[rows] / np.maximum(self.cap[rows], 1e-9), 0.0)
        if self.text is not None and self.text_space is not None and shift.text:
            text = self.text_space.similarity(shift.text, self.text[rows])
        else:
            text = np.zeros(len(rows))
        return VolunteerFeatures(
            rows=rows,
            values={
                name: np.asarray(column, dtype=np.float64)
                for name, column in {
                    "skill_coverage": coverage,
                    "availability": available[rows],
                    "proximity": np.exp(-distance / PROXIMITY_SCALE_KM),
                    "reliability": self.reliability[rows],
                    "capacity": np.clip(capacity, 0.0, 1.0),
                    "text": np.clip(text, 0.0, 1.0),
                }.items()
            },
            distance_km=distance,
            skills_held=held,
            skills_required=len(shift.skill_ids),
            hours_left=hours_left[rows],
        )

    def rank(self, shift: ShiftNeed, k: int = 10, weights: dict[str, float] | None = None) -> list[Ranked]:
        """The best ``k`` volunteers for ``shift`` under the default (or given) weights, explained."""
        weights = weights or DEFAULT_WEIGHTS
        features = self.features(shift)
        if len(features.rows) == 0:
            return []
        scores = weighted_score(features.values, weights)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((self.ids[features.rows[best]], -scores[best]))]
        return [self._explain(features, position, float(scores[position]), weights) for position in best]

    def pair_features(self, shift: ShiftNeed, now: datetime, only: Sequence[int] | None = None) -> PairFeatures:
        """Every candidate that passes the pre-filters (or each of ``only``) as a row of ``VOLUNTEER_FEATURES``,
        at time ``now``."""
        features = self.features(shift, only)
        rows = features.rows
        due = (
            datetime.combine(shift.due_date, time(23, 59, 59), UTC).timestamp()
            if shift.due_date is not None
            else shift.starts_at.timestamp()
        )
        n = len(rows)
        columns = {
            **features.values,
            "distance_km": np.minimum(features.distance_km, DISTANCE_CAP_KM),
            "load": np.where(self.cap[rows] > 0, self.hours[rows] / np.maximum(self.cap[rows], 1e-9), 1.0),
            "experience": experience(self.fulfilled[rows], self.failed[rows]),
            "urgency": np.full(n, float(shift.urgency)),
            "days_to_due": np.full(n, days_between(min(due, shift.starts_at.timestamp()), now.timestamp(), DAYS_CAP)),
        }
        return PairFeatures(
            VOLUNTEER,
            shift.need_id,
            shift.id,
            self.ids[rows],
            VOLUNTEER_FEATURES,
            stack(columns, VOLUNTEER_FEATURES).reshape(n, len(VOLUNTEER_FEATURES)),
            lambda position, contribution: self.reasons(features, position, contribution),
        )

    def _explain(self, features: VolunteerFeatures, position: int, score: float, weights: dict[str, float]) -> Ranked:
        value = {name: float(column[position]) for name, column in features.values.items()}
        contribution = {name: weights.get(name, 0.0) * value[name] for name in value}
        row = int(features.rows[position])
        return Ranked(int(self.ids[row]), score, top_reasons(self.reasons(features, position, contribution)))

    def reasons(self, features: VolunteerFeatures, position: int, contributions: Mapping[str, float]) -> list[Reason]:
        """The sentences about one candidate, each carrying its feature's contribution to the score.

        ``contributions`` may name context columns (``distance_km``, ``load``, ...): they add to
        the sentence they speak through (``matching.features.SENTENCE_OF``).
        """
        row = int(features.rows[position])
        value = {name: float(column[position]) for name, column in features.values.items()}
        merged = sentence_contributions(VOLUNTEER, contributions)
        contribution = {name: merged.get(name, 0.0) for name in value}
        reasons: list[Reason] = []
        held, required = int(features.skills_held[position]), features.skills_required
        if required:
            if held == required:
                zh, en = f"具备全部{required}项所需技能", f"has all {required} required skills"
            else:
                zh, en = f"具备所需{required}项技能中的{held}项", f"has {held} of the {required} required skills"
            reasons.append(Reason("skill_coverage", value["skill_coverage"], contribution["skill_coverage"], zh, en))
        share = value["availability"]
        if share >= 0.999:
            zh, en = "整个班次时间都有空", "available for the whole shift"
        else:
            zh, en = f"有{percent(share)}的班次时间有空", f"available for {percent(share)} of the shift"
        reasons.append(Reason("availability", share, contribution["availability"], zh, en))
        km = float(features.distance_km[position])
        reasons.append(
            Reason(
                "proximity",
                value["proximity"],
                contribution["proximity"],
                f"距项目网格{km:.1f}公里",
                f"{km:.1f} km from the grid",
            )
        )
        done, failed = int(self.fulfilled[row]), int(self.failed[row])
        if done + failed:
            zh, en = f"以往{done + failed}次任务完成{done}次", f"completed {done} of {done + failed} past tasks"
            reasons.append(Reason("reliability", value["reliability"], contribution["reliability"], zh, en))
        left = float(features.hours_left[position])
        zh, en = f"本周排班后还余{left:.0f}小时", f"{left:.0f} weekly hours left after this shift"
        reasons.append(Reason("capacity", value["capacity"], contribution["capacity"], zh, en))
        if value["text"] > 0.05:
            zh, en = (
                f"经历与需求描述相似度{percent(value['text'])}",
                f"{percent(value['text'])} text match with the need",
            )
            reasons.append(Reason("text", value["text"], contribution["text"], zh, en))
        return reasons
