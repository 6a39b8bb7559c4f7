"""The need list: needs of every category, channel, urgency and status, with intakes, lines and shifts."""

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from marketplace.needs.models import NeedStatus
from marketplace.vocabulary import Category, IntakeChannel, Urgency
from seeds.build.context import LineInfo, NeedInfo, SeedContext, ShiftInfo, quantity
from seeds.data.needs import CANCELLATION_REASONS, NEED_TEMPLATES, REJECTION_REASONS, SATISFACTION_COMMENTS
from seeds.data.templates import LineTemplate, NeedTemplate, ShiftTemplate
from seeds.people import flat_address

# Mostly open projects, so the public board has plenty; a third solved; a few in review or turned down.
STATUS_WEIGHTS = {
    NeedStatus.SUBMITTED: 5,
    NeedStatus.UNDER_REVIEW: 5,
    NeedStatus.PUBLISHED: 22,
    NeedStatus.PARTIALLY_MATCHED: 14,
    NeedStatus.MATCHED: 6,
    NeedStatus.IN_PROGRESS: 12,
    NeedStatus.COMPLETED: 12,
    NeedStatus.VERIFIED: 18,
    NeedStatus.REJECTED: 4,
    NeedStatus.CANCELLED: 2,
}
CHANNEL_WEIGHTS = {
    IntakeChannel.DOOR_VISIT: 22,
    IntakeChannel.GRID_WALK: 25,
    IntakeChannel.HOTLINE_12345: 20,
    IntakeChannel.E_HOME: 18,
    IntakeChannel.RED_TEA_HOUSE: 7,
    IntakeChannel.WALK_IN: 8,
}
URGENCY_WEIGHTS = {Urgency.LOW: 18, Urgency.NORMAL: 50, Urgency.HIGH: 24, Urgency.CRITICAL: 8}
# Days since the need was recorded, per status.
AGE_DAYS = {
    NeedStatus.SUBMITTED: (0.05, 4),
    NeedStatus.UNDER_REVIEW: (1, 8),
    NeedStatus.PUBLISHED: (3, 45),
    NeedStatus.PARTIALLY_MATCHED: (5, 60),
    NeedStatus.MATCHED: (7, 60),
    NeedStatus.IN_PROGRESS: (12, 90),
    NeedStatus.COMPLETED: (20, 330),
    NeedStatus.VERIFIED: (25, 365),
    NeedStatus.REJECTED: (5, 330),
    NeedStatus.CANCELLED: (10, 330),
}
VERSIONS = {
    NeedStatus.SUBMITTED: 1,
    NeedStatus.UNDER_REVIEW: 2,
    NeedStatus.PUBLISHED: 3,
    NeedStatus.PARTIALLY_MATCHED: 4,
    NeedStatus.MATCHED: 5,
    NeedStatus.IN_PROGRESS: 6,
    NeedStatus.COMPLETED: 7,
    NeedStatus.VERIFIED: 8,
    NeedStatus.REJECTED: 3,
    NeedStatus.CANCELLED: 4,
}
OPEN = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED)
SOLVED = (NeedStatus.COMPLETED, NeedStatus.VERIFIED)
WITH_SHIFTS = (*OPEN, NeedStatus.IN_PROGRESS, *SOLVED, NeedStatus.CANCELLED)
STAFF_CHANNELS = (IntakeChannel.DOOR_VISIT, IntakeChannel.GRID_WALK, IntakeChannel.RED_TEA_HOUSE, IntakeChannel.WALK_IN)
FED_CHANNELS = (IntakeChannel.HOTLINE_12345, IntakeChannel.E_HOME)
REPORTER_NOTES = {
    IntakeChannel.DOOR_VISIT: "入户走访时居民反映",
    IntakeChannel.GRID_WALK: "网格员巡查发现",
    IntakeChannel.HOTLINE_12345: "12345热线转办",
    IntakeChannel.E_HOME: "党群e家平台居民留言",
    IntakeChannel.RED_TEA_HOUSE: "红色茶馆议事会提出",
    IntakeChannel.WALK_IN: "居民到服务站反映",
}
SATISFACTION = (5, 5, 5, 5, 5, 4, 4, 4, 3, 2)
CANCELLED_PUBLISHED = 0.6  # share of cancelled needs that had been published (and so have shifts)


@dataclass
class NeedDraft:
    """What a need is before it is laid out in time."""

    title: str
    description: str
    category: Category
    grid_index: int
    channel: IntakeChannel
    urgency: Urgency
    status: NeedStatus
    compound: str
    building: str = ""
    lines: Sequence[tuple[LineTemplate, int]] = ()
    shifts: Sequence[ShiftTemplate] = ()
    beneficiary: bool = True
    duplicate_of: NeedInfo | None = None
    age_days: float | None = None
    published_days_after: float | None = None


class NeedBuilder:
    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("needs")
        self.external_numbers = itertools.count(1)

    # -- drafting ----------------------------------------------------------------------------------
    def draft(
        self,
        template: NeedTemplate,
        grid_index: int,
        channel: IntakeChannel,
        urgency: Urgency,
        status: NeedStatus,
        shift_count: int | None = None,
    ) -> NeedDraft:
        """``shift_count``: how many shifts the need gets, spread over its template's (default: a few repeats)."""
        rng = self.rng
        grid = self.ctx.place.grids[grid_index]
        community = self.ctx.place.communities[grid.community_index]
        compound = rng.choice(grid.compounds)[0]
        building = f"{compound}{rng.randint(1, 24)}号楼"
        words = {
            "compound": compound,
            "building": building,
            "community": community.name,
            "road": rng.choice(grid.roads),
        }
        lines = [(line, rng.randrange(line.low, line.high + 1, line.step)) for line in template.lines]
        shifts: list[ShiftTemplate] = []
        if shift_count is not None:
            kinds = len(template.shifts)
            for number, shift in enumerate(template.shifts):
                shifts.extend([shift] * (shift_count // kinds + (number < shift_count % kinds)))
        else:
            for shift in template.shifts:
                repeats = 1 + (rng.random() < 0.25) + (rng.random() < 0.05)
                shifts.extend([shift] * repeats)
        personal = "{building}" in template.title or channel in (*FED_CHANNELS, IntakeChannel.WALK_IN)
        return NeedDraft(
            template.title.format(**words),
            template.description.format(**words),
            template.category,
            grid_index,
            channel,
            urgency,
            status,
            compound,
            building,
            lines,
            shifts,
            beneficiary=personal or rng.random() < 0.3,
        )

    # -- laying out --------------------------------------------------------------------------------
    def add(self, draft: NeedDraft) -> NeedInfo:
        ctx, rng, clock = self.ctx, self.rng, self.ctx.clock
        status = draft.status
        low, high = AGE_DAYS[status]
        age = draft.age_days if draft.age_days is not None else rng.uniform(low, high)
        created = clock.ago(age)
        is_public = status in (*OPEN, NeedStatus.IN_PROGRESS, *SOLVED)
        published = None
        if is_public or (status == NeedStatus.CANCELLED and rng.random() < CANCELLED_PUBLISHED):
            after = draft.published_days_after if draft.published_days_after is not None else rng.uniform(0.3, 2.5)
            published = min(clock.after(created, 24 * after), clock.ago(0.1))
        grid = ctx.place.grids[draft.grid_index]
        recorder = None
        if draft.channel in STAFF_CHANNELS:
            recorder = ctx.users.grid_staff.get(draft.grid_index)
        due_days = {Urgency.CRITICAL: (2, 7), Urgency.HIGH: (7, 21)}.get(draft.urgency, (14, 60))
        row = {
            "title": draft.title,
            "description": draft.description,
            "category": draft.category,
            "grid_id": grid.id,
            "channel": draft.channel,
            "urgency": draft.urgency,
            "due_date": clock.local_date(created) + timedelta(days=rng.randint(*due_days)),
            "beneficiary_name": None,
            "beneficiary_phone": None,
            "beneficiary_address": None,
            "status": status,
            "status_reason": None,
            "duplicate_of_id": draft.duplicate_of.id if draft.duplicate_of else None,
            "escalation_level": None,
            "created_by_id": recorder,
            "satisfaction": None,
            "satisfaction_comment": None,
            "version": VERSIONS[status],
            "created_at": created,
            "updated_at": created,
            "published_at": published,
            "completed_at": None,
            "verified_at": None,
        }
        if draft.beneficiary:
            row["beneficiary_name"] = ctx.people.name(rng)
            row["beneficiary_phone"] = ctx.people.phone(rng)
            building = draft.building or f"{draft.compound}{rng.randint(1, 24)}号楼"
            row["beneficiary_address"] = flat_address(rng, building)
        need_id = ctx.plan.add("need", row)
        need = NeedInfo(need_id, draft.grid_index, draft.category, status, row)
        self._add_intakes(need, draft, created, recorder)
        for line, amount in draft.lines:
            self._add_line(need, line, amount)
        if status in WITH_SHIFTS and published is not None:
            self._add_shifts(need, draft, published)
        self._set_due_date(need)
        self._close(need, draft, created, published)
        ctx.needs.append(need)
        return need

    def _add_intakes(self, need: NeedInfo, draft: NeedDraft, created: datetime, recorder: int | None) -> None:
        rng = self.rng
        channels = [draft.channel]
        if rng.random() < 0.12:  # the same problem reported again through another channel, then merged
            channels.append(rng.choice([c for c in IntakeChannel if c != draft.channel]))
        for number, channel in enumerate(channels):
            received = (
                created
                if number == 0
                else min(self.ctx.clock.after(created, rng.uniform(2, 72)), self.ctx.clock.ago(0.01))
            )
            reference = self._external_ref(channel, received)
            self.ctx.plan.add(
                "need_intake",
                {
                    "need_id": need.id,
                    "channel": channel,
                    "external_ref": reference,
                    "idempotency_key": f"{channel.value}:{reference}" if reference else None,
                    "reporter_note": f"{REPORTER_NOTES[channel]}：{draft.title}",
                    "received_at": received,
                    "recorded_by_id": recorder if channel in STAFF_CHANNELS else None,
                },
            )

    def _external_ref(self, channel: IntakeChannel, received: datetime) -> str | None:
        number = next(self.external_numbers)
        day = self.ctx.clock.local_date(received)
        if channel == IntakeChannel.HOTLINE_12345:
            return f"12345-{day:%Y%m%d}-{number:06d}"
        if channel == IntakeChannel.E_HOME:
            return f"EH{day:%Y%m}{number:07d}"
        return None

    def _add_line(self, need: NeedInfo, line: LineTemplate, amount: int) -> None:
        row = {
            "need_id": need.id,
            "kind": line.kind,
            "category": line.category,
            "description": line.item,
            "quantity": quantity(amount),
            "unit": line.unit,
            "still_needed": quantity(amount),
        }
        line_id = self.ctx.plan.add("resource_line", row)
        need.lines.append(LineInfo(line_id, line.kind, line.category, line.unit, row))

    def _shift_days(self, need: NeedInfo, count: int, published: datetime) -> list[date]:
        """Days of the need's shifts: ahead for open needs, behind for solved ones, both while in progress."""
        rng, clock = self.rng, self.ctx.clock
        today = clock.today
        first_possible = clock.local_date(published) + timedelta(days=1)
        if need.status in (*OPEN, NeedStatus.CANCELLED):
            start = today + timedelta(days=rng.randint(1, 21))
            return [start + timedelta(days=7 * k + rng.randint(0, 2)) for k in range(count)]
        if need.status == NeedStatus.IN_PROGRESS:
            start = max(first_possible, today - timedelta(days=rng.randint(1, 10)))
            return [start + timedelta(days=6 * k) for k in range(count)]
        last_possible = max(first_possible, today - timedelta(days=3))
        span = (last_possible - first_possible).days
        start = first_possible + timedelta(days=rng.randint(0, min(span, 25)))
        return [min(start + timedelta(days=4 * k), last_possible) for k in range(count)]

    def _add_shifts(self, need: NeedInfo, draft: NeedDraft, published: datetime) -> None:
        rng, clock, plan = self.rng, self.ctx.clock, self.ctx.plan
        days = self._shift_days(need, len(draft.shifts), published)
        for shift, day in zip(draft.shifts, days, strict=True):
            start_minute = rng.choice(shift.starts)
            starts = clock.local(day, start_minute)
            ends = starts + timedelta(minutes=round(shift.hours * 60))
            skill_ids = frozenset(self.ctx.skill_ids[code] for code in shift.skills)
            row = {
                "need_id": need.id,
                "title": shift.title,
                "location": draft.compound,
                "starts_at": starts,
                "ends_at": ends,
                "slots": rng.randint(*shift.slots),
                "confirmed_count": 0,
                "requires_approval": bool(skill_ids) and rng.random() < 0.5,
            }
            shift_id = plan.add("shift", row)
            for skill_id in sorted(skill_ids):
                plan.link("shift_skill", {"shift_id": shift_id, "skill_id": skill_id})
            period = 0 if start_minute < 720 else 1 if start_minute < 1080 else 2
            need.shifts.append(ShiftInfo(shift_id, starts, ends, day.weekday(), period, skill_ids, row))

    def _set_due_date(self, need: NeedInfo) -> None:
        """Due after the need's last shift; most open needs are not overdue yet."""
        rng, today, row = self.rng, self.ctx.clock.today, need.row
        if need.shifts:
            last_day = self.ctx.clock.local_date(max(shift.ends_at for shift in need.shifts))
            row["due_date"] = max(row["due_date"], last_day + timedelta(days=rng.randint(0, 5)))
        still_open = need.status in (NeedStatus.SUBMITTED, NeedStatus.UNDER_REVIEW, *OPEN, NeedStatus.IN_PROGRESS)
        if still_open and row["due_date"] < today and rng.random() < 0.85:
            row["due_date"] = today + timedelta(days=rng.randint(3, 30))

    def _close(self, need: NeedInfo, draft: NeedDraft, created: datetime, published: datetime | None) -> None:
        """Reasons, completion and verification times, satisfaction; ``updated_at`` is the last of them."""
        rng, clock, row = self.rng, self.ctx.clock, need.row
        status = need.status
        if status == NeedStatus.REJECTED:
            if draft.duplicate_of is not None:
                row["status_reason"] = f"与第{draft.duplicate_of.id}号需求重复，已合并处理"
            else:
                row["status_reason"] = rng.choice(REJECTION_REASONS)
            row["updated_at"] = min(clock.after(created, rng.uniform(4, 96)), clock.ago(0.05))
        elif status == NeedStatus.CANCELLED:
            row["status_reason"] = rng.choice(CANCELLATION_REASONS)
            row["updated_at"] = min(clock.after(published or created, rng.uniform(12, 240)), clock.ago(0.05))
        elif status in SOLVED:
            assert published is not None
            last_end = max((shift.ends_at for shift in need.shifts), default=published)
            done = min(clock.after(max(last_end, published), rng.uniform(6, 96)), clock.ago(1.5))
            row["completed_at"] = max(done, published)
            row["updated_at"] = row["completed_at"]
            if status == NeedStatus.VERIFIED:
                row["verified_at"] = min(clock.after(row["completed_at"], rng.uniform(12, 120)), clock.ago(0.5))
                row["updated_at"] = row["verified_at"]
                row["satisfaction"] = rng.choice(SATISFACTION)
                if rng.random() < 0.6:
                    row["satisfaction_comment"] = rng.choice(SATISFACTION_COMMENTS)
        elif published is not None:
            row["updated_at"] = published


def spread(weights: dict, count: int, rng: random.Random) -> list:
    """``count`` values in proportion to ``weights``, each at least once when there is room, shuffled."""
    total = sum(weights.values())
    values: list = []
    for value, weight in weights.items():
        values.extend([value] * max(1 if count >= len(weights) else 0, round(count * weight / total)))
    biggest = max(weights, key=weights.__getitem__)
    while len(values) < count:
        values.append(biggest)
    while len(values) > count:
        values.remove(biggest)
    rng.shuffle(values)
    return values


class ShiftQuota:
    """Spreads a target number of shifts over the needs as they are drafted.

    Which needs get shifts is only known as each is drawn (its template, and whether a cancelled need
    was ever published), so each one that can have shifts gets what is left of the target divided by
    the needs still expected to take some; the last ones absorb the rounding, so the total lands within
    a few shifts of the target.
    """

    def __init__(self, target: int, chances: list[float]) -> None:
        self.target = target
        self.made = 0
        # expected[n]: how many of needs n, n+1, ... are expected to get shifts.
        self.expected = [*itertools.accumulate(reversed(chances))][::-1]

    def count_for(self, number: int) -> int:
        left = self.target - self.made
        return max(0, round(left / max(self.expected[number], 1.0)))

    def add(self, shifts: int) -> None:
        self.made += shifts


def shift_chances(categories: list[Category], statuses: list[NeedStatus]) -> list[float]:
    """For each need to draw, the chance it gets shifts: its category's share of templates with shifts,
    if its status keeps shifts (a cancelled need keeps them when it had been published)."""
    with_shifts: dict[Category, list[bool]] = {}
    for template in NEED_TEMPLATES:
        with_shifts.setdefault(template.category, []).append(bool(template.shifts))
    share = {category: sum(flags) / len(flags) for category, flags in with_shifts.items()}
    status_chance = {status: float(status in WITH_SHIFTS) for status in NeedStatus}
    status_chance[NeedStatus.CANCELLED] = CANCELLED_PUBLISHED
    return [share.get(c, 0.0) * status_chance[s] for c, s in zip(categories, statuses, strict=True)]


def build_needs(
    ctx: SeedContext,
    count: int,
    builder: NeedBuilder | None = None,
    *,
    shifts: int | None = None,
    status_weights: dict[NeedStatus, int] | None = None,
) -> NeedBuilder:
    """Add ``count`` needs drawn from the curated templates; every category, channel, urgency and status occurs.

    ``shifts``: about this many shifts in all, instead of the templates' few per need. ``status_weights``:
    shares of the statuses other than ``STATUS_WEIGHTS`` (a city's streets do not all close as many).
    """
    builder = builder or NeedBuilder(ctx)
    rng = builder.rng
    by_category: dict[Category, list[NeedTemplate]] = {}
    for template in NEED_TEMPLATES:
        by_category.setdefault(template.category, []).append(template)
    categories = spread(dict.fromkeys(Category, 1), count, rng)
    statuses = spread(status_weights or STATUS_WEIGHTS, count, rng)
    channels = spread(CHANNEL_WEIGHTS, count, rng)
    urgencies = spread(URGENCY_WEIGHTS, count, rng)
    grid_cum = list(itertools.accumulate(grid.households for grid in ctx.place.grids))
    grids = rng.choices(range(len(ctx.place.grids)), cum_weights=grid_cum, k=count)
    quota = ShiftQuota(shifts, shift_chances(categories, statuses)) if shifts is not None else None
    report_every = max(1, count // 20)
    for number in range(count):
        status = statuses[number]
        original = _duplicate_candidate(ctx, rng) if status == NeedStatus.REJECTED and rng.random() < 0.5 else None
        if original is not None:
            draft = NeedDraft(
                original.row["title"],
                original.row["description"],
                original.category,
                original.grid_index,
                channels[number],
                urgencies[number],
                status,
                rng.choice(ctx.place.grids[original.grid_index].compounds)[0],
                duplicate_of=original,
                age_days=rng.uniform(0.2, 0.9) * (ctx.clock.now - original.row["created_at"]).total_seconds() / 86400,
            )
        else:
            template = rng.choice(by_category[categories[number]])
            shift_count = quota.count_for(number) if quota and template.shifts and status in WITH_SHIFTS else None
            draft = builder.draft(template, grids[number], channels[number], urgencies[number], status, shift_count)
        need = builder.add(draft)
        if quota:
            quota.add(len(need.shifts))
        if number % report_every == 0:
            ctx.report("needs", number, count)
    ctx.report("needs", count, count)
    return builder


def _duplicate_candidate(ctx: SeedContext, rng: random.Random) -> NeedInfo | None:
    """An earlier need, old enough that a later report of it can be turned down as a duplicate."""
    candidates = [need for need in ctx.needs[-200:] if need.status not in (NeedStatus.REJECTED, NeedStatus.SUBMITTED)]
    return rng.choice(candidates) if candidates else None
