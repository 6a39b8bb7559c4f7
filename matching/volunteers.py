"""Ranking volunteers for a shift: vectorised features, the default scorer, explanations, top k.

Features (each in [0, 1], higher is better):
- ``skill_coverage``: share of the shift's required skills the volunteer has (1 when none required).
- ``availability``: share of the shift's half-hours inside the volunteer's weekly availability.
- ``proximity``: exp(-distance / scale) between the volunteer's home grid and the need's grid; the
  scale is 2 km, or the need category's own (``proximity_km``).
- ``reliability``: (fulfilled + 1) / (fulfilled + no-shows + cancellations + 2), Laplace-smoothed
  (``matching.features.reliability``: a Beta(1, 1) prior, so a newcomer scores 0.5); the record's
  rate when it came as one, without counts.
- ``capacity``: weekly hours left after this shift, over the weekly cap, so work spreads out.
- ``text``: TF-IDF cosine between the volunteer's text (skills, notes) and the need's text.
- ``interest``: 1 when the shift's category is among their interests, 0 when they declared others,
  0.5 when they declared none.
- ``skill_related``: share of the required skills they lack but hold a skill of the same group for.
- ``lives_in_community``: 1 when they live in the shift's community.
- ``community_familiarity``: their past fulfilled work in that community (``features.familiarity``).
Pre-filters: the volunteer must be free for part of the shift and have the hours for it.
``pair_features`` adds the learned ranker's context columns (``matching.features``).
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

import numpy as np
from scipy import sparse

from matching.availability import availability_matrix, shift_blocks, street_day_end, street_week
from matching.explain import Ranked, Reason, distance_sentences, percent, skill_sentences
from matching.features import (
    DAYS_CAP,
    DISTANCE_CAP_KM,
    VOLUNTEER,
    VOLUNTEER_FEATURES,
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
from matching.records import GridPoint, ShiftNeed, Volunteer
from matching.text import TextSpace

# The default scorer's weights (they sum to 1; docs/matching.md gives the reasons): skills and time
# first, then what the person wants to do, distance and record, then ties to the community.
# A related skill earns about a third of a held one (0.08 against 0.22).
DEFAULT_WEIGHTS: dict[str, float] = {
    "skill_coverage": 0.22,
    "availability": 0.18,
    "proximity": 0.14,
    "interest": 0.12,
    "reliability": 0.10,
    "skill_related": 0.08,
    "community_familiarity": 0.05,
    "lives_in_community": 0.04,
    "capacity": 0.04,
    "text": 0.03,
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
    skills_related: np.ndarray  # required skills lacked but with a held skill of their group
    worked: np.ndarray  # past fulfilled tasks in the shift's community


class VolunteerIndex:
    """Everything about the volunteers that does not depend on the shift, built once."""

    def __init__(
        self,
        volunteers: list[Volunteer],
        grids: list[GridPoint],
        text_space: TextSpace | None = None,
        skill_groups: Mapping[int, str] | None = None,
        proximity_km: Mapping[str, float] | None = None,
    ):
        """``skill_groups`` maps a skill id to its group in the taxonomy (a related skill earns partial
        credit); ``proximity_km`` a need category to its distance scale (2 km for the others): ValueError
        names a scale that is not a positive, finite number."""
        self.proximity_km = scales_km(proximity_km, "proximity_km")
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
        self._groups(skill_groups or {}, skill_count)
        self.availability = availability_matrix([v.availability for v in volunteers]).tocsc()
        # exp(-km / scale) between every two grids, once per scale: a volunteer's proximity is a lookup.
        self._proximity: dict[float, np.ndarray] = {}
        self.proximity = self.proximity_table(PROXIMITY_SCALE_KM)
        community = np.asarray([-1 if g.community_id is None else g.community_id for g in grids], dtype=np.int64)
        self.grid_community = community  # by grid position; -1 where unknown
        known = community >= 0
        # 1 where two grids are in the same (known) community: living there is a lookup too.
        self.same_community = ((community[:, None] == community[None, :]) & known[:, None]).astype(np.float64)
        self._interests(volunteers)
        self._community_work = work_per_community([v.community_work for v in volunteers])
        self._familiarity: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        fulfilled = np.asarray([v.fulfilled for v in volunteers], dtype=np.float64)
        failed = np.asarray([v.no_show + v.cancelled for v in volunteers], dtype=np.float64)
        self.fulfilled = fulfilled
        self.failed = failed
        self.rate = rates([v.reliability_rate for v in volunteers])
        self.reliability = reliability_of(fulfilled, failed, self.rate)
        self.cap = np.asarray([max(v.weekly_hour_cap, 0.0) for v in volunteers], dtype=np.float64)
        self.hours = np.asarray([v.hours_this_week for v in volunteers], dtype=np.float64)
        # Hours held per week when the records give them (a shift next week is judged by next week's hours).
        self.weekly = any(v.hours_by_week for v in volunteers)
        weeks = sorted({week for v in volunteers for week in v.hours_by_week})
        self.week_hours = {
            week: np.asarray([v.hours_by_week.get(week, 0.0) for v in volunteers], dtype=np.float64) for week in weeks
        }
        self._no_hours = np.zeros(len(volunteers))
        self.text_space = text_space
        self.text = text_space.embed_each([v.text for v in volunteers]) if text_space else None

    def hours_for(self, shift: ShiftNeed) -> np.ndarray:
        """The hours each volunteer already holds in the shift's week (this week's when the records give no
        weeks)."""
        if not self.weekly:
            return self.hours
        return self.week_hours.get(street_week(shift.starts_at), self._no_hours)

    def _groups(self, skill_groups: Mapping[int, str], skill_count: int) -> None:
        """Skill groups as matrices: which group each skill is in, and which groups each volunteer holds a
        skill of, so the related skills of a shift are two sparse products of exact counts."""
        names = sorted({str(group) for group in skill_groups.values()})
        code = {name: column for column, name in enumerate(names)}
        self.group_of = {int(skill): code[str(group)] for skill, group in skill_groups.items()}
        held = [(skill, column) for skill, column in self.group_of.items() if 0 <= skill < skill_count]
        member = sparse.csr_matrix(
            (np.ones(len(held), dtype=np.float32), ([s for s, _ in held], [c for _, c in held])),
            shape=(skill_count, len(names)),
        )
        holds = (self.skill_rows @ member).tocsr()
        holds.data = np.ones_like(holds.data)  # holds a skill of the group, however many
        self.group_rows = holds
        # The same, one dense row per group (a byte per volunteer and group): one shift's related skills are a
        # gather of its few groups, where taking the candidates' rows of the sparse matrix cost 1 ms at 100,000.
        self.group_holders = holds.T.toarray().astype(bool)

    def _interests(self, volunteers: list[Volunteer]) -> None:
        """The ``interest`` column per category, once: 1 for those who want that work, 0 for those who
        declared other work, 0.5 for those who declared nothing (``_uninterested``, also for unknown
        categories)."""
        declared = np.asarray([bool(v.interests) for v in volunteers], dtype=bool)
        self._uninterested = np.where(declared, 0.0, 0.5)
        members: dict[str, list[int]] = defaultdict(list)
        for row, v in enumerate(volunteers):
            for category in v.interests:
                members[category].append(row)
        self._interest: dict[str, np.ndarray] = {}
        for category, rows in members.items():
            column = self._uninterested.copy()
            column[rows] = 1.0
            self._interest[category] = column

    def interest(self, category: str) -> np.ndarray:
        """Every volunteer's ``interest`` in work of this category."""
        return self._interest.get(category, self._uninterested)

    def proximity_table(self, scale_km: float) -> np.ndarray:
        """exp(-km / scale) between every two grids."""
        if scale_km not in self._proximity:
            self._proximity[scale_km] = np.exp(-self.distances.km / scale_km)
        return self._proximity[scale_km]

    def proximity_scale(self, category: str) -> float:
        return self.proximity_km.get(category, PROXIMITY_SCALE_KM)

    def community_of(self, grid_id: int) -> int:
        """The community of a grid, -1 when unknown."""
        return int(self.grid_community[self.distances.index[grid_id]])

    def work_in(self, community: int) -> tuple[np.ndarray, np.ndarray]:
        """Every volunteer's past fulfilled tasks in a community, and that as ``community_familiarity``."""
        if community not in self._familiarity:
            tasks = self._community_work.get(community) if community >= 0 else None
            tasks = tasks if tasks is not None else np.zeros(len(self.volunteers))
            self._familiarity[community] = (tasks, familiarity(tasks))
        return self._familiarity[community]

    def rows_of(self, candidate_ids: Sequence[int]) -> np.ndarray:
        """Index rows of these volunteers (unknown ids are left out)."""
        return np.flatnonzero(np.isin(self.ids, np.asarray(list(candidate_ids), dtype=np.int64)))

    def features(self, shift: ShiftNeed, only: Sequence[int] | None = None) -> VolunteerFeatures:
        """Features of every volunteer who passes the pre-filters, as whole-column arithmetic.

        ``only`` names the candidates instead of the pre-filters: training needs the features of the
        volunteers an admin actually decided on, even those who would not pass the filters today."""
        blocks = shift_blocks(shift.starts_at, shift.ends_at)
        available = self._available(blocks)
        hours_left = self.cap - self.hours_for(shift) - _hours(shift)
        rows = np.flatnonzero((available > 0) & (hours_left >= 0)) if only is None else self.rows_of(only)

        required = [skill for skill in shift.skill_ids if skill < self.skills.shape[1]]
        if shift.skill_ids:
            held = self.holding(required)[rows] if required else np.zeros(len(rows))
            coverage = held / len(shift.skill_ids)
        else:
            held = np.zeros(len(rows))
            coverage = np.ones(len(rows))
        related, share_related = self.related_skills(shift, rows)
        grid = self.distances.index[shift.grid_id]
        homes = self.home[rows]
        distance = self.distances.km[grid][homes]
        worked, familiar = self.work_in(self.community_of(shift.grid_id))
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
                    "proximity": self.proximity_table(self.proximity_scale(shift.category))[grid][homes],
                    "reliability": self.reliability[rows],
                    "capacity": self._capacity(hours_left[rows], rows),
                    "text": np.clip(text, 0.0, 1.0),
                    "interest": self.interest(shift.category)[rows],
                    "skill_related": share_related,
                    "lives_in_community": self.same_community[grid][homes],
                    "community_familiarity": familiar[rows],
                }.items()
            },
            distance_km=distance,
            skills_held=held,
            skills_required=len(shift.skill_ids),
            hours_left=hours_left[rows],
            skills_related=related,
            worked=worked[rows],
        )

    def related_skills(self, shift: ShiftNeed, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the volunteers at ``rows``: the shift's required skills each lacks but holds a skill of the same
        group for, and that as the ``skill_related`` share of the required skills (0 when none are required)."""
        grouped = [skill for skill in shift.skill_ids if skill in self.group_of]
        if not grouped:
            return np.zeros(len(rows)), np.zeros(len(rows))
        groups = sorted({self.group_of[skill] for skill in grouped})
        times = np.asarray([sum(self.group_of[skill] == g for skill in grouped) for g in groups], dtype=np.float32)
        # As ``_related``, in exact float32 counts: the same numbers, whichever way they are summed.
        related = times @ self.group_holders[np.ix_(groups, rows)].astype(np.float32)
        own = [skill for skill in grouped if skill < self.skills.shape[1]]
        if own:
            related = related - self.holding(own)[rows]
        return related, related / np.float32(len(shift.skill_ids))

    def _related(self, rows: np.ndarray, shifts: Sequence[ShiftNeed]) -> np.ndarray:
        """Per candidate (rows) and shift (columns): the shift's required skills the candidate lacks but holds
        a skill of the same group for. A required skill of group g counts when the candidate holds any skill
        of g, less the required skills they hold themselves (those count as held): exact float32 counts."""
        groups = np.zeros((self.group_rows.shape[1], len(shifts)), dtype=np.float32)
        own = np.zeros((self.skills.shape[1], len(shifts)), dtype=np.float32)
        for column, shift in enumerate(shifts):
            for skill in shift.skill_ids:
                if skill in self.group_of:
                    groups[self.group_of[skill], column] += 1.0
                    if skill < self.skills.shape[1]:
                        own[skill, column] = 1.0
        if not groups.any():
            return np.zeros((len(rows), len(shifts)), dtype=np.float32)
        return np.asarray(self.group_rows[rows] @ groups) - np.asarray(self.skill_rows[rows] @ own)

    def holding(self, skills: Sequence[int]) -> np.ndarray:
        """How many of these skills (ids within the matrix) every volunteer holds, as float32 counts (exact).

        Read off the column-major matrix's stored rows: taking the candidates' rows of it first cost 1.5 ms
        at 100,000 volunteers, and a sparse column sum has overheads the count does not need."""
        matrix = self.skills
        members = [matrix.indices[matrix.indptr[skill] : matrix.indptr[skill + 1]] for skill in skills]
        found = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
        return np.bincount(found.astype(np.int64), minlength=len(self.volunteers)).astype(np.float32)

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
        groups: dict[tuple[bytes, float, date | None], list[int]] = defaultdict(list)
        for position, shift in enumerate(shifts):
            week = street_week(shift.starts_at) if self.weekly else None
            groups[(shift_blocks(shift.starts_at, shift.ends_at).tobytes(), _hours(shift), week)].append(position)
        candidates = []
        for (blocks, shift_hours, _week), members in groups.items():
            available = self._available(np.frombuffer(blocks, dtype=np.int64))
            hours_left = self.cap - self.hours_for(shifts[members[0]]) - shift_hours
            rows = np.flatnonzero((available > 0) & (hours_left >= 0))
            candidates.append((members, available, hours_left, rows))
        # The texts of every shift that has candidates, vectorised in one call: shifts at many different times
        # make many small groups, and one call per group cost more than the texts (a volunteer's 900 open
        # shifts: 67 calls, 30 ms of the 74 the ranking took).
        embedded = self._embedded([shifts[p] for members, _, _, rows in candidates if len(rows) for p in members])
        done = 0
        for members, available, hours_left, rows in _same_candidates(candidates):
            step = max(1, chunk_pairs // max(len(rows), 1)) if len(rows) else len(members)
            for first in range(0, len(members), step):
                chunk = members[first : first + step]
                if len(rows):
                    chunk_shifts = [shifts[p] for p in chunk]
                    of_chunk = available[first : first + step], hours_left[first : first + step]
                    if available.ndim == 1:
                        of_chunk = available, hours_left
                    found = self._rank_chunk(chunk_shifts, rows, *of_chunk, k, weights, embedded)
                    for p, ranked_list in zip(chunk, found, strict=True):
                        lists[p] = ranked_list
                done += len(chunk)
                if ranked is not None:
                    ranked(done)
        return lists

    def _embedded(self, shifts: Sequence[ShiftNeed]) -> tuple[dict[str, int], sparse.csr_matrix] | None:
        """The distinct texts of these shifts, vectorised once: their row numbers and the matrix (sparse: one short
        text a row), or None when there is no text to compare."""
        if self.text is None or self.text_space is None:
            return None
        texts: dict[str, int] = {}
        for shift in shifts:
            if shift.text:
                texts.setdefault(shift.text, len(texts))
        return (texts, self.text_space.embed(list(texts))) if texts else None

    def _rank_chunk(
        self,
        shifts: list[ShiftNeed],
        rows: np.ndarray,
        available: np.ndarray,
        hours_left: np.ndarray,
        k: int,
        weights: dict[str, float],
        embedded: tuple[dict[str, int], sparse.csr_matrix] | None = None,
    ) -> list[list[Ranked]]:
        """Shifts sharing their candidates ``rows``: each column as a vector (shared) or a matrix. ``available`` and
        ``hours_left`` are every volunteer's (shifts at one time), or the ``rows``' own, one row per shift (shifts at
        several times with the same candidates, ``_same_candidates``)."""
        if available.ndim == 1:
            available, hours_left = available[rows], hours_left[rows]
        held, coverage, related, share_related = self._coverage_matrix(shifts, rows)
        grids = np.asarray([self.distances.index[shift.grid_id] for shift in shifts], dtype=np.int64)
        homes = self.home[rows][None, :]
        distance = self.distances.km[grids[:, None], homes]
        proximity = np.empty((len(shifts), len(rows)))
        scales = np.asarray([self.proximity_scale(shift.category) for shift in shifts])
        for scale in np.unique(scales).tolist():
            on = scales == scale
            proximity[on] = self.proximity_table(scale)[grids[on][:, None], homes]
        communities = [self.community_of(shift.grid_id) for shift in shifts]
        worked = _by_key(communities, lambda community: self.work_in(community)[0][rows])
        same = (
            self.same_community[grids[:, None], homes]
            if (self.grid_community >= 0).any()
            else np.zeros(len(rows))  # no grid has a community: nobody lives in one
        )
        values: dict[str, np.ndarray] = {
            "skill_coverage": coverage,
            "availability": np.asarray(available, dtype=np.float64),
            "proximity": proximity,
            "reliability": self.reliability[rows],
            "capacity": self._capacity(hours_left, rows),
            "text": self._text_matrix(shifts, rows, embedded),
            "interest": _by_key([shift.category for shift in shifts], lambda category: self.interest(category)[rows]),
            "skill_related": share_related,
            "lives_in_community": same,
            "community_familiarity": _by_key(communities, lambda community: self.work_in(community)[1][rows]),
        }
        scores = weighted_score(values, weights)
        ids = self.ids[rows]
        out: list[list[Ranked]] = []
        left = hours_left
        for i, shift in enumerate(shifts):
            best = top_k(scores[i], ids, k)
            of_shift = VolunteerFeatures(
                rows=rows,
                values={name: column[i] if column.ndim == 2 else column for name, column in values.items()},
                distance_km=distance[i],
                skills_held=held[i],
                skills_required=len(shift.skill_ids),
                hours_left=left[i] if left.ndim == 2 else left,
                skills_related=related[i] if related.ndim == 2 else related,
                worked=worked[i] if worked.ndim == 2 else worked,
            )
            out.append(self._explain(of_shift, best, scores[i, best], weights))
        return out

    def _coverage_matrix(
        self, shifts: list[ShiftNeed], rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Skills held, skill coverage, related skills and their share, one row per shift: sparse products for
        the distinct skill sets."""
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
        if not self.group_of:  # no taxonomy groups: nothing is related, one shared zero vector
            return held[which], coverage[which], np.zeros(len(rows), np.float32), np.zeros(len(rows))
        distinct = [ShiftNeed(0, 0, "", "", 0, _EPOCH, _EPOCH, 0, frozenset(skills)) for skills in sets]
        related = self._related(rows, distinct).T  # zero where no skills are required
        share = (related / counts[:, None]).astype(np.float64)
        return held[which], coverage[which], related[which], share[which]

    def _text_matrix(
        self,
        shifts: list[ShiftNeed],
        rows: np.ndarray,
        embedded: tuple[dict[str, int], sparse.csr_matrix] | None = None,
    ) -> np.ndarray:
        """Text similarity, one row per shift (a zero vector when no shift has a text to compare); ``embedded``:
        the shifts' texts already vectorised (``_embedded``), else they are vectorised here."""
        if self.text is None or self.text_space is None or not any(shift.text for shift in shifts):
            return np.zeros(len(rows))
        texts: dict[str, int] = {}
        which = [texts.setdefault(shift.text, len(texts)) if shift.text else -1 for shift in shifts]
        if embedded is not None and all(text in embedded[0] for text in texts):
            queries = embedded[1][[embedded[0][text] for text in texts]]
        else:
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
        due = street_day_end(shift.due_date).timestamp() if shift.due_date is not None else shift.starts_at.timestamp()
        n = len(rows)
        columns = {
            **features.values,
            "distance_km": np.minimum(features.distance_km, DISTANCE_CAP_KM),
            "load": np.where(self.cap[rows] > 0, self.hours_for(shift)[rows] / np.maximum(self.cap[rows], 1e-9), 1.0),
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
        related = features.skills_related[positions].tolist()
        km = features.distance_km[positions].tolist()
        left = features.hours_left[positions].tolist()
        worked = features.worked[positions].tolist()
        done, failed, rate = self.fulfilled[rows].tolist(), self.failed[rows].tolist(), self.rate[rows].tolist()
        explained: list[Ranked] = []
        for i, (candidate, score) in enumerate(zip(self.ids[rows].tolist(), scores.tolist(), strict=True)):
            value = {name: column[i] for name, column in columns.items()}
            contribution = {name: weights.get(name, 0.0) * number for name, number in value.items()}
            facts = _Facts(
                int(held[i]),
                features.skills_required,
                int(related[i]),
                km[i],
                left[i],
                int(done[i]),
                int(failed[i]),
                rate[i],
                int(worked[i]),
            )
            sentences = self._sentences(value, contribution, facts, REASONS_SHOWN)
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
        facts = _Facts(
            int(features.skills_held[position]),
            features.skills_required,
            int(features.skills_related[position]),
            float(features.distance_km[position]),
            float(features.hours_left[position]),
            int(self.fulfilled[row]),
            int(self.failed[row]),
            float(self.rate[row]),
            int(features.worked[position]),
        )
        return self._sentences(value, {name: merged.get(name, 0.0) for name in value}, facts)

    @staticmethod
    def _sentences(
        value: Mapping[str, float], contribution: Mapping[str, float], facts: "_Facts", limit: int | None = None
    ) -> list[Reason]:
        """Every sentence about a candidate, in a fixed order; with ``limit``, only ``top_reasons``'s
        choice (the ``limit`` largest positive contributions, earlier sentences first among equals),
        and only those are written."""
        counted = facts.done + facts.failed
        said = [
            *(["skill_coverage"] if facts.required else []),
            *(["skill_related"] if facts.related else []),
            *(["interest"] if value["interest"] >= 1.0 else []),
            "availability",
            "proximity",
            *(["lives_in_community"] if value["lives_in_community"] >= 1.0 else []),
            *(["community_familiarity"] if facts.worked > 0 else []),
            *(["reliability"] if counted or np.isfinite(facts.rate) else []),
            "capacity",
            *(["text"] if value["text"] > 0.05 else []),
        ]
        if limit is not None:
            helpful = [name for name in said if contribution[name] > 0]
            said = sorted(helpful, key=contribution.__getitem__, reverse=True)[:limit]
        reasons: list[Reason] = []
        for name in said:
            if name == "skill_coverage":
                zh, en = skill_sentences(facts.held, facts.required)
            elif name == "skill_related":
                related, required = facts.related, facts.required
                zh = f"所需{required}项技能中有{related}项具备相近技能"
                en = f"has a related skill for {related} of the {required} required skills"
            elif name == "interest":
                zh, en = "愿意从事此类工作", "wants to do this kind of work"
            elif name == "availability":
                share = value["availability"]
                if share >= 0.999:
                    zh, en = "整个班次时间都有空", "available for the whole shift"
                else:
                    zh, en = f"有{percent(share)}的班次时间有空", f"available for {percent(share)} of the shift"
            elif name == "proximity":
                zh, en = distance_sentences(facts.km)
            elif name == "lives_in_community":
                zh, en = "住在本社区", "lives in the need's community"
            elif name == "community_familiarity":
                tasks = facts.worked
                zh = f"曾在本社区完成{tasks}次任务"
                en = f"completed {tasks} task{'' if tasks == 1 else 's'} in this community before"
            elif name == "reliability" and counted:
                done = facts.done
                zh, en = f"以往{counted}次任务完成{done}次", f"completed {done} of {counted} past tasks"
            elif name == "reliability":
                share = percent(value["reliability"])
                zh, en = f"以往任务完成率{share}", f"completes {share} of tasks"
            elif name == "capacity":
                zh, en = f"本周排班后还余{facts.left:.0f}小时", f"{facts.left:.0f} weekly hours left after this shift"
            else:
                similar = percent(value["text"])
                zh, en = f"经历与需求描述相似度{similar}", f"{similar} text match with the need"
            reasons.append(Reason(name, value[name], contribution[name], zh, en))
        return reasons


class _Facts(NamedTuple):
    """What the sentences about one candidate say besides the feature values."""

    held: int  # required skills held
    required: int  # skills the shift requires
    related: int  # required skills lacked, with a held skill of their group
    km: float
    left: float  # weekly hours left after the shift
    done: int
    failed: int
    rate: float  # the record as a rate, NaN when none was given
    worked: int  # past fulfilled tasks in the shift's community


# Groups of shifts whose candidates are the same rows are scored together when there are at most this many rows:
# one volunteer's suggestions rank them against some 30-50 groups of shifts at different times, each group a call
# of its own before (a third of their /recommended); a street's many volunteers seldom share rows, and comparing
# long rows costs more than it saves.
SAME_ROWS_MAX = 256


def _same_candidates(
    groups: list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]],
) -> list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]:
    """``rank_many``'s groups of shifts (positions, every volunteer's availability and hours left, candidate rows),
    those with the same few candidate rows merged into one: its availability and hours left become the rows' own,
    one row per shift (its group's), so one ``_rank_chunk`` scores them all with the numbers each group gave."""
    merged: dict[bytes | int, list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]] = {}
    for number, group in enumerate(groups):
        rows = group[3]
        merged.setdefault(rows.tobytes() if len(rows) <= SAME_ROWS_MAX else number, []).append(group)
    out = []
    for same in merged.values():
        if len(same) == 1:
            out.append(same[0])
            continue
        rows = same[0][3]
        members = [position for group in same for position in group[0]]
        available = np.concatenate([np.broadcast_to(a[rows], (len(m), len(rows))) for m, a, _h, _r in same])
        hours_left = np.concatenate([np.broadcast_to(h[rows], (len(m), len(rows))) for m, _a, h, _r in same])
        out.append((members, available, hours_left, rows))
    return out


def _by_key(keys: Sequence[Hashable], vector_of: Callable[[Hashable], np.ndarray]) -> np.ndarray:
    """A column that depends on one key per shift (its category, its community): one vector when every
    shift has the same key (it broadcasts), else a matrix with one row per shift, each vector computed once."""
    distinct = list(dict.fromkeys(keys))
    if len(distinct) == 1:
        return vector_of(distinct[0])
    where = {key: row for row, key in enumerate(distinct)}
    return np.stack([vector_of(key) for key in distinct])[[where[key] for key in keys]]


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _hours(shift: ShiftNeed) -> float:
    return (shift.ends_at - shift.starts_at).total_seconds() / 3600
