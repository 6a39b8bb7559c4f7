"""Volunteers for shifts: the lists admins were shown, and what they decided, as a street's log would hold them.

A list is drawn when a shift is staffed: on Hudao Street the volunteers the matching library's
pre-filters let through at that moment (free for part of the shift, weekly hours left), with the
library's features as they stood then (record so far, hours already held that week), ranked by
the default scorer with a little noise (staff reorder, add people they know). On a large synthetic
street, a sample of volunteers free in the shift's weekly period (near ones first) stands in for
the library (its index over 100,000 volunteers would cost more than the whole street), with the
same features computed here, and lists are shorter.

Admins look at the candidate shown at rank r with probability r ** -``EXAMINE_ETA`` (the
position-based model). What they think of one they look at is hidden from every scorer:
``ADMIN_PREFERENCE`` (reliability, distance and current load weigh more than the default scorer
says, text less), plus a personal impression per volunteer and the noise of a logistic draw; they
approve the best liked ones up to the open slots. Volunteers who joined before the year bring a
record (``MatchLedger``); approved volunteers with a low latent reliability no-show more often.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from matching.features import VOLUNTEER_FEATURES
from matching.volunteers import DEFAULT_WEIGHTS
from seeds.build.context import NeedInfo, ShiftInfo
from seeds.build.indexes import VolunteerRanking
from seeds.build.ledger import MatchLedger, explain

OPEN_FOR_REVIEW = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SOURCES = (MatchSource.MATCHING_ROUND, MatchSource.MATCHING_ROUND, MatchSource.STAFF, MatchSource.VOLUNTEER_SIGNUP)
# What admins weigh in a candidate they look at (a logit over the library's features; hidden from every scorer).
ADMIN_PREFERENCE = {
    "intercept": -1.0,
    "skill_coverage": 1.5,
    "availability": 1.0,
    "distance_km": -2.0,
    "reliability": 9.0,  # applied to (reliability − 0.5)
    "load": -2.0,
    "text": 0.3,
}
IMPRESSION_SD = 0.6
EXAMINE_ETA = 0.6
REORDER_NOISE = 0.04  # Gumbel scale on the default score when the list is drawn
EXTRA_SHOWN = (2, 6)  # candidates shown beyond the open slots
SAMPLED_EXTRA_SHOWN = (1, 3)  # the same on a large street: its history is there for volume, not for training


@dataclass(frozen=True)
class VolunteerCandidate:
    position: int
    values: dict[str, float]  # the library's features of the pair, as they stood when the list was drawn
    score: float  # the default scorer's

    def liking(self, impression: float) -> float:
        """The admin's logit for this candidate: liked when it plus logistic noise is above 0."""
        logit = ADMIN_PREFERENCE["intercept"] + impression
        for name, weight in ADMIN_PREFERENCE.items():
            if name != "intercept":
                logit += weight * (self.values[name] - (0.5 if name == "reliability" else 0.0))
        return logit

    @property
    def parts(self) -> dict[str, tuple[float, float]]:
        return {name: (self.values[name], weight * self.values[name]) for name, weight in DEFAULT_WEIGHTS.items()}

    def rejection_reason(self) -> str:
        values = self.values
        if values["skill_coverage"] < 0.5:
            return "缺少该班次所需技能"
        if values["availability"] < 0.5:
            return "该时段大部分不在志愿者可服务时间内"
        if values["reliability"] < 0.45:
            return "该志愿者近期多次未到岗"
        if values["load"] >= 0.5:
            return "该志愿者本周任务已较多，避免过度劳累"
        if values["distance_km"] > 1.5:
            return f"距离较远（{values['distance_km']:.1f}公里），优先安排就近志愿者"
        return "已安排更合适的志愿者"


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class ShiftStaffing:
    def __init__(self, ledger: MatchLedger, ranking: VolunteerRanking | None = None) -> None:
        self.ledger = ledger
        self.ctx = ledger.ctx
        self.rng = ledger.rng
        self.ranking = ranking
        self.weights = np.asarray([DEFAULT_WEIGHTS.get(name, 0.0) for name in VOLUNTEER_FEATURES])
        self.free: dict[tuple[int, int], list[int]] | None = None  # volunteers by weekly period (large streets)
        self.free_near: dict[tuple[tuple[int, int], int], list[int]] = {}
        impressions = self.ctx.rng("admin-impressions")
        self.impression = [impressions.gauss(0, IMPRESSION_SD) for _ in range(len(self.ctx.volunteers))]

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
            extra = rng.randint(*(EXTRA_SHOWN if self.ranking else SAMPLED_EXTRA_SHOWN))
            ranked = self.candidates(need, shift, (target - approved) + extra, created)
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

    def candidates(self, need: NeedInfo, shift: ShiftInfo, shown: int, when: datetime) -> list[VolunteerCandidate]:
        """The ``shown`` volunteers who had joined by ``when`` a list would show first: the default scorer's
        order, slightly reordered."""
        rng, vols = self.rng, self.ctx.volunteers
        if self.ranking is not None:
            pairs = self.ranking.pairs(
                need, shift, when, self.ledger.volunteer_record(), self.ledger.hours_array(shift.starts_at)
            )
            positions = (pairs.candidate_ids - vols.first_id).tolist()
            scores = (pairs.matrix @ self.weights).tolist()
        else:
            found = self._sampled(need, shift, shown)
            positions = [position for position, _ in found]
            scores = [sum(w * values[n] for n, w in DEFAULT_WEIGHTS.items()) for _, values in found]
        rows = [
            row
            for row, position in enumerate(positions)
            if vols.joined[position] <= when and (shift.id, position) not in self.ledger.paired
        ]
        noisy = [scores[row] - REORDER_NOISE * math.log(-math.log(rng.random() or 1e-12)) for row in rows]
        order = sorted(range(len(rows)), key=lambda i: (-noisy[i], positions[rows[i]]))
        chosen = [rows[i] for i in order[:shown]]
        if self.ranking is not None:
            names = pairs.names
            values = [dict(zip(names, pairs.matrix[row].tolist(), strict=True)) for row in chosen]
        else:
            values = [found[row][1] for row in chosen]
        return [
            VolunteerCandidate(positions[row], value, scores[row]) for row, value in zip(chosen, values, strict=True)
        ]

    def _sampled(self, need: NeedInfo, shift: ShiftInfo, wanted: int) -> list[tuple[int, dict[str, float]]]:
        """Up to ``wanted`` volunteers free in the shift's weekly period (near ones first) with hours left, and
        their features computed here."""
        rng, vols = self.rng, self.ctx.volunteers
        if self.free is None:
            self.free, self.free_near = {}, {}
            for position, periods in enumerate(vols.availability):
                for period in periods:
                    self.free.setdefault(period, []).append(position)
                    self.free_near.setdefault((period, vols.home_grids[position]), []).append(position)
        anyone = self.free.get((shift.weekday, shift.period), [])
        near = self.free_near.get(((shift.weekday, shift.period), need.grid_index), [])
        week = self.ledger.hours_in_week(shift.starts_at)
        shift_hours = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        chosen: dict[int, dict[str, float]] = {}
        for _ in range(wanted * 3):
            if len(chosen) >= wanted or not anyone:
                break
            position = rng.choice(near if near and rng.random() < 0.5 else anyone)
            cap = float(vols.profiles[position]["weekly_hour_cap"])
            if position not in chosen and cap - week.get(position, 0.0) - shift_hours >= 0:
                chosen[position] = self._values(need, shift, position, week)
        return sorted(chosen.items())

    def _values(self, need: NeedInfo, shift: ShiftInfo, position: int, week: dict[int, float]) -> dict[str, float]:
        """The library's features of one pair, computed here (a shift's period is one of the weekly windows);
        ``week`` is the hours each volunteer holds in the shift's week."""
        vols = self.ctx.volunteers
        cap = float(vols.profiles[position]["weekly_hour_cap"])
        held = week.get(position, 0.0)
        shift_hours = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        required = shift.skill_ids
        distance = self.ctx.place.distances[need.grid_index][vols.home_grids[position]]
        return {
            "skill_coverage": len(required & vols.skills[position]) / len(required) if required else 1.0,
            "availability": 1.0 if (shift.weekday, shift.period) in vols.availability[position] else 0.0,
            "proximity": math.exp(-distance / 2),
            "reliability": self.ledger.reliability(position),
            "capacity": min(1.0, max(0.0, (cap - held - shift_hours) / cap)),
            "text": 0.0,
            "interest": 0.5,  # the seeded volunteers declare no interests, skill groups or community ties yet
            "skill_related": 0.0,
            "lives_in_community": 0.0,
            "community_familiarity": 0.0,
            "distance_km": distance,
            "load": held / cap,
        }

    def candidate(self, need: NeedInfo, shift: ShiftInfo, position: int, when: datetime) -> VolunteerCandidate:
        """One volunteer the story pairs with a shift, whether or not a list would have shown them."""
        if self.ranking is None:
            values = self._values(need, shift, position, self.ledger.hours_in_week(shift.starts_at))
        else:
            pairs = self.ranking.pairs(
                need,
                shift,
                when,
                self.ledger.volunteer_record(),
                self.ledger.hours_array(shift.starts_at),
                only=[self.ctx.volunteers.first_id + position],
            )
            values = dict(zip(pairs.names, pairs.matrix[0].tolist(), strict=True))
        return VolunteerCandidate(position, values, sum(w * values[n] for n, w in DEFAULT_WEIGHTS.items()))

    def decide(
        self, need: NeedInfo, shift: ShiftInfo, ranked: list[VolunteerCandidate], created: datetime, wanted: int
    ) -> int:
        """Decide a list as an admin would; returns how many were approved (never beyond the slots).

        The admin looks at each candidate with a chance falling with the rank, keeps those they like,
        and approves the best liked ones up to the open slots; a volunteer's own sign-up is one
        candidate looked at for sure."""
        rng, clock = self.rng, self.ctx.clock
        source = rng.choice(SOURCES)
        if source == MatchSource.VOLUNTEER_SIGNUP:
            ranked = [rng.choice(ranked)] if ranked else []  # one volunteer's own sign-up
        decided = self.ledger.decision_time(created, shift.starts_at - timedelta(hours=1))
        reasons: dict[int, str] = {}
        liked: list[tuple[float, int]] = []
        for rank, candidate in enumerate(ranked, start=1):
            looked = source == MatchSource.VOLUNTEER_SIGNUP or rng.random() < rank**-EXAMINE_ETA
            logit = candidate.liking(self.impression[candidate.position])
            draw = logit - math.log(1 / max(rng.random(), 1e-12) - 1)  # logit plus logistic noise
            if not looked:
                reasons[rank] = "已安排更合适的志愿者"
            elif draw <= 0:
                reasons[rank] = candidate.rejection_reason()
            else:
                liked.append((-draw, rank))
        approved = 0
        for _, rank in sorted(liked):
            candidate = ranked[rank - 1]
            if approved >= wanted:
                reasons[rank] = "班次名额已满"
            elif self.ledger.overlaps(candidate.position, shift):
                reasons[rank] = "与该志愿者已确认的其他班次时间冲突"
            else:
                approved += 1
                reasons[rank] = ""
        for rank, candidate in enumerate(ranked, start=1):
            reason = reasons[rank]
            if not reason and shift.ends_at > clock.now and rng.random() < 0.04:
                status, fulfilled_at, reason = MatchStatus.CANCELLED, None, "志愿者临时有事，本人取消"
            elif reason:
                status, fulfilled_at = MatchStatus.REJECTED, None
            else:
                status, fulfilled_at = self._outcome(shift, candidate)
            self.write(
                need,
                shift,
                candidate,
                rank,
                status,
                source,
                created,
                reason=reason or None,
                decided=decided,
                fulfilled_at=fulfilled_at,
            )
        return approved

    def _outcome(self, shift: ShiftInfo, candidate: VolunteerCandidate) -> tuple[MatchStatus, datetime | None]:
        """After the shift: fulfilled, or a no-show, more likely for unreliable volunteers who live far."""
        clock = self.ctx.clock
        if shift.ends_at > clock.now:
            return MatchStatus.APPROVED, None
        latent = self.ctx.volunteers.reliability[candidate.position]
        if self.rng.random() < max(0.05, min(0.99, latent - 0.04 * candidate.values["distance_km"])):
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
