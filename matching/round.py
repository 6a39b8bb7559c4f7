"""A matching round: candidates from the indexes' top k for every open line and shift, then one plan.

Two steps, both over the whole street at once:

1. Candidates. Each resource line asks the ``OfferIndex`` for its ``k`` best offers and each shift
   asks the ``VolunteerIndex`` for its ``k`` best volunteers, with their scores and reasons: the
   lists of ``rank()``, computed for all lines or shifts at once by ``rank_many``. Candidates the
   round may not use are dropped before counting to ``k``: pairs that already have a live match,
   candidates missing from the capacities given (an offer of an organization that is not
   approved), and volunteers already committed to an overlapping shift.
   ``shown_rank`` is the candidate's place (1 = best) in that list of usable candidates.
2. Allocation. ``allocate_lines`` (a linear programme, exact) and, for shifts, the integer programme
   of ``allocate_shifts`` (same objective, same constraints) or the greedy baselines. Shifts are
   solved per connected component of the shift–volunteer candidate graph: every constraint (slots of
   a shift; hours, overlaps of a volunteer) involves pairs of one shift or one volunteer, so
   components share no constraint and the union of their optima is the optimum of the whole. A
   component with one shift needs no solver: its volunteers have no other pair, so the best
   ``open_slots`` feasible pairs are optimal. Larger components go to ``solve_shifts``, a tighter
   statement of the same programme (see there) that HiGHS proves optimal (within a relative gap of
   1e-6, less than one pair's worth) about ten times faster than ``allocate_shifts`` at 100,000 pairs.

Nothing here knows the web or the database; the application passes plain records and indexes.
"""

import bisect
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal, TypeVar

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from matching.allocation import (
    URGENCY_PRIORITY,
    Candidate,
    LineAssignment,
    ShiftAssignment,
    allocate_lines,
    greedy_lines,
    greedy_shifts,
)
from matching.availability import hours_left_in_week, street_week
from matching.explain import Ranked, Reason
from matching.offers import OfferIndex
from matching.records import LineNeed, Offer, ShiftNeed, Volunteer
from matching.volunteers import VolunteerIndex

Method = Literal["optimal", "greedy"]
P = TypeVar("P", LineNeed, ShiftNeed)
# stage, done, total: "lines" and "shifts" count parts ranked; "allocation" counts components solved.
Progress = Callable[[str, int, int], None]
Window = tuple[datetime, datetime]
DEFAULT_K = 20
# Progress is reported about this many times per stage (and always at the end), not per item.
PROGRESS_STEPS = 200


@dataclass(frozen=True, slots=True)
class Proposal:
    """One pairing of the plan: what it pairs, how much (lines), its score and why, and its list place."""

    kind: Literal["line", "shift"]
    need_id: int
    part_id: int  # the resource line or shift
    candidate_id: int  # the offer or volunteer
    score: float
    shown_rank: int
    reasons: tuple[Reason, ...]
    quantity: float | None = None  # lines only: in the line's unit


@dataclass
class RoundStats:
    lines: int = 0
    shifts: int = 0
    line_candidates: int = 0
    shift_candidates: int = 0
    components: int = 0
    largest_component: int = 0  # candidate pairs in the largest shift component
    objective: float = 0.0  # the allocation's objective: urgency-weighted scores
    seconds: dict[str, float] = field(default_factory=dict)  # wall-clock time per step
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # this thread's CPU time per step


@dataclass
class RoundPlan:
    lines: list[Proposal]
    shifts: list[Proposal]
    stats: RoundStats


@dataclass(frozen=True, slots=True)
class Listed:
    """A usable candidate as the round saw it: its ranking and its place in the part's list."""

    ranked: Ranked
    shown_rank: int


def _reporter(progress: Progress | None, stage: str, total: int) -> Callable[[int], None]:
    """Tells ``progress`` how far a stage is, about ``PROGRESS_STEPS`` times and always at the end."""
    step = max(1, total // PROGRESS_STEPS)
    last = [-1, -1]  # the step and the count last reported

    def report(done: int) -> None:
        if progress is not None and done != last[1] and (done // step > last[0] or done == total):
            last[:] = [done // step, done]
            progress(stage, done, total)

    return report


def _usable_tops(
    rank_many: Callable[[Sequence[P], int], list[list[Ranked]]],
    parts: Sequence[P],
    usable: Callable[[P, int], bool],
    k: int,
) -> list[list[Listed]]:
    """The ``k`` best usable candidates of every part: ask for ``k``, and for twice as many for the
    parts whose unusable candidates crowd them out."""
    found: list[list[Listed]] = [[] for _ in parts]
    pending, want = list(range(len(parts))), k
    while pending:
        lists = rank_many([parts[i] for i in pending], want)
        again = []
        for i, ranked in zip(pending, lists, strict=True):
            kept = [candidate for candidate in ranked if usable(parts[i], candidate.candidate_id)]
            if len(kept) >= k or len(ranked) < want:
                found[i] = [Listed(candidate, place) for place, candidate in enumerate(kept[:k], start=1)]
            else:
                again.append(i)
        pending, want = again, want * 2
    return found


def _overlaps(shift: ShiftNeed, windows: Sequence[Window]) -> bool:
    return any(start < shift.ends_at and shift.starts_at < end for start, end in windows)


def line_candidates(
    index: OfferIndex,
    lines: Sequence[LineNeed],
    now: datetime,
    k: int,
    *,
    offers: Collection[int],
    taken: Collection[tuple[int, int]] = frozenset(),
    progress: Progress | None = None,
) -> dict[int, list[Listed]]:
    """The ``k`` best usable offers of every line (offers in ``offers``, pairs not in ``taken``)."""
    report = _reporter(progress, "lines", len(lines))
    found = _usable_tops(
        lambda parts, want: index.rank_many(parts, now, k=want, ranked=report if want == k else None),
        lines,
        lambda line, offer_id: offer_id in offers and (line.id, offer_id) not in taken,
        k,
    )
    return {line.id: listed for line, listed in zip(lines, found, strict=True)}


def shift_candidates(
    index: VolunteerIndex,
    shifts: Sequence[ShiftNeed],
    k: int,
    *,
    volunteers: Collection[int],
    taken: Collection[tuple[int, int]] = frozenset(),
    busy: Mapping[int, Sequence[Window]] | None = None,
    progress: Progress | None = None,
) -> dict[int, list[Listed]]:
    """The ``k`` best usable volunteers of every shift: known, not paired with it yet, free at that time."""
    busy = busy or {}
    report = _reporter(progress, "shifts", len(shifts))

    def usable(shift: ShiftNeed, volunteer_id: int) -> bool:
        return (
            volunteer_id in volunteers
            and (shift.id, volunteer_id) not in taken
            and not _overlaps(shift, busy.get(volunteer_id, ()))
        )

    found = _usable_tops(
        lambda parts, want: index.rank_many(parts, k=want, ranked=report if want == k else None), shifts, usable, k
    )
    return {shift.id: listed for shift, listed in zip(shifts, found, strict=True)}


def _pairs(listed: Mapping[int, list[Listed]]) -> list[Candidate]:
    return [
        Candidate(part_id, item.ranked.candidate_id, item.ranked.score)
        for part_id, items in listed.items()
        for item in items
    ]


def shift_components(candidates: Sequence[Candidate]) -> list[list[Candidate]]:
    """The candidate pairs grouped by connected component of the shift–volunteer graph, largest first
    (equal sizes in order of their first pair); each group keeps the pairs' order."""
    if not candidates:
        return []
    shift_ids, shift_node = np.unique([c.need_part_id for c in candidates], return_inverse=True)
    _, volunteer_node = np.unique([c.candidate_id for c in candidates], return_inverse=True)
    edges = np.ones(len(candidates))
    graph = sparse.coo_matrix(
        (edges, (shift_node.ravel(), len(shift_ids) + volunteer_node.ravel())),
        shape=(len(shift_ids) + int(volunteer_node.max()) + 1,) * 2,
    )
    _, label = connected_components(graph, directed=False)
    of_pair = label[shift_node.ravel()]
    _, first, inverse, sizes = np.unique(of_pair, return_index=True, return_inverse=True, return_counts=True)
    order = sorted(range(len(first)), key=lambda g: (-sizes[g], first[g]))
    groups: list[list[Candidate]] = [[] for _ in order]
    place = {g: position for position, g in enumerate(order)}
    for candidate, g in zip(candidates, inverse.ravel().tolist(), strict=True):
        groups[place[g]].append(candidate)
    return groups


def _hours(shift: ShiftNeed) -> float:
    return (shift.ends_at - shift.starts_at).total_seconds() / 3600


def _one_shift(shift: ShiftNeed, volunteers: Mapping[int, Volunteer], pairs: list[Candidate]) -> list[ShiftAssignment]:
    """Exact without a solver: each volunteer here has this one pair, so take the best that fit."""
    fitting = [
        pair
        for pair in pairs
        if pair.score > 0 and hours_left_in_week(volunteers[pair.candidate_id], shift.starts_at) >= _hours(shift)
    ]
    fitting.sort(key=lambda pair: (-pair.score, pair.candidate_id))
    return [ShiftAssignment(shift.id, pair.candidate_id, pair.score) for pair in fitting[: max(shift.open_slots, 0)]]


def _overlap_cliques(columns: list[int], spans: list[Window]) -> list[list[int]]:
    """Groups of columns whose shifts all overlap one another: the shifts running at each shift's start.

    Intervals that pairwise overlap share a common point, and every maximal such group is running at
    the start of its latest-starting member, so these groups cover every overlapping pair.
    """
    groups: dict[tuple[int, ...], None] = {}
    for start, _ in spans:
        running = tuple(column for column, (s, e) in zip(columns, spans, strict=True) if s <= start < e)
        if len(running) > 1:
            groups[running] = None
    return [list(group) for group in groups]


def _most_hours(spans: list[Window]) -> float:
    """The most hours any set of non-overlapping shifts among ``spans`` adds up to (interval scheduling)."""
    ordered = sorted(spans, key=lambda span: span[1])
    ends = [end for _, end in ordered]
    best = [0.0] * (len(ordered) + 1)
    for position, (start, end) in enumerate(ordered):
        before = bisect.bisect_right(ends, start, 0, position)
        best[position + 1] = max(best[position], best[before] + (end - start).total_seconds() / 3600)
    return best[-1]


def solve_shifts(
    shifts: Mapping[int, ShiftNeed], volunteers: Mapping[int, Volunteer], pairs: Sequence[Candidate]
) -> tuple[list[ShiftAssignment], float]:
    """The optimum of ``allocate_shifts``'s programme, stated tighter so HiGHS proves it sooner.

    Same variables, objective and feasible plans; three differences in how they are written:
    overlaps as one row per group of mutually overlapping shifts (interval cliques) instead of one
    row per overlapping pair, which is the same for whole numbers and tighter for the relaxation;
    a volunteer's hours row only when their non-overlapping candidate shifts could exceed it, and a
    pair that alone exceeds it is left out; HiGHS's presolve off (its probing took half the time on
    these models) and the relative gap at 1e-6 rather than HiGHS's 1e-4: on the benchmark street
    (objective about 3.8 million, one pair worth about 7) the plan is proven within 4 of the
    optimum, less than one pair, and the proof takes 12 s of CPU instead of 19 s at a gap of 0.
    """
    # Each shift's hours and times and each volunteer's hours left, worked out once, not once per pair.
    hours = {shift_id: _hours(shifts[shift_id]) for shift_id in {c.need_part_id for c in pairs}}
    span = {shift_id: (shifts[shift_id].starts_at, shifts[shift_id].ends_at) for shift_id in hours}
    # Hours are budgeted per volunteer and street week: a shift draws on the hours of its own week.
    week = {shift_id: street_week(shifts[shift_id].starts_at) for shift_id in hours}
    hours_left = {
        (c.candidate_id, week[c.need_part_id]): hours_left_in_week(volunteers[c.candidate_id], span[c.need_part_id][0])
        for c in pairs
    }
    usable = [
        c
        for c in pairs
        if hours[c.need_part_id] <= hours_left[(c.candidate_id, week[c.need_part_id])] + 1e-9 and c.score > 0
    ]
    if not usable:
        return [], 0.0
    weights = np.asarray([c.score * URGENCY_PRIORITY.get(shifts[c.need_part_id].urgency, 1.0) for c in usable])
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    upper: list[float] = []

    def add_row(entries: list[tuple[int, float]], bound: float) -> None:
        for column, value in entries:
            rows.append(len(upper))
            columns.append(column)
            values.append(value)
        upper.append(bound)

    by_shift: dict[int, list[int]] = defaultdict(list)
    by_volunteer: dict[int, list[int]] = defaultdict(list)
    for column, c in enumerate(usable):
        by_shift[c.need_part_id].append(column)
        by_volunteer[c.candidate_id].append(column)
    for shift_id, of_shift in by_shift.items():
        if len(of_shift) > shifts[shift_id].open_slots:  # otherwise the slots never bind
            add_row([(column, 1.0) for column in of_shift], shifts[shift_id].open_slots)
    for volunteer_id, of_volunteer in by_volunteer.items():
        spans = [span[usable[c].need_part_id] for c in of_volunteer]
        if len(spans) > 1:  # one shift overlaps nothing
            for group in _overlap_cliques(of_volunteer, spans):
                add_row([(column, 1.0) for column in group], 1.0)
        by_week: dict[date, list[int]] = defaultdict(list)
        for c in of_volunteer:
            by_week[week[usable[c].need_part_id]].append(c)
        for shift_week, of_week in by_week.items():
            left = hours_left[(volunteer_id, shift_week)]
            if _most_hours([span[usable[c].need_part_id] for c in of_week]) > left + 1e-9:
                add_row([(c, hours[usable[c].need_part_id]) for c in of_week], left)
    constraints = (
        [
            LinearConstraint(
                sparse.csr_matrix((values, (rows, columns)), shape=(len(upper), len(usable))), -np.inf, upper
            )
        ]
        if upper
        else []
    )
    result = milp(
        -weights,
        constraints=constraints,
        integrality=np.ones(len(usable)),
        bounds=Bounds(0, 1),
        options={"presolve": False, "mip_rel_gap": 1e-6},
    )
    if not result.success:
        raise RuntimeError(f"the shift allocation could not be solved: {result.message}")
    chosen = [
        ShiftAssignment(c.need_part_id, c.candidate_id, c.score)
        for c, y in zip(usable, result.x, strict=True)
        if y > 0.5
    ]
    return chosen, float(-result.fun)


def allocate_shift_components(
    shifts: Sequence[ShiftNeed],
    volunteers: Sequence[Volunteer],
    candidates: Sequence[Candidate],
    *,
    progress: Progress | None = None,
) -> tuple[list[ShiftAssignment], float, list[int]]:
    """The optimal shift plan, component by component; the plan, its objective and each component's size."""
    by_shift = {shift.id: shift for shift in shifts}
    by_volunteer = {volunteer.id: volunteer for volunteer in volunteers}
    usable = [c for c in candidates if c.need_part_id in by_shift and c.candidate_id in by_volunteer]
    components = shift_components(usable)
    report = _reporter(progress, "allocation", len(components))
    plan: list[ShiftAssignment] = []
    total = 0.0
    for done, component in enumerate(components, start=1):
        shift_ids = {c.need_part_id for c in component}
        if len(shift_ids) == 1:
            shift = by_shift[next(iter(shift_ids))]
            chosen = _one_shift(shift, by_volunteer, component)
            value = sum(a.score for a in chosen) * URGENCY_PRIORITY.get(shift.urgency, 1.0)
        else:
            chosen, value = solve_shifts(by_shift, by_volunteer, component)
        plan.extend(chosen)
        total += value
        report(done)
    if not components:
        report(0)
    return plan, total, [len(component) for component in components]


def _proposals_of_lines(
    plan: list[LineAssignment], lines: Mapping[int, LineNeed], listed: Mapping[int, list[Listed]]
) -> list[Proposal]:
    place = {(part, item.ranked.candidate_id): item for part, items in listed.items() for item in items}
    return [
        Proposal(
            "line",
            lines[a.line_id].need_id,
            a.line_id,
            a.offer_id,
            a.score,
            place[(a.line_id, a.offer_id)].shown_rank,
            place[(a.line_id, a.offer_id)].ranked.reasons,
            a.quantity,
        )
        for a in plan
    ]


def _proposals_of_shifts(
    plan: list[ShiftAssignment], shifts: Mapping[int, ShiftNeed], listed: Mapping[int, list[Listed]]
) -> list[Proposal]:
    place = {(part, item.ranked.candidate_id): item for part, items in listed.items() for item in items}
    return [
        Proposal(
            "shift",
            shifts[a.shift_id].need_id,
            a.shift_id,
            a.volunteer_id,
            a.score,
            place[(a.shift_id, a.volunteer_id)].shown_rank,
            place[(a.shift_id, a.volunteer_id)].ranked.reasons,
        )
        for a in plan
    ]


class _Clock:
    """Wall-clock and this thread's CPU time of each step (CPU time shows the cost on a busy machine)."""

    def __init__(self, stats: RoundStats) -> None:
        self.stats = stats
        self.wall = self.cpu = 0.0

    def start(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.thread_time()

    def stop(self, step: str) -> None:
        self.stats.seconds[step] = time.perf_counter() - self.wall
        self.stats.cpu_seconds[step] = time.thread_time() - self.cpu


def plan_round(
    lines: Sequence[LineNeed],
    shifts: Sequence[ShiftNeed],
    *,
    offer_index: OfferIndex | None,
    volunteer_index: VolunteerIndex | None,
    now: datetime,
    k: int = DEFAULT_K,
    method: Method = "optimal",
    offers: Sequence[Offer] | None = None,
    volunteers: Sequence[Volunteer] | None = None,
    taken_lines: Collection[tuple[int, int]] = frozenset(),
    taken_shifts: Collection[tuple[int, int]] = frozenset(),
    busy: Mapping[int, Sequence[Window]] | None = None,
    progress: Progress | None = None,
) -> RoundPlan:
    """The plan for ``lines`` and ``shifts``: each proposal with its score, reasons and list place.

    ``offers`` and ``volunteers`` carry the capacities the plan must respect (remaining quantities;
    weekly caps and hours already booked); they default to the indexes' own records, and a candidate
    missing from them is not used. ``taken_*`` are (part, candidate) pairs with a live match already;
    ``busy`` maps a volunteer to the time windows they are already committed to.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    stats = RoundStats(lines=len(lines), shifts=len(shifts))
    offers = list(offers if offers is not None else (offer_index.offers if offer_index else []))
    volunteers = list(volunteers if volunteers is not None else (volunteer_index.volunteers if volunteer_index else []))
    lines = [line for line in lines if line.still_needed > 0]
    shifts = [shift for shift in shifts if shift.open_slots > 0]

    clock = _Clock(stats)
    clock.start()
    listed_lines = (
        line_candidates(offer_index, lines, now, k, offers={o.id for o in offers}, taken=taken_lines, progress=progress)
        if offer_index is not None
        else {}
    )
    clock.stop("line_candidates")

    clock.start()
    listed_shifts = (
        shift_candidates(
            volunteer_index,
            shifts,
            k,
            volunteers={v.id for v in volunteers},
            taken=taken_shifts,
            busy=busy,
            progress=progress,
        )
        if volunteer_index is not None
        else {}
    )
    clock.stop("shift_candidates")

    line_pairs, shift_pairs = _pairs(listed_lines), _pairs(listed_shifts)
    stats.line_candidates, stats.shift_candidates = len(line_pairs), len(shift_pairs)

    clock.start()
    if progress is not None:
        progress("allocation", 0, 1)
    allocate = greedy_lines if method == "greedy" else allocate_lines
    line_plan, line_value = allocate(list(lines), offers, line_pairs) if line_pairs else ([], 0.0)
    clock.stop("line_allocation")

    clock.start()
    if method == "greedy":
        shift_plan, shift_value = greedy_shifts(list(shifts), volunteers, shift_pairs)
        sizes = [len(shift_pairs)] if shift_pairs else []
        if progress is not None:
            progress("allocation", 1, 1)
    else:
        shift_plan, shift_value, sizes = allocate_shift_components(shifts, volunteers, shift_pairs, progress=progress)
    clock.stop("shift_allocation")
    stats.components, stats.largest_component = len(sizes), max(sizes, default=0)
    stats.objective = line_value + shift_value

    return RoundPlan(
        _proposals_of_lines(line_plan, {line.id: line for line in lines}, listed_lines),
        _proposals_of_shifts(shift_plan, {shift.id: shift for shift in shifts}, listed_shifts),
        stats,
    )


def with_capacity(
    offers: Sequence[Offer],
    volunteers: Sequence[Volunteer],
    *,
    reserved: Mapping[int, float],
    booked: Mapping[int, float] | None = None,
    booked_by_week: Mapping[int, Mapping[date, float]] | None = None,
) -> tuple[list[Offer], list[Volunteer]]:
    """Offers less the quantities ``reserved`` on them, volunteers plus the hours ``booked`` for them (this
    week's) or ``booked_by_week`` (per street week, for records with ``hours_by_week``).

    The application passes what proposals still waiting for review hold, so a plan never promises the
    same units or hours twice.
    """
    booked, by_week = booked or {}, booked_by_week or {}

    def plus(v: Volunteer) -> Volunteer:
        if v.id in by_week:
            weeks = dict(v.hours_by_week)
            for week, hours in by_week[v.id].items():
                weeks[week] = weeks.get(week, 0.0) + hours
            v = replace(v, hours_by_week=weeks)
        if v.id in booked:
            v = replace(v, hours_this_week=v.hours_this_week + booked[v.id])
        return v

    return (
        [
            replace(o, remaining=max(o.remaining - reserved.get(o.id, 0.0), 0.0)) if o.id in reserved else o
            for o in offers
        ],
        [plus(v) if v.id in booked or v.id in by_week else v for v in volunteers],
    )
