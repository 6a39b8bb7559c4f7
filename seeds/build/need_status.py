"""Every seeded need ends in the status its own lines, shifts and matches imply, by the app's one rule.

The needs are drawn with a status in mind and the history then tries to fill them; where it could not (no
offer in the line's unit, no free volunteer), the drawn status would contradict the parts: a project
"matched" that still lacks twelve lamps, "completed" with nothing delivered. Here each need takes the
status ``marketplace.matches.services.progress_status`` gives it, as the app would on its next change:
- a need drawn verified keeps it where verification was possible (something was delivered); its lines
  still short were closed as enough before verification, as staff do;
- a need drawn as worked on (in progress, completed, verified) that nobody ever held a part of, and that
  waits for nobody's proposal, was cancelled instead, with a reason;
- the times, version and satisfaction follow the status it ends in.
"""

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

from marketplace.matches.models import MatchKind, MatchStatus
from marketplace.matches.services import HELD, progress_status
from marketplace.needs.models import NeedStatus
from seeds.build.context import NeedInfo, SeedContext
from seeds.build.needs import VERSIONS
from seeds.data.needs import CANCELLATION_REASONS

AUTOMATIC = (
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
)
WORKED_ON = (NeedStatus.IN_PROGRESS, NeedStatus.COMPLETED, NeedStatus.VERIFIED)
DELIVERED_SOME = (NeedStatus.IN_PROGRESS, NeedStatus.COMPLETED)
CLOSED_AS_ENOUGH = ("验收时确认已够用", "居民确认现有数量已满足需要", "剩余部分由社区自行解决")


def settle_need_statuses(ctx: SeedContext) -> None:
    rng = random.Random(ctx.seed * 7919 + 17)  # its own stream: the rows drawn before stay as they were
    matches: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for match in ctx.plan.rows.get("match", ()):
        matches[match["need_id"]].append(match)
    for need in ctx.needs:
        if need.status in AUTOMATIC or need.status == NeedStatus.VERIFIED:
            _settle(need, matches[need.id], rng)


def _ruled(need: NeedInfo, matches: list[dict[str, Any]]) -> NeedStatus:
    held = [(MatchKind(m["kind"]), MatchStatus(m["status"])) for m in matches if m["status"] in HELD]
    shifts = [(s.row["confirmed_count"], s.row["slots"]) for s in need.shifts if not s.row.get("cancelled_at")]
    return progress_status([line.row["still_needed"] for line in need.lines], shifts, held)


def _settle(need: NeedInfo, matches: list[dict[str, Any]], rng: random.Random) -> None:
    drawn, ruled = need.status, _ruled(need, matches)
    if drawn == NeedStatus.VERIFIED and ruled in DELIVERED_SOME:
        _close_short_lines(need, rng)
        return
    if ruled == drawn:
        return
    waiting = any(m["status"] == MatchStatus.PROPOSED for m in matches)
    if ruled == NeedStatus.PUBLISHED and drawn in WORKED_ON and not waiting:
        _become(need, NeedStatus.CANCELLED)
        need.row["status_reason"] = rng.choice(CANCELLATION_REASONS)
    else:
        _become(need, ruled)
    if need.status == NeedStatus.COMPLETED and need.row["completed_at"] is None:
        delivered = [m["fulfilled_at"] for m in matches if m["status"] == MatchStatus.FULFILLED and m["fulfilled_at"]]
        need.row["completed_at"] = max(delivered, default=need.row["updated_at"])


def _become(need: NeedInfo, status: NeedStatus) -> None:
    row = need.row
    need.status = row["status"] = status
    row["version"] = VERSIONS[status]
    if status != NeedStatus.COMPLETED:
        row["completed_at"] = None
    row["verified_at"] = row["satisfaction"] = row["satisfaction_comment"] = None


def _close_short_lines(need: NeedInfo, rng: random.Random) -> None:
    """Verification waits for no line: what was still short was closed as enough just before it."""
    for line in need.lines:
        if line.row["still_needed"] > 0 and not line.row.get("closed_at"):
            line.row["closed_at"] = need.row["completed_at"] - timedelta(hours=rng.uniform(1, 6))
            line.row["closed_reason"] = rng.choice(CLOSED_AS_ENOUGH)
            line.row["still_needed"] = 0
