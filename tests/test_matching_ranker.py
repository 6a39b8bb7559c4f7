"""The learned ranker: one feature matrix for every scorer, position-bias weights, JSON storage, explanations."""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from matching import GridPoint, LineNeed, Offer, OfferIndex, ShiftNeed, Volunteer, VolunteerIndex, WeeklyWindow
from matching.evaluation import evaluate, ranking_lists, time_split
from matching.features import OFFER_FEATURES, VOLUNTEER_FEATURES, reliability
from matching.history import synthetic_history, synthetic_offer_history
from matching.ranker import (
    MIN_DECISIONS,
    RELEVANCE,
    DecisionSet,
    DefaultScorer,
    LearnedRanker,
    LearnedScorer,
    LinearRankingModel,
    ModelFormatError,
    TextScorer,
    decision_set,
    enough_decisions,
    fit_scorer,
    ipw_weights,
    propensity,
    rank,
    train_ranker,
)
from matching.records import Decision

GRIDS = [GridPoint(1, 36.1100, 120.3500), GridPoint(2, 36.1100, 120.3722), GridPoint(3, 36.2000, 120.3500)]
SATURDAY_MORNING = (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
NOW = datetime(2026, 11, 26, tzinfo=UTC)
SHIFT = ShiftNeed(
    id=1,
    need_id=1,
    text="为独居老人上门理发",
    category="elderly_care",
    grid_id=1,
    starts_at=SATURDAY_MORNING[0],
    ends_at=SATURDAY_MORNING[1],
    open_slots=2,
    skill_ids=frozenset({1, 2}),
    urgency=2,
)
BRICKS = LineNeed(1, 1, "透水砖", "material", "renovation", 1, 5000, "m²", urgency=3, due_date=date(2026, 12, 27))


def volunteer(id: int, **changes: object) -> Volunteer:
    values: dict[str, object] = {"id": id, "home_grid_id": 1, "availability": (WeeklyWindow(5, 480, 720),)}
    values.update(changes)
    return Volunteer(**values)  # type: ignore[arg-type]


def offer(id: int, **changes: object) -> Offer:
    values: dict[str, object] = {
        "id": id,
        "organization_id": id,
        "text": "再生透水砖",
        "kind": "material",
        "category": "renovation",
        "remaining": 3200,
        "unit": "m²",
        "grid_ids": frozenset({1}),
    }
    values.update(changes)
    return Offer(**values)  # type: ignore[arg-type]


VOLUNTEERS = [
    volunteer(10, skill_ids=frozenset({1, 2}), fulfilled=9, no_show=1, text="理发 助老"),
    volunteer(11, skill_ids=frozenset({1}), home_grid_id=2, hours_this_week=4),
    volunteer(12, skill_ids=frozenset({2}), home_grid_id=3, fulfilled=1, no_show=3),
    volunteer(13, home_grid_id=2, text="上门理发"),
]


@pytest.fixture(scope="module")
def history_data() -> DecisionSet:
    history = synthetic_history(3, needs=60, volunteers=200)
    return decision_set(history.decisions, history.pairs, "volunteer")


@pytest.fixture(scope="module")
def model(history_data: DecisionSet) -> LinearRankingModel:
    return train_ranker(history_data, trained_at=datetime(2026, 11, 26, tzinfo=UTC))


def test_the_ranker_evaluation_and_history_import_nothing_from_the_application() -> None:
    code = (
        "import sys, matching.features, matching.ranker, matching.evaluation, matching.history, matching.learning,"
        " matching.selection, matching.counterfactual, matching.exploration;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'marketplace', 'litestar', 'sqlmodel', 'sqlalchemy'}];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_default_scorer_on_the_feature_matrix_gives_the_scores_rank_gives() -> None:
    index = VolunteerIndex(VOLUNTEERS, GRIDS)
    pairs = index.pair_features(SHIFT, NOW)
    assert pairs.names == VOLUNTEER_FEATURES
    by_id = dict(zip(pairs.candidate_ids.tolist(), DefaultScorer("volunteer").scores(pairs).tolist(), strict=True))
    ranked = index.rank(SHIFT, k=10)
    assert [r.score for r in ranked] == [by_id[r.candidate_id] for r in ranked]  # exactly, one implementation
    assert [r.candidate_id for r in rank(DefaultScorer("volunteer"), pairs)] == [r.candidate_id for r in ranked]
    assert [r.reasons for r in rank(DefaultScorer("volunteer"), pairs)] == [r.reasons for r in ranked]


def test_the_default_offer_scorer_on_the_feature_matrix_gives_the_scores_rank_gives() -> None:
    offers = [offer(1), offer(2, remaining=500, open_matches=2), offer(3, grid_ids=frozenset({3}), fulfilled=3)]
    index = OfferIndex(offers, GRIDS)
    pairs = index.pair_features(BRICKS, NOW)
    assert pairs.names == OFFER_FEATURES
    ranked = index.rank(BRICKS, NOW)
    assert [(r.candidate_id, r.score, r.reasons) for r in rank(DefaultScorer("offer"), pairs)] == [
        (r.candidate_id, r.score, r.reasons) for r in ranked
    ]


def test_context_columns_measure_distance_load_urgency_due_date_and_expiry() -> None:
    pairs = VolunteerIndex(VOLUNTEERS, GRIDS).pair_features(SHIFT, NOW)
    row = {int(c): dict(zip(pairs.names, pairs.matrix[i], strict=True)) for i, c in enumerate(pairs.candidate_ids)}
    assert row[11]["distance_km"] == pytest.approx(2.0, abs=0.05)
    assert row[11]["load"] == pytest.approx(0.5)  # 4 of 8 weekly hours already worked
    assert row[10]["experience"] == pytest.approx(np.log(11))
    assert row[10]["urgency"] == 2
    assert row[10]["days_to_due"] == pytest.approx(2 + 1 / 24)  # the shift starts Saturday 01:00 UTC
    later = datetime(2027, 3, 1, tzinfo=UTC)
    offers = OfferIndex([offer(1, valid_until=later, open_matches=3), offer(2, grid_ids=frozenset({2}))], GRIDS)
    rows = offers.pair_features(BRICKS, NOW)
    first, second = (dict(zip(rows.names, rows.matrix[i], strict=True)) for i in range(2))
    assert first["days_to_expiry"] == pytest.approx(95) and second["days_to_expiry"] == 365
    assert first["load"] == pytest.approx(np.log(4)) and first["distance_km"] == 0
    assert second["distance_km"] == pytest.approx(2.0, abs=0.05)
    assert first["days_to_due"] == pytest.approx(31 + 16 / 24)  # the due street day ends at 16:00 UTC


def test_a_newcomer_is_not_punished_by_the_reliability_prior() -> None:
    values = reliability(np.asarray([0.0, 0.0, 1.0, 9.0]), np.asarray([0.0, 1.0, 0.0, 1.0]))
    assert values.tolist() == pytest.approx([0.5, 1 / 3, 2 / 3, 10 / 12])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "maybe"}, "unknown outcome"),
        ({"candidate_kind": "partner"}, "unknown candidate kind"),
        ({"shown_rank": 0}, "starts at 1"),
        ({"decided_at": datetime(2026, 11, 26)}, "timezone-aware"),
    ],
)
def test_a_decision_record_refuses_what_cannot_be_true(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "need_id": 1,
        "need_part_id": 1,
        "candidate_id": 10,
        "candidate_kind": "volunteer",
        "outcome": "approved",
        "shown_rank": 1,
        "decided_at": NOW,
    }
    with pytest.raises(ValueError, match=message):
        Decision(**{**values, **changes})  # type: ignore[arg-type]


def test_approvals_far_down_the_list_weigh_more_and_rejections_weigh_one() -> None:
    assert propensity(np.asarray([1, 2, 10])).tolist() == pytest.approx([1.0, 0.5, 0.1])
    assert propensity(np.asarray([4]), eta=0.5).tolist() == pytest.approx([0.5])
    weights = ipw_weights(np.asarray([1, 10, 10, 100]), np.asarray([1, 1, 0, 1]), eta=1.0, max_weight=20.0)
    raw = np.asarray([1.0, 10.0, 1.0, 20.0])  # rank 100 is capped at 20
    assert weights.tolist() == pytest.approx((raw / raw.mean()).tolist())
    assert ipw_weights(np.asarray([1, 5]), np.asarray([1, 1]), eta=0.0).tolist() == [1.0, 1.0]


def test_the_stored_model_loads_back_into_identical_scores(
    history_data: DecisionSet, model: LinearRankingModel
) -> None:
    text = model.to_json()
    document = json.loads(text)
    assert document["feature_names"] == list(VOLUNTEER_FEATURES)
    assert document["metadata"]["decisions"] == len(history_data)
    assert document["metadata"]["propensity"] == "rank ** -1"
    loaded = LinearRankingModel.from_json(text, kind="volunteer")
    pairs = ranking_lists(history_data)[0].pairs
    assert np.array_equal(LearnedScorer(loaded).scores(pairs), LearnedScorer(model).scores(pairs))
    assert np.array_equal(loaded.decision(history_data.matrix), model.decision(history_data.matrix))
    estimator = LearnedRanker().fit(
        history_data.matrix,
        history_data.labels,
        sample_weight=ipw_weights(history_data.ranks, history_data.labels),
    )
    assert np.array_equal(estimator.decision_function(history_data.matrix), model.decision(history_data.matrix))
    assert loaded.to_json() == text


def _stored(model: LinearRankingModel, **changes: object) -> str:
    document = json.loads(model.to_json())
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda m: "{not json", "not valid JSON"),
        (lambda m: "[1, 2]", "must be a JSON object"),
        (lambda m: _stored(m, format="pickle"), "not a ranker model"),
        (lambda m: _stored(m, version=2), "version 2 is not supported"),
        (lambda m: _stored(m, kind="partner"), "unknown candidate kind"),
        (lambda m: _stored(m, feature_names=[]), "non-empty list of strings"),
        (lambda m: _stored(m, feature_names=list(VOLUNTEER_FEATURES[:-1])), "missing \\['days_to_due'\\]"),
        (lambda m: _stored(m, feature_names=[*VOLUNTEER_FEATURES[:-1], "shoe_size"]), "unknown \\['shoe_size'\\]"),
        (lambda m: _stored(m, feature_names=list(reversed(VOLUNTEER_FEATURES))), "order must be"),
        (
            lambda m: _stored(m, coefficients=[1.0, 2.0]),
            f"coefficients must be a list of {len(VOLUNTEER_FEATURES)} numbers",
        ),
        (lambda m: _stored(m, means=["0"] * len(VOLUNTEER_FEATURES)), "means must hold finite numbers"),
        (lambda m: _stored(m, scales=[0.0] * len(VOLUNTEER_FEATURES)), "scales must be positive"),
        (lambda m: _stored(m, intercept=True), "intercept must be a finite number"),
        (lambda m: m.to_json().replace('"intercept": ', '"intercept": NaN, "x": '), "intercept must be a finite"),
        (lambda m: _stored(m, metadata=[]), "metadata must be a JSON object"),
    ],
)
def test_loading_refuses_malformed_or_mismatched_models_with_a_clear_error(
    model: LinearRankingModel, mangle: object, message: str
) -> None:
    with pytest.raises(ModelFormatError, match=message):
        LinearRankingModel.from_json(mangle(model))  # type: ignore[operator]


def test_a_volunteer_model_does_not_rank_offers(model: LinearRankingModel) -> None:
    with pytest.raises(ModelFormatError, match="ranks volunteers, not offers"):
        LinearRankingModel.from_json(model.to_json(), kind="offer")
    pairs = OfferIndex([offer(1)], GRIDS).pair_features(BRICKS, NOW)
    with pytest.raises(ValueError, match="the model ranks volunteers"):
        LearnedScorer(model).scores(pairs)


def test_below_the_threshold_the_default_scorer_serves(history_data: DecisionSet) -> None:
    few = history_data.take(np.arange(MIN_DECISIONS - 1))
    assert enough_decisions(few) == (False, f"{MIN_DECISIONS - 1} decisions, fewer than {MIN_DECISIONS}")
    assert isinstance(fit_scorer(few), DefaultScorer)
    one_sided = history_data.take(np.flatnonzero(history_data.labels == 0))
    assert not enough_decisions(one_sided)[0]
    assert isinstance(fit_scorer(one_sided), DefaultScorer)
    assert isinstance(fit_scorer(history_data), LearnedScorer)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")  # pandas is not installed
def test_the_learned_ranker_is_a_scikit_learn_estimator() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(LearnedRanker())


def test_learned_explanations_speak_the_default_scorer_sentences() -> None:
    # A model that only cares about distance: the nearest volunteer's reason is how near they are.
    names = VOLUNTEER_FEATURES
    coefficients = np.asarray([-1.0 if n == "distance_km" else 0.0 for n in names])
    model = LinearRankingModel("volunteer", names, np.full(len(names), 1.0), np.ones(len(names)), coefficients, 0.0)
    pairs = VolunteerIndex(VOLUNTEERS, GRIDS).pair_features(SHIFT, NOW)
    ranked = rank(LearnedScorer(model), pairs, k=4)
    assert [r.candidate_id for r in ranked][:2] == [10, 11]
    [reason] = ranked[0].reasons
    assert (reason.feature, reason.en, reason.zh) == ("proximity", "in the need's grid", "就在项目网格内")
    assert reason.contribution == pytest.approx(1.0)  # −1 × (0 km − 1) / 1
    assert ranked[-1].reasons == ()  # 10 km away: nothing speaks for them


def test_learned_explanations_cover_load_and_reliability_through_their_sentences() -> None:
    names = VOLUNTEER_FEATURES
    coefficients = np.asarray([{"load": -2.0, "experience": 1.0}.get(n, 0.0) for n in names])
    model = LinearRankingModel("volunteer", names, np.zeros(len(names)), np.ones(len(names)), coefficients, 0.0)
    pairs = VolunteerIndex(VOLUNTEERS, GRIDS).pair_features(SHIFT, NOW)
    by_id = {r.candidate_id: r for r in rank(LearnedScorer(model), pairs, k=4)}
    assert [r.en for r in by_id[10].reasons] == ["completed 9 of 10 past tasks"]
    assert "以往10次任务完成9次" in [r.zh for r in by_id[10].reasons]
    offers = OfferIndex([offer(1, open_matches=0), offer(2, open_matches=2)], GRIDS)
    offer_model = LinearRankingModel(
        "offer",
        OFFER_FEATURES,
        np.full(len(OFFER_FEATURES), 1.0),
        np.ones(len(OFFER_FEATURES)),
        np.asarray([-1.0 if n == "load" else 0.0 for n in OFFER_FEATURES]),
        0.0,
    )
    [best, _] = rank(LearnedScorer(offer_model), offers.pair_features(BRICKS, NOW))
    assert [(r.en, r.zh) for r in best.reasons] == [("no other matches in progress", "目前没有进行中的对接")]


def test_learned_explanations_on_a_trained_model_are_default_sentences(model: LinearRankingModel) -> None:
    index = VolunteerIndex(VOLUNTEERS, GRIDS)
    pairs = index.pair_features(SHIFT, NOW)
    default_sentences = {
        reason.en
        for position in range(len(pairs))
        for reason in pairs.reasons(position, dict.fromkeys(VOLUNTEER_FEATURES, 1.0))
    }
    ranked = rank(LearnedScorer(model), pairs)
    assert all(reason.en in default_sentences for r in ranked for reason in r.reasons)
    assert any(r.reasons for r in ranked)
    assert all(0 < r.score < 1 for r in ranked)


def test_the_learned_ranker_learns_what_admins_weigh_and_beats_text_alone() -> None:
    history = synthetic_history(11, needs=150, volunteers=400)
    data = decision_set(history.decisions, history.pairs, "volunteer")
    train, test = time_split(data)
    assert train.decided_at.max() <= test.decided_at.min() + 3 * 3600  # a need's shifts are published together
    learned = train_ranker(train)
    weight = dict(zip(learned.feature_names, learned.coefficients, strict=True))
    assert weight["skill_coverage"] > 0 and weight["reliability"] > 0 and weight["load"] < 0
    scorers = {"learned": LearnedScorer(learned), "text only": TextScorer()}
    logged = {row["scorer"]: row["ndcg@10"] for row in evaluate(ranking_lists(test), scorers)}
    truth = np.asarray(
        [RELEVANCE[o] for o in history.counterfactual_outcomes(test.part_ids, test.candidate_ids)], dtype=np.float64
    )
    wanted = {row["scorer"]: row["ndcg@10"] for row in evaluate(ranking_lists(test, truth), scorers)}
    assert logged["learned"] > logged["text only"]  # on the biased log of a small street (75 lists)
    assert wanted["learned"] > wanted["text only"] + 0.05  # on what admins would have decided


def test_the_history_is_the_same_for_the_same_seed() -> None:
    first = synthetic_history(5, needs=20, volunteers=80)
    again = synthetic_history(5, needs=20, volunteers=80)
    other = synthetic_history(6, needs=20, volunteers=80)
    assert first.decisions == again.decisions
    assert all(np.array_equal(first.pairs[p].matrix, again.pairs[p].matrix) for p in first.pairs)
    assert first.decisions != other.decisions
    assert {d.outcome for d in first.decisions} <= {"approved", "rejected", "fulfilled", "no_show"}
    assert all(
        first.decisions[i].decided_at <= first.decisions[i + 1].decided_at for i in range(len(first.decisions) - 1)
    )
    assert max(d.decided_at for d in first.decisions) < datetime(2025, 11, 24, tzinfo=UTC) + timedelta(days=365)


def test_an_offer_ranker_trains_on_offer_decisions_and_round_trips() -> None:
    history = synthetic_offer_history(4, lines=80, offers=60)
    assert history.kind == "offer" and {d.candidate_kind for d in history.decisions} == {"offer"}
    assert history.decisions == synthetic_offer_history(4, lines=80, offers=60).decisions
    data = decision_set(history.decisions, history.pairs, "offer")
    assert len(data) == len(history.decisions) and data.names == OFFER_FEATURES
    assert len(decision_set(history.decisions, history.pairs, "volunteer")) == 0
    model = train_ranker(data)
    loaded = LinearRankingModel.from_json(model.to_json(), kind="offer")
    assert np.array_equal(loaded.decision(data.matrix), model.decision(data.matrix))
    weight = dict(zip(model.feature_names, model.coefficients, strict=True))
    assert weight["coverage"] > 0 and weight["category"] > 0
    pairs = max(history.pairs.values(), key=len)
    ranked = rank(LearnedScorer(loaded), pairs, k=3)
    assert len(ranked) == 3 and all(reason.zh and reason.en for r in ranked for reason in r.reasons)


def test_every_feature_and_default_weight_is_documented() -> None:
    from pathlib import Path

    import matching.features
    from matching.offers import DEFAULT_WEIGHTS as OFFER_WEIGHTS
    from matching.volunteers import DEFAULT_WEIGHTS as VOLUNTEER_WEIGHTS

    docs = (Path(__file__).parent.parent / "docs" / "matching.md").read_text()
    for name in {*VOLUNTEER_FEATURES, *OFFER_FEATURES}:
        assert f"| `{name}` |" in docs, name
        assert f"``{name}``" in (matching.features.__doc__ or ""), name
    for weights in (VOLUNTEER_WEIGHTS, OFFER_WEIGHTS):
        for name, weight in weights.items():
            assert any(line.startswith(f"| `{name}` |") and f"| {weight:.2f} |" in line for line in docs.splitlines())
