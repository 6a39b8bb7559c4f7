"""The learned ranker from the street's own decisions: decisions and their features from the database,
training, evaluation against the default scorer and a text-only baseline, and the stored model.

Features are recomputed at training time for each shift or line as of its first decision (the time
windows, urgency and expiry are then as they were), but the candidates' own figures (skills, windows,
record, this week's hours) are today's; a pair whose candidate no longer passes the pre-filters is
dropped and counted. The model is stored as JSON in the var directory, never pickled; a file that does
not load is ignored and the default scorer serves.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need, ResourceLine
from marketplace.recommend import records as rows
from matching import evaluation, ranker
from matching.features import OFFER, VOLUNTEER
from matching.records import Decision

KIND_OF = {"volunteers": VOLUNTEER, "offers": OFFER}
OUTCOME_OF = {
    MatchStatus.APPROVED: "approved",
    MatchStatus.REJECTED: "rejected",
    MatchStatus.FULFILLED: "fulfilled",
    MatchStatus.NO_SHOW: "no_show",
}


def model_path(var_dir: Path, kind: str) -> Path:
    return var_dir / "models" / f"ranker-{kind}.json"


def load_model(var_dir: Path, kind: str) -> ranker.LinearRankingModel | None:
    """The stored model of ``kind``, or None when there is none or it does not load (the default serves)."""
    path = model_path(var_dir, kind)
    try:
        return ranker.LinearRankingModel.from_json(path.read_bytes(), KIND_OF[kind])
    except (OSError, ranker.ModelFormatError, ValueError):
        return None


def decisions(db: Session, kind: str) -> list[Decision]:
    """Every decided match of ``kind``; a sign-up or claim the candidate made themselves counts as rank 1."""
    match_kind = MatchKind.VOLUNTEER_SHIFT if kind == "volunteers" else MatchKind.OFFER_LINE
    part = Match.shift_id if kind == "volunteers" else Match.resource_line_id
    candidate = Match.volunteer_id if kind == "volunteers" else Match.offer_id
    query = sa.select(Match.need_id, part, candidate, Match.status, Match.shown_rank, Match.decided_at).where(
        Match.kind == match_kind,
        Match.status.in_(list(OUTCOME_OF)),  # type: ignore[attr-defined]
        Match.decided_at.is_not(None),  # type: ignore[union-attr]
        part.is_not(None),  # type: ignore[union-attr]
        candidate.is_not(None),  # type: ignore[union-attr]
    )
    return [
        Decision(need_id, part_id, candidate_id, KIND_OF[kind], OUTCOME_OF[status], shown_rank or 1, decided_at)
        for need_id, part_id, candidate_id, status, shown_rank, decided_at in db.execute(query)
    ]


def _index(db: Session, kind: str) -> Any:
    grids = rows.grid_points(db)
    candidates: list[Any] = (
        rows.volunteer_records(db) if kind == "volunteers" else rows.offer_records(db, include_inactive=True)
    )
    return rows.candidate_index(kind, candidates, grids)


def decision_set(db: Session, kind: str) -> ranker.DecisionSet:
    """The decisions of ``kind`` joined with their pairs' features (see the module's note on time)."""
    found = decisions(db, kind)
    first: dict[int, datetime] = {}
    for decision in found:
        first[decision.need_part_id] = min(first.get(decision.need_part_id, decision.decided_at), decision.decided_at)
    needs = {
        need.id: need for need in db.execute(sa.select(Need).where(Need.id.in_({d.need_id for d in found}))).scalars()
    }  # type: ignore[union-attr]
    parts: dict[int, Any] = {}
    for need in needs.values():
        records_of = rows.shift_records(db, need) if kind == "volunteers" else rows.line_records(db, need)
        parts.update({record.id: record for record in records_of if record.id in first})
    if kind == "offers":
        parts = _lines_as_they_were(db, parts, first)
    decided: dict[int, set[int]] = defaultdict(set)
    for decision in found:
        decided[decision.need_part_id].add(decision.candidate_id)
    index = _index(db, kind)
    # Only the candidates decided on: the pre-filters say who may be proposed today, not who was judged then.
    pairs = {
        part_id: index.pair_features(part, first[part_id], only=decided[part_id]) for part_id, part in parts.items()
    }
    return ranker.decision_set(found, pairs, KIND_OF[kind])


def _lines_as_they_were(db: Session, lines: dict[int, Any], first: dict[int, datetime]) -> dict[int, Any]:
    """Each line with what it still needed when it was first decided: its quantity less what had been
    approved for it before (today a covered line needs nothing, which says nothing about the offers then)."""
    line_rows = {
        row.id: row
        for row in db.execute(sa.select(ResourceLine).where(ResourceLine.id.in_(list(lines)))).scalars()  # type: ignore[union-attr]
    }
    taken: dict[int, float] = defaultdict(float)
    granted = sa.select(Match.resource_line_id, Match.quantity, Match.decided_at).where(
        Match.resource_line_id.in_(list(lines)),  # type: ignore[union-attr]
        Match.status.in_([MatchStatus.APPROVED, MatchStatus.FULFILLED]),  # type: ignore[attr-defined]
        Match.decided_at.is_not(None),  # type: ignore[union-attr]
    )
    for line_id, quantity, decided_at in db.execute(granted):
        if decided_at < first[line_id]:
            taken[line_id] += float(quantity or 0)
    return {
        line_id: replace(part, still_needed=max(float(line_rows[line_id].quantity) - taken[line_id], 0.0))
        if line_id in line_rows
        else part
        for line_id, part in lines.items()
    }


@dataclass(frozen=True)
class TrainingResult:
    kind: str
    decisions: int
    dropped: int
    trained: bool
    why: str
    path: str | None
    metadata: dict[str, Any]


def _held_out_check(data: ranker.DecisionSet, metric: str = "ndcg@10") -> tuple[bool, str]:
    """Whether a ranker trained on the earlier decisions ranks the later ones at least as well as the default."""
    train_part, test_part = evaluation.time_split(data)
    if len(test_part) == 0 or len(set(train_part.labels.tolist())) < 2:
        return False, "too few decisions to compare with the default scorer"
    table = {
        str(row["scorer"]): float(row[metric])
        for row in evaluation.evaluate(evaluation.ranking_lists(test_part), evaluation.standard_scorers(train_part))
    }
    learned, default = table["learned"], table["default"]
    verdict = f"{metric} on the later decisions: learned {learned:.3f}, default {default:.3f}"
    return learned >= default, verdict


def train(
    db: Session, var_dir: Path, kind: str, *, min_decisions: int = ranker.MIN_DECISIONS, require_better: bool = True
) -> TrainingResult:
    """Fit and store the learned ranker of ``kind`` when there are enough decisions and, trained on the
    earlier ones, it ranks the later ones at least as well as the default scorer; else say why not and
    remove any stored model, so that the default serves."""
    data = decision_set(db, kind)
    path = model_path(var_dir, kind)
    ok, why = ranker.enough_decisions(data, min_decisions)
    if ok and require_better:
        ok, verdict = _held_out_check(data)
        why = f"{why}; {verdict}"
    if not ok:
        path.unlink(missing_ok=True)
        return TrainingResult(kind, len(data), data.dropped, False, why, None, {})
    model = ranker.train_ranker(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(model.to_json(), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a model
    return TrainingResult(kind, len(data), data.dropped, True, why, str(path), dict(model.metadata))


def evaluate(db: Session, kind: str, test_fraction: float = 0.25) -> dict[str, Any]:
    """Train on the earlier decisions, rank the later ones' lists: the default scorer, the learned ranker
    and text only, with NDCG@5/10, precision@3/5 and coverage@5."""
    data = decision_set(db, kind)
    train_part, test_part = evaluation.time_split(data, test_fraction)
    if len(train_part) == 0 or len(test_part) == 0:
        return {"kind": kind, "decisions": len(data), "dropped": data.dropped, "table": [], "why": "too few decisions"}
    table = evaluation.evaluate(evaluation.ranking_lists(test_part), evaluation.standard_scorers(train_part))
    return {
        "kind": kind,
        "decisions": len(data),
        "dropped": data.dropped,
        "train": len(train_part),
        "test": len(test_part),
        "table": table,
    }


def summary_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def as_table(result: dict[str, Any]) -> str:
    title = f"{result['kind']}: {result.get('train', 0)} decisions to train, {result.get('test', 0)} to test"
    return evaluation.format_table(result["table"], title) if result["table"] else f"{title} ({result.get('why')})"
