"""Offers for resource lines, and partners claiming whole projects.

A list is drawn when a line is supplied: on Hudao Street the offers the matching library's
pre-filters let through at that moment (same kind, something left, offered and not expired), with
its features as they stood then, ranked by the default scorer with a little noise; on a large
synthetic street a sample of offers of the line's unit stands in, with the same features computed
here. Admins read it from the top like the volunteers' lists (``volunteer_matches``) and weigh
what the default scorer underrates (``OFFER_ADMIN_PREFERENCE``: the right category, a partner near
the grid with a record of delivering and few open matches); an offer in another unit never covers
the line. A partner pledges part of its stock to one project, so a line often takes several.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from marketplace.offers.models import OfferStatus
from marketplace.organizations.models import OrganizationStatus
from matching import units
from matching.offers import DEFAULT_WEIGHTS
from matching.vocabulary import ItemVocabulary
from seeds.build.context import LineInfo, NeedInfo, OfferInfo
from seeds.build.indexes import OfferRanking
from seeds.build.ledger import MatchLedger, explain
from seeds.data.item_vocabulary import CURATED_ITEMS

OPEN_FOR_REVIEW = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SOLVED = (NeedStatus.COMPLETED, NeedStatus.VERIFIED)
LIST_SOURCES = (MatchSource.MATCHING_ROUND, MatchSource.MATCHING_ROUND, MatchSource.STAFF)
CLAIMED_SHARE = 0.1  # of projects claimed whole by one partner
PARTNER_CLAIM_SHARE = 0.2  # of a line's rounds that are one partner's own claim, not a list
# What admins weigh in an offer they look at (a logit over the library's features; hidden from every scorer).
OFFER_ADMIN_PREFERENCE = {
    "intercept": -1.0,
    "coverage": 0.5,
    "category": 2.5,
    "distance_km": -2.0,
    "reliability": 6.0,  # applied to (reliability − 0.5)
    "load": -1.0,
    "validity": 1.5,
    "text": 0.3,
}
IMPRESSION_SD = 0.5
EXAMINE_ETA = 0.6
REORDER_NOISE = 0.04
SHOWN = (4, 9)
SAMPLED_SHOWN = (2, 6)  # on a large street, where a sample of offers stands in for the library
PLEDGE = (0.25, 0.7)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # share of the line's quantity a partner pledges to it


@dataclass(frozen=True)
class OfferCandidate:
    offer: OfferInfo
    values: dict[str, float]  # the library's features of the pair, as they stood when the list was drawn
    score: float  # the default scorer's
    same_unit: bool  # the offer can serve the line (matching.units: its kind, a unit of the same measure, the item)

    def liking(self, impression: float) -> float:
        logit = OFFER_ADMIN_PREFERENCE["intercept"] + impression
        for name, weight in OFFER_ADMIN_PREFERENCE.items():
            if name != "intercept":
                logit += weight * (self.values[name] - (0.5 if name == "reliability" else 0.0))
        return logit

    @property
    def parts(self) -> dict[str, tuple[float, float]]:
        return {name: (self.values[name], weight * self.values[name]) for name, weight in DEFAULT_WEIGHTS.items()}

    def rejection_reason(self) -> str:
        values = self.values
        if not values["category"]:
            return "资源类别与需求不符"
        if values["distance_km"] > 1.5:
            return "该单位服务范围离本网格较远"
        if values["coverage"] < 0.3:
            return "数量太少，不足以满足需求"
        if values["load"] >= math.log(3):
            return "该单位手头对接项目较多，暂不再安排"
        return "已选择更合适的资源"


def can_serve(offer: OfferInfo, line: LineInfo) -> bool:
    """The app's rule (matching.units.can_serve): an offer of another kind, unit or item never serves the line.

    Both sides carry the item keys the application stores for them (``marketplace.items.services``: an offer's
    title, else its description; a line's description), resolved by the curated vocabulary the seeding installs,
    so a 个 fit is decided by item as on the pages, the API, an import and a round."""
    kind, category = str(offer.kind), str(offer.category)
    title, description = offer.row["title"], offer.row["description"] or ""
    offer_item = item_key((title, description), category, kind, offer.unit)
    line_kind, line_category, text = str(line.kind), str(line.category), line.row["description"]
    line_item = item_key((text,), line_category, line_kind, line.unit)
    return units.can_serve(
        units.Side(kind, category, offer.unit, title, offer_item),
        units.Side(line_kind, line_category, line.unit, text, line_item),
    ).ok


@lru_cache(maxsize=1)
def _vocabulary() -> ItemVocabulary:
    return ItemVocabulary(CURATED_ITEMS)


@lru_cache(maxsize=65536)
def item_key(texts: tuple[str, ...], category: str, kind: str, unit: str) -> str:
    """The item key the application would store for these texts (the first that names an item; "" when none).
    Cached: a street repeats its templates' texts, and the history asks for every candidate of every list."""
    return _vocabulary().key_of_any(texts, category, kind, unit)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _microseconds(moment: datetime) -> int:
    """Exact microseconds since the epoch (a float timestamp could round two close moments together)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


class LiveOffers:
    """The offers of one unit, in list order, and which of them are live at a moment.

    A Python test of every offer of the unit for every list was quadratic: on a city-sized street
    (20,000 offers, 40,000 lines) it took most of the history's time. Validity is kept as numbers
    and tested at once; an offer used up is dropped for good (``used``), since quantities only go
    down while the history plays, so the same offers come out in the same order as the plain test.
    """

    def __init__(self, offers: Sequence[OfferInfo]) -> None:
        self.offers = list(offers)
        never = np.iinfo(np.int64).max
        self.starts = np.asarray([_microseconds(offer.row["valid_from"]) for offer in self.offers], dtype=np.int64)
        self.ends = np.asarray(
            [never if o.row["valid_until"] is None else _microseconds(o.row["valid_until"]) for o in self.offers],
            dtype=np.int64,
        )
        self.left = np.asarray([offer.row["remaining_quantity"] > 0 for offer in self.offers], dtype=bool)
        self.position = {offer.id: number for number, offer in enumerate(self.offers)}

    def at(self, when: datetime) -> list[int]:
        """Positions (in ``offers``) of the offers with something left and valid at ``when``."""
        moment = _microseconds(when)
        return np.flatnonzero(self.left & (self.starts <= moment) & (self.ends > moment)).tolist()

    def used(self, offer: OfferInfo) -> None:
        if offer.row["remaining_quantity"] <= 0 and offer.id in self.position:
            self.left[self.position[offer.id]] = False


class LineSupply:
    def __init__(self, ledger: MatchLedger, reserved_offers: set[int], ranked_by_library: bool = False) -> None:
        self.ledger = ledger
        self.ctx = ledger.ctx
        self.rng = ledger.rng
        self.usable = [
            offer
            for offer in self.ctx.offers
            if offer.id not in reserved_offers and offer.row["status"] != OfferStatus.WITHDRAWN
        ]
        by_unit: dict[str, list[OfferInfo]] = {}
        for offer in self.usable:
            by_unit.setdefault(offer.unit, []).append(offer)
        self.by_unit = {unit: LiveOffers(offers) for unit, offers in by_unit.items()}
        self.ranking = OfferRanking(self.ctx, self.usable) if ranked_by_library else None
        self.by_id = {offer.id: offer for offer in self.usable}
        impressions = self.ctx.rng("admin-offer-impressions")
        self.impression = {offer.id: impressions.gauss(0, IMPRESSION_SD) for offer in self.ctx.offers}

    def supply(self, need: NeedInfo, line: LineInfo, fill: float) -> None:
        """Cover ``fill`` of the line through a few candidate lists; leave proposals for review."""
        rng, clock = self.rng, self.ctx.clock
        published = need.row["published_at"]
        if published is None:
            return
        deadline = need.row["completed_at"] or clock.now
        for _ in range(4 if self.ranking else 3):
            still = line.row["still_needed"]
            if fill == 0 or still <= 0 or 1 - still / line.row["quantity"] >= fill:
                break
            latest = min(published + timedelta(days=20), deadline - timedelta(hours=2))
            created = self.ledger.proposal_time(published, latest)
            ranked = self.candidates(need, line, created, rng.randint(*(SHOWN if self.ranking else SAMPLED_SHOWN)))
            if not ranked:
                break
            self.decide(need, line, ranked, created, fill)
        if need.status in OPEN_FOR_REVIEW and line.row["still_needed"] > 0 and rng.random() < 0.5:
            created = self.ledger.proposal_time(published, clock.now)
            same_unit = [c for c in self.candidates(need, line, created, 10) if c.same_unit]
            for rank, candidate in enumerate(same_unit[:2], start=1):
                self.write(need, line, candidate, rank, MatchStatus.PROPOSED, MatchSource.MATCHING_ROUND, created)

    def candidates(self, need: NeedInfo, line: LineInfo, when: datetime, shown: int) -> list[OfferCandidate]:
        """The ``shown`` offers a list would show first at ``when``: the default scorer's order, slightly reordered."""
        rng = self.rng
        pool = self._pool(need, line, when)
        noisy = [c.score - REORDER_NOISE * math.log(-math.log(rng.random() or 1e-12)) for c in pool]
        order = sorted(range(len(pool)), key=lambda i: (-noisy[i], pool[i].offer.id))
        return [pool[i] for i in order[:shown]]

    def _pool(self, need: NeedInfo, line: LineInfo, when: datetime) -> list[OfferCandidate]:
        if self.ranking is not None:
            record = self.ledger.offer_record(self.usable, when)
            pairs = self.ranking.pairs(need, line, when, *record)
            by_id = self.by_id
            found = [
                (by_id[int(candidate)], dict(zip(pairs.names, row.tolist(), strict=True)))
                for candidate, row in zip(pairs.candidate_ids, pairs.matrix, strict=True)
            ]
        elif line.unit in self.by_unit:
            unit = self.by_unit[line.unit]
            live = unit.at(when)
            sampled = [unit.offers[number] for number in self.rng.sample(live, min(len(live), 12))]
            found = [(offer, self._values(need, line, offer)) for offer in sampled]
        else:
            found = []
        return [
            OfferCandidate(
                offer, values, sum(w * values[n] for n, w in DEFAULT_WEIGHTS.items()), can_serve(offer, line)
            )
            for offer, values in found
        ]

    def _values(self, need: NeedInfo, line: LineInfo, offer: OfferInfo) -> dict[str, float]:
        """The library's features of one pair, computed here (no text, no record)."""
        serves = need.grid_index in offer.grid_indexes
        distances = self.ctx.place.distances[need.grid_index]
        nearest = min((distances[index] for index in offer.grid_indexes), default=5.0)
        still = float(line.row["still_needed"]) or 1e-9
        return {
            "coverage": min(1.0, float(offer.row["remaining_quantity"]) / still) if can_serve(offer, line) else 0.0,
            "category": 1.0 if offer.category == line.category else 0.0,
            "area": 1.0 if serves else math.exp(-nearest / 3),
            "reliability": 0.5,
            "text": 0.0,
            "validity": 1.0,
            "item": 0.5,  # the seeded offers carry no item keys or community work yet
            "community_familiarity": 0.0,
            "distance_km": 0.0 if serves else nearest,
            "load": 0.0,
        }

    def features(self, need: NeedInfo, line: LineInfo, offer: OfferInfo) -> OfferCandidate:
        """One offer the story pairs with a line, as the library sees it now (or as computed here)."""
        values = self._values(need, line, offer)
        if self.ranking is not None and offer.id in self.ranking.ids:
            when = self.ctx.clock.now
            pairs = self.ranking.pairs(need, line, when, *self.ledger.offer_record(self.usable, when))
            rows = [i for i, c in enumerate(pairs.candidate_ids) if int(c) == offer.id]
            if rows:
                values = dict(zip(pairs.names, pairs.matrix[rows[0]].tolist(), strict=True))
        score = sum(w * values[n] for n, w in DEFAULT_WEIGHTS.items())
        return OfferCandidate(offer, values, score, can_serve(offer, line))

    def decide(
        self, need: NeedInfo, line: LineInfo, ranked: list[OfferCandidate], created: datetime, fill: float
    ) -> None:
        """Decide a list as an admin would: look at each offer with a chance falling with its rank, keep those
        liked, and approve the best liked ones' pledges until ``fill`` of the line is covered."""
        rng, clock = self.rng, self.ctx.clock
        claim = rng.random() < PARTNER_CLAIM_SHARE
        if claim:
            ranked = [rng.choice([c for c in ranked if c.same_unit] or ranked)]
        source = MatchSource.PARTNER_CLAIM if claim else rng.choice(LIST_SOURCES)
        decided = self.ledger.decision_time(created, (need.row["completed_at"] or clock.now) - timedelta(hours=1))
        reasons: dict[int, str] = {}
        liked: list[tuple[float, int]] = []
        for rank, candidate in enumerate(ranked, start=1):
            looked = claim or rng.random() < rank**-EXAMINE_ETA
            draw = candidate.liking(self.impression[candidate.offer.id]) - math.log(1 / max(rng.random(), 1e-12) - 1)
            if not candidate.same_unit:
                reasons[rank] = "计量单位或物品与需求不符，无法对接"
            elif not looked:
                reasons[rank] = "已选择更合适的资源"
            elif draw <= 0:
                reasons[rank] = candidate.rejection_reason()
            else:
                liked.append((-draw, rank))
        for _, rank in sorted(liked):
            still = line.row["still_needed"]
            if still <= 0 or 1 - still / line.row["quantity"] >= fill:
                reasons[rank] = "已由其他单位满足"
                continue
            candidate = ranked[rank - 1]
            share = rng.uniform(*PLEDGE) if self.ranking else 1.0  # a large street's history is for volume
            pledge = math.ceil(float(line.row["quantity"]) * share)
            delivered = need.status in SOLVED or (need.status == NeedStatus.IN_PROGRESS and rng.random() < 0.5)
            fulfilled_at = None
            if delivered:
                fulfilled_at = min(
                    need.row["completed_at"] or clock.ago(0.5), clock.after(decided, rng.uniform(24, 240))
                )
                fulfilled_at = max(fulfilled_at, decided)
            self.write(
                need,
                line,
                candidate,
                rank,
                MatchStatus.FULFILLED if delivered else MatchStatus.APPROVED,
                source,
                created,
                decided=decided,
                fulfilled_at=fulfilled_at,
                amount=min(candidate.offer.row["remaining_quantity"], still, pledge),
            )
        for rank, reason in sorted(reasons.items()):
            candidate = ranked[rank - 1]
            self.write(
                need,
                line,
                candidate,
                rank,
                MatchStatus.REJECTED,
                source,
                created,
                reason=reason,
                decided=decided,
                amount=min(candidate.offer.row["remaining_quantity"], line.row["quantity"]),
            )

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
        amount: object = None,
    ) -> None:
        if amount is None:
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
        if candidate.offer.unit in self.by_unit:
            self.by_unit[candidate.offer.unit].used(candidate.offer)


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
