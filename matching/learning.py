"""Learned rankers that learn interactions: a linear model with crosses and gradient-boosted trees.

Both read the library's feature matrix (``PairFeatures``, whatever its columns) plus the need's
category, and both are stored as plain JSON (``LearnedModel.to_json``), never pickle.

Design (``Design.expand``). The base columns are standardised (z = (x − mean) / scale, from the
training rows). Three models: ``linear`` sees z and a one-hot of the category; ``crosses`` also
sees every pairwise product z_a × z_b (skill × availability, urgency × distance, ...) and the
category one-hot × each z (per-category effects); both are standardised again and fitted by an
L2 logistic regression (C = ``LINEAR_C``). ``trees`` sees z and the category one-hot and finds its
own interactions (scikit-learn's HistGradientBoostingClassifier). ``residual`` starts from the
default scorer: its logit is alpha × the default score (standardised; alpha fitted alone first, and
the default weights stored with the model) plus a correction over the ``crosses`` columns, fitted
with that offset and a strong L2 penalty (``RESIDUAL_L2_PER_ROW``), so that where the decisions say
little it stays the default, and it does not extrapolate from the top of the default's lists to
the rest of the pool as freely as the others. ``listwise`` is the residual model with its correction
fitted on within-list pairs (``within_list_pairs``: every approved row against every other row of
the same list; the loss is log(1 + e^−(s_approved − s_other))): a difference cancels whatever is
equal across a list (the need's urgency and category, the day's admin), so only how candidates of
one list compare is learned; the base features' own columns carry a tenth of the penalty
(``MAIN_L2_SHARE``: one number learned from every list), crosses all of it; the penalty per pair is
chosen among ``LISTWISE_L2_PER_PAIR`` on the validation needs (``selection``); the intercept is
fitted alone afterwards. Given the **pool** (``pool``: for each past shift or line, candidates that passed
the pre-filters then but were not shown, features as of the decision), the listwise model also learns
from pairs (approved row, pool candidate of its list): the log covers only the top of the default's order,
and without these pairs the correction extrapolates freely to the rest of the pool, which is what it serves
(``POOL_PER_LIST``, ``POOL_SHARE``). The trees' fitted node arrays are written to JSON
and scored by ``_Trees.raw``, a traversal tested to give sklearn's predictions.

Position bias, three ways (``BIAS``): ``ipw`` weights each approval by 1 / propensity(rank)
(``ranker.ipw_weights``); ``rank`` adds log(shown rank) as a column during training and holds it
at rank 1 (log 1 = 0) when serving, so the model explains the position's effect instead of
crediting the features that put candidates on top; ``none`` ignores it. For ``listwise`` under
``ipw`` a pair counts p(other row examined) / p(approved row examined), clipped (``_pair_propensity``).

Explanations (``LearnedModel.contributions``), one number per base feature, in logit units:
- residual and listwise: the default score's part alpha × w_f × (x_f − mean_f) / scale goes to each feature f
  (exact: it is linear), the correction as for crosses.
- linear and crosses: a column's coefficient × its standardised value; a cross term's contribution is split
  equally between its two features; category × feature goes to the feature; the category's own
  column and the rank column are need-level (equal across one list) and go to no feature. The
  contributions plus ``need_level`` plus the intercept are exactly the score's logit.
- trees: path attribution (Saabas): along each tree's path, the change in node value at a split
  goes to the feature split on. Contributions plus each tree's root value plus the baseline are
  exactly the logit; a feature the trees never split on gets 0.
"""

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from matching.features import CANDIDATE_KINDS, PairFeatures
from matching.ranker import DEFAULT_ETA, MAX_WEIGHT, LearnedRanker, ModelFormatError, ipw_weights

FORMAT = "red-partners-marketplace/learned-ranker"
VERSION = 2
MODELS = ("linear", "crosses", "residual", "listwise", "trees")
BIAS = ("ipw", "rank", "none")
PRIORED = ("residual", "listwise")  # models that start from the default scorer (``Prior``)
LINEAR_C = 0.05
# The residual model's L2 penalty per training row (about 1,000 at 6,000 decisions): set on the
# harder street's seeds 1 and 4 (docs/learned_ranker.md), strong enough that the model stays near
# the default where the decisions say little.
RESIDUAL_L2_PER_ROW = 1 / 6
# The listwise model's L2 penalty per within-list pair; ``selection`` chooses among these on the
# validation needs (the first is the fit's default).
LISTWISE_L2_PER_PAIR: tuple[float, ...] = (2.0, 2 / 3, 6.0)
# The share of that penalty the base features' own columns carry (crosses carry all of it).
MAIN_L2_SHARE = 0.1
# Pool negatives (listwise only): at most this many unshown candidates of a list (drawn with a fixed seed when
# more are given), paired with each approved row of the list; together these pairs weigh POOL_SHARE times
# what the logged pairs weigh together (1: an equal say; docs/learned_ranker.md on how it was set).
POOL_PER_LIST = 30
POOL_SHARE = 1.0
TREE_OPTIONS: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.06,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


@dataclass(frozen=True)
class Design:
    """How base columns, the category and the shown rank become the model's columns."""

    names: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    categories: tuple[str, ...]
    crosses: bool  # pairwise products and category × feature (the linear model)
    rank: bool  # a log(rank) column: trained on, held at rank 1 when serving

    @classmethod
    def fit(
        cls, matrix: np.ndarray, names: Sequence[str], categories: Sequence[str], crosses: bool, rank: bool
    ) -> "Design":
        means = matrix.mean(axis=0)
        scales = matrix.std(axis=0)
        scales[scales < 1e-12] = 1.0
        return cls(tuple(names), means, scales, tuple(sorted(set(categories) - {""})), crosses, rank)

    def pairs(self) -> list[tuple[int, int]]:
        d = len(self.names)
        return [(a, b) for a in range(d) for b in range(a + 1, d)] if self.crosses else []

    def columns(self) -> list[str]:
        out = list(self.names)
        out += [f"{self.names[a]}×{self.names[b]}" for a, b in self.pairs()]
        out += [f"category={c}" for c in self.categories]
        if self.crosses:
            out += [f"category={c}×{n}" for c in self.categories for n in self.names]
        return out + (["log_rank"] if self.rank else [])

    def expand(
        self, matrix: np.ndarray, categories: Sequence[str] | np.ndarray, ranks: np.ndarray | None = None
    ) -> np.ndarray:
        """The model's columns for these rows; ``ranks`` None means serving (rank 1)."""
        z = (np.asarray(matrix, dtype=np.float64) - self.means) / self.scales
        parts = [z]
        pairs = self.pairs()
        if pairs:
            a, b = np.asarray(pairs).T
            parts.append(z[:, a] * z[:, b])
        category = np.asarray(categories, dtype=object)
        onehot = (
            np.column_stack([(category == c).astype(np.float64) for c in self.categories])
            if self.categories
            else np.zeros((len(z), 0))
        )
        parts.append(onehot)
        if self.crosses and self.categories:
            parts.append((onehot[:, :, None] * z[:, None, :]).reshape(len(z), -1))
        if self.rank:
            parts.append(
                np.log(np.asarray(ranks, dtype=np.float64))[:, None] if ranks is not None else np.zeros((len(z), 1))
            )
        return np.hstack(parts)

    def attribution(self) -> np.ndarray:
        """(model columns × base features): the share of each column's contribution each feature gets."""
        d, c = len(self.names), len(self.categories)
        rows = [np.eye(d)]
        for a, b in self.pairs():
            row = np.zeros(d)
            row[a] = row[b] = 0.5
            rows.append(row[None, :])
        rows.append(np.zeros((c, d)))  # the category itself: need-level
        if self.crosses:
            rows.append(np.tile(np.eye(d), (c, 1)))
        if self.rank:
            rows.append(np.zeros((1, d)))
        return np.vstack(rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "means": self.means.tolist(),
            "scales": self.scales.tolist(),
            "categories": list(self.categories),
            "crosses": self.crosses,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class _Linear:
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    intercept: float

    def terms(self, x: np.ndarray) -> np.ndarray:
        return (x - self.means) / self.scales * self.coefficients

    def raw(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.means) / self.scales) @ self.coefficients + self.intercept

    def as_json(self) -> dict[str, Any]:
        return {
            "means": self.means.tolist(),
            "scales": self.scales.tolist(),
            "coefficients": self.coefficients.tolist(),
            "intercept": self.intercept,
        }


@dataclass(frozen=True)
class _Tree:
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray


class _Trees:
    """The boosted trees' node arrays, every tree's nodes end to end, walked all trees at once."""

    def __init__(self, baseline: float, trees: Sequence[_Tree]) -> None:
        self.baseline = baseline
        self.trees = tuple(trees)
        sizes = [len(t.value) for t in self.trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if sizes else np.zeros(0, np.int64)
        self.roots = offsets
        joined = (lambda name: np.concatenate([getattr(t, name) for t in self.trees])) if self.trees else None
        if joined is None:
            self.feature = self.left = self.right = np.zeros(0, np.int64)
            self.threshold = self.value = np.zeros(0)
            self.missing_left = self.leaf = np.zeros(0, bool)
            return
        shift = np.repeat(offsets, sizes)
        self.feature, self.threshold, self.missing_left = joined("feature"), joined("threshold"), joined("missing_left")
        self.leaf, self.value = joined("leaf"), joined("value")
        self.left, self.right = joined("left") + shift, joined("right") + shift

    @classmethod
    def from_sklearn(cls, fitted: HistGradientBoostingClassifier) -> "_Trees":
        trees = []
        for [predictor] in fitted._predictors:
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"]):
                raise ValueError("categorical splits are not stored; give the trees numeric columns")
            trees.append(
                _Tree(
                    nodes["feature_idx"].astype(np.int64),
                    nodes["num_threshold"].astype(np.float64),
                    nodes["missing_go_to_left"].astype(bool),
                    nodes["left"].astype(np.int64),
                    nodes["right"].astype(np.int64),
                    nodes["is_leaf"].astype(bool),
                    nodes["value"].astype(np.float64),
                )
            )
        return cls(float(np.ravel(fitted._baseline_prediction)[0]), trees)

    def _leaves(self, x: np.ndarray, contributions: np.ndarray | None) -> np.ndarray:
        """The leaf each row reaches in each tree (rows × trees); adds path attributions when asked."""
        node = np.tile(self.roots, (len(x), 1))
        rows = np.arange(len(x))[:, None]
        while True:
            inner = ~self.leaf[node]
            if not inner.any():
                return node
            f = self.feature[node]
            value = x[rows, f]
            go_left = np.where(np.isnan(value), self.missing_left[node], value <= self.threshold[node])
            child = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
            if contributions is not None:
                at = np.nonzero(inner)
                np.add.at(contributions, (at[0], f[at]), self.value[child[at]] - self.value[node[at]])
            node = child

    def raw(self, x: np.ndarray) -> np.ndarray:
        values = self.value[self._leaves(x, None)]
        total = np.full(len(x), self.baseline)
        for column in values.T:  # tree by tree, in sklearn's order of addition
            total += column
        return total

    def terms(self, x: np.ndarray) -> np.ndarray:
        contributions = np.zeros_like(x, dtype=np.float64)
        self._leaves(x, contributions)
        return contributions

    def at_roots(self) -> float:
        """The baseline plus every tree's root value: the logit before any split speaks."""
        return self.baseline + float(self.value[self.roots].sum())

    def as_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "trees": [
                {
                    "feature": t.feature.tolist(),
                    "threshold": t.threshold.tolist(),
                    "missing_left": t.missing_left.astype(int).tolist(),
                    "left": t.left.tolist(),
                    "right": t.right.tolist(),
                    "leaf": t.leaf.astype(int).tolist(),
                    "value": t.value.tolist(),
                }
                for t in self.trees
            ],
        }


@dataclass(frozen=True)
class Prior:
    """The residual model's offset: alpha × (Σ weight × value − mean) / scale, the default score standardised."""

    weights: np.ndarray
    mean: float
    scale: float
    alpha: float

    def raw(self, matrix: np.ndarray) -> np.ndarray:
        return self.alpha * (np.asarray(matrix, dtype=np.float64) @ self.weights - self.mean) / self.scale

    def terms(self, matrix: np.ndarray, means: np.ndarray) -> np.ndarray:
        return self.alpha * self.weights * (np.asarray(matrix, dtype=np.float64) - means) / self.scale

    def as_json(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "mean": self.mean, "scale": self.scale, "alpha": self.alpha}


@dataclass(frozen=True)
class LearnedModel:
    """A fitted ranker (linear with crosses, or trees) as plain numbers: stored, loaded and served."""

    kind: str
    model: str  # one of MODELS
    bias: str  # "ipw", "rank" or "none"
    design: Design
    fitted: _Linear | _Trees
    metadata: dict[str, Any] = field(default_factory=dict)
    prior: Prior | None = None  # the residual model's default-score offset

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.design.names

    @property
    def variant(self) -> str:
        return f"{self.model}, {self.bias}"

    def decision(self, matrix: np.ndarray, categories: Sequence[str] | np.ndarray) -> np.ndarray:
        """The logit of approval for each row (rank held at 1)."""
        raw = self.fitted.raw(self.design.expand(matrix, categories))
        return raw if self.prior is None else raw + self.prior.raw(matrix)

    def contributions(self, matrix: np.ndarray, categories: Sequence[str] | np.ndarray) -> np.ndarray:
        """Each base feature's share of the logit, one column per feature (see the module's note)."""
        terms = self.fitted.terms(self.design.expand(matrix, categories)) @ self.design.attribution()
        return terms if self.prior is None else terms + self.prior.terms(matrix, self.design.means)

    def need_level(self, matrix: np.ndarray, categories: Sequence[str] | np.ndarray) -> np.ndarray:
        """What the logit holds besides the feature contributions: equal for every candidate of one list."""
        return self.decision(matrix, categories) - self.contributions(matrix, categories).sum(axis=1)

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "model": self.model,
            "bias": self.bias,
            "feature_names": list(self.design.names),
            "design": self.design.as_json(),
            "fitted": self.fitted.as_json(),
            "prior": None if self.prior is None else self.prior.as_json(),
            "metadata": self.metadata,
        }
        return json.dumps(document, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(
        cls, text: str | bytes, kind: str | None = None, names: Sequence[str] | None = None
    ) -> "LearnedModel":
        """Load a stored model, checking every field; ``names`` are the features this library computes now."""
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ModelFormatError(f"the ranker model is not valid JSON: {error}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ModelFormatError(f"not a learned ranker model of format {FORMAT!r}")
        if document.get("version") != VERSION:
            raise ModelFormatError(
                f"learned ranker version {document.get('version')!r} is not supported (reads {VERSION})"
            )
        stored_kind = document.get("kind")
        if stored_kind not in CANDIDATE_KINDS or (kind is not None and stored_kind != kind):
            raise ModelFormatError(f"the ranker model ranks {stored_kind!r}, not {kind!r}")
        if document.get("model") not in MODELS or document.get("bias") not in BIAS:
            raise ModelFormatError("unknown model or bias handling in the ranker model")
        feature_names = document.get("feature_names")
        if (
            not isinstance(feature_names, list)
            or not feature_names
            or not all(isinstance(n, str) for n in feature_names)
        ):
            raise ModelFormatError("feature_names must be a non-empty list of strings")
        if names is not None and tuple(feature_names) != tuple(names):
            raise ModelFormatError(
                f"the ranker model's features {feature_names} are not this library's {list(names)}; retrain it"
            )
        try:
            d = len(feature_names)
            raw_design = document["design"]
            design = Design(
                tuple(feature_names),
                _floats(raw_design["means"], d),
                _floats(raw_design["scales"], d),
                tuple(str(c) for c in raw_design["categories"]),
                bool(raw_design["crosses"]),
                bool(raw_design["rank"]),
            )
            if np.any(design.scales <= 0):
                raise ModelFormatError("scales must be positive")
            width = len(design.columns())
            raw = document["fitted"]
            fitted: _Linear | _Trees
            if document["model"] != "trees":
                fitted = _Linear(
                    _floats(raw["means"], width),
                    _floats(raw["scales"], width),
                    _floats(raw["coefficients"], width),
                    _finite(raw["intercept"]),
                )
                if np.any(fitted.scales <= 0):
                    raise ModelFormatError("scales must be positive")
            else:
                fitted = _Trees(_finite(raw["baseline"]), tuple(_tree(t, width) for t in raw["trees"]))
            stored_prior = document.get("prior")
            prior = None
            if document["model"] in PRIORED:
                if not isinstance(stored_prior, dict):
                    raise ModelFormatError("a residual model needs its prior (the default weights)")
                prior = Prior(
                    _floats(stored_prior["weights"], d),
                    _finite(stored_prior["mean"]),
                    _finite(stored_prior["scale"]),
                    _finite(stored_prior["alpha"]),
                )
                if prior.scale <= 0:
                    raise ModelFormatError("the prior's scale must be positive")
        except (KeyError, TypeError) as error:
            raise ModelFormatError(f"the ranker model misses or mistypes a field: {error}") from None
        metadata = document.get("metadata", {})
        if not isinstance(metadata, dict):
            raise ModelFormatError("metadata must be a JSON object")
        return cls(stored_kind, document["model"], document["bias"], design, fitted, metadata, prior)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelFormatError(f"{value!r} is not a finite number")
    return float(value)


def _floats(values: Any, length: int | None) -> np.ndarray:
    if not isinstance(values, list) or (length is not None and len(values) != length):
        raise ModelFormatError(f"expected a list of {length} numbers")
    return np.asarray([_finite(v) for v in values], dtype=np.float64)


def _tree(raw: Any, width: int) -> _Tree:
    n = len(raw["value"])
    ints = {key: np.asarray(raw[key], dtype=np.int64) for key in ("feature", "left", "right", "leaf", "missing_left")}
    if any(len(v) != n for v in ints.values()) or n == 0:
        raise ModelFormatError("a tree's arrays differ in length")
    leaf = ints["leaf"].astype(bool)
    inner = ~leaf
    if np.any((ints["feature"][inner] < 0) | (ints["feature"][inner] >= width)):
        raise ModelFormatError("a tree splits on a column the design does not have")
    children = np.concatenate([ints["left"][inner], ints["right"][inner]])
    if np.any((children <= 0) | (children >= n)):
        raise ModelFormatError("a tree points to a node it does not have")
    return _Tree(
        ints["feature"],
        _floats(raw["threshold"], n),
        ints["missing_left"].astype(bool),
        ints["left"],
        ints["right"],
        leaf,
        _floats(raw["value"], n),
    )


# ---------------------------------------------------------------------------------------------
# Fitting


def fit(
    kind: str,
    names: Sequence[str],
    matrix: np.ndarray,
    labels: np.ndarray,
    ranks: np.ndarray,
    categories: Sequence[str] | np.ndarray,
    *,
    model: str = "linear",
    bias: str = "ipw",
    eta: float = DEFAULT_ETA,
    max_weight: float = MAX_WEIGHT,
    metadata: Mapping[str, Any] | None = None,
    lists: np.ndarray | None = None,
    l2_per_pair: float = LISTWISE_L2_PER_PAIR[0],
    pool: Mapping[int, np.ndarray] | None = None,
) -> LearnedModel:
    """Fit one variant (``model`` × ``bias``) on decision rows; approvals (label 1) against the rest.

    ``lists`` (the shift or line of each row) is needed by the ``listwise`` model only, and so is ``pool``
    (list -> feature rows of candidates that passed the pre-filters but were not shown; optional)."""
    if model not in MODELS or bias not in BIAS:
        raise ValueError(f"model must be one of {MODELS} and bias one of {BIAS}")
    if len(np.unique(labels)) != 2:
        raise ValueError("training needs both approvals and rejections")
    if model == "listwise" and lists is None:
        raise ValueError("the listwise model needs the list (shift or line) of each row")
    design = Design.fit(
        np.asarray(matrix, dtype=np.float64), names, list(categories), model in (*PRIORED, "crosses"), bias == "rank"
    )
    x = design.expand(matrix, categories, ranks if bias == "rank" else None)
    weights = ipw_weights(ranks, labels, eta, max_weight) if bias == "ipw" else np.ones(len(labels))
    fitted: _Linear | _Trees
    prior = None
    pool_pairs = (
        _PoolPairs.build(design, pool, np.asarray(lists), np.asarray(labels), list(categories), ranks)
        if model == "listwise" and pool
        else None
    )
    if model == "residual":
        prior, fitted = _fit_residual(kind, names, np.asarray(matrix, dtype=np.float64), x, labels, weights)
    elif model == "listwise":
        assert lists is not None
        prior, fitted = _fit_listwise(
            kind,
            names,
            np.asarray(matrix, dtype=np.float64),
            x,
            labels,
            weights,
            np.asarray(lists),
            l2_per_pair,
            _pair_propensity(ranks, eta, max_weight) if bias == "ipw" else None,
            pool_pairs,
        )
    elif model != "trees":
        estimator = LearnedRanker(C=LINEAR_C).fit(x, labels, sample_weight=weights)
        fitted = _Linear(estimator.means_, estimator.scales_, estimator.coef_, float(estimator.intercept_))
    else:
        # One thread: OpenMP across busy cores made a 0.5 s fit take 20 s on the shared 2-core machine.
        with threadpool_limits(limits=1, user_api="openmp"):
            trees = HistGradientBoostingClassifier(**TREE_OPTIONS).fit(x, labels, sample_weight=weights)
        fitted = _Trees.from_sklearn(trees)
    details = {"eta": eta, "max_weight": max_weight, "columns": len(design.columns()), **(metadata or {})}
    if model == "listwise":
        details["l2_per_pair"] = l2_per_pair
        if pool_pairs is not None:
            details["pool_share"] = POOL_SHARE
            details["pool_pairs"] = len(pool_pairs.good)
    return LearnedModel(kind, model, bias, design, fitted, details, prior)


def _logistic(x: np.ndarray, y: np.ndarray, offset: np.ndarray, weights: np.ndarray, l2: float) -> np.ndarray:
    """Weighted L2 logistic regression with an offset: [intercept, coefficients] (intercept not penalised)."""

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        z = offset + x @ b[1:] + b[0]
        residual = weights * (0.5 * (1.0 + np.tanh(0.5 * z)) - y)
        value = float(np.sum(weights * (np.logaddexp(0.0, z) - y * z)) + l2 * np.sum(b[1:] ** 2))
        return value, np.r_[residual.sum(), x.T @ residual + 2.0 * l2 * b[1:]]

    start = np.zeros(x.shape[1] + 1)
    return np.asarray(minimize(loss, start, jac=True, method="L-BFGS-B").x, dtype=np.float64)


def _fit_residual(
    kind: str, names: Sequence[str], matrix: np.ndarray, x: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> tuple[Prior, _Linear]:
    prior = _prior(kind, names, matrix, labels, weights)
    y = np.asarray(labels, dtype=np.float64)
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales < 1e-12] = 1.0
    l2 = RESIDUAL_L2_PER_ROW * len(y)
    b = _logistic((x - means) / scales, y, prior.raw(matrix), weights, l2)
    return prior, _Linear(means, scales, b[1:], float(b[0]))


def _prior(kind: str, names: Sequence[str], matrix: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> Prior:
    from matching.ranker import DEFAULT_WEIGHTS_OF_KIND  # the default scorer's weights, stored with the model

    default = DEFAULT_WEIGHTS_OF_KIND[kind]
    w = np.asarray([default.get(name, 0.0) for name in names], dtype=np.float64)
    score = matrix @ w
    mean, scale = float(score.mean()), float(score.std()) or 1.0
    y = np.asarray(labels, dtype=np.float64)
    alpha = float(_logistic(((score - mean) / scale)[:, None], y, np.zeros(len(y)), weights, 0.0)[1])
    return Prior(w, mean, scale, alpha)


def within_list_pairs(lists: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(approved row, not-approved row) for every such pair shown in the same list."""
    winners, losers = [], []
    order = np.argsort(lists, kind="stable")
    bounds = np.flatnonzero(np.diff(lists[order])) + 1
    for rows in np.split(order, bounds):
        good, bad = rows[labels[rows] > 0], rows[labels[rows] <= 0]
        if len(good) and len(bad):
            winners.append(np.repeat(good, len(bad)))
            losers.append(np.tile(bad, len(good)))
    if not winners:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(winners), np.concatenate(losers)


def _pair_propensity(
    ranks: np.ndarray, eta: float, max_weight: float
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Under ``ipw`` a pair counts as p(not-approved row examined) / p(approved row examined), clipped.

    A rejection at a rank admins rarely examine says little about the candidate (it is most likely
    unexamined), an approval at such a rank says much: the pair weight corrects both."""
    r = np.asarray(ranks, dtype=np.float64)

    def weight(good: np.ndarray, bad: np.ndarray) -> np.ndarray:
        return np.minimum((r[good] / r[bad]) ** eta, max_weight)

    return weight


@dataclass(frozen=True)
class _PoolPairs:
    """Pairs (approved row, unshown pool candidate of its list): the approved row's index and the candidate's
    model columns (its log-rank column, if any, set to the approved row's so that the pair says nothing
    about position)."""

    good: np.ndarray
    columns: np.ndarray
    matrix: np.ndarray  # the pool candidates' base features, for the default score's offset

    @classmethod
    def build(
        cls,
        design: Design,
        pool: Mapping[int, np.ndarray],
        lists: np.ndarray,
        labels: np.ndarray,
        categories: Sequence[str],
        ranks: np.ndarray,
    ) -> "_PoolPairs | None":
        rng = np.random.default_rng(0)
        sample: dict[int, np.ndarray] = {}
        good, rows, category, rank = [], [], [], []
        for r in np.flatnonzero(labels > 0):
            part = int(lists[r])
            if part not in sample:
                found = np.asarray(pool.get(part, np.zeros((0, len(design.names)))), dtype=np.float64)
                if len(found) > POOL_PER_LIST:
                    found = found[np.sort(rng.choice(len(found), POOL_PER_LIST, replace=False))]
                sample[part] = found.reshape(-1, len(design.names))
            found = sample[part]
            good.append(np.full(len(found), r))
            rows.append(found)
            category += [categories[r]] * len(found)
            rank.append(np.full(len(found), ranks[r], dtype=np.float64))
        if not rows or not sum(len(g) for g in good):
            return None
        matrix = np.vstack(rows)
        ranked = np.concatenate(rank)
        return cls(np.concatenate(good), design.expand(matrix, category, ranked if design.rank else None), matrix)


def _fit_listwise(
    kind: str,
    names: Sequence[str],
    matrix: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    lists: np.ndarray,
    l2_per_pair: float,
    pair_weight: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    pool: _PoolPairs | None = None,
) -> tuple[Prior, _Linear]:
    """The residual model's correction fitted on within-list differences (approved − not approved).

    A difference cancels whatever is equal across one list (the need's urgency, category, the
    admin's mood that day); what is left is how candidates of one list compare, which is what a
    ranking needs. Each pair is weighted by its approved row's weight (1 / propensity under ``ipw``).
    ``pool`` adds (approved, unshown candidate) pairs, together weighing ``POOL_SHARE`` × the logged ones;
    the penalty stays per logged pair."""
    prior = _prior(kind, names, matrix, labels, weights)
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales < 1e-12] = 1.0
    z = (x - means) / scales
    offset = prior.raw(matrix)
    good, bad = within_list_pairs(lists, np.asarray(labels))
    if len(good) == 0:
        raise ValueError("training needs lists with both an approval and a rejection")
    difference = z[good] - z[bad]
    pair_weights = weights[good] if pair_weight is None else pair_weight(good, bad)
    pair_weights = pair_weights / pair_weights.mean()
    margin_offset = offset[good] - offset[bad]
    l2_pairs = len(good)
    if pool is not None:
        difference = np.vstack([difference, z[pool.good] - (pool.columns - means) / scales])
        margin_offset = np.concatenate([margin_offset, offset[pool.good] - prior.raw(pool.matrix)])
        share = POOL_SHARE * len(good) / len(pool.good)
        pair_weights = np.concatenate([pair_weights, np.full(len(pool.good), share)])
    # Main effects (the base features' own columns) are penalised less than crosses: a weight the
    # default got wrong is one number learned from every list, a cross is learned from few.
    l2 = l2_per_pair * l2_pairs * np.where(np.arange(z.shape[1]) < len(names), MAIN_L2_SHARE, 1.0)

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        margin = margin_offset + difference @ b
        value = float(np.sum(pair_weights * np.logaddexp(0.0, -margin)) + np.sum(l2 * b**2))
        slope = -pair_weights * 0.5 * (1.0 - np.tanh(0.5 * margin))  # d/dmargin of log(1 + e^-margin)
        return value, difference.T @ slope + 2.0 * l2 * b

    b = np.asarray(minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x, dtype=np.float64)
    # Differences fix no level: the intercept is fitted alone, every row's logit as the offset.
    intercept = float(_logistic(np.zeros((len(z), 0)), np.asarray(labels, float), offset + z @ b, weights, 0.0)[0])
    return prior, _Linear(means, scales, b, intercept)


@dataclass(frozen=True)
class ModelScorer:
    """A learned model serving the ``ranker.Scorer`` interface: probability of approval and contributions.

    The category of each shift or line comes from ``categories`` (part id -> category); a part not
    in it is scored as of no known category."""

    model: LearnedModel
    categories: Mapping[int, str] = field(default_factory=dict)
    name: str = "learned"

    def _category(self, pairs: PairFeatures) -> list[str]:
        if pairs.kind != self.model.kind or pairs.names != self.model.feature_names:
            raise ValueError(
                f"the model ranks {self.model.kind}s on {list(self.model.feature_names)}; "
                f"got {pairs.kind}s with {list(pairs.names)}"
            )
        return [self.categories.get(pairs.need_part_id, "")] * len(pairs)

    def scores(self, pairs: PairFeatures) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(0.5 * self.model.decision(pairs.matrix, self._category(pairs))))

    def contributions(self, pairs: PairFeatures) -> np.ndarray:
        return self.model.contributions(pairs.matrix, self._category(pairs))
