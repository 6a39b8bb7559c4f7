"""A synthetic street's year of match decisions, deterministic with a seed, for tests and benchmarks.

The street: ``grids`` grids a few hundred metres apart around Hudao Street (Qingdao), volunteers
with skills from a taxonomy of 20, weekly availability, weekly hour caps and a hidden reliability;
needs of seven categories with one to three shifts each, published over a year.

How the log is made, shift by shift in time order:

1. The candidates are the volunteers who pass the pre-filters at that moment, with their features
   (``VolunteerIndex.pair_features``). Every four weeks the index is rebuilt: the volunteers'
   fulfilled and no-show counts include what happened so far and their hours this week are drawn
   anew (their current load).
2. The list shown was the default scorer's order perturbed by Gumbel noise (staff reorder, add
   people they know): its first ``shown`` candidates, ranks 1…shown.
3. Admins examine the candidate at rank r with probability r ** -``eta`` (the position-based
   model). What they would think of a candidate is hidden from every scorer: the logit
   ``ADMIN_PREFERENCE`` over skills, availability, distance, reliability, current load and text,
   plus a personal impression per volunteer. An examined candidate they like is approved; one they
   do not like is rejected; one they never examined is recorded as rejected too (not chosen).
4. An approved volunteer turns up with their hidden reliability (fulfilled, else no-show); the
   decisions of the last ``PENDING_DAYS`` stay ``approved`` (not delivered yet).

``counterfactual`` keeps, for every shown pair, the outcome had the admins examined it (the same
draws), so a benchmark can measure scorers against what admins want, not only against the biased
log.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from matching.features import VOLUNTEER, PairFeatures
from matching.records import Decision, GridPoint, ShiftNeed, Volunteer, WeeklyWindow
from matching.text import TextSpace
from matching.volunteers import DEFAULT_WEIGHTS, VolunteerIndex

START = datetime(2025, 11, 24, 0, 0, tzinfo=UTC)  # a Monday; fixed bounds, never the clock
DAYS = 364
PERIOD_DAYS = 28
PENDING_DAYS = 14
HUDAO = (36.095, 120.345)

SKILLS = {
    1: "理发",
    2: "医疗护理",
    3: "法律咨询",
    4: "心理疏导",
    5: "水电维修",
    6: "驾驶",
    7: "摄影",
    8: "书法",
    9: "英语翻译",
    10: "电脑维修",
    11: "烹饪",
    12: "搬运",
    13: "垃圾分类指导",
    14: "核酸采样",
    15: "助老陪护",
    16: "文艺演出",
    17: "矛盾调解",
    18: "绿化养护",
    19: "消防安全",
    20: "儿童托管",
}
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "elderly_care": (("为独居老人上门理发", "陪同高龄老人就医", "助老食堂送餐上门"), (1, 15, 2, 11, 6)),
    "environment": (("楼道杂物清理", "垃圾分类桶前值守", "小区绿地补种"), (13, 12, 18)),
    "epidemic_prevention": (("核酸检测点秩序维护", "疫苗接种点引导"), (14, 2)),
    "mediation": (("邻里纠纷调解", "红色茶馆议事会法律咨询"), (17, 3, 4)),
    "culture_sports": (("广场文艺演出", "书法进社区", "社区运动会摄影"), (16, 8, 7)),
    "renovation": (("老旧小区楼道灯维修", "凉亭修缮搬运", "消防通道隐患排查"), (5, 12, 19)),
    "children": (("四点半课堂作业辅导", "青少年电脑兴趣班"), (20, 9, 10)),
}
BACKGROUNDS = ("退休教师", "社区党员", "大学生志愿者", "热心居民", "退役军人", "在职青年")

# What admins weigh when they look at a candidate (a logit; hidden from every scorer).
ADMIN_PREFERENCE = {
    "intercept": -3.0,
    "skill_coverage": 2.5,
    "availability": 1.5,
    "distance_km": -1.2,
    "reliability": 5.0,  # applied to (reliability − 0.5)
    "load": -2.5,
    "text": 1.0,
}
IMPRESSION_SD = 0.5


@dataclass
class History:
    """The street, its shifts and the decisions on them, with each shift's candidates' features."""

    grids: list[GridPoint]
    volunteers: list[Volunteer]
    shifts: list[ShiftNeed]
    decisions: list[Decision]
    pairs: dict[int, PairFeatures]
    counterfactual: dict[tuple[int, int], str] = field(default_factory=dict)
    reliability: dict[int, float] = field(default_factory=dict)

    def counterfactual_outcomes(self, part_ids: np.ndarray, candidate_ids: np.ndarray) -> list[str]:
        return [self.counterfactual[(int(p), int(c))] for p, c in zip(part_ids, candidate_ids, strict=True)]


def _grids(rng: np.random.Generator, count: int) -> list[GridPoint]:
    side = int(np.ceil(np.sqrt(count)))
    points = []
    for i in range(count):
        row, column = divmod(i, side)
        # about 450 m between neighbouring grids (0.004° of latitude, 0.005° of longitude here)
        latitude = HUDAO[0] + row * 0.004 + rng.normal(0, 0.0007)
        longitude = HUDAO[1] + column * 0.005 + rng.normal(0, 0.0008)
        points.append(GridPoint(i + 1, round(float(latitude), 6), round(float(longitude), 6)))
    return points


def _volunteers(rng: np.random.Generator, count: int, grids: int) -> tuple[list[Volunteer], dict[int, float]]:
    people, hidden = [], {}
    categories = list(CATEGORIES.values())
    for i in range(1, count + 1):
        _, typical = categories[int(rng.integers(len(categories)))]
        skills = set(rng.choice(typical, size=int(rng.integers(1, len(typical) + 1)), replace=False).tolist())
        if rng.random() < 0.5:
            skills.add(int(rng.integers(1, len(SKILLS) + 1)))
        mentioned = [SKILLS[s] for s in sorted(skills) if rng.random() < 0.7]
        if rng.random() < 0.35:
            mentioned.append(SKILLS[int(rng.integers(1, len(SKILLS) + 1))])  # an interest, not a skill
        text = f"{BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]}，擅长{'、'.join(mentioned) or '各类服务'}"
        windows = tuple(
            WeeklyWindow(int(day), int(start), int(start + rng.choice([180, 240, 300])))
            for day in rng.choice(7, size=int(rng.integers(1, 5)), replace=False)
            for start in [rng.choice([480, 780, 1080])]
        )
        reliability = float(rng.beta(9, 1.5) if rng.random() < 0.8 else rng.beta(2, 2))
        past = int(rng.poisson(4))
        fulfilled = int(rng.binomial(past, reliability))
        people.append(
            Volunteer(
                id=i,
                home_grid_id=int(rng.integers(1, grids + 1)),
                skill_ids=frozenset(int(s) for s in skills),
                availability=windows,
                weekly_hour_cap=float(rng.choice([4, 8, 12])),
                fulfilled=fulfilled,
                no_show=past - fulfilled,
                text=text,
            )
        )
        hidden[i] = reliability
    return people, hidden


def _shifts(rng: np.random.Generator, needs: int, grids: int) -> tuple[list[ShiftNeed], dict[int, datetime]]:
    shifts, published = [], {}
    names = list(CATEGORIES)
    shift_id = 0
    for need_id in range(1, needs + 1):
        category = names[int(rng.integers(len(names)))]
        titles, typical = CATEGORIES[category]
        title = titles[int(rng.integers(len(titles)))]
        required = frozenset(int(s) for s in rng.choice(typical, size=int(rng.integers(0, 3)), replace=False))
        wanted = "、".join(SKILLS[s] for s in sorted(required))
        text = f"{title}，需要{wanted}志愿者" if wanted else f"{title}，欢迎热心居民参加"
        grid = int(rng.integers(1, grids + 1))
        urgency = int(rng.choice([0, 1, 1, 1, 2, 3]))
        decided = START + timedelta(seconds=float(rng.uniform(0, DAYS * 86_400)))
        day = (decided + timedelta(days=int(rng.integers(2, 15)))).date()
        for _ in range(int(rng.integers(1, 4))):
            shift_id += 1
            local_hour = int(rng.choice([8, 9, 14, 18]))
            starts = datetime(day.year, day.month, day.day, local_hour - 8, 0, tzinfo=UTC)  # UTC+8
            shifts.append(
                ShiftNeed(
                    id=shift_id,
                    need_id=need_id,
                    text=text,
                    category=category,
                    grid_id=grid,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=int(rng.choice([2, 3, 4]))),
                    open_slots=int(rng.integers(1, 6)),
                    skill_ids=required,
                    urgency=urgency,
                    due_date=day,
                )
            )
            published[shift_id] = decided + timedelta(minutes=int(rng.integers(0, 120)))
            day = day + timedelta(days=int(rng.integers(0, 3)))
    return shifts, published


def _admin_logit(pairs: PairFeatures, impression: np.ndarray) -> np.ndarray:
    p = ADMIN_PREFERENCE
    return (
        p["intercept"]
        + p["skill_coverage"] * pairs.column("skill_coverage")
        + p["availability"] * pairs.column("availability")
        + p["distance_km"] * pairs.column("distance_km")
        + p["reliability"] * (pairs.column("reliability") - 0.5)
        + p["load"] * pairs.column("load")
        + p["text"] * pairs.column("text")
        + impression
    )


def synthetic_history(
    seed: int = 7,
    *,
    needs: int = 250,
    volunteers: int = 600,
    grids: int = 21,
    shown: int = 10,
    eta: float = 1.0,
    logging_noise: float = 0.15,
) -> History:
    """A year of decisions on ``needs`` needs (one to three shifts each); the same seed, the same history."""
    rng = np.random.default_rng(seed)
    grid_points = _grids(rng, grids)
    people, hidden = _volunteers(rng, volunteers, grids)
    impression = rng.normal(0, IMPRESSION_SD, size=volunteers + 1)
    shifts, published = _shifts(rng, needs, grids)
    shifts.sort(key=lambda s: (published[s.id], s.id))
    space = TextSpace([v.text for v in people] + [s.text for s in shifts])
    by_id = {v.id: v for v in people}
    done = dict.fromkeys(by_id, 0)
    failed = dict.fromkeys(by_id, 0)
    decisions: list[Decision] = []
    pairs: dict[int, PairFeatures] = {}
    counterfactual: dict[tuple[int, int], str] = {}
    index, period = None, -1
    pending_from = START + timedelta(days=DAYS - PENDING_DAYS)
    for shift in shifts:
        now = published[shift.id]
        if (now - START).days // PERIOD_DAYS != period:
            period = (now - START).days // PERIOD_DAYS
            people = [
                replace(
                    v,
                    fulfilled=by_id[v.id].fulfilled + done[v.id],
                    no_show=by_id[v.id].no_show + failed[v.id],
                    hours_this_week=float(rng.choice([0.0, 0.0, 0.25, 0.5, 0.75]) * v.weekly_hour_cap),
                )
                for v in people
            ]
            index = VolunteerIndex(people, grid_points, space)
        assert index is not None
        features = index.pair_features(shift, now)
        if len(features) == 0:
            continue
        noisy = sum(w * features.column(n) for n, w in DEFAULT_WEIGHTS.items()) + rng.gumbel(
            0, logging_noise, size=len(features)
        )
        top = np.lexsort((features.candidate_ids, -noisy))[:shown]
        shown_pairs = features.subset(features.candidate_ids[top].tolist())
        pairs[shift.id] = shown_pairs
        likes = rng.random(len(top)) < 1 / (
            1 + np.exp(-_admin_logit(shown_pairs, impression[shown_pairs.candidate_ids]))
        )
        examined = rng.random(len(top)) < np.arange(1, len(top) + 1, dtype=np.float64) ** -eta
        turns_up = rng.random(len(top)) < np.asarray([hidden[int(c)] for c in shown_pairs.candidate_ids])
        for position, candidate in enumerate(shown_pairs.candidate_ids.tolist()):
            if not likes[position]:
                would = "rejected"
            elif now >= pending_from:
                would = "approved"
            else:
                would = "fulfilled" if turns_up[position] else "no_show"
            counterfactual[(shift.id, candidate)] = would
            outcome = would if examined[position] else "rejected"
            if outcome == "fulfilled":
                done[candidate] += 1
            elif outcome == "no_show":
                failed[candidate] += 1
            decisions.append(Decision(shift.need_id, shift.id, candidate, VOLUNTEER, outcome, position + 1, now))
    final = [
        replace(v, fulfilled=by_id[v.id].fulfilled + done[v.id], no_show=by_id[v.id].no_show + failed[v.id])
        for v in people
    ]
    return History(grid_points, final, shifts, decisions, pairs, counterfactual, hidden)
