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

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np
from scipy import sparse

from matching.availability import availability_matrix, shift_blocks
from matching.explain import Ranked, Reason, percent
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
    top_k,
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
# rank_many scores shifts in blocks of about this many (shift, volunteer) pairs: 8 MB per float column.
CHUNK_PAIRS = 1 << 20
REASONS_SHOWN = 3  # as explain.top_reasons


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
        self.skill_rows = self.skills.tocsr()  # the same matrix, fast to take rows of
        self.availability = availability_matrix([v.availability for v in volunteers]).tocsc()
        # exp(-km / 2) between every two grids, once: a volunteer's proximity is a lookup.
        self.proximity = np.exp(-self.distances.km / PROXIMITY_SCALE_KM)
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
        available = self._available(blocks)
        hours_left = self.cap - self.hours - _hours(shift)
        rows = np.flatnonzero((available > 0) & (hours_left >= 0)) if only is None else self.rows_of(only)

        required = [skill for skill in shift.skill_ids if skill < self.skills.shape[1]]
        if shift.skill_ids:
            held = np.asarray(self.skills[rows][:, required].sum(axis=1)).ravel() if required else np.zeros(len(rows))
            coverage = held / len(shift.skill_ids)
        else:
            held = np.zeros(len(rows))
            coverage = np.ones(len(rows))
        grid = self.distances.index[shift.grid_id]
        distance = self.distances.km[grid, self.home[rows]]
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
                    "proximity": self.proximity[grid, self.home[rows]],
                    "reliability": self.reliability[rows],
                    "capacity": self._capacity(hours_left[rows], rows),
                    "text": np.clip(text, 0.0, 1.0),
                }.items()
            },
            distance_km=distance,
            skills_held=held,
            skills_required=len(shift.skill_ids),
            hours_left=hours_left[rows],
        )

    def _available(self, blocks: np.ndarray) -> np.ndarray:
        """Every volunteer's share of these half-hour blocks inside their weekly availability."""
        matrix = self.availability
        starts, ends = matrix.indptr[blocks], matrix.indptr[blocks + 1]
        members = np.concatenate([matrix.indices[a:b] for a, b in zip(starts, ends, strict=True)] or [[]])
        # Counts of ones are exact in float32, the matrix's own type (a sparse column sum gave the same).
        counts = np.bincount(members.astype(np.int64), minlength=len(self.volunteers)).astype(np.float32)
        return counts / max(len(blocks), 1)

    def _capacity(self, hours_left: np.ndarray, rows: np.ndarray) -> np.ndarray:
        cap = self.cap[rows]
        return np.clip(np.where(cap > 0, hours_left / np.maximum(cap, 1e-9), 0.0), 0.0, 1.0)

    def rank(self, shift: ShiftNeed, k: int = 10, weights: dict[str, float] | None = None) -> list[Ranked]:
        """The best ``k`` volunteers for ``shift`` under the default (or given) weights, explained."""
        weights = weights or DEFAULT_WEIGHTS
        features = self.features(shift)
        if len(features.rows) == 0:
            return []
        scores = weighted_score(features.values, weights)
        best = top_k(scores, self.ids[features.rows], k)
        return self._explain(features, best, scores[best], weights)

    def rank_many(
        self,
        shifts: Sequence[ShiftNeed],
        k: int = 10,
        weights: dict[str, float] | None = None,
        *,
        ranked: Callable[[int], None] | None = None,
        chunk_pairs: int = CHUNK_PAIRS,
    ) -> list[list[Ranked]]:
        """``rank(shift, k, weights)`` for every shift, in order, computed many shifts at a time.

        The same candidates, scores and reasons as one ``rank()`` per shift (a test compares them),
        for a fraction of the cost: the pre-filters depend only on a shift's half-hours and length,
        so shifts sharing them share their candidates and the columns that depend on the volunteer
        alone (availability, reliability, capacity); the rest are matrices, one row per shift
        (skills as one sparse product, proximity a lookup in the grid table, text one sparse
        product of the distinct texts), scored together in blocks of about ``chunk_pairs`` pairs.
        Only the ``k`` kept per shift are explained. ``ranked(n)`` is told how many shifts are done.
        """
        weights = weights or DEFAULT_WEIGHTS
        lists: list[list[Ranked]] = [[] for _ in shifts]
        groups: dict[tuple[bytes, float], list[int]] = defaultdict(list)
        for position, shift in enumerate(shifts):
            groups[(shift_blocks(shift.starts_at, shift.ends_at).tobytes(), _hours(shift))].append(position)
        done = 0
        for (blocks, shift_hours), members in groups.items():
            available = self._available(np.frombuffer(blocks, dtype=np.int64))
            hours_left = self.cap - self.hours - shift_hours
            rows = np.flatnonzero((available > 0) & (hours_left >= 0))
            step = max(1, chunk_pairs // max(len(rows), 1)) if len(rows) else len(members)
            for first in range(0, len(members), step):
                chunk = members[first : first + step]
                if len(rows):
                    chunk_shifts = [shifts[p] for p in chunk]
                    found = self._rank_chunk(chunk_shifts, rows, available, hours_left, k, weights)
                    for p, ranked_list in zip(chunk, found, strict=True):
                        lists[p] = ranked_list
                done += len(chunk)
                if ranked is not None:
                    ranked(done)
        return lists

    def _rank_chunk(
        self,
        shifts: list[ShiftNeed],
        rows: np.ndarray,
        available: np.ndarray,
        hours_left: np.ndarray,
        k: int,
        weights: dict[str, float],
    ) -> list[list[Ranked]]:
        """Shifts sharing their candidates ``rows``: each column as a vector (shared) or a matrix."""
        held, coverage = self._coverage_matrix(shifts, rows)
        grids = np.asarray([self.distances.index[shift.grid_id] for shift in shifts], dtype=np.int64)
        distance = self.distances.km[grids[:, None], self.home[rows][None, :]]
        values: dict[str, np.ndarray] = {
            "skill_coverage": coverage,
            "availability": np.asarray(available[rows], dtype=np.float64),
            "proximity": self.proximity[grids[:, None], self.home[rows][None, :]],
            "reliability": self.reliability[rows],
            "capacity": self._capacity(hours_left[rows], rows),
            "text": self._text_matrix(shifts, rows),
        }
        scores = weighted_score(values, weights)
        ids = self.ids[rows]
        out: list[list[Ranked]] = []
        left = hours_left[rows]
        for i, shift in enumerate(shifts):
            best = top_k(scores[i], ids, k)
            of_shift = VolunteerFeatures(
                rows=rows,
                values={name: column[i] if column.ndim == 2 else column for name, column in values.items()},
                distance_km=distance[i],
                skills_held=held[i],
                skills_required=len(shift.skill_ids),
                hours_left=left,
            )
            out.append(self._explain(of_shift, best, scores[i, best], weights))
        return out

    def _coverage_matrix(self, shifts: list[ShiftNeed], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Skills held and skill coverage, one row per shift: one sparse product for the distinct skill sets."""
        sets: dict[tuple[int, ...], int] = {}
        which = np.asarray(
            [sets.setdefault(tuple(sorted(shift.skill_ids)), len(sets)) for shift in shifts], dtype=np.int64
        )
        required = np.zeros((self.skills.shape[1], len(sets)), dtype=np.float32)
        counts = np.ones(len(sets), dtype=np.float32)
        for skills, column in sets.items():
            for skill in skills:
                if skill < self.skills.shape[1]:
                    required[skill, column] = 1.0
            counts[column] = max(len(skills), 1)
        held = np.asarray(self.skill_rows[rows] @ required).T  # float32 counts, exact as rank()'s column sums
        coverage = (held / counts[:, None]).astype(np.float64)
        coverage[[not skills for skills in sets]] = 1.0  # no skills required: every volunteer covers them
        return held[which], coverage[which]

    def _text_matrix(self, shifts: list[ShiftNeed], rows: np.ndarray) -> np.ndarray:
        """Text similarity, one row per shift (a zero vector when no shift has a text to compare)."""
        if self.text is None or self.text_space is None or not any(shift.text for shift in shifts):
            return np.zeros(len(rows))
        texts: dict[str, int] = {}
        which = [texts.setdefault(shift.text, len(texts)) if shift.text else -1 for shift in shifts]
        queries = self.text_space.embed(list(texts))
        similar = np.clip(np.asarray((self.text[rows] @ queries.T).todense()).T, 0.0, 1.0).astype(np.float64)
        matrix = np.zeros((len(shifts), len(rows)))
        for i, column in enumerate(which):
            if column >= 0:
                matrix[i] = similar[column]
        return matrix

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

    def _explain(
        self, features: VolunteerFeatures, positions: np.ndarray, scores: np.ndarray, weights: Mapping[str, float]
    ) -> list[Ranked]:
        """The candidates at ``positions`` of ``features`` with their scores, explained, in this order.

        Columns are read into Python numbers once per list rather than once per candidate. The
        contributions are the default columns' own, which no other column adds to
        (``SENTENCE_OF`` maps context columns only), so they go to the sentences unmerged.
        """
        columns = {name: column[positions].tolist() for name, column in features.values.items()}
        rows = features.rows[positions]
        held = features.skills_held[positions].tolist()
        km = features.distance_km[positions].tolist()
        left = features.hours_left[positions].tolist()
        done, failed = self.fulfilled[rows].tolist(), self.failed[rows].tolist()
        explained: list[Ranked] = []
        for i, (candidate, score) in enumerate(zip(self.ids[rows].tolist(), scores.tolist(), strict=True)):
            value = {name: column[i] for name, column in columns.items()}
            contribution = {name: weights.get(name, 0.0) * number for name, number in value.items()}
            sentences = self._sentences(
                value,
                contribution,
                int(held[i]),
                features.skills_required,
                km[i],
                left[i],
                int(done[i]),
                int(failed[i]),
                limit=REASONS_SHOWN,
            )
            explained.append(Ranked(candidate, score, tuple(sentences)))
        return explained

    def reasons(self, features: VolunteerFeatures, position: int, contributions: Mapping[str, float]) -> list[Reason]:
        """The sentences about one candidate, each carrying its feature's contribution to the score.

        ``contributions`` may name context columns (``distance_km``, ``load``, ...): they add to
        the sentence they speak through (``matching.features.SENTENCE_OF``).
        """
        row = int(features.rows[position])
        value = {name: float(column[position]) for name, column in features.values.items()}
        merged = sentence_contributions(VOLUNTEER, contributions)
        return self._sentences(
            value,
            {name: merged.get(name, 0.0) for name in value},
            int(features.skills_held[position]),
            features.skills_required,
            float(features.distance_km[position]),
            float(features.hours_left[position]),
            int(self.fulfilled[row]),
            int(self.failed[row]),
        )

    @staticmethod
    def _sentences(
        value: Mapping[str, float],
        contribution: Mapping[str, float],
        held: int,
        required: int,
        km: float,
        left: float,
        done: int,
        failed: int,
        limit: int | None = None,
    ) -> list[Reason]:
        """Every sentence about a candidate, in a fixed order; with ``limit``, only ``top_reasons``'s
        choice (the ``limit`` largest positive contributions, earlier sentences first among equals),
        and only those are written."""
        said = [
            *(["skill_coverage"] if required else []),
            "availability",
            "proximity",
            *(["reliability"] if done + failed else []),
            "capacity",
            *(["text"] if value["text"] > 0.05 else []),
        ]
        if limit is not None:
            helpful = [name for name in said if contribution[name] > 0]
            said = sorted(helpful, key=contribution.__getitem__, reverse=True)[:limit]
        reasons: list[Reason] = []
        for name in said:
            if name == "skill_coverage":
                if held == required:
                    zh, en = f"具备全部{required}项所需技能", f"has all {required} required skills"
                else:
                    zh, en = f"具备所需{required}项技能中的{held}项", f"has {held} of the {required} required skills"
            elif name == "availability":
                share = value["availability"]
                if share >= 0.999:
                    zh, en = "整个班次时间都有空", "available for the whole shift"
                else:
                    zh, en = f"有{percent(share)}的班次时间有空", f"available for {percent(share)} of the shift"
            elif name == "proximity":
                zh, en = f"距项目网格{km:.1f}公里", f"{km:.1f} km from the grid"
            elif name == "reliability":
                zh, en = f"以往{done + failed}次任务完成{done}次", f"completed {done} of {done + failed} past tasks"
            elif name == "capacity":
                zh, en = f"本周排班后还余{left:.0f}小时", f"{left:.0f} weekly hours left after this shift"
            else:
                similar = percent(value["text"])
                zh, en = f"经历与需求描述相似度{similar}", f"{similar} text match with the need"
            reasons.append(Reason(name, value[name], contribution[name], zh, en))
        return reasons


def _hours(shift: ShiftNeed) -> float:
    return (shift.ends_at - shift.starts_at).total_seconds() / 3600
