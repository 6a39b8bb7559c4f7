"""The match ledger: writes match and sign-up rows and keeps every capacity they consume.

Approving reserves: an offer's remaining quantity and its line's need shrink, a shift's slot is
held, the volunteer is busy for that time (and those hours count in that week's load). Volunteers
who joined before the year of history bring a record of it. The totals these imply (hours, counts,
offer states) are written at the end by ``finish``.
"""

import random
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.offers.models import OfferStatus
from marketplace.volunteers.hours import credit_for
from marketplace.volunteers.models import SignupStatus
from seeds.build.context import LineInfo, NeedInfo, OfferInfo, SeedContext, ShiftInfo, quantity
from seeds.build.indexes import week_of

SOLVED_STATUSES = ("completed", "verified")
HOLDS_SLOT = (MatchStatus.APPROVED, MatchStatus.FULFILLED, MatchStatus.NO_SHOW)
RESERVES = (MatchStatus.APPROVED, MatchStatus.FULFILLED)
PAST_TASKS_PER_YEAR = (2.0, 8.0)
PAST_TASK_HOURS = 2.5
SIGNUP_STATUS = {
    MatchStatus.PROPOSED: SignupStatus.PENDING,
    MatchStatus.APPROVED: SignupStatus.CONFIRMED,
    MatchStatus.FULFILLED: SignupStatus.COMPLETED,
    MatchStatus.NO_SHOW: SignupStatus.NO_SHOW,
    MatchStatus.CANCELLED: SignupStatus.CANCELLED,
    MatchStatus.REJECTED: SignupStatus.CANCELLED,
}


def explain(parts: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """The three largest contributions, as data the pages render: feature, its value, its share of the score."""
    ranked = sorted(parts.items(), key=lambda item: -item[1][1])[:3]
    return [
        {"feature": name, "value": round(value, 3), "contribution": round(weight, 4)}
        for name, (value, weight) in ranked
    ]


class MatchLedger:
    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng("history")
        count = len(ctx.volunteers)
        self.fulfilled = [0] * count
        self.no_shows = [0] * count
        self.cancelled = [0] * count  # sign-ups that ended cancelled: the library counts them as failures
        self.hours = [0.0] * count
        self._carry_over_past_records()
        self.week_hours: dict[datetime, dict[int, float]] = {}  # hours held, by week (``week_of``) and volunteer
        # Per offer: (decided, delivered or None) of each approval, to tell its record and open matches then.
        self.offer_matches: dict[int, list[tuple[datetime, datetime | None]]] = {}
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}
        self.paired: set[tuple[int, int]] = set()
        self.offer_changes: dict[int, list[datetime]] = {}
        self.need_touched: dict[int, datetime] = {}
        self.engaged_needs: set[int] = set()  # needs with at least one approved pairing

    def _carry_over_past_records(self) -> None:
        """Volunteers who joined before the year of history served before it too (the street's paper
        ledger): a few tasks a year, kept or missed by their latent reliability, count in their record."""
        rng, vols, clock = self.ctx.rng("past-records"), self.ctx.volunteers, self.ctx.clock
        for position in range(len(vols)):
            years = (clock.now - vols.joined[position]).days / 365 - 1
            tasks = round(max(0.0, years) * rng.uniform(*PAST_TASKS_PER_YEAR))
            done = sum(rng.random() < vols.reliability[position] for _ in range(tasks))
            self.fulfilled[position], self.no_shows[position] = done, tasks - done
            self.hours[position] = done * PAST_TASK_HOURS

    # -- times -------------------------------------------------------------------------------------
    def proposal_time(self, earliest: datetime, latest: datetime) -> datetime:
        """A moment between the two, never in the future."""
        latest = min(latest, self.ctx.clock.ago(1 / 24))
        if latest <= earliest:
            return min(earliest + timedelta(minutes=30), self.ctx.clock.ago(1 / 48))
        span = (latest - earliest).total_seconds()
        return earliest + timedelta(seconds=round(self.rng.uniform(0, span)))

    def decision_time(self, created: datetime, latest: datetime) -> datetime:
        """An admin decides within a day and a half, before ``latest`` and before now."""
        latest = min(latest, self.ctx.clock.ago(1 / 96))
        decided = created + timedelta(seconds=round(self.rng.uniform(1, 36) * 3600))
        return max(created + timedelta(minutes=5), min(decided, latest))

    # -- capacity checks ---------------------------------------------------------------------------
    def overlaps(self, position: int, shift: ShiftInfo) -> bool:
        return any(start < shift.ends_at and shift.starts_at < end for start, end in self.busy.get(position, ()))

    def reliability(self, position: int) -> float:
        """Observed so far: fulfilled against no-shows and cancellations, with a prior of one each."""
        done, missed = self.fulfilled[position], self.no_shows[position] + self.cancelled[position]
        return (done + 1) / (done + missed + 2)

    def volunteer_record(self) -> tuple[list[int], list[int]]:
        """Fulfilled and failed (no-shows and cancellations) per volunteer so far."""
        return self.fulfilled, [missed + gone for missed, gone in zip(self.no_shows, self.cancelled, strict=True)]

    def hours_in_week(self, moment: datetime) -> dict[int, float]:
        """Hours each volunteer (by position) holds in the week of ``moment``; absent means none."""
        return self.week_hours.setdefault(week_of(moment), {})

    def hours_array(self, moment: datetime) -> np.ndarray:
        hours = np.zeros(len(self.fulfilled))
        for position, held in self.hours_in_week(moment).items():
            hours[position] = held
        return hours

    def offer_record(self, offers: list[OfferInfo], when: datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per offer at ``when``: matches delivered, failed (none: partners deliver or cancel), still open."""
        delivered = np.zeros(len(offers))
        open_ = np.zeros(len(offers))
        for row, offer in enumerate(offers):
            for decided, done in self.offer_matches.get(offer.id, ()):
                if decided <= when:
                    if done is not None and done <= when:
                        delivered[row] += 1
                    else:
                        open_[row] += 1
        return delivered, np.zeros(len(offers)), open_

    # -- rows --------------------------------------------------------------------------------------
    def add_match(
        self,
        need: NeedInfo,
        kind: MatchKind,
        source: MatchSource,
        status: MatchStatus,
        created: datetime,
        *,
        score: float,
        explanation: list[dict[str, Any]],
        rank: int | None = None,
        reason: str | None = None,
        decided: datetime | None = None,
        fulfilled_at: datetime | None = None,
        line: LineInfo | None = None,
        offer: OfferInfo | None = None,
        amount: Any = None,
        shift: ShiftInfo | None = None,
        position: int | None = None,
        organization_id: int | None = None,
    ) -> int:
        """Write one match, proposed by whoever its source says, and take what it reserves."""
        vols, users = self.ctx.volunteers, self.ctx.users
        proposer = None
        if source == MatchSource.VOLUNTEER_SIGNUP and position is not None:
            proposer = vols.user_ids[position]
        elif source == MatchSource.PARTNER_CLAIM:
            proposer = users.partner_managers.get(offer.organization_id if offer else organization_id or 0)
        elif source == MatchSource.STAFF:
            proposer = users.grid_staff.get(need.grid_index)
        if source in (MatchSource.VOLUNTEER_SIGNUP, MatchSource.PARTNER_CLAIM):
            rank = None  # self-selected: nobody was shown a ranked list
        is_decided = status != MatchStatus.PROPOSED
        match_id = self.ctx.plan.add(
            "match",
            {
                "need_id": need.id,
                "kind": kind,
                "source": source,
                "resource_line_id": line.id if line else None,
                "offer_id": offer.id if offer else None,
                "quantity": quantity(amount) if amount is not None else None,
                "shift_id": shift.id if shift else None,
                "volunteer_id": vols.first_id + position if position is not None else None,
                "organization_id": offer.organization_id if offer else organization_id,
                "score": round(score, 4),
                "explanation": explanation,
                "shown_rank": rank,
                "status": status,
                "decision_reason": reason,
                "proposed_by_id": proposer,
                "decided_by_id": self.rng.choice(users.admins) if is_decided else None,
                "decided_at": decided if is_decided else None,
                "fulfilled_at": fulfilled_at,
                "created_at": created,
            },
        )
        self._touch(need, decided if is_decided and decided else created)
        if status in (MatchStatus.APPROVED, MatchStatus.FULFILLED, MatchStatus.NO_SHOW):
            self.engaged_needs.add(need.id)
        if offer is not None and line is not None and status in RESERVES:
            offer.row["remaining_quantity"] -= quantity(amount)
            line.row["still_needed"] -= quantity(amount)
            self.offer_changes.setdefault(offer.id, []).append(decided or created)
            self.offer_matches.setdefault(offer.id, []).append((decided or created, fulfilled_at))
        if shift is not None and position is not None:
            self._hold_shift(shift, position, match_id, status, source, created)
        return match_id

    def _hold_shift(
        self,
        shift: ShiftInfo,
        position: int,
        match_id: int,
        status: MatchStatus,
        source: MatchSource,
        created: datetime,
    ) -> None:
        self.paired.add((shift.id, position))
        if status in HOLDS_SLOT:
            shift.row["confirmed_count"] += 1
            self.busy.setdefault(position, []).append((shift.starts_at, shift.ends_at))
            week = self.hours_in_week(shift.starts_at)
            week[position] = week.get(position, 0.0) + (shift.ends_at - shift.starts_at).total_seconds() / 3600
        if status == MatchStatus.REJECTED and source != MatchSource.VOLUNTEER_SIGNUP:
            return  # proposed by staff or a matching round: the volunteer never signed up
        row: dict[str, Any] = {
            "shift_id": shift.id,
            "volunteer_id": self.ctx.volunteers.first_id + position,
            "match_id": match_id,
            "status": SIGNUP_STATUS[status],
            "checked_in_at": None,
            "checked_out_at": None,
            "hours_credited": quantity(0),
            "created_at": created,
        }
        if status == MatchStatus.FULFILLED:
            row["checked_in_at"] = shift.starts_at + timedelta(minutes=self.rng.randint(-15, 10))
            row["checked_out_at"] = shift.ends_at + timedelta(minutes=self.rng.randint(-10, 20))
            # The app's one rule (marketplace.volunteers.hours), so the stored hours match the stored times.
            credited = credit_for(shift.starts_at, shift.ends_at, row["checked_in_at"], row["checked_out_at"]).hours
            row["hours_credited"] = credited
            self.fulfilled[position] += 1
            self.hours[position] += float(credited)
        elif status == MatchStatus.NO_SHOW:
            self.no_shows[position] += 1
        elif row["status"] == SignupStatus.CANCELLED:
            self.cancelled[position] += 1
        self.ctx.plan.add("shift_signup", row)

    def _touch(self, need: NeedInfo, moment: datetime) -> None:
        if moment > self.need_touched.get(need.id, moment - timedelta(seconds=1)):
            self.need_touched[need.id] = moment

    # -- totals ------------------------------------------------------------------------------------
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
            if touched and touched > need.row["updated_at"] and need.status not in SOLVED_STATUSES:
                need.row["updated_at"] = touched
