"""Volunteers for shifts: candidates near, skilled and random, ranked, then decided as admins would.

Decisions depend on skill coverage, availability, distance, observed reliability and current load,
plus noise and a little position bias; approved volunteers with a low latent reliability no-show.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from seeds.build.context import NeedInfo, ShiftInfo
from seeds.build.ledger import MatchLedger, explain

OPEN_FOR_REVIEW = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SOURCES = (MatchSource.MATCHING_ROUND, MatchSource.MATCHING_ROUND, MatchSource.STAFF, MatchSource.VOLUNTEER_SIGNUP)


@dataclass(frozen=True)
class VolunteerCandidate:
    position: int
    score: float
    coverage: float
    distance: float
    proximity: float
    available: float
    reliability: float
    load: int
    parts: dict[str, tuple[float, float]]

    def utility(self, rank: int, rng: random.Random) -> float:
        """How much the deciding admin likes this pairing; approved when positive."""
        return (
            -1.3
            + 2.6 * self.coverage
            + 1.2 * self.available
            + 1.6 * self.proximity
            + 1.5 * (self.reliability - 0.5)
            - 0.25 * self.load
            - 0.12 * (rank - 1)
            + rng.gauss(0, 0.75)
        )

    def rejection_reason(self) -> str:
        if self.coverage < 0.5:
            return "缺少该岗位所需技能"
        if not self.available:
            return "该时段不在志愿者可服务时间内"
        if self.distance > 2:
            return f"距离较远（{self.distance:.1f}公里），优先安排就近志愿者"
        return "已安排更合适的志愿者"


class ShiftStaffing:
    def __init__(self, ledger: MatchLedger) -> None:
        self.ledger = ledger
        self.ctx = ledger.ctx
        self.rng = ledger.rng

    def staff(self, need: NeedInfo, shift: ShiftInfo, fill: float) -> None:
        """Fill ``fill`` of the shift's slots through a few candidate lists; leave proposals for review."""
        rng, clock = self.rng, self.ctx.clock
        published = need.row["published_at"]
        if published is None:
            return
        target = round(shift.row["slots"] * fill)
        approved = 0
        for _ in range(4):
            if approved >= target:
                break
            created = self.ledger.proposal_time(published, shift.starts_at - timedelta(hours=6))
            ranked = self.candidates(need, shift, (target - approved) + rng.randint(1, 3), created)
            approved += self.decide(need, shift, ranked, created, target - approved)
        if need.status in OPEN_FOR_REVIEW and rng.random() < 0.6 and shift.starts_at > clock.now:
            created = self.ledger.proposal_time(published, clock.now)
            source = rng.choice((MatchSource.MATCHING_ROUND, MatchSource.VOLUNTEER_SIGNUP))
            for rank, candidate in enumerate(self.candidates(need, shift, rng.randint(1, 3), created), start=1):
                self.write(need, shift, candidate, rank, MatchStatus.PROPOSED, source, created)
        if need.status == NeedStatus.CANCELLED and rng.random() < 0.5:
            cancelled = need.row["updated_at"]
            created = self.ledger.proposal_time(published, cancelled)
            for candidate in self.candidates(need, shift, 1, created):
                self.write(
                    need,
                    shift,
                    candidate,
                    1,
                    MatchStatus.CANCELLED,
                    MatchSource.VOLUNTEER_SIGNUP,
                    created,
                    reason="项目已取消",
                    decided=cancelled,
                )

    def candidates(self, need: NeedInfo, shift: ShiftInfo, wanted: int, when: datetime) -> list[VolunteerCandidate]:
        """Up to ``wanted`` volunteers who had joined by ``when``, best first: near, skilled or anyone."""
        rng, vols = self.rng, self.ctx.volunteers
        near = vols.by_grid.get(need.grid_index, [])
        skilled = [vols.by_skill.get(skill_id, []) for skill_id in sorted(shift.skill_ids)]
        chosen: list[int] = []
        for attempt in range(wanted * 6):
            if len(chosen) >= wanted:
                break
            roll = rng.random()
            pool = near if roll < 0.45 and near else skilled[attempt % len(skilled)] if roll < 0.8 and skilled else None
            position = rng.choice(pool) if pool else rng.randrange(len(vols))
            if position in chosen or (shift.id, position) in self.ledger.paired or vols.joined[position] > when:
                continue
            chosen.append(position)
        ranked = [self.features(need, shift, position) for position in chosen]
        ranked.sort(key=lambda candidate: -candidate.score)
        return ranked

    def features(self, need: NeedInfo, shift: ShiftInfo, position: int) -> VolunteerCandidate:
        vols = self.ctx.volunteers
        required = shift.skill_ids
        coverage = len(required & vols.skills[position]) / len(required) if required else 1.0
        distance = self.ctx.place.distances[need.grid_index][vols.home_grids[position]]
        proximity = max(0.0, 1 - distance / 3)
        available = 1.0 if (shift.weekday, shift.period) in vols.availability[position] else 0.0
        reliability = self.ledger.reliability(position)
        load = self.ledger.load(position, shift)
        parts = {
            "skill_coverage": (coverage, 0.40 * coverage),
            "availability": (available, 0.20 * available),
            "distance_km": (distance, 0.25 * proximity),
            "reliability": (reliability, 0.15 * reliability),
        }
        score = sum(weight for _, weight in parts.values()) - 0.03 * load
        return VolunteerCandidate(
            position, round(score, 4), coverage, distance, proximity, available, reliability, load, parts
        )

    def decide(
        self, need: NeedInfo, shift: ShiftInfo, ranked: list[VolunteerCandidate], created: datetime, wanted: int
    ) -> int:
        """Decide a ranked list in order; returns how many were approved (slots are never exceeded)."""
        rng, clock = self.rng, self.ctx.clock
        source = rng.choice(SOURCES)
        decided = self.ledger.decision_time(created, shift.starts_at - timedelta(hours=1))
        approved = 0
        for rank, candidate in enumerate(ranked, start=1):
            reason = None
            if candidate.utility(rank, rng) <= 0:
                reason = candidate.rejection_reason()
            elif approved >= wanted:
                reason = "岗位名额已满"
            elif self.ledger.overlaps(candidate.position, shift):
                reason = "与该志愿者已确认的其他岗位时间冲突"
            elif shift.ends_at > clock.now and rng.random() < 0.04:
                self.write(
                    need,
                    shift,
                    candidate,
                    rank,
                    MatchStatus.CANCELLED,
                    source,
                    created,
                    reason="志愿者临时有事，本人取消",
                    decided=decided,
                )
                continue
            if reason:
                self.write(
                    need, shift, candidate, rank, MatchStatus.REJECTED, source, created, reason=reason, decided=decided
                )
                continue
            approved += 1
            status, fulfilled_at = self._outcome(shift, candidate)
            self.write(
                need, shift, candidate, rank, status, source, created, decided=decided, fulfilled_at=fulfilled_at
            )
        return approved

    def _outcome(self, shift: ShiftInfo, candidate: VolunteerCandidate) -> tuple[MatchStatus, datetime | None]:
        """After the shift: fulfilled, or a no-show, more likely for unreliable volunteers who live far."""
        clock = self.ctx.clock
        if shift.ends_at > clock.now:
            return MatchStatus.APPROVED, None
        latent = self.ctx.volunteers.reliability[candidate.position]
        if self.rng.random() < max(0.05, min(0.99, latent - 0.04 * candidate.distance)):
            return MatchStatus.FULFILLED, min(
                shift.ends_at + timedelta(minutes=self.rng.randint(5, 180)), clock.ago(0.01)
            )
        return MatchStatus.NO_SHOW, None

    def write(
        self,
        need: NeedInfo,
        shift: ShiftInfo,
        candidate: VolunteerCandidate,
        rank: int,
        status: MatchStatus,
        source: MatchSource,
        created: datetime,
        *,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
    ) -> None:
        self.ledger.add_match(
            need,
            MatchKind.VOLUNTEER_SHIFT,
            source,
            status,
            created,
            score=candidate.score,
            explanation=explain(candidate.parts),
            rank=rank,
            reason=reason,
            decided=decided,
            fulfilled_at=fulfilled_at,
            shift=shift,
            position=candidate.position,
        )
