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

``synthetic_offer_history`` tells the same story for partners' offers and resource lines (ten
shown per line; admins weigh coverage, category, distance, reliability, open matches, validity).

``counterfactual`` keeps, for every shown pair, the outcome had the admins examined it (the same
draws), so a benchmark can measure scorers against what admins want, not only against the biased
log.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from matching.features import OFFER, VOLUNTEER, PairFeatures
from matching.offers import DEFAULT_WEIGHTS as OFFER_WEIGHTS
from matching.offers import OfferIndex
from matching.records import Decision, GridPoint, LineNeed, Offer, ShiftNeed, Volunteer, WeeklyWindow
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
# The same for partners' offers: covering the gap and the right category first, then the place.
OFFER_ADMIN_PREFERENCE = {
    "intercept": -3.5,
    "coverage": 2.5,
    "category": 2.0,
    "distance_km": -1.0,
    "reliability": 5.0,
    "load": -1.0,
    "validity": 1.0,
    "text": 0.8,
}
IMPRESSION_SD = 0.5

PARTNERS = (
    "湖岛物业",
    "绿帆建材",
    "市北区律师协会",
    "青岛啤酒志愿服务队",
    "海信社区服务中心",
    "红十字会湖岛分会",
    "利群超市",
)
# (kind, category, item, unit, quantity range) of what partners offer and lines ask for.
OFFER_CATALOGUE: tuple[tuple[str, str, str, str, tuple[int, int]], ...] = (
    ("material", "renovation", "再生透水砖", "m²", (500, 5000)),
    ("material", "renovation", "外墙涂料", "桶", (20, 200)),
    ("material", "environment", "分类垃圾桶", "个", (10, 100)),
    ("material", "environment", "清洁工具", "套", (10, 80)),
    ("material", "livelihood_aid", "米面油爱心礼包", "份", (20, 300)),
    ("material", "livelihood_aid", "冬季棉衣", "件", (20, 200)),
    ("service", "renovation", "楼道灯具维修", "次", (5, 40)),
    ("service", "elderly_care", "上门理发", "次", (10, 60)),
    ("service", "elderly_care", "助老送餐", "份", (50, 500)),
    ("service", "mediation", "律师法律咨询", "小时", (5, 40)),
    # Hours of a room serve a line of any category (matching.units): there the category varies among the
    # candidates and admins' preference for it shows; every other unit pairs only within one category.
    ("venue", "culture_sports", "党群活动室", "小时", (2, 20)),
    ("venue", "mediation", "企业礼堂", "小时", (1, 10)),
)
NEED_PHRASES = {
    "renovation": "老旧小区改造",
    "environment": "环境卫生整治",
    "livelihood_aid": "困难家庭帮扶",
    "elderly_care": "独居老人关爱",
    "mediation": "红色茶馆议事会",
    "culture_sports": "社区文化活动",
}


@dataclass
class History:
    """The street, its shifts or lines (``parts``), the decisions on them and each part's candidates' features."""

    kind: str
    grids: list[GridPoint]
    candidates: list[Any]  # Volunteer or Offer, as they stand at the end of the year
    parts: list[Any]  # ShiftNeed or LineNeed, in the order they were decided
    decisions: list[Decision]
    pairs: dict[int, PairFeatures]
    counterfactual: dict[tuple[int, int], str] = field(default_factory=dict)
    reliability: dict[int, float] = field(default_factory=dict)

    def counterfactual_outcomes(self, part_ids: np.ndarray, candidate_ids: np.ndarray) -> list[str]:
        """What admins would have decided on each (part, candidate) had they examined it."""
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


def _admin_logit(pairs: PairFeatures, preference: dict[str, float], impression: np.ndarray) -> np.ndarray:
    logit = np.full(len(pairs), preference["intercept"]) + impression
    for name, weight in preference.items():
        if name != "intercept":
            logit = logit + weight * (pairs.column(name) - (0.5 if name == "reliability" else 0.0))
    return logit


def _simulate(
    rng: np.random.Generator,
    kind: str,
    parts: list[Any],
    published: dict[int, datetime],
    rebuild: Callable[[dict[int, int], dict[int, int]], Callable[[Any, datetime], PairFeatures]],
    preference: dict[str, float],
    impression: np.ndarray,
    hidden: dict[int, float],
    shown: int,
    eta: float,
    logging_noise: float,
) -> tuple[list[Decision], dict[int, PairFeatures], dict[tuple[int, int], str], dict[int, int], dict[int, int]]:
    """Show, examine, decide and deliver, part by part in time order (steps 1–4 of the module's story)."""
    done = dict.fromkeys(hidden, 0)
    failed = dict.fromkeys(hidden, 0)
    weights = DEFAULT_WEIGHTS if kind == VOLUNTEER else OFFER_WEIGHTS
    decisions: list[Decision] = []
    pairs: dict[int, PairFeatures] = {}
    counterfactual: dict[tuple[int, int], str] = {}
    features_of, period = None, -1
    pending_from = START + timedelta(days=DAYS - PENDING_DAYS)
    for part in parts:
        now = published[part.id]
        if (now - START).days // PERIOD_DAYS != period:
            period = (now - START).days // PERIOD_DAYS
            features_of = rebuild(done, failed)
        assert features_of is not None
        features = features_of(part, now)
        if len(features) == 0:
            continue
        noisy = sum(w * features.column(n) for n, w in weights.items()) + rng.gumbel(0, logging_noise, len(features))
        top = np.lexsort((features.candidate_ids, -noisy))[:shown]
        shown_pairs = features.subset(features.candidate_ids[top].tolist())
        pairs[part.id] = shown_pairs
        logit = _admin_logit(shown_pairs, preference, impression[shown_pairs.candidate_ids])
        likes = rng.random(len(top)) < 1 / (1 + np.exp(-logit))
        examined = rng.random(len(top)) < np.arange(1, len(top) + 1, dtype=np.float64) ** -eta
        turns_up = rng.random(len(top)) < np.asarray([hidden[int(c)] for c in shown_pairs.candidate_ids])
        for position, candidate in enumerate(shown_pairs.candidate_ids.tolist()):
            if not likes[position]:
                would = "rejected"
            elif now >= pending_from:
                would = "approved"
            else:
                would = "fulfilled" if turns_up[position] else "no_show"
            counterfactual[(part.id, candidate)] = would
            outcome = would if examined[position] else "rejected"
            if outcome == "fulfilled":
                done[candidate] += 1
            elif outcome == "no_show":
                failed[candidate] += 1
            decisions.append(Decision(part.need_id, part.id, candidate, kind, outcome, position + 1, now))
    return decisions, pairs, counterfactual, done, failed


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
    """A year of decisions on volunteers for ``needs`` needs (one to three shifts each); same seed, same history."""
    rng = np.random.default_rng(seed)
    grid_points = _grids(rng, grids)
    people, hidden = _volunteers(rng, volunteers, grids)
    impression = rng.normal(0, IMPRESSION_SD, size=volunteers + 1)
    shifts, published = _shifts(rng, needs, grids)
    shifts.sort(key=lambda s: (published[s.id], s.id))
    space = TextSpace([v.text for v in people] + [s.text for s in shifts])
    start = {v.id: v for v in people}
    current = list(people)

    def rebuild(done: dict[int, int], failed: dict[int, int]) -> Callable[[Any, datetime], PairFeatures]:
        # Every four weeks: records include what happened so far; this week's hours are drawn anew.
        current[:] = [
            replace(
                v,
                fulfilled=start[v.id].fulfilled + done[v.id],
                no_show=start[v.id].no_show + failed[v.id],
                hours_this_week=float(rng.choice([0.0, 0.0, 0.25, 0.5, 0.75]) * v.weekly_hour_cap),
            )
            for v in current
        ]
        return VolunteerIndex(current, grid_points, space).pair_features

    decisions, pairs, counterfactual, done, failed = _simulate(
        rng, VOLUNTEER, shifts, published, rebuild, ADMIN_PREFERENCE, impression, hidden, shown, eta, logging_noise
    )
    final = [
        replace(v, fulfilled=start[v.id].fulfilled + done[v.id], no_show=start[v.id].no_show + failed[v.id])
        for v in current
    ]
    return History(VOLUNTEER, grid_points, final, shifts, decisions, pairs, counterfactual, hidden)


def _offers(rng: np.random.Generator, count: int, grids: int) -> tuple[list[Offer], dict[int, float]]:
    offers, hidden = [], {}
    for i in range(1, count + 1):
        kind, category, item, unit, (low, high) = OFFER_CATALOGUE[int(rng.integers(len(OFFER_CATALOGUE)))]
        reliability = float(rng.beta(12, 1.5) if rng.random() < 0.75 else rng.beta(3, 2))
        past = int(rng.poisson(3))
        fulfilled = int(rng.binomial(past, reliability))
        valid_until = (
            None
            if rng.random() < 0.6
            else START + timedelta(days=int(rng.integers(30, 420)), hours=int(rng.integers(24)))
        )
        served = rng.choice(np.arange(1, grids + 1), size=int(rng.integers(1, 7)), replace=False)
        offers.append(
            Offer(
                id=i,
                organization_id=1 + int(rng.integers(len(PARTNERS))),
                text=f"{PARTNERS[int(rng.integers(len(PARTNERS)))]}提供{item}",
                kind=kind,
                category=category,
                remaining=float(rng.integers(low, high + 1)),
                unit=unit,
                grid_ids=frozenset(int(g) for g in served),
                valid_until=valid_until,
                fulfilled=fulfilled,
                no_show=past - fulfilled,
            )
        )
        hidden[i] = reliability
    return offers, hidden


def _lines(rng: np.random.Generator, count: int, grids: int) -> tuple[list[LineNeed], dict[int, datetime]]:
    lines, published = [], {}
    for i in range(1, count + 1):
        kind, category, item, unit, (low, high) = OFFER_CATALOGUE[int(rng.integers(len(OFFER_CATALOGUE)))]
        decided = START + timedelta(seconds=float(rng.uniform(0, DAYS * 86_400)))
        lines.append(
            LineNeed(
                id=i,
                need_id=i,
                text=f"{NEED_PHRASES[category]}，需要{item}",
                kind=kind,
                category=category,
                grid_id=int(rng.integers(1, grids + 1)),
                still_needed=float(rng.integers(low, high + 1)),
                unit=unit,
                urgency=int(rng.choice([0, 1, 1, 1, 2, 3])),
                due_date=(decided + timedelta(days=int(rng.integers(7, 60)))).date(),
            )
        )
        published[i] = decided
    return lines, published


def synthetic_offer_history(
    seed: int = 7,
    *,
    lines: int = 300,
    offers: int = 150,
    grids: int = 21,
    shown: int = 10,
    eta: float = 1.0,
    logging_noise: float = 0.15,
) -> History:
    """A year of decisions on partners' offers for ``lines`` resource lines (one need each); same seed, same history.

    Offers keep their stock through the year (a simplification); every four weeks their records
    take in what happened and their open matches are drawn anew.
    """
    rng = np.random.default_rng(seed)
    grid_points = _grids(rng, grids)
    stock, hidden = _offers(rng, offers, grids)
    impression = rng.normal(0, IMPRESSION_SD, size=offers + 1)
    needs, published = _lines(rng, lines, grids)
    needs.sort(key=lambda line: (published[line.id], line.id))
    space = TextSpace([o.text for o in stock] + [line.text for line in needs])
    start = {o.id: o for o in stock}
    current = list(stock)

    def rebuild(done: dict[int, int], failed: dict[int, int]) -> Callable[[Any, datetime], PairFeatures]:
        current[:] = [
            replace(
                o,
                fulfilled=start[o.id].fulfilled + done[o.id],
                no_show=start[o.id].no_show + failed[o.id],
                open_matches=int(rng.poisson(1.0)),
            )
            for o in current
        ]
        return OfferIndex(current, grid_points, space).pair_features

    decisions, pairs, counterfactual, done, failed = _simulate(
        rng, OFFER, needs, published, rebuild, OFFER_ADMIN_PREFERENCE, impression, hidden, shown, eta, logging_noise
    )
    final = [
        replace(o, fulfilled=start[o.id].fulfilled + done[o.id], no_show=start[o.id].no_show + failed[o.id])
        for o in current
    ]
    return History(OFFER, grid_points, final, needs, decisions, pairs, counterfactual, hidden)
