"""The learned ranker from the street's own decisions: decisions and their features from the database,
training, evaluation against the default scorer and a text-only baseline, and the stored model.

Features are recomputed at training time for each shift or line as of its first decision (the time
windows, urgency and expiry are then as they were) with the serving index's skill groups and distance
scales. The candidates' past work per community is as it stood at the decision (decisions are grouped by
day: each day's parts read the work as of that day's earliest first decision, two queries a day, so no
decision learns from work done after it); their other figures (skills, windows, record, this week's hours)
are today's. A decision whose candidate is no longer on the street is dropped and counted. The model is
stored as JSON in the var directory, never pickled; a file that does not load is ignored and the default
scorer serves.

Training also reads each past shift's or line's **pool** (``decisions_and_pool``): candidates of its street
(volunteers living there, offers of organizations serving it) who were registered by then, passed its
pre-filters as of its first decision and were not decided that day, drawn at random (fixed seed,
``POOL_DRAW`` drawn per part, at most ``learning.POOL_PER_LIST`` kept), in the same index a day as the
decided ones, so their features are computed exactly as theirs. The listwise model learns how the approved
compare with the rest of the pool from them (``matching.selection``). An offer's remaining quantity is
today's: one that has run out since is in no pool.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import JUDGED
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer
from marketplace.organizations.services import organization_ids_serving
from marketplace.places.models import Community, Grid
from marketplace.recommend import impressions
from marketplace.recommend import records as rows
from marketplace.volunteers.models import VolunteerProfile
from matching import counterfactual, evaluation, exploration, learning, ranker, selection
from matching.availability import street_week
from matching.features import FEATURES_OF_KIND, OFFER, VOLUNTEER
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


StoredModel = learning.LearnedModel | ranker.LinearRankingModel


def load_model(var_dir: Path, kind: str) -> StoredModel | None:
    """The stored model of ``kind`` (a learned model, or a version-1 linear one), or None when there is
    none or it does not load (the default serves)."""
    path = model_path(var_dir, kind)
    try:
        text = path.read_bytes()
    except OSError:
        return None
    for load in (
        lambda: learning.LearnedModel.from_json(text, KIND_OF[kind], FEATURES_OF_KIND[KIND_OF[kind]]),
        lambda: ranker.LinearRankingModel.from_json(text, KIND_OF[kind]),
    ):
        try:
            return load()
        except (ranker.ModelFormatError, ValueError):
            continue
    return None


def scorer_for(model: StoredModel, categories: dict[int, str]) -> ranker.Scorer:
    """The scorer serving a stored model; ``categories`` maps the ranked shifts or lines to their category."""
    if isinstance(model, learning.LearnedModel):
        return learning.ModelScorer(model, categories)
    return ranker.LearnedScorer(model)


def decisions(db: Session, kind: str) -> list[Decision]:
    """Every decided match of ``kind``; a sign-up or claim the candidate made themselves counts as rank 1.

    A claim released because its need changed (``Match.released_by_change``) is stored rejected but judged
    nothing about the offer: it is no decision."""
    match_kind = MatchKind.VOLUNTEER_SHIFT if kind == "volunteers" else MatchKind.OFFER_LINE
    part = Match.shift_id if kind == "volunteers" else Match.resource_line_id
    candidate = Match.volunteer_id if kind == "volunteers" else Match.offer_id
    query = sa.select(Match.need_id, part, candidate, Match.status, Match.shown_rank, Match.decided_at).where(
        Match.kind == match_kind,
        Match.status.in_(list(OUTCOME_OF)),  # type: ignore[attr-defined]
        JUDGED,
        Match.decided_at.is_not(None),  # type: ignore[union-attr]
        part.is_not(None),  # type: ignore[union-attr]
        candidate.is_not(None),  # type: ignore[union-attr]
    )
    return [
        Decision(need_id, part_id, candidate_id, KIND_OF[kind], OUTCOME_OF[status], shown_rank or 1, decided_at)
        for need_id, part_id, candidate_id, status, shown_rank, decided_at in db.execute(query)
    ]


# Explored decisions needed before their ranks' approval rates replace the assumed eta (a few hundred give an
# estimate within about 0.2; the library's test recovers eta within 0.1 from 6,000).
MIN_EXPLORED = 500


def position_eta(db: Session, kind: str, minimum: int = MIN_EXPLORED) -> tuple[float, str]:
    """How steeply attention falls with rank (p(r) = r ** -eta) for the counterfactual estimate and the gate.

    Estimated from explored slots, whose candidate and place were drawn at random (``exploration``), once there
    are ``minimum`` of them with both outcomes: first from the impression log (``impressions``: every explored
    list as shown, and whether its explored candidate was proposed from it), which counts the slots passed
    over too; else from the decisions on explored proposals (``Match.explored``: approved or not). The assumed
    eta (1) until then."""
    places, chosen = impressions.explored_outcomes(db, kind)
    if len(places) >= minimum and any(chosen) and not all(chosen):
        eta, q = exploration.estimate_eta(places, chosen)
        return eta, f"eta {eta:.2f} estimated from {len(places)} explored lists shown (proposed when seen {q:.2f})"
    match_kind = MatchKind.VOLUNTEER_SHIFT if kind == "volunteers" else MatchKind.OFFER_LINE
    query = sa.select(Match.shown_rank, Match.status).where(
        Match.kind == match_kind,
        Match.explored.is_(True),  # type: ignore[attr-defined]
        Match.status.in_(list(OUTCOME_OF)),  # type: ignore[attr-defined]
        JUDGED,
        Match.shown_rank.is_not(None),  # type: ignore[union-attr]
    )
    found = db.execute(query).all()
    ranks = [int(rank) for rank, _ in found]
    approved = [OUTCOME_OF[status] in ranker.POSITIVE_OUTCOMES for _, status in found]
    if len(found) < minimum or all(approved) or not any(approved):
        return (
            ranker.DEFAULT_ETA,
            f"eta {ranker.DEFAULT_ETA:g} assumed ({len(places)} explored lists logged and {len(found)} explored "
            f"decisions, {minimum} needed)",
        )
    eta, q = exploration.estimate_eta(ranks, approved)
    return eta, f"eta {eta:.2f} estimated from {len(found)} explored decisions (approval when examined {q:.2f})"


# Candidates drawn per part for its pool: about a third pass a shift's (or a line's) pre-filters on the
# synthetic streets, so three times what is kept leaves enough after the filters.
POOL_DRAW = 3 * learning.POOL_PER_LIST


def _pairs_as_of(
    db: Session,
    kind: str,
    parts: dict[int, Any],
    first: dict[int, datetime],
    decided: dict[int, set[int]],
    pools: dict[int, np.ndarray] | None = None,
) -> dict[int, Any]:
    """Each part's decided candidates' features, their community work as of the part's day of first decision.

    One small index a day, of that day's decided candidates only (the pre-filters say who may be proposed
    today, not who was judged then), with the serving index's text vocabulary (fitted on every candidate's
    text), skill groups and distance scales, so a feature means in training what it means when serving.
    Given ``pools`` (filled in place), the day's index also holds ``POOL_DRAW`` other volunteers a part, of
    the part's street, registered by then and drawn at random; those who pass its pre-filters are its pool."""
    candidates: list[Any] = (
        rows.volunteer_records(db, include_disabled=True)
        if kind == "volunteers"
        else rows.offer_records(db, include_inactive=True)
    )
    by_id = {candidate.id: candidate for candidate in candidates}
    space = rows.text_space([candidate.text for candidate in candidates])
    grids = rows.grid_points(db)
    groups = rows.skill_groups(db) if kind == "volunteers" else None
    scales = rows.distance_scales()
    # A day's parts share one index; a volunteer's load is the hours held in the shift's own week, so the
    # shifts of a day are grouped by the week they start in too.
    days: dict[tuple[date, date | None], list[int]] = defaultdict(list)
    for part_id in parts:
        starts = getattr(parts[part_id], "starts_at", None)
        days[(first[part_id].date(), street_week(starts) if starts else None)].append(part_id)
    street_of_grid = _street_of_grid(db) if pools is not None else {}
    streets = _registered_by_street(db, kind, by_id, street_of_grid) if pools is not None else {}
    rng = np.random.default_rng(0)
    pairs: dict[int, Any] = {}
    for part_ids in days.values():
        present = sorted({c for part_id in part_ids for c in decided[part_id] if c in by_id})
        if not present:
            continue  # every candidate of the day has left the street: its decisions are dropped and counted
        as_of = min(first[part_id] for part_id in part_ids)
        week_of = getattr(parts[part_ids[0]], "starts_at", None)
        drawn_of = (
            {p: _draw(streets.get(street_of_grid.get(parts[p].grid_id)), as_of, set(present), rng) for p in part_ids}
            if pools is not None
            else {}
        )
        drawn = sorted({c for ids in drawn_of.values() for c in ids})
        then = rows.candidates_as_of(db, [by_id[c] for c in present + drawn], as_of, week_of)
        index = rows.candidate_index(kind, then, grids, skill_groups=groups, scales=scales, space=space)
        for part_id in part_ids:
            pairs[part_id] = index.pair_features(parts[part_id], first[part_id], only=decided[part_id])
            if pools is not None and drawn_of.get(part_id):
                # of those drawn for this part, the ones who pass the pre-filters (no ``only``); the fit keeps at
                # most learning.POOL_PER_LIST of them
                passing = index.pair_features(parts[part_id], first[part_id])
                pools[part_id] = passing.matrix[np.isin(passing.candidate_ids, drawn_of[part_id])]
    return pairs


def _street_of_grid(db: Session) -> dict[int, int]:
    return dict(db.execute(sa.select(Grid.id, Community.street_id).join(Community)).all())  # type: ignore[arg-type]


def _registered_by_street(
    db: Session, kind: str, by_id: dict[int, Any], street_of_grid: dict[int, int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per street, its candidates in the order they registered, with the times: a candidate is in a past
    part's pool only if registered by then, and only for a part of its own street (a volunteer's by home
    grid; an offer's by its organization serving the street, as the serving index picks them)."""
    found: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    if kind == "volunteers":
        for volunteer_id, registered in db.execute(sa.select(VolunteerProfile.id, VolunteerProfile.created_at)):
            person = by_id.get(volunteer_id)
            street = street_of_grid.get(person.home_grid_id) if person is not None else None
            if street is not None:
                found[street].append((registered, volunteer_id))
    else:
        for street in sorted(set(street_of_grid.values())):
            serving = sa.select(Offer.id, Offer.created_at).where(
                Offer.organization_id.in_(organization_ids_serving({street}))  # type: ignore[attr-defined]
            )
            found[street] = [(at, offer_id) for offer_id, at in db.execute(serving) if offer_id in by_id]
    streets = {}
    for street, candidates in found.items():
        candidates.sort()
        streets[street] = (
            np.asarray([t.timestamp() for t, _ in candidates], dtype=np.float64),
            np.asarray([i for _, i in candidates], dtype=np.int64),
        )
    return streets


def _draw(
    street: tuple[np.ndarray, np.ndarray] | None, as_of: datetime, taken: set[int], rng: np.random.Generator
) -> list[int]:
    """``POOL_DRAW`` candidates of the street registered by ``as_of``, none of ``taken``, at random."""
    if street is None:
        return []
    times, ids = street
    registered = ids[: int(np.searchsorted(times, as_of.timestamp(), side="right"))]
    picked = rng.choice(len(registered), size=min(len(registered), POOL_DRAW + len(taken)), replace=False)
    return sorted([int(c) for c in registered[picked] if int(c) not in taken][:POOL_DRAW])


def decision_set(db: Session, kind: str) -> ranker.DecisionSet:
    """The decisions of ``kind`` joined with their pairs' features (see the module's note on time)."""
    return decisions_and_pool(db, kind, pool=False)[0]


def decisions_and_pool(
    db: Session, kind: str, *, pool: bool = True
) -> tuple[ranker.DecisionSet, dict[int, np.ndarray] | None]:
    """``decision_set`` and, when ``pool``, each part's pool (part id -> the features of candidates who passed
    its pre-filters then and were not decided on it; see the module's note)."""
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
    pools: dict[int, np.ndarray] | None = {} if pool else None
    pairs = _pairs_as_of(db, kind, parts, first, decided, pools)
    categories = {part_id: part.category for part_id, part in parts.items()}
    return ranker.decision_set(found, pairs, KIND_OF[kind], categories), pools


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
    variants: list[dict[str, Any]] = field(default_factory=list)
    gate: dict[str, Any] = field(default_factory=dict)


def train(
    db: Session, var_dir: Path, kind: str, *, min_decisions: int = ranker.MIN_DECISIONS, require_better: bool = True
) -> TrainingResult:
    """Choose, gate and store the learned ranker of ``kind`` (``matching.selection``): every variant is
    trained on the earlier needs, the best by the counterfactual NDCG@10 on the next ones is kept, and
    it is stored only when, on the latest needs, the lower bound of its paired difference with the
    default scorer is above 0. Otherwise say why and remove any stored model, so that the default
    serves. ``require_better=False`` stores the chosen variant whatever the gate says (demos)."""
    data, pool = decisions_and_pool(db, kind)
    path = model_path(var_dir, kind)
    eta, eta_why = position_eta(db, kind)
    ok, why = ranker.enough_decisions(data, min_decisions)
    chosen = selection.select(data, eta=eta, pool=pool) if ok else None
    if chosen is not None:
        why = f"{why}; {chosen.why}; {eta_why}"
        ok = chosen.model is not None and (chosen.passed or not require_better)
    variants = chosen.variants if chosen is not None else []
    gate = chosen.verdict.as_dict() if chosen is not None and chosen.verdict is not None else {}
    if not ok or chosen is None or chosen.model is None:
        path.unlink(missing_ok=True)
        return TrainingResult(kind, len(data), data.dropped, False, why, None, {}, variants, gate)
    model = chosen.model
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(model.to_json(), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a model
    return TrainingResult(kind, len(data), data.dropped, True, why, str(path), dict(model.metadata), variants, gate)


def evaluate(db: Session, kind: str, test_fraction: float = 0.2) -> dict[str, Any]:
    """The default scorer, the chosen learned ranker (trained on the earlier needs) and text only on the
    latest needs' lists: naive figures on the logged relevance (NDCG@5/10, precision@3/5, coverage@5)
    and the counterfactual NDCG@10 corrected for position bias (``ips ndcg@10``)."""
    data, pool = decisions_and_pool(db, kind)
    eta, eta_why = position_eta(db, kind)
    chosen = selection.select(data, eta=eta, test_fraction=test_fraction, pool=pool)
    if chosen.tested is None or chosen.test is None:
        return {"kind": kind, "decisions": len(data), "dropped": data.dropped, "table": [], "why": chosen.why}
    lists = evaluation.ranking_lists(chosen.test)
    scorers: dict[str, ranker.Scorer] = {
        "default": ranker.DefaultScorer(data.kind),
        "learned": chosen.tested,
        "text only": ranker.TextScorer(),
    }
    table = evaluation.evaluate(lists, scorers)
    for row in table:
        row["ips ndcg@10"] = counterfactual.per_list(lists, scorers[str(row["scorer"])], eta=eta).mean()
    return {
        "kind": kind,
        "decisions": len(data),
        "dropped": data.dropped,
        "train": len(data) - len(chosen.test),
        "test": len(chosen.test),
        "chosen": chosen.chosen,
        "variants": chosen.variants,
        "gate": chosen.verdict.as_dict() if chosen.verdict is not None else {},
        "eta": eta,
        "eta_why": eta_why,
        "table": table,
    }


def summary_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def as_table(result: dict[str, Any]) -> str:
    title = f"{result['kind']}: {result.get('train', 0)} decisions to train and choose, {result.get('test', 0)} to test"
    if not result["table"]:
        return f"{title} ({result.get('why')})"
    lines = [evaluation.format_table(result["table"], title)]
    lines.append("naive: on the logged decisions as they are; ips ndcg@10: corrected for position bias")
    lines.append(f"position bias: {result['eta_why']}")
    lines.append(f"learned = {result['chosen']}, chosen by the corrected ndcg@10 on earlier needs among:")
    lines += [
        f"  {v['variant']:<16} corrected {v['corrected']:.3f}  naive {v['naive']:.3f}  fit {v['fit_seconds']:.2f} s"
        for v in result["variants"]
    ]
    gate = result.get("gate") or {}
    if gate:
        verdict = "passes" if gate["passed"] else "does not pass"
        lines.append(
            f"gate: learned − default {gate['difference']:+.3f} (95% interval {gate['low']:+.3f} to "
            f"{gate['high']:+.3f}); {verdict} (the lower bound must be above 0 and the difference at least "
            f"{counterfactual.MIN_GAIN})"
        )
    return "\n".join(lines)
