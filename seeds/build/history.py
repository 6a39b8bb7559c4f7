"""A year of matches with the admins' decisions, made to follow patterns a learned ranker can find.

Each candidate list is ranked by a transparent score (``shown_rank``); the decision then depends on
the same features plus noise: skills covered, distance, availability, reliability, category and
kind fit, quantity covered, service area. Volunteers who are less reliable (a latent trait) no-show
more often. Capacities hold throughout: offers never go below zero, shifts never take more
volunteers than slots, a volunteer is never confirmed on two overlapping shifts.
"""

import math
from datetime import datetime, timedelta
from typing import Any

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from marketplace.offers.models import OfferStatus
from marketplace.organizations.models import OrganizationStatus
from marketplace.volunteers.models import SignupStatus
from seeds.build.context import LineInfo, NeedInfo, OfferInfo, SeedContext, ShiftInfo, quantity

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
OPEN_FOR_REVIEW = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SOLVED = (NeedStatus.COMPLETED, NeedStatus.VERIFIED)
SIGNUP_STATUS = {
    MatchStatus.PROPOSED: SignupStatus.PENDING,
    MatchStatus.APPROVED: SignupStatus.CONFIRMED,
    MatchStatus.FULFILLED: SignupStatus.COMPLETED,
    MatchStatus.NO_SHOW: SignupStatus.NO_SHOW,
    MatchStatus.CANCELLED: SignupStatus.CANCELLED,
    MatchStatus.REJECTED: SignupStatus.CANCELLED,
}
HOLDS_SLOT = (MatchStatus.APPROVED, MatchStatus.FULFILLED, MatchStatus.NO_SHOW)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _explain(parts: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """The three largest contributions, as data: feature, its value, its share of the score."""
    ranked = sorted(parts.items(), key=lambda item: -item[1][1])[:3]
    return [
        {"feature": name, "value": round(value, 3), "contribution": round(weight, 4)}
        for name, (value, weight) in ranked
    ]


class HistoryBuilder:
    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("history")
        self.plan = ctx.plan
        count = len(ctx.volunteers)
        self.fulfilled = [0] * count
        self.no_shows = [0] * count
        self.hours = [0.0] * count
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}
        self.paired: set[tuple[int, int]] = set()
        self.offers_by_unit: dict[str, list[OfferInfo]] = {}
        # The story plays out some needs and offers itself; generated history leaves them alone.
        self.reserved_needs: set[int] = ctx.story.get("reserved_needs", set())
        reserved = ctx.story.get("reserved_offers", set())
        for offer in ctx.offers:
            if offer.id not in reserved and offer.row["status"] != OfferStatus.WITHDRAWN:
                self.offers_by_unit.setdefault(offer.unit, []).append(offer)
        self.offer_changes: dict[int, list[datetime]] = {}
        self.need_touched: dict[int, datetime] = {}

    # -- the whole run -----------------------------------------------------------------------------
    def run(self) -> None:
        ctx = self.ctx
        needs = [need for need in ctx.needs if need.status in FILL and need.id not in self.reserved_needs]
        staffed = [(shift, need) for need in needs for shift in need.shifts]
        staffed.sort(key=lambda pair: (pair[0].starts_at, pair[0].id))
        lines = [(line, need) for need in needs for line in need.lines]
        lines.sort(key=lambda pair: (pair[1].row["published_at"] or pair[1].row["created_at"], pair[0].id))
        total = len(staffed) + len(lines)
        for number, (shift, need) in enumerate(staffed):
            self.staff_shift(need, shift)
            if number % 500 == 0:
                ctx.report("history", number, total)
        for number, (line, need) in enumerate(lines, start=len(staffed)):
            self.supply_line(need, line)
            if number % 500 == 0:
                ctx.report("history", number, total)
        self.claim_whole_needs()
        ctx.report("history", total, total)

    # -- volunteers for shifts ---------------------------------------------------------------------
    def staff_shift(self, need: NeedInfo, shift: ShiftInfo) -> None:
        rng = self.rng
        low, high = FILL[need.status]
        target = round(shift.row["slots"] * rng.uniform(low, high))
        published = need.row["published_at"]
        if published is None:
            return
        approved = 0
        for _ in range(4):
            if approved >= target:
                break
            created = self._match_time(published, shift.starts_at - timedelta(hours=6))
            candidates = self._volunteer_candidates(need, shift, (target - approved) + rng.randint(1, 3), created)
            approved += self._decide_volunteers(need, shift, candidates, created, target - approved)
        if need.status in OPEN_FOR_REVIEW and rng.random() < 0.6 and shift.starts_at > self.ctx.clock.now:
            created = self._match_time(published, self.ctx.clock.now)
            waiting = self._volunteer_candidates(need, shift, rng.randint(1, 3), created)
            self._propose_volunteers(need, shift, waiting, created)
        if need.status == NeedStatus.CANCELLED and rng.random() < 0.5:
            created = self._match_time(published, need.row["updated_at"])
            for position, *_ in self._volunteer_candidates(need, shift, 1, created):
                self._volunteer_match(
                    need,
                    shift,
                    position,
                    created,
                    MatchStatus.CANCELLED,
                    MatchSource.VOLUNTEER_SIGNUP,
                    None,
                    0.5,
                    [],
                    reason="项目已取消",
                    decided=need.row["updated_at"],
                )

    def _volunteer_candidates(self, need: NeedInfo, shift: ShiftInfo, wanted: int, when: datetime) -> list[tuple]:
        """Candidates scored and ranked: (position, score, utility inputs...). Near, skilled and random ones."""
        rng, vols = self.rng, self.ctx.volunteers
        pools: list[list[int]] = [vols.by_grid.get(need.grid_index, [])]
        pools.extend(vols.by_skill.get(skill_id, []) for skill_id in sorted(shift.skill_ids))
        chosen: list[int] = []
        seen: set[int] = set()
        for attempt in range(wanted * 6):
            if len(chosen) >= wanted:
                break
            roll = rng.random()
            if roll < 0.45 and pools[0]:
                pool = pools[0]
            elif roll < 0.8 and len(pools) > 1:
                pool = pools[1 + attempt % (len(pools) - 1)]
            else:
                pool = None
            position = rng.choice(pool) if pool else rng.randrange(len(vols))
            if position in seen or (shift.id, position) in self.paired or vols.joined[position] > when:
                continue
            seen.add(position)
            chosen.append(position)
        scored = [self._volunteer_features(need, shift, position) for position in chosen]
        scored.sort(key=lambda item: -item[1])
        return scored

    def _volunteer_features(self, need: NeedInfo, shift: ShiftInfo, position: int) -> tuple:
        vols = self.ctx.volunteers
        required = shift.skill_ids
        coverage = len(required & vols.skills[position]) / len(required) if required else 1.0
        distance = self.ctx.place.distances[need.grid_index][vols.home_grids[position]]
        proximity = max(0.0, 1 - distance / 3)
        available = 1.0 if (shift.weekday, shift.period) in vols.availability[position] else 0.0
        done, missed = self.fulfilled[position], self.no_shows[position]
        reliability = (done + 1) / (done + missed + 2)
        load = sum(1 for start, _ in self.busy.get(position, ()) if abs((start - shift.starts_at).days) <= 14)
        parts = {
            "skill_coverage": (coverage, 0.40 * coverage),
            "availability": (available, 0.20 * available),
            "distance_km": (distance, 0.25 * proximity),
            "reliability": (reliability, 0.15 * reliability),
        }
        score = round(sum(weight for _, weight in parts.values()) - 0.03 * load, 4)
        return position, score, coverage, distance, proximity, available, reliability, load, parts

    def _decide_volunteers(
        self, need: NeedInfo, shift: ShiftInfo, ranked: list[tuple], created: datetime, wanted: int
    ) -> int:
        rng, clock = self.rng, self.ctx.clock
        approved = 0
        source = rng.choice(
            (MatchSource.MATCHING_ROUND, MatchSource.MATCHING_ROUND, MatchSource.STAFF, MatchSource.VOLUNTEER_SIGNUP)
        )
        decided = self._decision_time(created, shift.starts_at - timedelta(hours=1))
        for rank, (position, score, coverage, distance, proximity, available, reliability, load, parts) in enumerate(
            ranked, start=1
        ):
            utility = (
                -1.3
                + 2.6 * coverage
                + 1.2 * available
                + 1.6 * proximity
                + 1.5 * (reliability - 0.5)
                - 0.25 * load
                - 0.12 * (rank - 1)
                + rng.gauss(0, 0.75)
            )
            reason = None
            if utility <= 0:
                reason = self._volunteer_rejection(coverage, available, distance)
            elif approved >= wanted:
                reason = "岗位名额已满"
            elif self._overlaps(position, shift):
                reason = "与该志愿者已确认的其他岗位时间冲突"
            if reason:
                self._volunteer_match(
                    need,
                    shift,
                    position,
                    created,
                    MatchStatus.REJECTED,
                    source,
                    rank,
                    score,
                    _explain(parts),
                    reason=reason,
                    decided=decided,
                )
                continue
            approved += 1
            status = MatchStatus.APPROVED
            fulfilled_at = None
            if shift.ends_at <= clock.now:
                shows = rng.random() < max(0.05, min(0.99, self.ctx.volunteers.reliability[position] - 0.04 * distance))
                status = MatchStatus.FULFILLED if shows else MatchStatus.NO_SHOW
                fulfilled_at = shift.ends_at + timedelta(minutes=rng.randint(5, 180)) if shows else None
                fulfilled_at = min(fulfilled_at, clock.ago(0.01)) if fulfilled_at else None
            elif rng.random() < 0.04:
                self._volunteer_match(
                    need,
                    shift,
                    position,
                    created,
                    MatchStatus.CANCELLED,
                    source,
                    rank,
                    score,
                    _explain(parts),
                    reason="志愿者临时有事，本人取消",
                    decided=decided,
                )
                approved -= 1
                continue
            self._volunteer_match(
                need,
                shift,
                position,
                created,
                status,
                source,
                rank,
                score,
                _explain(parts),
                decided=decided,
                fulfilled_at=fulfilled_at,
            )
        return approved

    def _propose_volunteers(self, need: NeedInfo, shift: ShiftInfo, ranked: list[tuple], created: datetime) -> None:
        """Proposals still waiting in the admins' review queue."""
        source = self.rng.choice((MatchSource.MATCHING_ROUND, MatchSource.VOLUNTEER_SIGNUP))
        for rank, (position, score, *_, parts) in enumerate(ranked, start=1):
            self._volunteer_match(
                need, shift, position, created, MatchStatus.PROPOSED, source, rank, score, _explain(parts)
            )

    @staticmethod
    def _volunteer_rejection(coverage: float, available: float, distance: float) -> str:
        if coverage < 0.5:
            return "缺少该岗位所需技能"
        if not available:
            return "该时段不在志愿者可服务时间内"
        if distance > 2:
            return f"距离较远（{distance:.1f}公里），优先安排就近志愿者"
        return "已安排更合适的志愿者"

    def _overlaps(self, position: int, shift: ShiftInfo) -> bool:
        return any(start < shift.ends_at and shift.starts_at < end for start, end in self.busy.get(position, ()))

    def _volunteer_match(
        self,
        need: NeedInfo,
        shift: ShiftInfo,
        position: int,
        created: datetime,
        status: MatchStatus,
        source: MatchSource,
        rank: int | None,
        score: float,
        explanation: list[dict[str, Any]],
        *,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
    ) -> None:
        vols = self.ctx.volunteers
        volunteer_id = vols.first_id + position
        proposer = None
        if source == MatchSource.VOLUNTEER_SIGNUP:
            proposer, rank = vols.user_ids[position], None
        elif source == MatchSource.STAFF:
            proposer = self.ctx.users.grid_staff.get(need.grid_index)
        is_decided = status != MatchStatus.PROPOSED
        match_id = self.plan.add(
            "match",
            {
                "need_id": need.id,
                "kind": MatchKind.VOLUNTEER_SHIFT,
                "source": source,
                "resource_line_id": None,
                "offer_id": None,
                "quantity": None,
                "shift_id": shift.id,
                "volunteer_id": volunteer_id,
                "organization_id": None,
                "score": score,
                "explanation": explanation,
                "shown_rank": rank,
                "status": status,
                "decision_reason": reason,
                "proposed_by_id": proposer,
                "decided_by_id": self.rng.choice(self.ctx.users.admins) if is_decided else None,
                "decided_at": decided if is_decided else None,
                "fulfilled_at": fulfilled_at,
                "created_at": created,
            },
        )
        self.paired.add((shift.id, position))
        self._touch(need, decided if is_decided else created)
        if status in HOLDS_SLOT:
            shift.row["confirmed_count"] += 1
            self.busy.setdefault(position, []).append((shift.starts_at, shift.ends_at))
        if status == MatchStatus.REJECTED and source != MatchSource.VOLUNTEER_SIGNUP:
            return  # proposed by staff or a matching round: the volunteer never signed up
        self._signup(shift, volunteer_id, position, match_id, status, created)

    def _signup(
        self, shift: ShiftInfo, volunteer_id: int, position: int, match_id: int, status: MatchStatus, created: datetime
    ) -> None:
        row: dict[str, Any] = {
            "shift_id": shift.id,
            "volunteer_id": volunteer_id,
            "match_id": match_id,
            "status": SIGNUP_STATUS[status],
            "checked_in_at": None,
            "checked_out_at": None,
            "hours_credited": quantity(0),
            "created_at": created,
        }
        if status == MatchStatus.FULFILLED:
            rng = self.rng
            checked_in = shift.starts_at + timedelta(minutes=rng.randint(-15, 10))
            checked_out = shift.ends_at + timedelta(minutes=rng.randint(-10, 20))
            hours = round((shift.ends_at - shift.starts_at).total_seconds() / 3600, 2)
            row.update(checked_in_at=checked_in, checked_out_at=checked_out, hours_credited=quantity(hours))
            self.fulfilled[position] += 1
            self.hours[position] += hours
        elif status == MatchStatus.NO_SHOW:
            self.no_shows[position] += 1
        self.plan.add("shift_signup", row)

    # -- offers for resource lines -----------------------------------------------------------------
    def supply_line(self, need: NeedInfo, line: LineInfo) -> None:
        rng, clock = self.rng, self.ctx.clock
        published = need.row["published_at"]
        if published is None:
            return
        low, high = FILL[need.status]
        fill = rng.uniform(low, high)
        deadline = need.row["completed_at"] or clock.now
        for _ in range(3):
            still = line.row["still_needed"]
            covered = 1 - float(still) / float(line.row["quantity"])
            if fill == 0 or covered >= fill or still <= 0:
                break
            created = self._match_time(published, min(published + timedelta(days=20), deadline - timedelta(hours=2)))
            ranked = self._offer_candidates(need, line, created)
            if not ranked:
                break
            self._decide_offers(need, line, ranked, created, stop_after_one=fill < 1)
        if need.status in OPEN_FOR_REVIEW and line.row["still_needed"] > 0 and rng.random() < 0.5:
            created = self._match_time(published, clock.now)
            for rank, (offer, score, *_, parts) in enumerate(self._offer_candidates(need, line, created)[:2], start=1):
                amount = min(offer.row["remaining_quantity"], line.row["still_needed"])
                self._offer_match(
                    need,
                    line,
                    offer,
                    amount,
                    created,
                    MatchStatus.PROPOSED,
                    MatchSource.MATCHING_ROUND,
                    rank,
                    score,
                    _explain(parts),
                )

    def _offer_candidates(self, need: NeedInfo, line: LineInfo, when: datetime) -> list[tuple]:
        rng = self.rng
        usable = [
            offer
            for offer in self.offers_by_unit.get(line.unit, ())
            if offer.row["remaining_quantity"] > 0
            and offer.row["valid_from"] <= when
            and (offer.row["valid_until"] is None or offer.row["valid_until"] > when)
        ]
        if len(usable) > 40:
            usable = rng.sample(usable, 40)
        same = [offer for offer in usable if offer.category == line.category]
        other = [offer for offer in usable if offer.category != line.category]
        chosen = rng.sample(same, min(len(same), rng.randint(1, 3))) + rng.sample(
            other, min(len(other), rng.randint(1, 3))
        )
        scored = [self._offer_features(need, line, offer) for offer in chosen]
        scored.sort(key=lambda item: -item[1])
        return scored

    def _offer_features(self, need: NeedInfo, line: LineInfo, offer: OfferInfo) -> tuple:
        category = 1.0 if offer.category == line.category else 0.0
        kind = 1.0 if offer.kind == line.kind else 0.0
        coverage = min(1.0, float(offer.row["remaining_quantity"]) / float(line.row["still_needed"]))
        serves = 1.0 if need.grid_index in offer.grid_indexes else 0.0
        distances = self.ctx.place.distances[need.grid_index]
        distance = min((distances[index] for index in offer.grid_indexes), default=5.0)
        parts = {
            "category_match": (category, 0.35 * category),
            "kind_match": (kind, 0.10 * kind),
            "quantity_coverage": (coverage, 0.30 * coverage),
            "serves_grid": (serves, 0.25 * serves),
        }
        score = round(sum(weight for _, weight in parts.values()), 4)
        return offer, score, category, kind, coverage, serves, distance, parts

    def _decide_offers(
        self, need: NeedInfo, line: LineInfo, ranked: list[tuple], created: datetime, *, stop_after_one: bool
    ) -> None:
        rng, clock = self.rng, self.ctx.clock
        source = rng.choice(
            (
                MatchSource.PARTNER_CLAIM,
                MatchSource.PARTNER_CLAIM,
                MatchSource.MATCHING_ROUND,
                MatchSource.MATCHING_ROUND,
                MatchSource.STAFF,
            )
        )
        decided = self._decision_time(created, (need.row["completed_at"] or clock.now) - timedelta(hours=1))
        done = False
        for rank, (offer, score, category, kind, coverage, serves, distance, parts) in enumerate(ranked, start=1):
            amount = min(offer.row["remaining_quantity"], line.row["still_needed"])
            if amount <= 0:
                continue
            utility = (
                -3.5
                + 3.5 * category
                + 0.6 * kind
                + 1.0 * coverage
                + 1.6 * serves
                - 0.15 * min(distance, 5)
                - 0.1 * (rank - 1)
                + rng.gauss(0, 0.6)
            )
            if utility <= 0 or done:
                reason = "已由其他单位满足" if done else self._offer_rejection(category, serves, coverage)
                self._offer_match(
                    need,
                    line,
                    offer,
                    amount,
                    created,
                    MatchStatus.REJECTED,
                    source,
                    rank,
                    score,
                    _explain(parts),
                    reason=reason,
                    decided=decided,
                )
                continue
            delivered = need.status in SOLVED or (need.status == NeedStatus.IN_PROGRESS and rng.random() < 0.5)
            status = MatchStatus.FULFILLED if delivered else MatchStatus.APPROVED
            fulfilled_at = None
            if delivered:
                fulfilled_at = min(
                    need.row["completed_at"] or clock.ago(0.5), clock.after(decided, rng.uniform(24, 240))
                )
                fulfilled_at = max(fulfilled_at, decided)
            self._offer_match(
                need,
                line,
                offer,
                amount,
                created,
                status,
                source,
                rank,
                score,
                _explain(parts),
                decided=decided,
                fulfilled_at=fulfilled_at,
            )
            done = stop_after_one or line.row["still_needed"] <= 0

    @staticmethod
    def _offer_rejection(category: float, serves: float, coverage: float) -> str:
        if not category:
            return "资源类别与需求不符"
        if not serves:
            return "该单位服务范围不含本网格"
        if coverage < 0.3:
            return "数量太少，不足以满足需求"
        return "已选择更合适的资源"

    def _offer_match(
        self,
        need: NeedInfo,
        line: LineInfo,
        offer: OfferInfo,
        amount: Any,
        created: datetime,
        status: MatchStatus,
        source: MatchSource,
        rank: int | None,
        score: float,
        explanation: list[dict[str, Any]],
        *,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
    ) -> int:
        proposer = None
        if source == MatchSource.PARTNER_CLAIM:
            proposer, rank = self.ctx.users.partner_managers.get(offer.organization_id), None
        elif source == MatchSource.STAFF:
            proposer = self.ctx.users.grid_staff.get(need.grid_index)
        is_decided = status != MatchStatus.PROPOSED
        match_id = self.plan.add(
            "match",
            {
                "need_id": need.id,
                "kind": MatchKind.OFFER_LINE,
                "source": source,
                "resource_line_id": line.id,
                "offer_id": offer.id,
                "quantity": quantity(amount),
                "shift_id": None,
                "volunteer_id": None,
                "organization_id": offer.organization_id,
                "score": score,
                "explanation": explanation,
                "shown_rank": rank,
                "status": status,
                "decision_reason": reason,
                "proposed_by_id": proposer,
                "decided_by_id": self.rng.choice(self.ctx.users.admins) if is_decided else None,
                "decided_at": decided if is_decided else None,
                "fulfilled_at": fulfilled_at,
                "created_at": created,
            },
        )
        self._touch(need, decided if is_decided else created)
        if status in (MatchStatus.APPROVED, MatchStatus.FULFILLED):
            # Approval reserves the quantity: the offer's remaining and the line's need both shrink.
            offer.row["remaining_quantity"] -= quantity(amount)
            line.row["still_needed"] -= quantity(amount)
            self.offer_changes.setdefault(offer.id, []).append(decided or created)
        return match_id

    # -- partners claiming whole projects ------------------------------------------------------------
    def claim_whole_needs(self) -> None:
        rng, clock = self.rng, self.ctx.clock
        partners = [org for org in self.ctx.organizations if org.status == OrganizationStatus.APPROVED]
        if not partners:
            return
        for need in self.ctx.needs:
            published = need.row["published_at"]
            if (
                need.id in self.reserved_needs
                or need.status not in FILL
                or published is None
                or need.status == NeedStatus.CANCELLED
            ):
                continue
            if rng.random() > 0.1:
                continue
            near = [org for org in partners if need.grid_index in org.grid_indexes] or partners
            if rng.random() < 0.35:
                far = rng.choice(partners)
                created = self._match_time(published, published + timedelta(days=5))
                serves = need.grid_index in far.grid_indexes
                reason = "已由其他单位认领" if serves else "该单位服务范围不含本网格"
                self._whole_need_match(
                    need,
                    far.id,
                    created,
                    MatchStatus.REJECTED,
                    reason=reason,
                    decided=self._decision_time(created, clock.now),
                    score=0.35 + 0.3 * serves,
                )
            org = rng.choice(near)
            created = self._match_time(
                published,
                min(published + timedelta(days=10), (need.row["completed_at"] or clock.now) - timedelta(hours=2)),
            )
            if need.status in OPEN_FOR_REVIEW:
                self._whole_need_match(need, org.id, created, MatchStatus.PROPOSED, score=0.8)
                continue
            decided = self._decision_time(created, (need.row["completed_at"] or clock.now) - timedelta(hours=1))
            if need.status in SOLVED:
                done = need.row["completed_at"]
                self._whole_need_match(
                    need,
                    org.id,
                    created,
                    MatchStatus.FULFILLED,
                    decided=decided,
                    fulfilled_at=max(done, decided),
                    score=0.8,
                )
            else:
                self._whole_need_match(need, org.id, created, MatchStatus.APPROVED, decided=decided, score=0.8)

    def _whole_need_match(
        self,
        need: NeedInfo,
        organization_id: int,
        created: datetime,
        status: MatchStatus,
        *,
        score: float,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
    ) -> None:
        is_decided = status != MatchStatus.PROPOSED
        self.plan.add(
            "match",
            {
                "need_id": need.id,
                "kind": MatchKind.WHOLE_NEED,
                "source": MatchSource.PARTNER_CLAIM,
                "resource_line_id": None,
                "offer_id": None,
                "quantity": None,
                "shift_id": None,
                "volunteer_id": None,
                "organization_id": organization_id,
                "score": round(score, 4),
                "explanation": [
                    {"feature": "serves_grid", "value": 1.0 if score >= 0.6 else 0.0, "contribution": round(score, 4)}
                ],
                "shown_rank": None,
                "status": status,
                "decision_reason": reason,
                "proposed_by_id": self.ctx.users.partner_managers.get(organization_id),
                "decided_by_id": self.rng.choice(self.ctx.users.admins) if is_decided else None,
                "decided_at": decided if is_decided else None,
                "fulfilled_at": fulfilled_at,
                "created_at": created,
            },
        )
        self._touch(need, decided if is_decided else created)

    # -- pairings the story decides ------------------------------------------------------------------
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
        """One pairing outside a candidate list; False when the shift is full or the volunteer busy then."""
        holds = status in HOLDS_SLOT
        if (shift.id, position) in self.paired or (
            holds and (self._overlaps(position, shift) or shift.row["confirmed_count"] >= shift.row["slots"])
        ):
            return False
        _, score, *_, parts = self._volunteer_features(need, shift, position)
        self._volunteer_match(
            need,
            shift,
            position,
            created,
            status,
            source,
            1,
            score,
            _explain(parts),
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
        _, score, *_, parts = self._offer_features(need, line, offer)
        self._offer_match(
            need, line, offer, amount, created, status, source, 1, score, _explain(parts), decided=decided
        )

    # -- times and totals --------------------------------------------------------------------------
    def _match_time(self, earliest: datetime, latest: datetime) -> datetime:
        """A proposal time between the two, never in the future."""
        latest = min(latest, self.ctx.clock.ago(1 / 24))
        if latest <= earliest:
            return min(earliest + timedelta(minutes=30), self.ctx.clock.ago(1 / 48))
        span = (latest - earliest).total_seconds()
        return earliest + timedelta(seconds=round(self.rng.uniform(0, span)))

    def _decision_time(self, created: datetime, latest: datetime) -> datetime:
        latest = min(latest, self.ctx.clock.ago(1 / 96))
        decided = created + timedelta(seconds=round(self.rng.uniform(1, 36) * 3600))
        return max(created + timedelta(minutes=5), min(decided, latest))

    def _touch(self, need: NeedInfo, moment: datetime) -> None:
        if moment > self.need_touched.get(need.id, moment - timedelta(seconds=1)):
            self.need_touched[need.id] = moment

    def finish(self) -> None:
        """Write the totals the matches imply: volunteer hours and counts, offers' state, needs' last change."""
        for position, profile in enumerate(self.ctx.volunteers.profiles):
            profile["hours_total"] = quantity(self.hours[position])
            profile["fulfilled_count"] = self.fulfilled[position]
            profile["no_show_count"] = self.no_shows[position]
        for offer in self.ctx.offers:
            changes = self.offer_changes.get(offer.id)
            if not changes:
                continue
            offer.row["version"] = 1 + len(changes)
            offer.row["updated_at"] = max(offer.row["updated_at"], *changes)
            if offer.row["remaining_quantity"] <= 0 and offer.row["status"] == OfferStatus.ACTIVE:
                offer.row["status"] = OfferStatus.EXHAUSTED
        for need in self.ctx.needs:
            touched = self.need_touched.get(need.id)
            if touched and touched > need.row["updated_at"] and need.status not in SOLVED:
                need.row["updated_at"] = touched
