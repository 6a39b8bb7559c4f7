"""A year of matches with the admins' decisions, as a street's log would hold them.

Each candidate list is what the app would have shown then (``shown_rank``): on Hudao Street the
matching library's pre-filtered candidates ranked by its default scorer (``indexes``), so volunteers
shown for a shift are free then and have hours left. Admins look less often the lower a candidate
is shown and decide by preferences of their own over the same features, which the default scorer
does not know (see ``volunteer_matches`` and ``offer_matches``): a learned ranker has something to
find. Less reliable volunteers (a latent trait) no-show more often. Capacities hold throughout:
offers never go below zero, shifts never take more volunteers than slots, a volunteer is never
confirmed on two overlapping shifts (see ``ledger``).
"""

from datetime import datetime
from typing import Any

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from seeds.build.context import LineInfo, NeedInfo, OfferInfo, SeedContext, ShiftInfo
from seeds.build.indexes import VolunteerRanking
from seeds.build.ledger import HOLDS_SLOT, MatchLedger, explain
from seeds.build.need_status import settle_need_statuses
from seeds.build.offer_matches import LineSupply, claim_whole_needs
from seeds.build.volunteer_matches import ShiftStaffing

# Share of a shift's slots (or of a line's quantity) filled, by the need's status.
FILL = {
    NeedStatus.PUBLISHED: (0.0, 0.0),
    NeedStatus.PARTIALLY_MATCHED: (0.3, 0.7),
    NeedStatus.MATCHED: (1.0, 1.0),
    NeedStatus.IN_PROGRESS: (0.8, 1.0),
    NeedStatus.COMPLETED: (0.6, 1.0),
    NeedStatus.VERIFIED: (0.6, 1.0),
    NeedStatus.CANCELLED: (0.0, 0.0),
}


class HistoryBuilder:
    def __init__(self, ctx: SeedContext, *, ranked_by_library: bool = False) -> None:
        """``ranked_by_library``: draw every list with the matching library's indexes (a street of a few
        hundred volunteers; on a large synthetic street a sample of candidates stands in)."""
        self.ctx = ctx
        self.ledger = MatchLedger(ctx)
        # The story plays out some needs and offers itself; generated history leaves them alone.
        self.reserved_needs: set[int] = ctx.story.get("reserved_needs", set())
        self.staffing = ShiftStaffing(self.ledger, VolunteerRanking(ctx) if ranked_by_library else None)
        self.supply = LineSupply(self.ledger, ctx.story.get("reserved_offers", set()), ranked_by_library)

    def run(self) -> None:
        """Shifts in the order they happen (so reliability is observed as it builds), then lines, then claims."""
        ctx, rng = self.ctx, self.ledger.rng
        needs = [need for need in ctx.needs if need.status in FILL and need.id not in self.reserved_needs]
        shifts = sorted(((s, n) for n in needs for s in n.shifts), key=lambda pair: (pair[0].starts_at, pair[0].id))
        lines = [(line, need) for need in needs for line in need.lines]
        lines.sort(key=lambda pair: (pair[1].row["published_at"] or pair[1].row["created_at"], pair[0].id))
        total = len(shifts) + len(lines)
        for number, (shift, need) in enumerate(shifts):
            self.staffing.staff(need, shift, rng.uniform(*FILL[need.status]))
            if number % 500 == 0:
                ctx.report("history", number, total)
        for number, (line, need) in enumerate(lines, start=len(shifts)):
            self.supply.supply(need, line, rng.uniform(*FILL[need.status]))
            if number % 500 == 0:
                ctx.report("history", number, total)
        claim_whole_needs(self.ledger, self.reserved_needs)
        ctx.report("history", total, total)

    def add_volunteer(
        self,
        need: NeedInfo,
        shift: ShiftInfo,
        position: int,
        status: MatchStatus,
        source: MatchSource,
        created: datetime,
        decided: datetime | None,
        fulfilled_at: datetime | None = None,
    ) -> bool:
        """One pairing the story decides; False when the shift is full or the volunteer busy then."""
        if (shift.id, position) in self.ledger.paired:
            return False
        full = shift.row["confirmed_count"] >= shift.row["slots"]
        if status in HOLDS_SLOT and (full or self.ledger.overlaps(position, shift)):
            return False
        self.staffing.write(
            need,
            shift,
            self.staffing.candidate(need, shift, position, created),
            1,
            status,
            source,
            created,
            decided=decided,
            fulfilled_at=fulfilled_at,
        )
        return True

    def add_offer(
        self,
        need: NeedInfo,
        line: LineInfo,
        offer: OfferInfo,
        amount: Any,
        status: MatchStatus,
        source: MatchSource,
        created: datetime,
        decided: datetime | None = None,
    ) -> None:
        """One pairing the story decides, of ``amount`` of the offer."""
        candidate = self.supply.features(need, line, offer)
        self.ledger.add_match(
            need,
            MatchKind.OFFER_LINE,
            source,
            status,
            created,
            score=candidate.score,
            explanation=explain(candidate.parts),
            rank=1,
            decided=decided,
            line=line,
            offer=offer,
            amount=amount,
        )

    def finish(self) -> None:
        """Totals, and every need in the status its parts and matches imply (``need_status``)."""
        self.ledger.finish()
        settle_need_statuses(self.ctx)
