"""Learned rankers with interactions, the counterfactual estimate and the gate, on the harder synthetic street."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from matching import counterfactual, exploration, learning, selection
from matching.evaluation import RankingList, dcg_at_k, ranking_lists
from matching.features import PairFeatures
from matching.ranker import DecisionSet, DefaultScorer, ModelFormatError, TextScorer, decision_set, rank
from seeds.street_truth import TruthStreet, offer_street, truth_street


@pytest.fixture(scope="module")
def street() -> TruthStreet:
    return truth_street(5, volunteers=600, needs=300, later_needs=10)


@pytest.fixture(scope="module")
def data(street: TruthStreet) -> DecisionSet:
    return decision_set(street.decisions, street.pairs, "volunteer", street.categories)


@pytest.fixture(scope="module")
def models(data: DecisionSet) -> dict[str, learning.LearnedModel]:
    return {f"{m}, {b}": selection.fit_variant(data, m, b) for m in learning.MODELS for b in ("ipw", "rank")}


def _scores(model: learning.LearnedModel, street: TruthStreet) -> np.ndarray:
    scorer = learning.ModelScorer(model, street.categories)
    return np.concatenate([scorer.scores(t.pairs) for t in street.later])


def test_the_street_keeps_the_truth_apart_from_the_log_and_is_the_same_for_a_seed(street: TruthStreet) -> None:
    again = truth_street(5, volunteers=600, needs=300, later_needs=10)
    assert [(d.candidate_id, d.outcome, d.shown_rank) for d in again.decisions] == [
        (d.candidate_id, d.outcome, d.shown_rank) for d in street.decisions
    ]
    outcomes = {d.outcome for d in street.decisions}
    assert outcomes == {"approved", "rejected", "fulfilled", "no_show"}
    later = {t.shift.id for t in street.later}
    assert later and not later & {d.need_part_id for d in street.decisions}  # graded needs were never logged
    grades = np.concatenate([t.relevance for t in street.later])
    assert set(np.unique(grades)) <= {0.0, 1.0, 2.0, 3.0} and len(np.unique(grades)) >= 3
    assert {g.community_id for g in street.grids} == set(range(1, 7))
    assert any(v.interests for v in street.volunteers) and any(v.reliability_rate for v in street.volunteers)


@pytest.mark.parametrize(
    "variant", ["linear, ipw", "crosses, rank", "residual, rank", "listwise, ipw", "trees, ipw", "trees, rank"]
)
def test_a_model_loaded_from_json_scores_exactly_as_the_fitted_one(
    models: dict[str, learning.LearnedModel], street: TruthStreet, variant: str
) -> None:
    model = models[variant]
    text = model.to_json()
    assert "pickle" not in text and json.loads(text)["model"] == model.model
    loaded = learning.LearnedModel.from_json(text, "volunteer", model.feature_names)
    assert np.array_equal(_scores(loaded, street), _scores(model, street))
    assert loaded.to_json() == text


def test_the_tree_traversal_gives_scikit_learns_predictions_with_missing_values() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 6))
    x[::5, 2] = np.nan
    y = (x[:, 0] * x[:, 1] + np.nan_to_num(x[:, 2]) + rng.normal(size=2000) > 0).astype(int)
    fitted = HistGradientBoostingClassifier(**learning.TREE_OPTIONS).fit(x, y)
    trees = learning._Trees.from_sklearn(fitted)
    assert np.array_equal(trees.raw(x), fitted.decision_function(x))
    # path attribution is exact: contributions plus the roots' values give the logit
    assert np.allclose(trees.terms(x).sum(axis=1) + trees.at_roots(), trees.raw(x), atol=1e-10)


@pytest.mark.parametrize("variant", ["linear, ipw", "crosses, rank", "residual, ipw", "listwise, rank", "trees, ipw"])
def test_contributions_account_for_the_whole_score(
    models: dict[str, learning.LearnedModel], street: TruthStreet, variant: str
) -> None:
    model = models[variant]
    for truth in street.later[:3]:
        categories = [street.categories[truth.shift.id]] * len(truth.pairs)
        logit = model.decision(truth.pairs.matrix, categories)
        contributions = model.contributions(truth.pairs.matrix, categories)
        rest = model.need_level(truth.pairs.matrix, categories)
        assert np.allclose(contributions.sum(axis=1) + rest, logit)
        if model.model != "trees":  # the category's own column and the rank: equal across the list
            assert np.ptp(rest) < 1e-9


def test_a_linear_contribution_is_the_change_when_the_feature_is_at_its_training_mean(
    models: dict[str, learning.LearnedModel], street: TruthStreet
) -> None:
    model = models["linear, ipw"]
    pairs = street.later[0].pairs
    categories = [street.categories[street.later[0].shift.id]] * len(pairs)
    contributions = model.contributions(pairs.matrix, categories)
    for j in range(len(pairs.names)):
        moved = pairs.matrix.copy()
        # the mean the fit centred the column on (weighted like the fit)
        assert isinstance(model.fitted, learning._Linear)
        moved[:, j] = model.design.means[j] + model.design.scales[j] * model.fitted.means[j]
        change = model.decision(pairs.matrix, categories) - model.decision(moved, categories)
        assert np.allclose(change, contributions[:, j])


def test_a_cross_terms_contribution_is_split_between_its_two_features() -> None:
    names = ("skill_coverage", "availability")
    design = learning.Design(names, np.zeros(2), np.ones(2), (), crosses=True, rank=False)
    fitted = learning._Linear(np.zeros(3), np.ones(3), np.asarray([0.0, 0.0, 2.0]), 0.0)
    model = learning.LearnedModel("volunteer", "crosses", "none", design, fitted)
    contributions = model.contributions(np.asarray([[1.0, 3.0]]), [""])
    assert contributions.tolist() == [[3.0, 3.0]]  # 2 × 1 × 3 = 6, half to each


@pytest.mark.parametrize("model_kind", ["crosses", "trees"])
def test_the_reasons_name_the_features_that_moved_the_score(street: TruthStreet, model_kind: str) -> None:
    # Labels that depend on interest and skill coverage only: the reasons must speak of those.
    pairs = list(street.pairs.values())
    matrix = np.vstack([p.matrix for p in pairs])
    names = pairs[0].names
    rng = np.random.default_rng(0)
    logit = 3.0 * matrix[:, names.index("interest")] + 2.0 * matrix[:, names.index("skill_coverage")] - 2.5
    labels = (rng.random(len(matrix)) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    model = learning.fit(
        "volunteer", names, matrix, labels, np.ones(len(matrix)), [""] * len(matrix), model=model_kind, bias="none"
    )
    scorer = learning.ModelScorer(model)
    named = [reason.feature for truth in street.later for r in rank(scorer, truth.pairs, 5) for reason in r.reasons[:1]]
    assert named and np.mean([n in {"interest", "skill_coverage"} for n in named]) >= 0.9
    # over every candidate, the two features carry the explanation; the rest are noise
    size = np.abs(np.vstack([scorer.contributions(t.pairs) for t in street.later])).mean(axis=0)
    moved = [names.index("interest"), names.index("skill_coverage")]
    assert size[moved].min() > 3 * np.delete(size, moved).max()


def _simulated_list(relevance: np.ndarray, examined: np.ndarray) -> RankingList:
    n = len(relevance)
    pairs = PairFeatures("volunteer", 1, 1, np.arange(1, n + 1), ("text",), np.zeros((n, 1)), lambda r, c: [])
    return RankingList(pairs, np.where(examined, relevance, 0.0), np.arange(1, n + 1))


def test_the_ips_dcg_is_unbiased_where_the_naive_dcg_is_not() -> None:
    truth = np.asarray([0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 3.0, 1.0])  # relevance of ranks 1..8 had all been examined
    gains = np.power(2.0, truth) - 1.0
    new_order = np.argsort(-truth, kind="stable")  # a ranker that puts the best first
    true_dcg = dcg_at_k(truth[new_order], 5)
    rng = np.random.default_rng(42)
    estimates, naive = [], []
    for _ in range(20_000):
        examined = rng.random(len(truth)) < np.arange(1, len(truth) + 1) ** -1.0
        logged = _simulated_list(truth, examined)
        logged_gains = np.power(2.0, logged.relevance) - 1.0
        estimates.append(counterfactual.ips_dcg(logged_gains, logged.ranks, new_order, 5, 1.0, None))
        naive.append(dcg_at_k(logged.relevance[new_order], 5))
    assert np.mean(estimates) == pytest.approx(true_dcg, rel=0.02)
    assert np.mean(naive) < 0.6 * true_dcg  # the log alone undervalues what was shown low
    assert gains.sum() > 0


class LoggedOrder:
    """A ranker that learned the shown order itself (what a rank feature left on at serving would do)."""

    name = "shown order"

    def __init__(self, data: DecisionSet) -> None:
        self.rank = {
            (int(p), int(c)): int(r) for p, c, r in zip(data.part_ids, data.candidate_ids, data.ranks, strict=True)
        }

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        return -np.asarray([self.rank[(pairs.need_part_id, int(c))] for c in pairs.candidate_ids], dtype=np.float64)

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        return np.zeros_like(pairs.matrix)


@dataclass
class Oracle:
    """Orders by the true utility (known only in simulation): a ranker that really is better."""

    utility: dict[tuple[int, int], float] = field(default_factory=dict)
    name: str = "oracle"

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        return np.asarray([self.utility[(pairs.need_part_id, int(c))] for c in pairs.candidate_ids])

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        return np.zeros_like(pairs.matrix)


def test_the_gate_refuses_a_ranker_that_wins_only_on_the_biased_log(street: TruthStreet, data: DecisionSet) -> None:
    _, _, test = selection.three_way(data)
    lists = ranking_lists(test)
    verdict = counterfactual.gate(lists, LoggedOrder(test), DefaultScorer("volunteer"))
    assert verdict.naive_candidate > verdict.naive_baseline + 0.03  # the log says it wins
    assert not verdict.passed and verdict.low < 0  # corrected for position bias, it does not
    # A ranker that really is better than the one it is compared with passes.
    truly_better = counterfactual.gate(ranking_lists(data), Oracle(street.past_utility), TextScorer())
    assert truly_better.passed and truly_better.low > 0


def test_selection_compares_every_variant_and_gates_the_choice(data: DecisionSet) -> None:
    chosen = selection.select(data)
    assert {v["variant"] for v in chosen.variants} == {selection.variant_name(*c) for c in selection.candidates()}
    assert {v["variant"].split(" (")[0] for v in chosen.variants} == {
        f"{m}, {b}" for m in learning.MODELS for b in learning.BIAS
    }
    best = max(chosen.variants, key=lambda v: v["corrected"])
    assert chosen.chosen == best["variant"]  # by the corrected figure, not the naive one
    verdict = chosen.verdict
    assert verdict is not None and chosen.passed == (verdict.low > 0 and verdict.difference >= counterfactual.MIN_GAIN)
    assert chosen.model is not None and chosen.model.metadata["decisions"] == len(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "red-partners-marketplace/linear-ranker"}, "not a learned ranker"),
        ({"version": 3}, "version 3 is not supported"),
        ({"model": "forest"}, "unknown model"),
        ({"feature_names": ["skill_coverage"]}, "not this library's"),
    ],
)
def test_loading_refuses_what_it_cannot_score(
    models: dict[str, learning.LearnedModel], change: dict[str, object], message: str
) -> None:
    document = json.loads(models["trees, ipw"].to_json())
    document.update(change)
    with pytest.raises(ModelFormatError, match=message):
        learning.LearnedModel.from_json(json.dumps(document), "volunteer", models["trees, ipw"].feature_names)


def test_a_tree_pointing_outside_itself_is_refused(models: dict[str, learning.LearnedModel]) -> None:
    document = json.loads(models["trees, ipw"].to_json())
    document["fitted"]["trees"][0]["left"][0] = 10_000
    with pytest.raises(ModelFormatError, match="points to a node"):
        learning.LearnedModel.from_json(json.dumps(document))


def test_exploration_randomises_one_slot_in_the_asked_share_of_lists() -> None:
    rng = np.random.default_rng(1)
    shown, below = list(range(1, 11)), list(range(11, 31))
    results = [exploration.explore(shown, below, 0.1, rng) for _ in range(5000)]
    explored = [r for r in results if r.slot is not None]
    assert 0.08 < len(explored) / len(results) < 0.12
    for result in explored[:50]:
        changed = [i for i, (a, b) in enumerate(zip(result.ids, shown, strict=True)) if a != b]
        assert changed == [result.slot] and result.ids[result.slot] in below
    assert len({r.slot for r in explored}) == len(shown)  # every place can be the explored one
    assert all(r.ids == shown for r in results if r.slot is None)
    with pytest.raises(ValueError, match="exploration share"):
        exploration.explore(shown, below, 0.9, rng)


def test_explored_slots_estimate_the_position_bias() -> None:
    rng = np.random.default_rng(7)
    slots = rng.integers(1, 11, size=6000)
    approved = rng.random(6000) < 0.4 * slots**-0.7
    eta, q = exploration.estimate_eta(slots, approved)
    assert eta == pytest.approx(0.7, abs=0.1) and q == pytest.approx(0.4, abs=0.05)


def test_the_offer_street_logs_decisions_and_grades_later_lines_from_the_truth() -> None:
    street = offer_street(2, offers=150, lines=200, later_lines=10)
    assert street.decisions and {d.candidate_kind for d in street.decisions} == {"offer"}
    assert any(o.item_key for o in street.offers) and any(o.available_from for o in street.offers)
    assert any(o.community_work for o in street.offers)
    assert not {t.line.id for t in street.later} & {d.need_part_id for d in street.decisions}
    data = decision_set(street.decisions, street.pairs, "offer", street.categories)
    model = selection.fit_variant(data, "trees", "rank")
    scorer = learning.ModelScorer(model, street.categories)
    loaded = learning.ModelScorer(learning.LearnedModel.from_json(model.to_json(), "offer"), street.categories)
    for truth in street.later:
        assert np.array_equal(scorer.scores(truth.pairs), loaded.scores(truth.pairs))


def test_keeping_the_offer_pools_changes_nothing_the_offer_street_draws() -> None:
    plain = offer_street(2, offers=150, lines=200, later_lines=10)
    pooled = offer_street(2, offers=150, lines=200, later_lines=10, keep_pools=True)
    assert [(d.candidate_id, d.outcome, d.shown_rank) for d in pooled.decisions] == [
        (d.candidate_id, d.outcome, d.shown_rank) for d in plain.decisions
    ]
    assert [t.relevance.tolist() for t in pooled.later] == [t.relevance.tolist() for t in plain.later]
    assert not plain.pools and set(pooled.pools) == set(pooled.pairs)
    for line_id, pool in pooled.pools.items():
        assert pool.shape[1] == len(pooled.pairs[line_id].names)
    assert sum(len(pool) for pool in pooled.pools.values()) > 0
    data = decision_set(pooled.decisions, pooled.pairs, "offer", pooled.categories)
    chosen = selection.select(data, pool=pooled.pools)
    assert all("pool negatives" in v["variant"] for v in chosen.variants)


def test_the_residual_model_starts_from_the_default_scorer(models: dict[str, learning.LearnedModel]) -> None:
    model = models["residual, rank"]
    assert model.prior is not None and model.prior.alpha > 0  # the default score predicts approvals
    defaults = DefaultScorer("volunteer")._weights()
    assert dict(zip(model.feature_names, model.prior.weights.tolist(), strict=True)) == {
        name: defaults.get(name, 0.0) for name in model.feature_names
    }  # stored with the model: a later change of the default weights does not change it
    document = json.loads(model.to_json())
    document["prior"] = None
    with pytest.raises(ModelFormatError, match="needs its prior"):
        learning.LearnedModel.from_json(json.dumps(document))


def test_within_list_pairs_are_every_approved_row_against_every_other_row_of_its_list() -> None:
    lists = np.asarray([7, 7, 7, 9, 9, 4, 4])
    labels = np.asarray([1, 0, 0, 0, 0, 1, 1])
    good, bad = learning.within_list_pairs(lists, labels)
    assert sorted(zip(good.tolist(), bad.tolist(), strict=True)) == [(0, 1), (0, 2)]  # list 9 and 4: one side only


def test_the_listwise_model_ignores_what_is_equal_across_a_list() -> None:
    """Approvals driven by a list-level factor (a busy admin approves fewer) plus one candidate feature:
    the listwise correction learns the feature and the list-level factor's main effect gets nothing."""
    rng = np.random.default_rng(11)
    lists = np.repeat(np.arange(600), 8)
    mood = np.repeat(rng.normal(0, 2, 600), 8)  # equal within a list, seen as a feature
    skill = rng.random(len(lists))
    other = rng.random(len(lists))
    logit = 4.0 * skill + mood - 2.0
    labels = (rng.random(len(lists)) < 1 / (1 + np.exp(-logit))).astype(int)
    names = ("skill_coverage", "availability", "urgency")
    matrix = np.column_stack([skill, other, mood])
    model = learning.fit(
        "volunteer", names, matrix, labels, np.tile(np.arange(1, 9), 600), [""] * len(lists),
        model="listwise", bias="none", lists=lists, l2_per_pair=0.01,
    )  # fmt: skip
    assert isinstance(model.fitted, learning._Linear)
    coefficients = dict(zip(learning.Design.columns(model.design), model.fitted.coefficients, strict=True))
    assert abs(coefficients["urgency"]) < 1e-6  # a difference within a list cancels it

    def effect(column: int) -> float:  # the change in logit when the column rises by 1 (default + correction)
        moved = matrix[:50].copy()
        moved[:, column] += 1.0
        return float(np.mean(model.decision(moved, [""] * 50) - model.decision(matrix[:50], [""] * 50)))

    assert effect(0) > 1.0 and effect(0) > 5 * abs(effect(1))


@pytest.fixture(scope="module")
def pooled(street: TruthStreet) -> TruthStreet:
    return truth_street(5, volunteers=600, needs=300, later_needs=10, keep_pools=True)


def test_keeping_the_pools_changes_nothing_the_street_draws(street: TruthStreet, pooled: TruthStreet) -> None:
    assert [(d.candidate_id, d.outcome, d.shown_rank) for d in pooled.decisions] == [
        (d.candidate_id, d.outcome, d.shown_rank) for d in street.decisions
    ]
    assert [t.relevance.tolist() for t in pooled.later] == [t.relevance.tolist() for t in street.later]
    assert not street.pools and set(pooled.pools) == set(pooled.pairs)
    for shift_id, pool in pooled.pools.items():
        assert pool.shape[1] == len(pooled.pairs[shift_id].names) and len(pool) > 0


def test_pool_negatives_teach_what_the_shown_lists_cannot() -> None:
    """Every shown candidate lived near (the default put them on top), so the logged pairs say nothing about
    distance; the pool (unshown candidates, near and far) does: against it, the approved were the near ones."""
    rng = np.random.default_rng(3)
    lists = np.repeat(np.arange(400), 8)
    skill = rng.random(len(lists))
    near = np.ones(len(lists))
    labels = (rng.random(len(lists)) < 1 / (1 + np.exp(-(4.0 * skill - 2.0)))).astype(int)
    names = ("skill_coverage", "proximity", "urgency")
    matrix = np.column_stack([skill, near, np.zeros(len(lists))])
    pool = {int(n): np.column_stack([rng.random(20), rng.random(20), np.zeros(20)]) for n in range(400)}

    def fitted(given: dict[int, np.ndarray] | None) -> learning.LearnedModel:
        return learning.fit(
            "volunteer", names, matrix, labels, np.tile(np.arange(1, 9), 400), [""] * len(lists),
            model="listwise", bias="none", lists=lists, pool=given,
        )  # fmt: skip

    def effect(model: learning.LearnedModel) -> float:  # the change in logit from far (0) to near (1)
        far, close = np.asarray([[0.5, 0.0, 0.0]]), np.asarray([[0.5, 1.0, 0.0]])
        return float(model.decision(close, [""])[0] - model.decision(far, [""])[0])

    plain, with_pool = fitted(None), fitted(pool)
    assert isinstance(plain.fitted, learning._Linear) and isinstance(with_pool.fitted, learning._Linear)
    columns = plain.design.columns()
    distance = [i for i, c in enumerate(columns) if "proximity" in c]
    assert np.all(plain.fitted.coefficients[distance] == 0)  # the log alone: the default's weight, nothing learned
    assert with_pool.fitted.coefficients[columns.index("proximity")] > 0
    assert effect(with_pool) > effect(plain) + 0.1 > 0.1
    assert with_pool.metadata["pool_pairs"] == 20 * int(labels.sum())


def test_the_listwise_model_learns_from_the_pool_of_the_lists_it_is_given(
    pooled: TruthStreet, data: DecisionSet
) -> None:
    train, _, later = selection.three_way(data)
    plain = selection.fit_variant(train, "listwise", "rank")
    with_pool = selection.fit_variant(train, "listwise", "rank", pool=pooled.pools)
    assert with_pool.metadata["pool_share"] == learning.POOL_SHARE and "pool_share" not in plain.metadata
    loaded = learning.LearnedModel.from_json(with_pool.to_json(), "volunteer", with_pool.feature_names)
    scored = later.matrix, later.categories
    assert np.array_equal(loaded.decision(*scored), with_pool.decision(*scored))  # stored as any listwise model
    # A pool pair says nothing about position: its candidate takes the approved row's rank.
    assert train.categories is not None
    pairs = learning._PoolPairs.build(
        with_pool.design, pooled.pools, train.part_ids, train.labels, list(train.categories), train.ranks
    )
    assert pairs is not None and len(pairs.good) > 10 * int(train.labels.sum())
    assert with_pool.metadata["pool_pairs"] == len(pairs.good)  # the pools of the lists it was given, no other
    rank = with_pool.design.columns().index("log_rank")
    assert np.allclose(pairs.columns[:, rank], np.log(train.ranks[pairs.good]))


def test_given_the_pool_selection_compares_the_listwise_model_that_learns_from_it(
    pooled: TruthStreet, data: DecisionSet
) -> None:
    chosen = selection.select(data, pool=pooled.pools)
    assert {v["variant"] for v in chosen.variants} == {
        selection.variant_name(*c, pooled=True) for c in selection.candidates(pooled=True)
    }
    assert len(chosen.variants) == len(learning.BIAS) * len(learning.LISTWISE_L2_PER_PAIR)
    assert all("pool negatives" in v["variant"] for v in chosen.variants)
    assert chosen.model is not None and chosen.model.model == "listwise"
    assert chosen.model.metadata["pool_share"] == learning.POOL_SHARE
    verdict = chosen.verdict
    assert verdict is not None and chosen.passed == (verdict.low > 0 and verdict.difference >= counterfactual.MIN_GAIN)
    # A pool without rows is no pool: every variant is compared, as without one.
    empty = {part: rows[:0] for part, rows in pooled.pools.items()}
    assert len(selection.select(data, pool=empty).variants) == len(selection.candidates())
