"""Offline ranking metrics match hand computation; splits never put one need on both sides."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from matching.evaluation import (
    RankingList,
    coverage_at_k,
    cross_validate,
    dcg_at_k,
    evaluate,
    format_table,
    grouped_folds,
    ndcg_at_k,
    precision_at_k,
    ranking_lists,
    time_split,
)
from matching.features import VOLUNTEER_FEATURES, PairFeatures
from matching.ranker import DecisionSet, DefaultScorer, TextScorer, decision_set
from matching.records import Decision

START = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_perfect_ranking_has_ndcg_one() -> None:
    assert ndcg_at_k([2, 2, 1, 0, 0], 5) == pytest.approx(1.0)
    assert ndcg_at_k([2, 1, 0], 10) == pytest.approx(1.0)


def test_ndcg_of_a_known_permutation_equals_the_hand_value() -> None:
    # Shown worst first: DCG = (2^0 − 1)/log2(2) + (2^1 − 1)/log2(3) + (2^2 − 1)/log2(4) = 1/log2(3) + 3/2.
    # The ideal order [2, 1, 0]: 3/log2(2) + 1/log2(3).
    dcg = 1 / math.log2(3) + 3 / 2
    ideal = 3 + 1 / math.log2(3)
    assert dcg_at_k([0, 1, 2], 3) == pytest.approx(dcg)
    assert ndcg_at_k([0, 1, 2], 3) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([0, 1, 2], 3) == pytest.approx(0.5869, abs=1e-4)


def test_ndcg_at_k_looks_at_the_first_k_only() -> None:
    assert ndcg_at_k([0, 0, 1], 2) == 0.0
    # k = 2 of [1, 0, 1]: DCG = 1; ideal [1, 1] = 1 + 1/log2(3).
    assert ndcg_at_k([1, 0, 1], 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_a_list_with_nothing_relevant_has_no_ndcg() -> None:
    assert math.isnan(ndcg_at_k([0, 0, 0], 5))


def test_precision_at_k_counts_relevant_among_the_first_k() -> None:
    assert precision_at_k([1, 0, 2, 0, 0], 3) == pytest.approx(2 / 3)
    assert precision_at_k([1, 0, 2, 0, 0], 5) == pytest.approx(0.4)
    assert precision_at_k([1, 1], 5) == 1.0  # a list shorter than k is judged on what it has


def test_coverage_is_the_share_of_candidates_that_get_a_turn() -> None:
    assert coverage_at_k([[1, 2], [1, 3]], [[1, 2, 4, 5], [1, 3, 6]]) == pytest.approx(3 / 6)


def _no_reasons(row: int, contributions: object) -> list:
    return []


def _list(part: int, ids: list[int], text: list[float], relevance: list[float]) -> RankingList:
    matrix = np.zeros((len(ids), len(VOLUNTEER_FEATURES)))
    matrix[:, VOLUNTEER_FEATURES.index("text")] = text
    pairs = PairFeatures("volunteer", part, part, np.asarray(ids), VOLUNTEER_FEATURES, matrix, _no_reasons)
    return RankingList(pairs, np.asarray(relevance, dtype=np.float64))


def test_the_table_scores_each_scorer_by_the_order_it_gives() -> None:
    lists = [
        _list(1, [10, 11, 12], text=[0.9, 0.5, 0.1], relevance=[2, 1, 0]),  # text orders it perfectly
        _list(2, [20, 21, 22], text=[0.1, 0.5, 0.9], relevance=[2, 1, 0]),  # text orders it backwards
        _list(3, [30, 31], text=[0.2, 0.1], relevance=[0, 0]),  # nothing relevant: no NDCG
    ]
    [row] = evaluate(lists, {"text only": TextScorer()}, ndcg_ks=(3,), precision_ks=(1,), coverage_k=1)
    assert row["ndcg@3"] == pytest.approx((1.0 + 0.5869) / 2, abs=1e-4)
    assert row["p@1"] == pytest.approx(1 / 3)  # list 1 right, list 2 wrong, list 3 nothing to find
    assert row["coverage@1"] == pytest.approx(3 / 8)
    assert (row["lists"], row["lists_with_relevant"]) == (3, 2)


def test_ties_are_broken_by_candidate_id() -> None:
    lists = [_list(1, [12, 10, 11], text=[0.0, 0.0, 0.0], relevance=[0, 1, 0])]
    [row] = evaluate(lists, {"text only": TextScorer()}, ndcg_ks=(1,), precision_ks=(1,))
    assert row["p@1"] == 1.0 and row["ndcg@1"] == 1.0


def test_the_printed_table_has_a_line_per_scorer() -> None:
    table = [
        {"scorer": "default", "ndcg@10": 0.61234, "lists": 3},
        {"scorer": "text only", "ndcg@10": float("nan"), "lists": 3},
    ]
    text = format_table(table, "held-out decisions")
    lines = text.splitlines()
    assert lines[0] == "held-out decisions"
    assert lines[1].split() == ["scorer", "ndcg@10", "lists"]
    assert lines[3].split() == ["default", "0.612", "3"]
    assert lines[4].split() == ["text", "only", "n/a", "3"]


def _decisions(needs: int) -> DecisionSet:
    """``needs`` needs of two shifts, four candidates each, one need a day; the best candidate shown first."""
    rng = np.random.default_rng(1)
    decisions, pairs = [], {}
    for need in range(needs):
        for part in (2 * need, 2 * need + 1):
            ids = np.arange(4) + 100 * part
            matrix = rng.random((4, len(VOLUNTEER_FEATURES)))
            pairs[part] = PairFeatures("volunteer", need, part, ids, VOLUNTEER_FEATURES, matrix, _no_reasons)
            for rank, candidate in enumerate(ids.tolist(), start=1):
                outcome = "fulfilled" if rank == 1 else "rejected"
                at = START + timedelta(days=need, minutes=part % 2)
                decisions.append(Decision(need, part, candidate, "volunteer", outcome, rank, at))
    decisions.append(Decision(0, 999, 1, "volunteer", "approved", 1, START))  # a pair without features
    return decision_set(decisions, pairs, "volunteer")


def test_decisions_become_rows_and_lists_keep_the_shown_order() -> None:
    data = _decisions(3)
    assert (len(data), data.dropped) == (24, 1)
    assert data.labels.sum() == 6 and data.relevance.max() == 2
    lists = ranking_lists(data)
    assert len(lists) == 6
    assert lists[0].relevance.tolist() == [2, 0, 0, 0]
    assert lists[0].pairs.candidate_ids.tolist() == [0, 1, 2, 3]


def test_the_time_split_tests_on_the_later_needs_and_never_splits_a_need() -> None:
    data = _decisions(8)
    train, test = time_split(data, test_fraction=0.25)
    assert sorted(set(test.need_ids.tolist())) == [6, 7]
    assert not set(train.need_ids.tolist()) & set(test.need_ids.tolist())
    assert train.decided_at.max() < test.decided_at.min()
    assert len(train) + len(test) == len(data)


def test_grouped_folds_keep_each_need_on_one_side() -> None:
    data = _decisions(10)
    folds = grouped_folds(data, n_splits=5)
    assert len(folds) == 5
    for train, test in folds:
        assert not set(train.need_ids.tolist()) & set(test.need_ids.tolist())
    assert sorted(n for _, test in folds for n in set(test.need_ids.tolist())) == list(range(10))


def test_cross_validation_gives_one_figure_per_fold_and_scorer() -> None:
    data = _decisions(10)
    results = cross_validate(data, n_splits=5, scorers_for=lambda train: {"default": DefaultScorer("volunteer")})
    assert list(results) == ["default"] and len(results["default"]) == 5
    assert all(0 < value <= 1 for value in results["default"])
