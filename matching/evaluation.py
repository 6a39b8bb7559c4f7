"""Offline evaluation: how well each scorer orders the candidates admins actually decided on.

Each held-out shift or line gives one list: the candidates shown for it, with the relevance of
what happened (``ranker.RELEVANCE``: fulfilled 2, approved 1, rejected or no-show 0). A scorer
re-orders the list (ties by candidate id) and is measured on it:

- ``NDCG@k``: DCG@k / ideal DCG@k with gain 2^rel − 1 and discount 1 / log2(position + 1). Lists
  with nothing relevant have no ideal ordering and are left out of the NDCG mean.
- ``P@k``: share of the first min(k, list length) candidates with relevance > 0, over every list.
- ``coverage@k``: distinct candidates in any scorer's top k across all lists, over the distinct
  candidates in the lists: how widely a scorer spreads the work (1 = everybody gets a turn).

Splits are grouped by need, so the shifts or lines of one need never sit on both sides:
``grouped_folds`` (GroupKFold) and ``time_split`` (train on the needs decided first, test on the
later ones, which is how the ranker is used).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold

from matching.features import PairFeatures
from matching.ranker import DecisionSet, DefaultScorer, LearnedScorer, Scorer, TextScorer, train_ranker


def dcg_at_k(relevance: Sequence[float] | np.ndarray, k: int) -> float:
    """Σ over the first k positions of (2^rel − 1) / log2(position + 1), positions from 1."""
    gains = np.power(2.0, np.asarray(relevance, dtype=np.float64)[:k]) - 1.0
    return float(np.sum(gains / np.log2(np.arange(2, len(gains) + 2))))


def ndcg_at_k(relevance: Sequence[float] | np.ndarray, k: int) -> float:
    """NDCG@k of relevances listed in ranked order; NaN when nothing in the list is relevant."""
    ideal = dcg_at_k(np.sort(np.asarray(relevance, dtype=np.float64))[::-1], k)
    return dcg_at_k(relevance, k) / ideal if ideal > 0 else float("nan")


def precision_at_k(relevance: Sequence[float] | np.ndarray, k: int) -> float:
    """Share of the first min(k, length) candidates that are relevant (relevance > 0)."""
    top = np.asarray(relevance, dtype=np.float64)[:k]
    return float(np.mean(top > 0)) if len(top) else float("nan")


def coverage_at_k(top_lists: Sequence[Sequence[int]], candidates: Sequence[Sequence[int]]) -> float:
    """Distinct candidates in the top-k lists over the distinct candidates that could have been there."""
    pool = {c for ids in candidates for c in ids}
    return len({c for ids in top_lists for c in ids}) / len(pool) if pool else float("nan")


@dataclass(frozen=True)
class RankingList:
    """The candidates shown for one shift or line, and the relevance of what happened to each."""

    pairs: PairFeatures
    relevance: np.ndarray
    ranks: np.ndarray | None = None  # the rank each candidate was shown at (logged lists)


def _no_reasons(row: int, contributions: Mapping[str, float]) -> list:
    return []


def ranking_lists(data: DecisionSet, relevance: np.ndarray | None = None) -> list[RankingList]:
    """One list per shift or line in ``data`` (relevance from the outcomes unless given per row)."""
    relevance = data.relevance if relevance is None else relevance
    order = np.lexsort((data.ranks, data.part_ids))  # by list, then by shown rank
    starts = np.flatnonzero(np.r_[True, np.diff(data.part_ids[order]) != 0]) if len(order) else order
    lists = []
    for rows in np.split(order, starts[1:]) if len(order) else []:
        part = data.part_ids[rows[0]]
        pairs = PairFeatures(
            data.kind,
            int(data.need_ids[rows[0]]),
            int(part),
            data.candidate_ids[rows],
            data.names,
            data.matrix[rows],
            _no_reasons,
        )
        lists.append(RankingList(pairs, np.asarray(relevance[rows], dtype=np.float64), data.ranks[rows]))
    return lists


def order(scorer: Scorer, pairs: PairFeatures) -> np.ndarray:
    """Row positions best first under ``scorer``; ties by candidate id, as ``rank`` breaks them."""
    scores = scorer.scores(pairs)
    return np.lexsort((pairs.candidate_ids, -scores))


def evaluate(
    lists: Sequence[RankingList],
    scorers: Mapping[str, Scorer],
    *,
    ndcg_ks: Sequence[int] = (5, 10),
    precision_ks: Sequence[int] = (3, 5),
    coverage_k: int = 5,
) -> list[dict[str, float | str | int]]:
    """The evaluation table as data: one row per scorer, one column per metric."""
    table: list[dict[str, float | str | int]] = []
    for name, scorer in scorers.items():
        ndcg: dict[int, list[float]] = {k: [] for k in ndcg_ks}
        precision: dict[int, list[float]] = {k: [] for k in precision_ks}
        tops: list[list[int]] = []
        for ranking in lists:
            ordered = order(scorer, ranking.pairs)
            relevance = ranking.relevance[ordered]
            for k in ndcg_ks:
                ndcg[k].append(ndcg_at_k(relevance, k))
            for k in precision_ks:
                precision[k].append(precision_at_k(relevance, k))
            tops.append(ranking.pairs.candidate_ids[ordered[:coverage_k]].tolist())
        row: dict[str, float | str | int] = {"scorer": name}
        for k in ndcg_ks:
            values = np.asarray(ndcg[k])
            row[f"ndcg@{k}"] = float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan")
        for k in precision_ks:
            row[f"p@{k}"] = float(np.nanmean(precision[k])) if lists else float("nan")
        row[f"coverage@{coverage_k}"] = coverage_at_k(tops, [r.pairs.candidate_ids.tolist() for r in lists])
        row["lists"] = len(lists)
        row["lists_with_relevant"] = int(sum(bool(np.any(r.relevance > 0)) for r in lists))
        table.append(row)
    return table


def format_table(table: Sequence[Mapping[str, float | str | int]], title: str = "") -> str:
    """The table as plain text, one scorer a line, metrics to three decimals."""
    if not table:
        return title
    columns = list(table[0])
    cells = [[_cell(row[c]) for c in columns] for row in table]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [title] if title else []
    lines.append(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(columns, widths, strict=True)))
    )
    lines.append("  ".join("-" * w for w in widths))
    for line in cells:
        lines.append(
            "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths, strict=True)))
        )
    return "\n".join(lines)


def _cell(value: float | str | int) -> str:
    if isinstance(value, float):
        return "n/a" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def time_split(data: DecisionSet, test_fraction: float = 0.25) -> tuple[DecisionSet, DecisionSet]:
    """Train on the needs decided first, test on the last ``test_fraction`` of needs (by first decision)."""
    needs, which = np.unique(data.need_ids, return_inverse=True)
    first = np.full(len(needs), np.inf)
    np.minimum.at(first, which, data.decided_at)
    ordered = needs[np.lexsort((needs, first))]
    cut = round(len(ordered) * (1.0 - test_fraction))
    test_needs = ordered[cut:]
    in_test = np.isin(data.need_ids, test_needs)
    return data.take(np.flatnonzero(~in_test)), data.take(np.flatnonzero(in_test))


def grouped_folds(data: DecisionSet, n_splits: int = 5) -> list[tuple[DecisionSet, DecisionSet]]:
    """GroupKFold by need: (train, test) pairs in which no need is on both sides."""
    splitter = GroupKFold(n_splits=n_splits)
    return [
        (data.take(train), data.take(test))
        for train, test in splitter.split(data.matrix, data.labels, groups=data.need_ids)
    ]


def standard_scorers(train: DecisionSet, **options: object) -> dict[str, Scorer]:
    """The three scorers compared: the default, the learned ranker trained on ``train``, text only."""
    return {
        "default": DefaultScorer(train.kind),
        "learned": LearnedScorer(train_ranker(train, **options)),  # type: ignore[arg-type]
        "text only": TextScorer(),
    }


def cross_validate(
    data: DecisionSet,
    n_splits: int = 5,
    scorers_for: Callable[[DecisionSet], Mapping[str, Scorer]] = standard_scorers,
    metric: str = "ndcg@10",
) -> dict[str, list[float]]:
    """``metric`` per fold for each scorer, on GroupKFold-by-need folds."""
    results: dict[str, list[float]] = {}
    for train, test in grouped_folds(data, n_splits):
        for row in evaluate(ranking_lists(test), scorers_for(train)):
            results.setdefault(str(row["scorer"]), []).append(float(row[metric]))
    return results
