"""Feature vectors per (shift or resource line, candidate) pair, shared by every scorer.

The numbers come from one place: ``VolunteerIndex.features`` and ``OfferIndex.features`` compute
the default scorer's features; ``VolunteerIndex.pair_features`` and ``OfferIndex.pair_features``
add the context columns below and return a ``PairFeatures`` matrix. The default scorer, the
text-only baseline and the learned ranker all read that matrix, so they never disagree about what
a candidate is.

Columns of a volunteer pair (``VOLUNTEER_FEATURES``), the first ten being the default scorer's:

- ``skill_coverage``: share of the shift's required skills the volunteer has (1 when none required).
- ``availability``: share of the shift's half-hours inside the volunteer's weekly availability.
- ``proximity``: exp(-km / scale) between the volunteer's home grid and the need's grid (scale 2 km,
  or the need category's own: ``VolunteerIndex(proximity_km=...)``).
- ``reliability``: fulfilled against no-shows and cancellations with a Beta(1, 1) prior (below);
  a record given as a rate (``reliability_rate``) when there are no counts.
- ``capacity``: weekly hours left after this shift, over the weekly cap.
- ``text``: TF-IDF cosine (character 1–3-grams) between the volunteer's text and the need's text.
- ``interest``: 1 when the shift's category is among the volunteer's interests, 0 when they
  declared others, 0.5 when they declared none.
- ``skill_related``: share of the required skills the volunteer lacks but holds a skill of the same
  group for (``VolunteerIndex(skill_groups=...)``); partial credit next to ``skill_coverage``.
- ``lives_in_community``: 1 when the volunteer's home grid is in the shift's grid's community.
- ``community_familiarity``: past fulfilled work in the shift's community, ``familiarity`` below.
- ``distance_km``: the same distance in kilometres, capped at ``DISTANCE_CAP_KM``.
- ``load``: hours already worked this week over the weekly cap (current load; spreads work).
- ``experience``: log(1 + past matches that ended, fulfilled or failed): how much the reliability
  figure rests on.
- ``urgency``: the need's urgency, 0 low … 3 critical.
- ``days_to_due``: days from the decision to the shift's start (or the end of the due street day),
  0 … ``DAYS_CAP``.

Columns of an offer pair (``OFFER_FEATURES``), the first eight being the default scorer's:

- ``coverage``: min(remaining, still needed) / still needed.
- ``category``: 1 when the offer's category is the line's (the kind is a pre-filter, always equal).
- ``area``: 1 when the offer serves the need's grid, else exp(-km / scale) from the nearest grid it
  serves (scale 3 km, or the line category's or kind's own: ``OfferIndex(area_km=...)``).
- ``reliability``, ``text``: as for volunteers, for the partner organization.
- ``validity``: the share of the time from the decision to the end of the due street day that the
  offer's window [available_from, valid_until] covers (1 when it covers all of it); without a due
  date 1 for an open-ended offer available now, else 0.5.
- ``item``: 1 when the offer's and the line's item keys are the same, 0 when both are known and
  differ, 0.5 when either is unknown.
- ``community_familiarity``: the organization's past fulfilled work in the line's community.
- ``distance_km``: 0 when the offer serves the grid, else the km to the nearest grid it serves (capped).
- ``load``: log(1 + matches of this offer still open).
- ``experience``, ``urgency``, ``days_to_due``: as for volunteers (the line's due date).
- ``days_to_expiry``: days from the decision until the offer expires, 0 … ``EXPIRY_CAP_DAYS``
  (open-ended offers get the cap).

Need-level columns (``urgency``, ``days_to_due``) are the same for every candidate of one need, so
they never reorder one need's list under a linear model; they calibrate scores across needs.

Reliability prior: (fulfilled + 1) / (fulfilled + failed + 2), the mean of a Beta(1, 1) prior
updated by the record. A new candidate scores 0.5, the same as an even record, so one no-show does
not sink a newcomer (one failure in one try scores 0.33, not 0) and one success does not crown
them (0.67, not 1).

Familiarity: log(1 + fulfilled tasks in the community) / log(1 + ``FAMILIARITY_CAP``), capped at 1:
one task 0.29, three 0.58, ten or more 1. The log says the first tasks there teach the most; the
cap keeps the column in [0, 1] like every other default column, so default scores stay in [0, 1].
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from matching.explain import Reason

DISTANCE_CAP_KM = 50.0
DAYS_CAP = 60.0
EXPIRY_CAP_DAYS = 365.0
SECONDS_PER_DAY = 86_400.0
FAMILIARITY_CAP = 10.0  # tasks in a community after which more add nothing to familiarity

VOLUNTEER = "volunteer"
OFFER = "offer"
CANDIDATE_KINDS = (VOLUNTEER, OFFER)

VOLUNTEER_FEATURES: tuple[str, ...] = (
    "skill_coverage",
    "availability",
    "proximity",
    "reliability",
    "capacity",
    "text",
    "interest",
    "skill_related",
    "lives_in_community",
    "community_familiarity",
    "distance_km",
    "load",
    "experience",
    "urgency",
    "days_to_due",
)
OFFER_FEATURES: tuple[str, ...] = (
    "coverage",
    "category",
    "area",
    "reliability",
    "text",
    "validity",
    "item",
    "community_familiarity",
    "distance_km",
    "load",
    "experience",
    "urgency",
    "days_to_due",
    "days_to_expiry",
)
FEATURES_OF_KIND: dict[str, tuple[str, ...]] = {VOLUNTEER: VOLUNTEER_FEATURES, OFFER: OFFER_FEATURES}

# The explanation sentence a context column speaks through: a learned model's weight on
# ``distance_km`` is explained by the same "2.1 km from the grid" the default scorer says.
SENTENCE_OF: dict[str, dict[str, str]] = {
    VOLUNTEER: {"distance_km": "proximity", "load": "capacity", "experience": "reliability"},
    OFFER: {"distance_km": "area", "experience": "reliability", "days_to_expiry": "validity"},
}


def reliability(fulfilled: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """Fulfilled against failed matches under a Beta(1, 1) prior (Laplace): 0.5 for a newcomer."""
    return (fulfilled + 1.0) / (fulfilled + failed + 2.0)


def reliability_of(fulfilled: np.ndarray, failed: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """``reliability``, except where there are no counts and a rate was given (NaN where not): the rate,
    clipped to [0, 1]. An import's "completes 92% of tasks" is a record, not a newcomer's 0.5."""
    counted = reliability(fulfilled, failed)
    use_rate = (fulfilled + failed == 0) & np.isfinite(rate)
    return np.where(use_rate, np.clip(np.nan_to_num(rate), 0.0, 1.0), counted)


def rates(values: Sequence[float | None]) -> np.ndarray:
    """Rates as a float column, NaN where none was given (or where it is not a finite number)."""
    return np.asarray([np.nan if v is None or not math.isfinite(v) else float(v) for v in values], dtype=np.float64)


def familiarity(tasks: np.ndarray) -> np.ndarray:
    """Past fulfilled work in a community as a column in [0, 1] (see the module's note)."""
    return np.minimum(np.log1p(np.maximum(tasks, 0.0)) / math.log1p(FAMILIARITY_CAP), 1.0)


def work_per_community(work: Sequence[Mapping[int, int]]) -> dict[int, np.ndarray]:
    """Past fulfilled work per community id, as a vector over the candidates (one entry per candidate)."""
    columns: dict[int, np.ndarray] = {}
    for row, tasks in enumerate(work):
        for community, count in tasks.items():
            if community not in columns:
                columns[community] = np.zeros(len(work))
            columns[community][row] = float(count)
    return columns


def scales_km(scales: Mapping[str, float] | None, argument: str) -> dict[str, float]:
    """Distance scales by category (or kind), checked: each a positive, finite number of kilometres."""
    checked: dict[str, float] = {}
    for key, value in (scales or {}).items():
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        if not (math.isfinite(number) and number > 0):
            raise ValueError(f"{argument}[{key!r}] must be a positive, finite number of km, got {value!r}")
        checked[str(key)] = number
    return checked


def experience(fulfilled: np.ndarray, failed: np.ndarray) -> np.ndarray:
    return np.log1p(fulfilled + failed)


def weighted_score(values: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The default scorer: the weighted sum of feature columns (weights missing a column count 0).

    Columns may also be matrices, one row per shift or line (``rank_many``), and columns shared by
    every row may stay vectors: they broadcast. The sum runs in the weights' order either way, so a
    row of the matrix holds exactly the scores the vectors of that one part give.
    """
    total = np.zeros(np.broadcast_shapes(*(np.shape(column) for column in values.values())), dtype=np.float64)
    for name, weight in weights.items():
        total = total + weight * values[name]
    return total


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best scores, best first; equal scores in candidate id order.

    Ties are settled by id at the cut as well as inside the list: of several candidates tied for
    the last place, those with the smallest ids are kept, so the list does not depend on the order
    the candidates happen to be stored in.
    """
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        last = scores[np.argpartition(-scores, k - 1)[k - 1]]  # the k-th best score
        better = np.flatnonzero(scores > last)
        tied = np.flatnonzero(scores == last)
        if len(better) + len(tied) > k:
            tied = tied[np.argsort(ids[tied], kind="stable")[: k - len(better)]]
        chosen = np.concatenate([better, tied])
    else:
        chosen = np.arange(len(scores))
    return chosen[np.lexsort((ids[chosen], -scores[chosen]))]


def days_between(later: float, earlier: float, cap: float) -> float:
    """Whole-and-fractional days from ``earlier`` to ``later`` (POSIX seconds), in [0, cap]."""
    return float(np.clip((later - earlier) / SECONDS_PER_DAY, 0.0, cap))


def sentence_contributions(kind: str, contributions: Mapping[str, float]) -> dict[str, float]:
    """Contributions per explanation sentence: context columns add to the sentence they speak through."""
    merged: dict[str, float] = {}
    for name, value in contributions.items():
        target = SENTENCE_OF[kind].get(name, name)
        merged[target] = merged.get(target, 0.0) + value
    return merged


ReasonsOf = Callable[[int, Mapping[str, float]], list[Reason]]


@dataclass(frozen=True)
class PairFeatures:
    """The candidates of one shift or resource line, one row each, one column per feature.

    ``reasons(row, contributions)`` turns a row and each feature's contribution to its score into
    the explanation sentences (zh and en) of the index that computed it.
    """

    kind: str
    need_id: int
    need_part_id: int
    candidate_ids: np.ndarray
    names: tuple[str, ...]
    matrix: np.ndarray
    reasons: ReasonsOf

    def __len__(self) -> int:
        return len(self.candidate_ids)

    def column(self, name: str) -> np.ndarray:
        return self.matrix[:, self.names.index(name)]

    def values(self) -> dict[str, np.ndarray]:
        return {name: self.matrix[:, j] for j, name in enumerate(self.names)}

    def subset(self, candidate_ids: Sequence[int]) -> "PairFeatures":
        """The rows of these candidates, in this order; candidates not present are left out."""
        where = {int(c): row for row, c in enumerate(self.candidate_ids)}
        keep = np.asarray([where[int(c)] for c in candidate_ids if int(c) in where], dtype=np.int64)
        parent = self.reasons
        return PairFeatures(
            self.kind,
            self.need_id,
            self.need_part_id,
            self.candidate_ids[keep],
            self.names,
            self.matrix[keep],
            lambda row, contributions: parent(int(keep[row]), contributions),
        )


def stack(values: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Feature columns as an (n, d) float64 matrix in ``names`` order."""
    return np.column_stack([np.asarray(values[name], dtype=np.float64) for name in names])
