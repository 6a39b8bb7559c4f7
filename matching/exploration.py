"""Exploration: a small, logged share of shown lists with one slot randomised.

Why. The log only says what admins thought of the candidates they were shown, at the ranks they
were shown at. The counterfactual estimate (``matching.counterfactual``) corrects for the ranks
given the examination model p(r) = r ** -eta, but it needs eta, and it can say nothing about a
candidate the default never shows. One randomised slot in a small share of lists gives both:

- the explored candidate is drawn at random from those just below the list (ranks k+1 … ``reach`` × k),
  so the log holds outcomes of candidates the current ranker would not have shown;
- its slot is drawn at random, independently of who it is, so the approval rate of explored
  candidates at slot r is q × p(r), with q their approval rate when examined: the slots' rates
  estimate eta (``estimate_eta``) without any model of what admins like.

The cost: in a share ``share`` of lists one of k places shows a candidate from a little lower down.
The setting is ``MARKETPLACE_MATCH_EXPLORATION`` (0 by default: off); 0.05–0.1 is a usual start.
Each match proposed from an explored list is stored with ``explored = true``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_SHARE = 0.5
REACH = 3  # the explored candidate comes from ranks k+1 … REACH × k


@dataclass(frozen=True)
class Explored:
    """The list to show, and the 0-based slot that was randomised (None when the list was not explored)."""

    ids: list[int]
    slot: int | None


def explore(ranked: Sequence[int], below: Sequence[int], share: float, rng: np.random.Generator) -> Explored:
    """With probability ``share``, put one candidate drawn from ``below`` (those ranked just under the
    list) into a slot drawn at random; otherwise the list as ranked."""
    if not 0.0 <= share <= MAX_SHARE:
        raise ValueError(f"the exploration share must lie in [0, {MAX_SHARE}], got {share}")
    ids = list(ranked)
    if not ids or not below or rng.random() >= share:
        return Explored(ids, None)
    slot = int(rng.integers(len(ids)))
    ids[slot] = int(below[int(rng.integers(len(below)))])
    return Explored(ids, slot)


def estimate_eta(ranks: Sequence[int], approved: Sequence[bool]) -> tuple[float, float]:
    """Maximum-likelihood (eta, q) from explored slots: approval at rank r is Bernoulli(q × r ** -eta).

    A grid over eta in [0, 2] (step 0.01) and q in (0, 1) (step 0.005): two parameters and a few
    thousand rows, so the grid is exact enough and cannot fail to converge."""
    r = np.asarray(ranks, dtype=np.float64)
    y = np.asarray(approved, dtype=np.float64)
    if len(r) == 0 or len(r) != len(y):
        raise ValueError("one approval flag per explored slot, and at least one slot")
    # The likelihood depends on the rows only through each rank's slots and approvals.
    distinct, which = np.unique(r, return_inverse=True)
    shown = np.bincount(which).astype(np.float64)
    yes = np.bincount(which, weights=y)
    etas = np.arange(0.0, 2.0001, 0.01)
    qs = np.arange(0.005, 1.0, 0.005)
    p = np.clip(qs[None, :, None] * distinct[None, None, :] ** -etas[:, None, None], 1e-9, 1 - 1e-9)
    likelihood = (yes * np.log(p) + (shown - yes) * np.log(1 - p)).sum(axis=2)
    best_eta, best_q = np.unravel_index(np.argmax(likelihood), likelihood.shape)
    return float(etas[best_eta]), float(qs[best_q])
