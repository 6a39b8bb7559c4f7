"""The learned ranker: a logistic regression on the street's own decisions, corrected for position bias.

Training data. Each ``Decision`` becomes one row: the candidate's feature vector for the shift or
line it was shown for (``matching.features``, computed when it was decided), a label (1 when the
admin approved it and it was not a no-show: ``approved`` or ``fulfilled``; 0 for ``rejected`` and
``no_show``) and the rank at which it was shown.

Position bias. Admins read a list from the top; a good candidate shown tenth is often never looked
at and goes unapproved. We model the chance that the candidate at rank r is examined as
``propensity(r) = r ** -eta`` (the position-based model; ``eta = 1`` by default: the tenth is
looked at a tenth as often as the first) and weight each approval by 1 / propensity (inverse
propensity weighting, Joachims et al. 2017): an approval at rank 10 counts ten times, since for
every one seen there were about ten like it unseen. Rejections keep weight 1. Weights are capped at
``MAX_WEIGHT`` (a propensity floor of 1/20) to bound their variance and scaled to mean 1.

Model. Features are standardised (means and scales from the training rows), then an L2-regularised
logistic regression (``C``) is fitted with those weights. The score of a candidate is the
probability of approval, sigmoid(intercept + Σ coefficient × standardised value): it lies in
(0, 1) like the default scorer's, so matching rounds can use either. Each term coefficient ×
standardised value is that feature's contribution, and the largest positive ones become the
explanation sentences, the same the default scorer says.

When it serves. Below ``MIN_DECISIONS`` decisions of a kind, or fewer than
``EVENTS_PER_FEATURE`` approvals and as many rejections per feature (at most ``MAX_EVENTS`` each),
the default scorer serves (``fit_scorer``). 400 decisions is about 40 shifts' lists of ten; the
events-per-feature rule is the usual floor for a stable logistic regression (ten events per
variable, Peduzzi et al. 1996).
On the synthetic street (benchmarks/results/matching_evaluation.json, learning curve) the learned
ranker already matches the default scorer from 100 decisions; the floor is kept conservative
because a real street's decisions are noisier than a simulation whose admins weigh exactly what
the features measure.

Storage. A fitted model is plain JSON (``LinearRankingModel.to_json``): feature names, scaler
means and scales, coefficients, intercept and training metadata; never pickle. ``from_json``
checks every field and refuses a model whose features are not the ones this library computes.
"""

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from matching import offers, volunteers
from matching.explain import Ranked, top_reasons
from matching.features import CANDIDATE_KINDS, FEATURES_OF_KIND, OFFER, VOLUNTEER, PairFeatures, weighted_score
from matching.records import Decision

MODEL_FORMAT = "red-partners-marketplace/linear-ranker"
MODEL_VERSION = 1
MIN_DECISIONS = 400
EVENTS_PER_FEATURE = 10
MAX_EVENTS = 100
DEFAULT_ETA = 1.0
MAX_WEIGHT = 20.0
DEFAULT_C = 1.0

# Graded relevance for the evaluation (NDCG): delivered beats approved beats not chosen.
RELEVANCE = {"fulfilled": 2, "approved": 1, "rejected": 0, "no_show": 0}
POSITIVE_OUTCOMES = frozenset({"approved", "fulfilled"})
DEFAULT_WEIGHTS_OF_KIND = {VOLUNTEER: volunteers.DEFAULT_WEIGHTS, OFFER: offers.DEFAULT_WEIGHTS}


class ModelFormatError(ValueError):
    """A stored model that cannot be loaded: malformed, of another format, or for other features."""


def propensity(ranks: np.ndarray, eta: float = DEFAULT_ETA) -> np.ndarray:
    """The chance an admin examines the candidate shown at each rank: rank ** -eta."""
    return np.asarray(ranks, dtype=np.float64) ** -eta


def ipw_weights(
    ranks: np.ndarray, labels: np.ndarray, eta: float = DEFAULT_ETA, max_weight: float = MAX_WEIGHT
) -> np.ndarray:
    """Approvals weighted by 1 / propensity (capped), rejections by 1; scaled to mean 1."""
    weights = np.where(np.asarray(labels) == 1, np.minimum(1.0 / propensity(ranks, eta), max_weight), 1.0)
    return weights / weights.mean() if len(weights) else weights


# ---------------------------------------------------------------------------------------------
# Decisions as a training set


@dataclass(frozen=True)
class DecisionSet:
    """Decisions of one candidate kind joined with their feature rows, one row per decision."""

    kind: str
    names: tuple[str, ...]
    matrix: np.ndarray
    labels: np.ndarray
    relevance: np.ndarray
    ranks: np.ndarray
    need_ids: np.ndarray
    part_ids: np.ndarray
    candidate_ids: np.ndarray
    decided_at: np.ndarray  # POSIX seconds
    dropped: int = 0  # decisions whose pair had no feature row (the candidate no longer qualifies)
    categories: np.ndarray | None = None  # each row's shift or line category ("" when unknown)

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, rows: np.ndarray) -> "DecisionSet":
        return DecisionSet(
            self.kind,
            self.names,
            self.matrix[rows],
            self.labels[rows],
            self.relevance[rows],
            self.ranks[rows],
            self.need_ids[rows],
            self.part_ids[rows],
            self.candidate_ids[rows],
            self.decided_at[rows],
            0,
            None if self.categories is None else self.categories[rows],
        )

    def category_of(self) -> dict[int, str]:
        """Each shift's or line's category, by its id (empty when the categories are not known)."""
        if self.categories is None:
            return {}
        return {int(p): str(c) for p, c in zip(self.part_ids, self.categories, strict=True)}


def decision_set(
    decisions: Iterable[Decision],
    pairs: Mapping[int, PairFeatures],
    kind: str,
    categories: Mapping[int, str] | None = None,
) -> DecisionSet:
    """Join decisions of ``kind`` with the feature rows of their (shift or line, candidate) pairs.

    ``pairs`` maps a shift or line id to its candidates' features as they were when it was decided;
    ``categories`` maps it to its category (what per-category models learn from).
    """
    if kind not in CANDIDATE_KINDS:
        raise ValueError(f"unknown candidate kind {kind!r}")
    names = FEATURES_OF_KIND[kind]
    rows: list[np.ndarray] = []
    kept: list[Decision] = []
    dropped = 0
    positions: dict[int, dict[int, int]] = {}
    for decision in decisions:
        if decision.candidate_kind != kind:
            continue
        part = pairs.get(decision.need_part_id)
        if part is None:
            dropped += 1
            continue
        if part.names != names:
            raise ValueError(f"features of {part.need_part_id} are {part.names}, expected {names}")
        where = positions.setdefault(part.need_part_id, {int(c): r for r, c in enumerate(part.candidate_ids)})
        row = where.get(decision.candidate_id)
        if row is None:
            dropped += 1
            continue
        rows.append(part.matrix[row])
        kept.append(decision)
    matrix = np.vstack(rows) if rows else np.zeros((0, len(names)))
    return DecisionSet(
        kind,
        names,
        matrix,
        np.asarray([int(d.outcome in POSITIVE_OUTCOMES) for d in kept], dtype=np.int64),
        np.asarray([RELEVANCE[d.outcome] for d in kept], dtype=np.float64),
        np.asarray([d.shown_rank for d in kept], dtype=np.int64),
        np.asarray([d.need_id for d in kept], dtype=np.int64),
        np.asarray([d.need_part_id for d in kept], dtype=np.int64),
        np.asarray([d.candidate_id for d in kept], dtype=np.int64),
        np.asarray([d.decided_at.timestamp() for d in kept], dtype=np.float64),
        dropped,
        None if categories is None else np.asarray([categories.get(d.need_part_id, "") for d in kept], dtype=object),
    )


# ---------------------------------------------------------------------------------------------
# The estimator and its stored form


def linear_scores(
    matrix: np.ndarray, means: np.ndarray, scales: np.ndarray, coefficients: np.ndarray, intercept: float
) -> np.ndarray:
    """intercept + Σ coefficient × (value − mean) / scale, row by row: the one formula both forms use."""
    return ((np.asarray(matrix, dtype=np.float64) - means) / scales) @ coefficients + intercept


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class LearnedRanker(ClassifierMixin, BaseEstimator):
    """Standardisation plus L2 logistic regression, with its fitted state as plain arrays.

    ``fit(X, y, sample_weight)`` takes the position-bias weights as ``sample_weight``
    (``ipw_weights``). Fitted: ``means_``, ``scales_``, ``coef_`` (one per feature),
    ``intercept_``, ``classes_``, ``n_features_in_``.
    """

    def __init__(self, C: float = DEFAULT_C, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "LearnedRanker":
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: the ranker learns approvals against rejections, "
                f"got {len(self.classes_)} class(es)"
            )
        weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (len(X),):
            raise ValueError(f"sample_weight has shape {weights.shape}, expected ({len(X)},)")
        if np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError("Sample weights must be non-negative and must not all be zero")
        # Weighted moments, so a weight of 2 is the same as the row twice (sklearn's contract).
        means = np.average(X, axis=0, weights=weights)
        scales = np.sqrt(np.average((X - means) ** 2, axis=0, weights=weights))
        scales[scales < 1e-12] = 1.0
        model = LogisticRegression(C=self.C, max_iter=self.max_iter)
        model.fit((X - means) / scales, y, sample_weight=weights)
        self.n_iter_ = model.n_iter_.copy()
        self.means_, self.scales_ = means, scales
        self.coef_ = model.coef_.ravel().astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return linear_scores(X, self.means_, self.scales_, self.coef_, self.intercept_)

    def predict_proba(self, X: Any) -> np.ndarray:
        positive = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.int64)]

    def export(self, kind: str, names: Sequence[str], metadata: Mapping[str, Any]) -> "LinearRankingModel":
        """The fitted model as a ``LinearRankingModel`` (what is stored as JSON)."""
        check_is_fitted(self)
        if len(names) != self.n_features_in_:
            raise ValueError(f"{len(names)} feature names for {self.n_features_in_} features")
        return LinearRankingModel(
            kind,
            tuple(names),
            self.means_.copy(),
            self.scales_.copy(),
            self.coef_.copy(),
            self.intercept_,
            dict(metadata),
        )


@dataclass(frozen=True)
class LinearRankingModel:
    """A fitted linear ranker as plain numbers: what is stored, loaded and served."""

    kind: str
    feature_names: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    intercept: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def decision(self, matrix: np.ndarray) -> np.ndarray:
        return linear_scores(matrix, self.means, self.scales, self.coefficients, self.intercept)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """coefficient × standardised value, one column per feature (the score's terms without the intercept)."""
        return (np.asarray(matrix, dtype=np.float64) - self.means) / self.scales * self.coefficients

    def to_json(self) -> str:
        document = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "kind": self.kind,
            "feature_names": list(self.feature_names),
            "means": [float(v) for v in self.means],
            "scales": [float(v) for v in self.scales],
            "coefficients": [float(v) for v in self.coefficients],
            "intercept": float(self.intercept),
            "metadata": self.metadata,
        }
        return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes, kind: str | None = None) -> "LinearRankingModel":
        """Load a stored model, checking every field; ``kind`` also checks it against this library's features."""
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ModelFormatError(f"the ranker model is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ModelFormatError("the ranker model must be a JSON object")
        if document.get("format") != MODEL_FORMAT:
            raise ModelFormatError(
                f"not a ranker model: format is {document.get('format')!r}, expected {MODEL_FORMAT!r}"
            )
        if document.get("version") != MODEL_VERSION:
            raise ModelFormatError(
                f"ranker model version {document.get('version')!r} is not supported "
                f"(this library reads version {MODEL_VERSION})"
            )
        stored_kind = document.get("kind")
        if stored_kind not in CANDIDATE_KINDS:
            raise ModelFormatError(f"unknown candidate kind {stored_kind!r} in the ranker model")
        if kind is not None and stored_kind != kind:
            raise ModelFormatError(f"the ranker model ranks {stored_kind}s, not {kind}s")
        names = document.get("feature_names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ModelFormatError("feature_names must be a non-empty list of strings")
        if len(set(names)) != len(names):
            raise ModelFormatError("feature_names repeat a feature")
        expected = FEATURES_OF_KIND[stored_kind]
        if tuple(names) != expected:
            missing = [n for n in expected if n not in names]
            unknown = [n for n in names if n not in expected]
            raise ModelFormatError(
                f"the ranker model's features do not match this library's {stored_kind} features "
                f"(missing {missing}, unknown {unknown}, order must be {list(expected)}); retrain it"
            )
        arrays = {key: _numbers(document, key, len(names)) for key in ("means", "scales", "coefficients")}
        if np.any(arrays["scales"] <= 0):
            raise ModelFormatError("scales must be positive")
        intercept = document.get("intercept")
        if isinstance(intercept, bool) or not isinstance(intercept, int | float) or not math.isfinite(intercept):
            raise ModelFormatError("intercept must be a finite number")
        metadata = document.get("metadata", {})
        if not isinstance(metadata, dict):
            raise ModelFormatError("metadata must be a JSON object")
        return cls(
            stored_kind,
            tuple(names),
            arrays["means"],
            arrays["scales"],
            arrays["coefficients"],
            float(intercept),
            metadata,
        )


def _numbers(document: dict[str, Any], key: str, length: int) -> np.ndarray:
    values = document.get(key)
    if not isinstance(values, list) or len(values) != length:
        raise ModelFormatError(f"{key} must be a list of {length} numbers, one per feature")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        raise ModelFormatError(f"{key} must hold finite numbers only")
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Scorers: the default, the text-only baseline and the learned ranker behind one interface


class Scorer(Protocol):
    name: str

    def scores(self, pairs: PairFeatures) -> np.ndarray: ...

    def contributions(self, pairs: PairFeatures) -> np.ndarray: ...


@dataclass(frozen=True)
class DefaultScorer:
    """The transparent weighted sum (``volunteers.DEFAULT_WEIGHTS`` / ``offers.DEFAULT_WEIGHTS``)."""

    kind: str
    weights: Mapping[str, float] | None = None
    name: str = "default"

    def _weights(self) -> Mapping[str, float]:
        return self.weights if self.weights is not None else DEFAULT_WEIGHTS_OF_KIND[self.kind]

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        return weighted_score(pairs.values(), self._weights())

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        weights = self._weights()
        return pairs.matrix * np.asarray([weights.get(name, 0.0) for name in pairs.names])


@dataclass(frozen=True)
class TextScorer:
    """The baseline: TF-IDF character n-gram cosine alone."""

    name: str = "text only"

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        return pairs.column("text").astype(np.float64)

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        return pairs.matrix * np.asarray([float(name == "text") for name in pairs.names])


@dataclass(frozen=True)
class LearnedScorer:
    """A stored linear model serving scores (probability of approval) and contributions."""

    model: LinearRankingModel
    name: str = "learned"

    def _check(self, pairs: PairFeatures) -> None:
        if pairs.kind != self.model.kind or pairs.names != self.model.feature_names:
            raise ValueError(
                f"the model ranks {self.model.kind}s on {list(self.model.feature_names)}; "
                f"got {pairs.kind}s with {list(pairs.names)}"
            )

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        self._check(pairs)
        return _sigmoid(self.model.decision(pairs.matrix))

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        self._check(pairs)
        return self.model.contributions(pairs.matrix)


def rank(scorer: Scorer, pairs: PairFeatures, k: int = 10) -> list[Ranked]:
    """The best ``k`` candidates under ``scorer``, ties by candidate id, each with its top reasons."""
    if len(pairs) == 0 or k <= 0:
        return []
    scores = scorer.scores(pairs)
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.lexsort((pairs.candidate_ids[best], -scores[best]))]
    # Only the k kept are explained: a tree model's path attribution costs a walk per candidate.
    kept = pairs.subset(pairs.candidate_ids[best].tolist())
    contributions = scorer.contributions(kept)
    return [
        Ranked(
            int(kept.candidate_ids[i]),
            float(scores[p]),
            top_reasons(kept.reasons(i, dict(zip(kept.names, contributions[i].tolist(), strict=True)))),
        )
        for i, p in enumerate(best.tolist())
    ]


# ---------------------------------------------------------------------------------------------
# Training


def enough_decisions(data: DecisionSet, min_decisions: int = MIN_DECISIONS) -> tuple[bool, str]:
    """Whether a learned ranker may serve, and why not when it may not."""
    approvals = int(data.labels.sum())
    rejections = len(data) - approvals
    # Ten per feature for a plain logistic regression, but no more than MAX_EVENTS: the gate
    # (matching.selection) now checks a model on later needs before it serves, so the floor need not
    # grow with every column the library adds.
    events = min(EVENTS_PER_FEATURE * len(data.names), MAX_EVENTS)
    if len(data) < min_decisions:
        return False, f"{len(data)} decisions, fewer than {min_decisions}"
    if approvals < events or rejections < events:
        return False, f"{approvals} approvals and {rejections} rejections; each must reach {events}"
    return True, f"{len(data)} decisions ({approvals} approvals, {rejections} rejections)"


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def train_ranker(
    data: DecisionSet,
    *,
    eta: float = DEFAULT_ETA,
    C: float = DEFAULT_C,
    max_weight: float = MAX_WEIGHT,
    trained_at: datetime | None = None,
) -> LinearRankingModel:
    """Fit the learned ranker on ``data`` with inverse propensity weights; returns the storable model."""
    if len(data) == 0:
        raise ValueError("no decisions to train on")
    weights = ipw_weights(data.ranks, data.labels, eta, max_weight)
    estimator = LearnedRanker(C=C).fit(data.matrix, data.labels, sample_weight=weights)
    metadata = {
        "decisions": len(data),
        "approvals": int(data.labels.sum()),
        "needs": len(np.unique(data.need_ids)),
        "first_decided_at": _iso(float(data.decided_at.min())),
        "last_decided_at": _iso(float(data.decided_at.max())),
        "propensity": f"rank ** -{eta:g}",
        "eta": eta,
        "max_weight": max_weight,
        "C": C,
        "trained_at": (trained_at or datetime.now(UTC)).isoformat(),
    }
    return estimator.export(data.kind, data.names, metadata)


def fit_scorer(data: DecisionSet, *, min_decisions: int = MIN_DECISIONS, **options: Any) -> Scorer:
    """The learned ranker when there are enough decisions, else the default scorer."""
    ok, _ = enough_decisions(data, min_decisions)
    if not ok:
        return DefaultScorer(data.kind)
    return LearnedScorer(train_ranker(data, **options))
