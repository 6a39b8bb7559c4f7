"""The learned ranker against the default scorer and text alone, on a synthetic street's year of decisions.

    python3 -m uv run python benchmarks/matching_evaluation.py --seed 7 --needs 250 --volunteers 600

The history (``matching.history``): 21 grids, 600 volunteers, 250 needs with one to three shifts,
ten candidates shown per shift, admins who weigh skills, availability, distance, reliability and
current load (not only text) and look at rank r with probability 1/r. Trains on the needs decided
in the first nine months, tests on the last three (grouped by need), and reports NDCG@5, NDCG@10,
P@3, P@5 and coverage@5 on the held-out decisions as logged, and on what admins would have decided
had they looked at every candidate (known only in simulation). Then GroupKFold by need, a learning
curve over the number of training decisions, other seeds, position-bias weights and timings. The
same time split for partners' offers (300 resource lines, 150 offers, ten shown per line).

Target (issue: learned ranker): the learned ranker beats text alone by a clear margin on NDCG@10.
Writes benchmarks/results/matching_evaluation.json, .csv and the trained model as .model.json.
"""

import argparse
import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from matching.evaluation import cross_validate, evaluate, format_table, ranking_lists, time_split
from matching.history import (
    ADMIN_PREFERENCE,
    OFFER_ADMIN_PREFERENCE,
    History,
    synthetic_history,
    synthetic_offer_history,
)
from matching.ranker import (
    EVENTS_PER_FEATURE,
    MIN_DECISIONS,
    RELEVANCE,
    DecisionSet,
    DefaultScorer,
    LearnedScorer,
    LinearRankingModel,
    Scorer,
    TextScorer,
    decision_set,
    enough_decisions,
    rank,
    train_ranker,
)
from matching.text import TextSpace
from matching.volunteers import VolunteerIndex

RESULTS = Path(__file__).parent / "results" / "matching_evaluation"
CURVE = (100, 200, 400, 800, 1600)


def truth(history: History, data: DecisionSet) -> np.ndarray:
    """The relevance of what admins would have decided on each row had they examined it."""
    outcomes = history.counterfactual_outcomes(data.part_ids, data.candidate_ids)
    return np.asarray([RELEVANCE[o] for o in outcomes], dtype=np.float64)


def scorers(train: DecisionSet) -> dict[str, Scorer]:
    return {
        "default": DefaultScorer(train.kind),
        "learned": LearnedScorer(train_ranker(train)),
        "learned, no IPW": LearnedScorer(train_ranker(train, eta=0.0)),
        "text only": TextScorer(),
    }


def both_tables(history: History, test: DecisionSet, chosen: dict[str, Scorer]) -> dict[str, list[dict]]:
    return {
        "logged": evaluate(ranking_lists(test), chosen),
        "admins_would": evaluate(ranking_lists(test, truth(history, test)), chosen),
    }


def ndcg10(table: list[dict]) -> dict[str, float]:
    return {str(row["scorer"]): round(float(row["ndcg@10"]), 4) for row in table}


def learning_curve(history: History, train: DecisionSet, test: DecisionSet) -> list[dict]:
    """NDCG@10 on the test needs after training on the first n decisions in time order."""
    order = np.argsort(train.decided_at, kind="stable")
    points = []
    for n in [*[c for c in CURVE if c < len(train)], len(train)]:
        first = train.take(order[:n])
        learned = LearnedScorer(train_ranker(first))
        tables = both_tables(history, test, {"learned": learned, "default": DefaultScorer(train.kind)})
        points.append(
            {
                "decisions": n,
                "approvals": int(first.labels.sum()),
                "learned_serves": enough_decisions(first)[0],
                "logged": ndcg10(tables["logged"]),
                "admins_would": ndcg10(tables["admins_would"]),
            }
        )
    return points


def serving_latency(history: History, model: LinearRankingModel, repeats: int = 100) -> dict[str, float]:
    """Milliseconds to rank one shift's candidates: the default ``rank`` and features + learned ``rank``."""
    space = TextSpace([v.text for v in history.candidates] + [s.text for s in history.parts])
    index = VolunteerIndex(history.candidates, history.grids, space)
    scorer = LearnedScorer(model)
    shifts = history.parts[:repeats]
    now = min(s.starts_at for s in shifts)
    for shift in shifts[:10]:  # warm up
        rank(scorer, index.pair_features(shift, now))
    default_ms, learned_ms = [], []
    for shift in shifts:
        started = time.perf_counter()
        index.rank(shift, k=10)
        default_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        rank(scorer, index.pair_features(shift, now), k=10)
        learned_ms.append((time.perf_counter() - started) * 1000)
    return {
        "volunteers": len(history.candidates),
        "default_median_ms": round(statistics.median(default_ms), 3),
        "learned_median_ms": round(statistics.median(learned_ms), 3),
        "repeats": len(shifts),
    }


def other_seeds(seeds: list[int], needs: int, volunteers: int) -> list[dict]:
    runs = []
    for seed in seeds:
        history = synthetic_history(seed, needs=needs, volunteers=volunteers)
        train, test = time_split(decision_set(history.decisions, history.pairs, "volunteer"))
        tables = both_tables(history, test, scorers(train))
        runs.append({"seed": seed, "logged": ndcg10(tables["logged"]), "admins_would": ndcg10(tables["admins_would"])})
    return runs


def ipw_ablation(seeds: list[int], noises: tuple[float, ...], needs: int, volunteers: int) -> list[dict]:
    """Mean NDCG@10 (as admins would have decided) with and without position-bias weights, by logging noise."""
    rows = []
    for noise in noises:
        results: dict[str, list[float]] = {}
        for seed in seeds:
            history = synthetic_history(seed, needs=needs, volunteers=volunteers, logging_noise=noise)
            train, test = time_split(decision_set(history.decisions, history.pairs, "volunteer"))
            chosen = {
                f"eta {eta:g}": LearnedScorer(train_ranker(train, eta=eta), name=f"eta {eta:g}")
                for eta in (0.0, 0.5, 1.0)
            }
            for name, value in ndcg10(both_tables(history, test, chosen)["admins_would"]).items():
                results.setdefault(name, []).append(value)
        rows.append(
            {"logging_noise": noise, "seeds": seeds, **{n: round(statistics.mean(v), 4) for n, v in results.items()}}
        )
    return rows


def timed_training(train: DecisionSet) -> tuple[LinearRankingModel, float]:
    """The model and the median seconds of five fits, after one warm-up (first use of the solver)."""
    model = train_ranker(train)
    fits = []
    for _ in range(5):
        started = time.perf_counter()
        model = train_ranker(train)
        fits.append(time.perf_counter() - started)
    return model, statistics.median(fits)


def volunteer_run(args: argparse.Namespace) -> dict:
    """The main run: generate, join, split, train, store and load, evaluate; prints as it goes."""
    started = time.perf_counter()
    history = synthetic_history(args.seed, needs=args.needs, volunteers=args.volunteers)
    generate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    data = decision_set(history.decisions, history.pairs, "volunteer")
    join_seconds = time.perf_counter() - started
    train, test = time_split(data, test_fraction=0.25)
    model, train_seconds = timed_training(train)
    stored = model.to_json()
    started = time.perf_counter()
    loaded = LinearRankingModel.from_json(stored, kind="volunteer")
    load_ms = (time.perf_counter() - started) * 1000
    assert np.array_equal(loaded.decision(test.matrix), model.decision(test.matrix))
    chosen = {**scorers(train), "learned": LearnedScorer(loaded)}
    started = time.perf_counter()
    tables = both_tables(history, test, chosen)
    evaluate_seconds = time.perf_counter() - started
    outcomes = {o: sum(d.outcome == o for d in history.decisions) for o in RELEVANCE}
    print(
        f"history: {len(history.decisions):,} decisions on {len(history.pairs):,} shifts of {args.needs} needs, "
        f"{args.volunteers} volunteers ({', '.join(f'{o} {n:,}' for o, n in outcomes.items())}); "
        f"generated in {generate_seconds:.2f} s, joined in {join_seconds:.2f} s"
    )
    print(
        f"split by time, grouped by need: train {len(train):,} decisions ({int(train.labels.sum())} approvals), "
        f"test {len(test):,} decisions on {len(np.unique(test.part_ids))} shifts"
    )
    print(
        f"training (standardise + IPW logistic regression), median of 5: {train_seconds * 1000:.1f} ms; "
        f"JSON load {load_ms:.2f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print()
    print(format_table(tables["logged"], "held-out decisions as logged (position-biased)"))
    print()
    print(format_table(tables["admins_would"], "held-out shown candidates, as admins would have decided every one"))
    return {
        "history": history,
        "data": data,
        "train": train,
        "test": test,
        "model": model,
        "loaded": loaded,
        "stored": stored,
        "tables": tables,
        "outcomes": outcomes,
        "seconds": {
            "generate": round(generate_seconds, 3),
            "join": round(join_seconds, 3),
            "train": round(train_seconds, 4),
            "evaluate": round(evaluate_seconds, 3),
            "load_model_ms": round(load_ms, 3),
        },
    }


def offer_run(args: argparse.Namespace) -> dict:
    history = synthetic_offer_history(args.seed, lines=args.lines, offers=args.offers)
    train, test = time_split(decision_set(history.decisions, history.pairs, "offer"), test_fraction=0.25)
    tables = both_tables(history, test, scorers(train))
    outcomes = {o: sum(d.outcome == o for d in history.decisions) for o in RELEVANCE}
    print()
    print(
        f"offers: {len(history.decisions):,} decisions on {args.lines} resource lines, {args.offers} offers "
        f"({', '.join(f'{o} {n:,}' for o, n in outcomes.items())}); train {len(train):,}, "
        f"test {len(test):,} decisions on {len(np.unique(test.part_ids))} lines"
    )
    print(format_table(tables["logged"], "offers: held-out decisions as logged"))
    print()
    print(format_table(tables["admins_would"], "offers: as admins would have decided every one"))
    return {
        "lines": args.lines,
        "offers": args.offers,
        "decisions": len(history.decisions),
        "outcomes": outcomes,
        "admin_preference": OFFER_ADMIN_PREFERENCE,
        "train_decisions": len(train),
        "test_decisions": len(test),
        "tables": tables,
    }


def print_folds(folds: dict[str, list[float]], n_splits: int) -> None:
    print()
    print(f"GroupKFold by need ({n_splits} folds), NDCG@10 on logged decisions, mean ± sd:")
    for name, values in folds.items():
        print(f"  {name:<16} {statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}")


def print_curve(curve: list[dict]) -> None:
    print()
    print(
        f"learning curve (NDCG@10 on the test needs; the learned ranker serves from {MIN_DECISIONS} decisions "
        f"and {EVENTS_PER_FEATURE} approvals and rejections per feature):"
    )
    for point in curve:
        print(
            f"  {point['decisions']:>5} decisions ({point['approvals']:>3} approvals"
            f"{', serves' if point['learned_serves'] else ''})  "
            f"logged: learned {point['logged']['learned']:.3f} default {point['logged']['default']:.3f}  "
            f"admins would: learned {point['admins_would']['learned']:.3f} "
            f"default {point['admins_would']['default']:.3f}"
        )


def print_seeds(seeds: list[dict], ablation: list[dict]) -> None:
    print()
    print("other seeds, NDCG@10 (logged | admins would):")
    for run in seeds:
        print(
            f"  seed {run['seed']:>3}  "
            + "  ".join(f"{n} {run['logged'][n]:.3f}|{run['admins_would'][n]:.3f}" for n in run["logged"])
        )
    print()
    print("position-bias weights (eta 0 = none), NDCG@10 as admins would, mean over seeds, by logging noise:")
    for row in ablation:
        print(
            f"  noise {row['logging_noise']:<5} " + "  ".join(f"{k} {row[k]:.3f}" for k in row if k.startswith("eta"))
        )


def write_results(report: dict, stored_model: str, offer_tables: dict[str, list[dict]]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    RESULTS.with_suffix(".model.json").write_text(stored_model + "\n")
    with RESULTS.with_suffix(".csv").open("w", newline="") as handle:
        columns = ["candidates", "labels", *report["tables"]["logged"][0]]
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for candidates, kind_tables in (("volunteers", report["tables"]), ("offers", offer_tables)):
            for labels, table in kind_tables.items():
                for row in table:
                    values = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
                    writer.writerow({"candidates": candidates, "labels": labels, **values})
    print(f"written to {RESULTS.with_suffix('.json')}, .csv and .model.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--needs", type=int, default=250)
    parser.add_argument("--volunteers", type=int, default=600)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--offers", type=int, default=150)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--other-seeds", type=int, nargs="*", default=[8, 9, 10, 11])
    args = parser.parse_args()

    run = volunteer_run(args)
    offers = offer_run(args)
    started = time.perf_counter()
    folds = cross_validate(run["data"], n_splits=args.folds, scorers_for=scorers)
    run["seconds"]["cross_validate"] = round(time.perf_counter() - started, 3)
    print_folds(folds, args.folds)
    curve = learning_curve(run["history"], run["train"], run["test"])
    print_curve(curve)
    seeds = other_seeds(args.other_seeds, args.needs, args.volunteers)
    ablation = ipw_ablation([args.seed, *args.other_seeds[:2]], (0.02, 0.15), args.needs, args.volunteers)
    print_seeds(seeds, ablation)
    latency = serving_latency(run["history"], run["loaded"])
    print()
    print(
        f"ranking one shift's {latency['volunteers']} volunteers, median: "
        f"default {latency['default_median_ms']:.2f} ms, features + learned {latency['learned_median_ms']:.2f} ms"
    )
    model = run["model"]
    coefficients = dict(zip(model.feature_names, (round(float(c), 4) for c in model.coefficients), strict=True))
    print("learned coefficients (per standard deviation):", coefficients)
    report = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
        "history": {
            "seed": args.seed,
            "needs": args.needs,
            "shifts": len(run["history"].pairs),
            "volunteers": args.volunteers,
            "decisions": len(run["history"].decisions),
            "outcomes": run["outcomes"],
            "admin_preference": ADMIN_PREFERENCE,
            "examination": "rank ** -1",
        },
        "split": {
            "train_decisions": len(run["train"]),
            "test_decisions": len(run["test"]),
            "test_fraction_of_needs": 0.25,
        },
        "seconds": run["seconds"],
        "tables": run["tables"],
        "offers": offers,
        "group_kfold_ndcg@10": folds,
        "learning_curve": curve,
        "other_seeds": seeds,
        "ipw_ablation": ablation,
        "serving": latency,
        "coefficients": coefficients,
        "model_metadata": model.metadata,
    }
    write_results(report, run["stored"], offers["tables"])


if __name__ == "__main__":
    main()
