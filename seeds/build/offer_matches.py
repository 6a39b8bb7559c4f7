"""Offers for resource lines, and partners claiming whole projects.

Candidates share the line's unit; most are of the line's category. Decisions depend on category
and kind fit, the share of the need covered, whether the partner serves the need's grid and how
far it is, plus noise and a little position bias.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from marketplace.offers.models import OfferStatus
from marketplace.organizations.models import OrganizationStatus
from seeds.build.context import LineInfo, NeedInfo, OfferInfo
from seeds.build.ledger import MatchLedger, explain

OPEN_FOR_REVIEW = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SOLVED = (NeedStatus.COMPLETED, NeedStatus.VERIFIED)
SOURCES = (
    MatchSource.PARTNER_CLAIM,
    MatchSource.PARTNER_CLAIM,
    MatchSource.MATCHING_ROUND,
    MatchSource.MATCHING_ROUND,
    MatchSource.STAFF,
)
CLAIMED_SHARE = 0.1  # of projects claimed whole by one partner


@dataclass(frozen=True)
class OfferCandidate:
    offer: OfferInfo
    score: float
    category: float
    kind: float
    coverage: float
    serves: float
    distance: float
    parts: dict[str, tuple[float, float]]

    def utility(self, rank: int, rng: random.Random) -> float:
        """How much the deciding admin likes this pairing; approved when positive."""
        return (
            -4.0
            + 3.5 * self.category
            + 0.6 * self.kind
            + 1.0 * self.coverage
            + 1.6 * self.serves
            - 0.15 * min(self.distance, 5)
            - 0.1 * (rank - 1)
            + rng.gauss(0, 0.8)
        )

    def rejection_reason(self) -> str:
        if not self.category:
            return "资源类别与需求不符"
        if not self.serves:
            return "该单位服务范围不含本网格"
        if self.coverage < 0.3:
            return "数量太少，不足以满足需求"
        return "已选择更合适的资源"


class LineSupply:
    def __init__(self, ledger: MatchLedger, reserved_offers: set[int]) -> None:
        self.ledger = ledger
        self.ctx = ledger.ctx
        self.rng = ledger.rng
        self.by_unit: dict[str, list[OfferInfo]] = {}
        for offer in self.ctx.offers:
            if offer.id not in reserved_offers and offer.row["status"] != OfferStatus.WITHDRAWN:
                self.by_unit.setdefault(offer.unit, []).append(offer)

    def supply(self, need: NeedInfo, line: LineInfo, fill: float) -> None:
        """Cover ``fill`` of the line through a few candidate lists; leave proposals for review."""
        rng, clock = self.rng, self.ctx.clock
        published = need.row["published_at"]
        if published is None:
            return
        deadline = need.row["completed_at"] or clock.now
        for _ in range(3):
            still = line.row["still_needed"]
            if fill == 0 or still <= 0 or 1 - still / line.row["quantity"] >= fill:
                break
            latest = min(published + timedelta(days=20), deadline - timedelta(hours=2))
            created = self.ledger.proposal_time(published, latest)
            ranked = self.candidates(need, line, created)
            if not ranked:
                break
            self.decide(need, line, ranked, created, stop_after_one=fill < 1)
        if need.status in OPEN_FOR_REVIEW and line.row["still_needed"] > 0 and rng.random() < 0.5:
            created = self.ledger.proposal_time(published, clock.now)
            for rank, candidate in enumerate(self.candidates(need, line, created)[:2], start=1):
                self.write(need, line, candidate, rank, MatchStatus.PROPOSED, MatchSource.MATCHING_ROUND, created)

    def candidates(self, need: NeedInfo, line: LineInfo, when: datetime) -> list[OfferCandidate]:
        """Offers of the line's unit valid at ``when`` with something left: 1-3 of its category, 1-3 others."""
        rng = self.rng
        usable = [
            offer
            for offer in self.by_unit.get(line.unit, ())
            if offer.row["remaining_quantity"] > 0
            and offer.row["valid_from"] <= when
            and (offer.row["valid_until"] is None or offer.row["valid_until"] > when)
        ]
        if len(usable) > 40:
            usable = rng.sample(usable, 40)
        same = [offer for offer in usable if offer.category == line.category]
        other = [offer for offer in usable if offer.category != line.category]
        chosen = rng.sample(same, min(len(same), rng.randint(1, 3)))
        chosen += rng.sample(other, min(len(other), rng.randint(1, 3)))
        ranked = [self.features(need, line, offer) for offer in chosen]
        ranked.sort(key=lambda candidate: -candidate.score)
        return ranked

    def features(self, need: NeedInfo, line: LineInfo, offer: OfferInfo) -> OfferCandidate:
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
        score = sum(weight for _, weight in parts.values())
        return OfferCandidate(offer, round(score, 4), category, kind, coverage, serves, distance, parts)

    def decide(
        self, need: NeedInfo, line: LineInfo, ranked: list[OfferCandidate], created: datetime, *, stop_after_one: bool
    ) -> None:
        """Decide a ranked list in order until the line is covered (or after one approval, when partial)."""
        rng, clock = self.rng, self.ctx.clock
        source = rng.choice(SOURCES)
        decided = self.ledger.decision_time(created, (need.row["completed_at"] or clock.now) - timedelta(hours=1))
        done = False
        for rank, candidate in enumerate(ranked, start=1):
            if min(candidate.offer.row["remaining_quantity"], line.row["still_needed"]) <= 0:
                continue
            if done or candidate.utility(rank, rng) <= 0:
                reason = "已由其他单位满足" if done else candidate.rejection_reason()
                self.write(
                    need, line, candidate, rank, MatchStatus.REJECTED, source, created, reason=reason, decided=decided
                )
                continue
            delivered = need.status in SOLVED or (need.status == NeedStatus.IN_PROGRESS and rng.random() < 0.5)
            fulfilled_at = None
            if delivered:
                fulfilled_at = min(
                    need.row["completed_at"] or clock.ago(0.5), clock.after(decided, rng.uniform(24, 240))
                )
                fulfilled_at = max(fulfilled_at, decided)
            status = MatchStatus.FULFILLED if delivered else MatchStatus.APPROVED
            self.write(need, line, candidate, rank, status, source, created, decided=decided, fulfilled_at=fulfilled_at)
            done = stop_after_one or line.row["still_needed"] <= 0

    def write(
        self,
        need: NeedInfo,
        line: LineInfo,
        candidate: OfferCandidate,
        rank: int,
        status: MatchStatus,
        source: MatchSource,
        created: datetime,
        *,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
    ) -> None:
        amount = min(candidate.offer.row["remaining_quantity"], line.row["still_needed"])
        self.ledger.add_match(
            need,
            MatchKind.OFFER_LINE,
            source,
            status,
            created,
            score=candidate.score,
            explanation=explain(candidate.parts),
            rank=rank,
            reason=reason,
            decided=decided,
            fulfilled_at=fulfilled_at,
            line=line,
            offer=candidate.offer,
            amount=amount,
        )


def claim_whole_needs(ledger: MatchLedger, reserved_needs: set[int]) -> None:
    """A tenth of the projects are claimed whole by a partner serving their grid; some claims are turned down."""
    ctx, rng, clock = ledger.ctx, ledger.rng, ledger.ctx.clock
    partners = [org for org in ctx.organizations if org.status == OrganizationStatus.APPROVED]
    claimable = (*OPEN_FOR_REVIEW, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, *SOLVED)
    for need in ctx.needs:
        published = need.row["published_at"]
        if need.id in reserved_needs or need.status not in claimable or published is None or not partners:
            continue
        if rng.random() > CLAIMED_SHARE:
            continue
        if rng.random() < 0.35:
            other = rng.choice(partners)
            serves = need.grid_index in other.grid_indexes
            created = ledger.proposal_time(published, published + timedelta(days=5))
            _claim(
                ledger,
                need,
                other.id,
                MatchStatus.REJECTED,
                created,
                serves,
                reason="已由其他单位认领" if serves else "该单位服务范围不含本网格",
                decided=ledger.decision_time(created, clock.now),
            )
        near = [org for org in partners if need.grid_index in org.grid_indexes] or partners
        org = rng.choice(near)
        finished = need.row["completed_at"]
        created = ledger.proposal_time(
            published, min(published + timedelta(days=10), (finished or clock.now) - timedelta(hours=2))
        )
        serves = need.grid_index in org.grid_indexes
        if need.status in OPEN_FOR_REVIEW:
            _claim(ledger, need, org.id, MatchStatus.PROPOSED, created, serves)
            continue
        decided = ledger.decision_time(created, (finished or clock.now) - timedelta(hours=1))
        if finished is not None:
            _claim(
                ledger,
                need,
                org.id,
                MatchStatus.FULFILLED,
                created,
                serves,
                decided=decided,
                fulfilled_at=max(finished, decided),
            )
        else:
            _claim(ledger, need, org.id, MatchStatus.APPROVED, created, serves, decided=decided)


def _claim(
    ledger: MatchLedger,
    need: NeedInfo,
    organization_id: int,
    status: MatchStatus,
    created: datetime,
    serves: bool,
    *,
    reason: str | None = None,
    decided: datetime | None = None,
    fulfilled_at: datetime | None = None,
) -> None:
    parts = {"serves_grid": (1.0 if serves else 0.0, 0.5 if serves else 0.0), "whole_project": (1.0, 0.35)}
    ledger.add_match(
        need,
        MatchKind.WHOLE_NEED,
        MatchSource.PARTNER_CLAIM,
        status,
        created,
        score=sum(weight for _, weight in parts.values()),
        explanation=explain(parts),
        reason=reason,
        decided=decided,
        fulfilled_at=fulfilled_at,
        organization_id=organization_id,
    )
