"""The matching rounds behind the seeded round proposals: every such proposal belongs to a recorded round.

A round's proposals are written in one moment by a round an admin ran, so /rounds lists the rounds the
street's history shows (a demo whose review queue holds yesterday's round proposals must not say that no
round has run). Proposals of one street-local day form one round, which ran just before the first of them;
each proposal is dated when its round finished. A need published later that day starts the day's next round.
"""

from datetime import datetime, timedelta
from typing import Any

from marketplace.matches.models import MatchKind, MatchSource
from marketplace.rounds.models import RoundMethod, RoundStatus, street_scope
from seeds.build.context import SeedContext
from seeds.clock import BEIJING

ROUND_K = 20
# How long a seeded round takes, step by step (seconds): the order of magnitude a street's round measures.
STEP_SECONDS = {"loading": 0.4, "indexes": 0.2, "line_candidates": 0.6, "shift_candidates": 0.5, "writing": 0.3}


def build_rounds(ctx: SeedContext) -> None:
    """Group this street's round proposals into finished rounds and link each proposal to its round."""
    published = {need.id: need.row["published_at"] for need in ctx.needs}
    matches = ctx.own_rows("match")
    for match in matches:
        match.setdefault("round_id", None)
    proposals = sorted(
        (match for match in matches if match["source"] == MatchSource.MATCHING_ROUND),
        key=lambda match: (match["created_at"], match["id"]),
    )
    group: list[dict[str, Any]] = []
    for match in proposals:
        if group and not _same_round(group[0]["created_at"], match, published):
            _record(ctx, group)
            group = []
        group.append(match)
    if group:
        _record(ctx, group)


def _same_round(moment: datetime, match: dict[str, Any], published: dict[int, datetime | None]) -> bool:
    """True when ``match`` could have been written by a round run at ``moment``: the same local day, its need
    already published then."""
    need_published = published.get(match["need_id"])
    same_day = moment.astimezone(BEIJING).date() == match["created_at"].astimezone(BEIJING).date()
    return same_day and (need_published is None or need_published <= moment)


def _record(ctx: SeedContext, group: list[dict[str, Any]]) -> None:
    finished = group[0]["created_at"]
    started = finished - timedelta(seconds=sum(STEP_SECONDS.values()))
    lines = [match for match in group if match["kind"] == MatchKind.OFFER_LINE]
    shifts = [match for match in group if match["kind"] == MatchKind.VOLUNTEER_SHIFT]
    street_id = ctx.places.street_id if ctx.places else None
    round_id = ctx.plan.add(
        "match_round",
        {
            "scope": street_scope(street_id),
            "street_id": street_id,
            "status": RoundStatus.FINISHED,
            "method": RoundMethod.OPTIMAL,
            "k": ROUND_K,
            "stage": "done",
            "done": 1,
            "total": 1,
            "lines": len({match["resource_line_id"] for match in lines}),
            "shifts": len({match["shift_id"] for match in shifts}),
            "line_candidates": len(lines),
            "shift_candidates": len(shifts),
            "line_proposals": len(lines),
            "shift_proposals": len(shifts),
            "skipped": 0,
            "objective": round(sum(match["score"] or 0 for match in group), 6),
            "seconds": dict(STEP_SECONDS),
            "error": None,
            "started_by_id": ctx.users.admins[0] if ctx.users.admins else None,
            "created_at": started,
            "started_at": started,
            "finished_at": finished,
            "heartbeat_at": finished,
        },
    )
    for match in group:
        match["round_id"] = round_id
        match["created_at"] = finished
