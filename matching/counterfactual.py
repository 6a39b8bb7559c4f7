"""What a ranker would have scored on the logged lists had the admins seen its order: a counterfactual
NDCG, its uncertainty, and the gate that decides whether a learned model may serve.

Why. The logged relevance is biased by what was shown: admins examine rank r with probability
p(r) = r ** -eta (the position-based model), and an unexamined candidate is logged as not chosen.
Naive NDCG on the log rewards whatever orders like the list that was shown (the default scorer's),
which is how a learned model once "won" on the log while losing against the truth.

Estimator (``ips_ndcg``). Each logged gain 2^rel − 1 is divided by the propensity of the rank it
was shown at, clipped at ``MAX_WEIGHT`` (1 / p(r) ≤ 20): a candidate's gain was observed with
probability p(r), so gain / p(r) has the expectation of the gain had it been examined, whatever the
new order. The DCG@k of a ranker's order over those weighted gains is, without clipping, an
unbiased estimate of the DCG it would score on the truth of the shown candidates (a test checks it
over many draws). It is normalised over all lists at once (self-normalised): the sum of the
ranker's IPS DCG over the sum of the IPS DCG of the best order of the same weighted gains, the same
denominator for every ranker compared. Normalising each list by its own weighted ideal instead
would cancel the weights in a list with one approval, the usual case, and give back the naive,
biased figure (a ranker that merely repeats the shown order then "wins"; a test checks the gate
refuses it). Lists with nothing approved add nothing. It judges only re-orderings of what was
shown: a candidate never shown has no logged outcome (exploration, ``matching.exploration``, is
what brings such candidates into the log).

Uncertainty (``paired_bootstrap``). The per-list difference between two rankers on the same lists,
resampled by need (a need's lists go together) ``BOOTSTRAP`` times with a fixed seed: the mean and a
95% percentile interval. ``gate`` passes only when the interval's lower bound is above 0 and the
estimated gain is at least ``MIN_GAIN`` (on the harder synthetic street a model with a logged gain
of +0.018, interval +0.001 to +0.034, was worse than the default on the truth: the shown lists
are the top of the default's order, and a model can order them better while ordering the rest of
the pool worse; see docs/learned_ranker.md).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from matching.evaluation import RankingList, ndcg_at_k, order
from matching.ranker import DEFAULT_ETA, Scorer, propensity

MAX_WEIGHT = 20.0
BOOTSTRAP = 1000
LEVEL = 0.95
# The gain a model must show besides a lower bound above 0: the estimate covers only re-orderings of
# the shown candidates, while a model serves the whole pool, so a small logged gain is not enough.
MIN_GAIN = 0.03


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ips_dcg(gains: np.ndarray, ranks: np.ndarray, ordered: np.ndarray, k: int, eta: float, clip: float | None) -> float:
    """DCG@k of the order ``ordered`` over logged gains weighted by 1 / propensity of their shown ranks."""
    weights = 1.0 / propensity(ranks, eta)
    if clip is not None:
        weights = np.minimum(weights, clip)
    weighted = np.asarray(gains, dtype=np.float64) * weights
    top = weighted[ordered][:k]
    return float(np.sum(top * _discounts(len(top))))


def _weighted_gains(ranking: RankingList, eta: float, clip: float | None) -> np.ndarray:
    if ranking.ranks is None:
        raise ValueError("a logged list needs the ranks its candidates were shown at")
    weights = 1.0 / propensity(ranking.ranks, eta)
    if clip is not None:
        weights = np.minimum(weights, clip)
    return (np.power(2.0, ranking.relevance) - 1.0) * weights


def ips_ndcg(
    ranking: RankingList, scorer: Scorer, k: int = 10, eta: float = DEFAULT_ETA, clip: float | None = MAX_WEIGHT
) -> tuple[float, float]:
    """(IPS DCG@k of ``scorer``'s order, IPS DCG@k of the best order) on one logged list."""
    weighted = _weighted_gains(ranking, eta, clip)
    ones = np.ones(len(weighted))  # gains already weighted: score them with weight 1
    best = ips_dcg(weighted, ones, np.argsort(-weighted, kind="stable"), k, eta, None)
    return ips_dcg(weighted, ones, order(scorer, ranking.pairs), k, eta, None), best


def naive_ndcg(ranking: RankingList, scorer: Scorer, k: int = 10) -> float:
    """NDCG@k on the logged relevance as if it were the truth (what the log alone says)."""
    return ndcg_at_k(ranking.relevance[order(scorer, ranking.pairs)], k)


@dataclass(frozen=True)
class PerList:
    """Per logged list: a ranker's figure, the list's normaliser (0 for a list that says nothing), its need.

    The figure over lists is Σ value / Σ normaliser: for the corrected estimate the IPS DCG over the
    IPS DCG of the best orders; for the naive one each list's NDCG with normaliser 1."""

    values: np.ndarray
    normaliser: np.ndarray
    needs: np.ndarray

    def mean(self) -> float:
        total = float(self.normaliser.sum())
        return float(self.values.sum()) / total if total > 0 else float("nan")


def per_list(
    lists: Sequence[RankingList], scorer: Scorer, *, k: int = 10, eta: float = DEFAULT_ETA, corrected: bool = True
) -> PerList:
    values, normaliser = [], []
    for ranking in lists:
        if corrected:
            value, best = ips_ndcg(ranking, scorer, k, eta)
        else:
            value = naive_ndcg(ranking, scorer, k)
            value, best = (0.0, 0.0) if np.isnan(value) else (value, 1.0)
        values.append(value)
        normaliser.append(best)
    needs = np.asarray([r.pairs.need_id for r in lists], dtype=np.int64)
    return PerList(np.asarray(values, dtype=np.float64), np.asarray(normaliser, dtype=np.float64), needs)


def paired_bootstrap(
    candidate: PerList, baseline: PerList, *, rounds: int = BOOTSTRAP, level: float = LEVEL, seed: int = 0
) -> tuple[float, float, float]:
    """Difference candidate − baseline of the figure over lists and its ``level`` interval, resampling needs."""
    if candidate.normaliser.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    unique, which = np.unique(candidate.needs, return_inverse=True)
    difference = np.bincount(which, weights=candidate.values - baseline.values, minlength=len(unique))
    normaliser = np.bincount(which, weights=candidate.normaliser, minlength=len(unique))
    rng = np.random.default_rng(seed)
    draws = rng.integers(len(unique), size=(rounds, len(unique)))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = difference[draws].sum(axis=1) / normaliser[draws].sum(axis=1)
    means = means[np.isfinite(means)]
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(difference.sum() / normaliser.sum()), float(low), float(high)


@dataclass(frozen=True)
class Verdict:
    """The gate's figures: naive and corrected NDCG of both rankers, the paired difference and its interval."""

    naive_candidate: float
    naive_baseline: float
    corrected_candidate: float
    corrected_baseline: float
    difference: float
    low: float
    high: float
    lists: int
    passed: bool

    def sentence(self, metric: str = "ndcg@10") -> str:
        return (
            f"{metric} on the later decisions, corrected for position bias: learned {self.corrected_candidate:.3f}, "
            f"default {self.corrected_baseline:.3f}, difference {self.difference:+.3f} "
            f"(95% interval {self.low:+.3f} to {self.high:+.3f}, {self.lists} lists; stored only when the lower "
            f"bound is above 0 and the difference at least {MIN_GAIN}); "
            f"naive on the log: learned {self.naive_candidate:.3f}, default {self.naive_baseline:.3f}"
        )

    def as_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def gate(
    lists: Sequence[RankingList],
    candidate: Scorer,
    baseline: Scorer,
    *,
    k: int = 10,
    eta: float = DEFAULT_ETA,
    rounds: int = BOOTSTRAP,
    seed: int = 0,
    min_gain: float = MIN_GAIN,
) -> Verdict:
    """Whether ``candidate`` beats ``baseline`` on the logged lists by a margin its uncertainty supports:
    the paired difference's lower bound above 0 and its estimate at least ``min_gain``."""
    ours = per_list(lists, candidate, k=k, eta=eta)
    theirs = per_list(lists, baseline, k=k, eta=eta)
    difference, low, high = paired_bootstrap(ours, theirs, rounds=rounds, seed=seed)
    return Verdict(
        per_list(lists, candidate, k=k, corrected=False).mean(),
        per_list(lists, baseline, k=k, corrected=False).mean(),
        ours.mean(),
        theirs.mean(),
        difference,
        low,
        high,
        int(np.sum(ours.normaliser > 0)),
        bool(low > 0 and difference >= min_gain),
    )
