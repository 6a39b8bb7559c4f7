"""A harder synthetic street whose admins weigh interactions, with the truth kept apart from the log.

Deterministic by seed. Sizes follow the outside evaluation of issue 13: about 2,000 volunteers in
six communities of five grids each, 800 past needs (one shift each) decided over a year with about
6,000 logged decisions, and 100 later needs whose candidates are graded from the truth.

Volunteers have skills from eight groups of three (a related skill is one of the same group),
interests (need categories; a fifth declare none), a home grid and so a home community, past
fulfilled work per community (``community_work``, as of each decision), a hidden reliability (a
fifth come from an import with only a rate), weekly windows, a weekly cap and hours already worked.

The true utility of a volunteer for a shift (``true_utility``) is what the admins weigh, with
per-category emphasis (``CATEGORY_EMPHASIS``: each category's reason beside it) and per-community
emphasis (``COMMUNITY_EMPHASIS``: the old town trusts familiar faces, the new estate hires by skill,
the spread-out southern blocks mind distance), the two multiplied:
skill coverage, related skills, availability and skill × availability (a skilled person who cannot
come is worth little), distance scaled by urgency (an urgent shift needs someone near), interest
in the category, living in the community, past work there, the hidden reliability and the load.
Admins see the list in the default scorer's order perturbed by Gumbel noise (optionally one slot
explored: replaced by a random candidate from below the list, drawn from its own random stream so
that the street and its other draws are the same with or without exploration), examine rank r
with probability r ** -eta, approve an
examined candidate with probability sigmoid(utility + impression + intercept), where the
impression is a per-volunteer draw no feature sees; unexamined candidates are logged as rejected;
approved ones turn up with their hidden reliability (fulfilled, else no_show).

Later needs: 40 candidates drawn at random among those who pass the pre-filters, each graded
0–3 from the true approval probability without the impression (``GRADES``): the truth an
evaluation measures rankers against, never seen by training.
"""

import inspect
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from matching.features import VOLUNTEER, PairFeatures
from matching.geo import GridDistances
from matching.records import Decision, GridPoint, LineNeed, Offer, ShiftNeed, Volunteer, WeeklyWindow
from matching.text import TextSpace
from matching.volunteers import DEFAULT_WEIGHTS, VolunteerIndex

START = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # a Monday; fixed, never the clock
DAYS = 364
PERIOD_DAYS = 28
PENDING_DAYS = 10
ORIGIN = (36.095, 120.345)
COLUMNS, ROWS = 6, 5  # 30 grids; a community is a block of them (``_community``)

SKILL_GROUPS: dict[str, tuple[str, ...]] = {
    "medical": ("医疗护理", "急救", "康复按摩"),
    "repair": ("水电维修", "木工", "电脑维修"),
    "care": ("助老陪护", "儿童托管", "烹饪"),
    "legal": ("法律咨询", "矛盾调解", "心理疏导"),
    "culture": ("文艺演出", "书法", "摄影"),
    "environment": ("垃圾分类指导", "绿化养护", "保洁"),
    "safety": ("消防安全", "交通劝导", "驾驶"),
    "education": ("英语翻译", "作业辅导", "科普讲解"),
}
SKILLS: dict[int, str] = {}
GROUP_OF: dict[int, str] = {}
for _group, _names in SKILL_GROUPS.items():
    for _name in _names:
        SKILLS[len(SKILLS) + 1] = _name
        GROUP_OF[len(SKILLS)] = _group
SKILLS_OF_GROUP = {g: tuple(s for s, gg in GROUP_OF.items() if gg == g) for g in SKILL_GROUPS}

# Category: (titles, the skill groups its shifts ask for)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "renovation": (("楼道灯维修", "凉亭修缮", "老旧小区改造"), ("repair",)),
    "sanitation": (("楼道杂物清理", "垃圾分类值守"), ("environment",)),
    "elderly_care": (("独居老人上门探访", "助老食堂送餐"), ("care", "medical")),
    "travel_safety": (("上学路口护学岗", "消防隐患排查"), ("safety",)),
    "culture_sports": (("广场文艺演出", "社区运动会"), ("culture",)),
    "epidemic_prevention": (("疫苗接种点引导", "流感防控宣传"), ("medical",)),
    "mediation": (("邻里纠纷调解", "红色茶馆议事会"), ("legal",)),
    "livelihood": (("困难家庭帮扶", "爱心超市值守"), ("care",)),
    "education": (("四点半课堂", "青少年科普活动"), ("education",)),
    "health": (("健康义诊", "康复指导"), ("medical",)),
}
BACKGROUNDS = ("退休教师", "社区党员", "大学生志愿者", "热心居民", "退役军人", "在职青年")

# What admins weigh (a logit), before the per-category emphasis.
BASE_UTILITY = {
    "skill": 2.0,
    "related": 0.8,
    "availability": 1.0,
    "skill_x_availability": 1.5,
    "km": -0.3,  # per km, and as much again per urgency step (``km_x_urgency``)
    "km_x_urgency": -0.35,
    "interest": 1.2,
    "other_interest": -0.4,  # declared interests, none of them this category
    "lives": 0.5,
    "familiarity": 0.5,  # × log1p(past fulfilled work in the community)
    "reliability": 4.0,  # × (hidden reliability − 0.75)
    "load": -1.2,
}
# How much more (or less) admins weigh each part for a category's shifts, and why streets do so:
CATEGORY_EMPHASIS: dict[str, dict[str, float]] = {
    # a home visit to someone living alone: someone near who comes back, whom the family already knows
    "elderly_care": {"km": 2.5, "familiarity": 2.0, "reliability": 1.5, "interest": 1.5},
    # settling a dispute between neighbours: a resident of the community, trained in mediation
    "mediation": {"lives": 3.0, "familiarity": 1.5, "skill": 1.5},
    # wiring and carpentry: the skill first; willing hands without it are no use
    "renovation": {"skill": 2.0, "related": 1.5, "skill_x_availability": 1.5, "interest": 0.5},
    # a vaccination point opens at a fixed hour, often at short notice: near and free at that time
    "epidemic_prevention": {"km_x_urgency": 2.0, "availability": 1.5},
    # performing and playing: those who want to, skill matters little
    "culture_sports": {"interest": 2.5, "skill": 0.4},
    # tutoring children: wanting to and knowing the subject
    "education": {"interest": 1.5, "skill": 1.3},
    # clinics: a no-show leaves patients waiting
    "health": {"reliability": 1.5, "skill": 1.3},
    # clearing stairwells: anyone near will do
    "sanitation": {"skill": 0.4, "km": 1.5},
    # school-crossing duty starts at 7:30 sharp: being free then is everything
    "travel_safety": {"availability": 1.8, "skill_x_availability": 1.3},
    # visiting families in hardship: someone they know and who lives among them
    "livelihood": {"familiarity": 1.8, "lives": 1.8},
}
# Per community (``_community``: 1–3 the northern blocks, 4–6 the southern): the old town's residents
# trust familiar faces; the new estate's committee hires by skill and minds less who lives where; the
# southern blocks are spread out along the shore, so distance weighs more there.
COMMUNITY_EMPHASIS: dict[int, dict[str, float]] = {
    1: {"familiarity": 2.0, "lives": 2.0},
    2: {"familiarity": 1.5, "lives": 1.5},
    3: {"skill": 1.3, "familiarity": 0.5, "lives": 0.5},
    5: {"km": 1.5, "km_x_urgency": 1.3},
    6: {"km": 1.5, "interest": 1.3},
}
INTERCEPT = -1.5
# How sharply admins act on the utility: the logit of approval is DECISIVENESS × utility + INTERCEPT.
DECISIVENESS = 2.0
IMPRESSION_SD = 0.4
GRADES = (0.3, 0.55, 0.8)  # true approval probability at which grades 1, 2 and 3 begin
LATER_CANDIDATES = 40


@dataclass
class TruthList:
    """A later shift's candidates with their graded relevance from the truth (never from the log)."""

    shift: ShiftNeed
    pairs: PairFeatures
    relevance: np.ndarray
    utility: np.ndarray


@dataclass
class TruthStreet:
    seed: int
    grids: list[GridPoint]
    skill_groups: dict[int, str]
    volunteers: list[Volunteer]  # as they stand at the end of the year
    shifts: list[ShiftNeed]  # past shifts, in the order they were decided
    decisions: list[Decision]
    pairs: dict[int, PairFeatures]  # shift id -> the shown candidates' features when decided
    categories: dict[int, str]  # shift id -> category (past and later)
    explored: set[int] = field(default_factory=set)  # shifts whose list had one slot explored
    later: list[TruthList] = field(default_factory=list)
    hidden_reliability: dict[int, float] = field(default_factory=dict)
    # (shift id, volunteer id) -> true utility of each shown past pair: for checks only, never for training
    past_utility: dict[tuple[int, int], float] = field(default_factory=dict)
    # shift id -> features of the candidates who passed the pre-filters when it was decided and were not shown
    # (the pool a model learns the rest of the candidates from; kept only with ``keep_pools``: read-only,
    # it changes nothing the street draws)
    pools: dict[int, np.ndarray] = field(default_factory=dict)


def _community(row: int, column: int) -> int:
    return 1 + column // 2 + (COLUMNS // 2) * (row // 3)


def _grids(rng: np.random.Generator) -> list[GridPoint]:
    points = []
    for i in range(COLUMNS * ROWS):
        row, column = divmod(i, COLUMNS)
        latitude = ORIGIN[0] + row * 0.006 + rng.normal(0, 0.0008)
        longitude = ORIGIN[1] + column * 0.007 + rng.normal(0, 0.0009)
        points.append(GridPoint(i + 1, round(float(latitude), 6), round(float(longitude), 6), _community(row, column)))
    return points


def _volunteers(
    rng: np.random.Generator, count: int, grids: list[GridPoint]
) -> tuple[list[Volunteer], dict[int, float]]:
    people, hidden = [], {}
    categories = list(CATEGORIES)
    community_of = {g.id: g.community_id for g in grids}
    communities = sorted({g.community_id for g in grids if g.community_id is not None})
    for i in range(1, count + 1):
        group = list(SKILL_GROUPS)[int(rng.integers(len(SKILL_GROUPS)))]
        own = SKILLS_OF_GROUP[group]
        skills = set(rng.choice(own, size=int(rng.integers(1, 3)), replace=False).tolist())
        if rng.random() < 0.4:
            skills.add(int(rng.integers(1, len(SKILLS) + 1)))
        liked = [c for c in categories if group in CATEGORIES[c][1]]
        interests: set[str] = set()
        if rng.random() < 0.8:
            interests = set(rng.choice(categories, size=int(rng.integers(1, 4)), replace=False).tolist())
            if liked and rng.random() < 0.6:
                interests.add(liked[int(rng.integers(len(liked)))])
        mentioned = [SKILLS[s] for s in sorted(skills) if rng.random() < 0.6]
        text = f"{BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]}，擅长{'、'.join(mentioned) or '各类服务'}"
        windows = tuple(
            WeeklyWindow(int(day), int(start), int(start + rng.choice([180, 240, 300])))
            for day in rng.choice(7, size=int(rng.integers(2, 6)), replace=False)
            for start in [rng.choice([480, 780, 1080])]
        )
        home = int(rng.integers(1, len(grids) + 1))
        reliability = float(rng.beta(8, 1.5) if rng.random() < 0.8 else rng.beta(2, 2))
        imported = rng.random() < 0.2
        past = 0 if imported else int(rng.poisson(4))
        fulfilled = int(rng.binomial(past, reliability))
        work: dict[int, int] = defaultdict(int)
        for _ in range(int(rng.poisson(1.5))):
            place = community_of[home] if rng.random() < 0.7 else communities[int(rng.integers(len(communities)))]
            work[int(place)] += 1
        people.append(
            Volunteer(
                id=i,
                home_grid_id=home,
                skill_ids=frozenset(int(s) for s in skills),
                availability=windows,
                weekly_hour_cap=float(rng.choice([6, 8, 12])),
                fulfilled=fulfilled,
                no_show=past - fulfilled,
                text=text,
                interests=frozenset(interests),
                community_work=dict(work),
                reliability_rate=round(float(np.clip(reliability + rng.normal(0, 0.05), 0, 1)), 2)
                if imported
                else None,
            )
        )
        hidden[i] = reliability
    return people, hidden


def _shift(rng: np.random.Generator, shift_id: int, day: date, grids: int) -> ShiftNeed:
    category = list(CATEGORIES)[int(rng.integers(len(CATEGORIES)))]
    titles, groups = CATEGORIES[category]
    pool = [s for g in groups for s in SKILLS_OF_GROUP[g]]
    required = frozenset(int(s) for s in rng.choice(pool, size=int(rng.integers(0, 3)), replace=False))
    wanted = "、".join(SKILLS[s] for s in sorted(required))
    title = titles[int(rng.integers(len(titles)))]
    local_hour = int(rng.choice([8, 9, 14, 18]))
    starts = datetime(day.year, day.month, day.day, local_hour - 8, 0, tzinfo=UTC)  # street time is UTC+8
    return ShiftNeed(
        id=shift_id,
        need_id=shift_id,
        text=f"{title}，需要{wanted}志愿者" if wanted else f"{title}，欢迎热心居民参加",
        category=category,
        grid_id=int(rng.integers(1, grids + 1)),
        starts_at=starts,
        ends_at=starts + timedelta(hours=int(rng.choice([2, 3, 4]))),
        open_slots=int(rng.integers(1, 4)),
        skill_ids=required,
        urgency=int(rng.choice([0, 1, 1, 1, 2, 3])),
        due_date=day,
    )


def true_utility(
    shift: ShiftNeed,
    people: list[Volunteer],
    availability: np.ndarray,
    load: np.ndarray,
    hidden: np.ndarray,
    km: np.ndarray,
    community_of: dict[int, int | None],
    emphasis: float = 1.0,
) -> np.ndarray:
    """The admins' systematic utility for each of ``people`` (no impression, no noise)."""
    weight = dict(BASE_UTILITY)
    place = community_of[shift.grid_id]
    for name, factor in CATEGORY_EMPHASIS.get(shift.category, {}).items():
        weight[name] *= factor**emphasis  # 0: no per-category differences; 2: each factor squared
    for name, factor in COMMUNITY_EMPHASIS.get(place or 0, {}).items():
        weight[name] *= factor**emphasis
    required = shift.skill_ids
    n = len(people)
    skill, related, interest, other, lives, familiar = (np.zeros(n) for _ in range(6))
    for i, person in enumerate(people):
        if required:
            held = len(required & person.skill_ids)
            skill[i] = held / len(required)
            held_groups = {GROUP_OF[s] for s in person.skill_ids}
            missing = [s for s in required if s not in person.skill_ids]
            related[i] = sum(GROUP_OF[s] in held_groups for s in missing) / len(required)
        else:
            skill[i] = 1.0
        interest[i] = float(shift.category in person.interests)
        other[i] = float(bool(person.interests) and shift.category not in person.interests)
        lives[i] = float(community_of[person.home_grid_id] == place)
        familiar[i] = math.log1p(person.community_work.get(place, 0)) if place is not None else 0.0
    return (
        weight["skill"] * skill
        + weight["related"] * related
        + weight["availability"] * availability
        + weight["skill_x_availability"] * skill * availability
        + (weight["km"] + weight["km_x_urgency"] * shift.urgency) * km
        + weight["interest"] * interest
        + weight["other_interest"] * other
        + weight["lives"] * lives
        + weight["familiarity"] * familiar
        + weight["reliability"] * (hidden - 0.75)
        + weight["load"] * load
    )


def _index(people: list[Volunteer], grids: list[GridPoint], space: TextSpace, groups: dict[int, str]) -> VolunteerIndex:
    """The library's index, given the skill groups when this version of the library takes them."""
    if "skill_groups" in inspect.signature(VolunteerIndex).parameters:
        return VolunteerIndex(people, grids, space, skill_groups=groups)  # type: ignore[call-arg]
    return VolunteerIndex(people, grids, space)


def truth_street(
    seed: int = 1,
    *,
    volunteers: int = 2000,
    needs: int = 800,
    later_needs: int = 100,
    eta: float = 1.0,
    logging_noise: float = 0.15,
    exploration: float = 0.0,
    decisiveness: float = DECISIVENESS,
    emphasis: float = 1.0,
    keep_pools: bool = False,
) -> TruthStreet:
    """The street, a year of logged decisions and the later needs graded from the truth; same seed, same street.

    ``keep_pools`` keeps each past shift's unshown candidates' features (``TruthStreet.pools``)."""
    rng = np.random.default_rng(seed)
    explorer = np.random.default_rng(seed + 20_000)  # its own stream: with or without exploration, the same street
    grids = _grids(rng)
    community_of = {g.id: g.community_id for g in grids}
    distances = GridDistances(grids)
    people, hidden = _volunteers(rng, volunteers, grids)
    impression = rng.normal(0, IMPRESSION_SD, size=volunteers + 1)
    hidden_array = np.asarray([hidden[i] for i in range(1, volunteers + 1)])
    decided_at = sorted(START + timedelta(seconds=float(s)) for s in rng.uniform(0, DAYS * 86_400, needs))
    shifts = [
        _shift(rng, i + 1, (when + timedelta(days=int(rng.integers(2, 12)))).date(), len(grids))
        for i, when in enumerate(decided_at)
    ]
    later_start = START + timedelta(days=DAYS)
    later_at = sorted(later_start + timedelta(seconds=float(s)) for s in rng.uniform(0, 28 * 86_400, later_needs))
    later_shifts = [
        _shift(rng, needs + i + 1, (when + timedelta(days=int(rng.integers(2, 12)))).date(), len(grids))
        for i, when in enumerate(later_at)
    ]
    space = TextSpace([v.text for v in people] + [s.text for s in shifts + later_shifts])
    groups = dict(GROUP_OF)
    position = {v.id: i for i, v in enumerate(people)}
    start = {v.id: v for v in people}
    done: dict[int, int] = defaultdict(int)
    failed: dict[int, int] = defaultdict(int)
    work: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def current(hours: bool) -> list[Volunteer]:
        return [
            replace(
                v,
                fulfilled=start[v.id].fulfilled + done[v.id],
                no_show=start[v.id].no_show + failed[v.id],
                community_work={
                    c: start[v.id].community_work.get(c, 0) + work[v.id].get(c, 0)
                    for c in set(start[v.id].community_work) | set(work[v.id])
                },
                hours_this_week=float(rng.choice([0.0, 0.0, 0.25, 0.5, 0.75]) * v.weekly_hour_cap) if hours else 0.0,
            )
            for v in people
        ]

    street = TruthStreet(seed, grids, groups, [], [], [], {}, {s.id: s.category for s in shifts + later_shifts})
    street.hidden_reliability = hidden
    pending_from = START + timedelta(days=DAYS - PENDING_DAYS)
    period, index, standing = -1, None, people
    for shift, now in zip(shifts, decided_at, strict=True):
        if (now - START).days // PERIOD_DAYS != period:
            period = (now - START).days // PERIOD_DAYS
            standing = current(hours=True)
            index = _index(standing, grids, space, groups)
        assert index is not None
        features = index.pair_features(shift, now)
        if len(features) < 12:
            continue
        noisy = sum(w * features.column(n) for n, w in DEFAULT_WEIGHTS.items()) + rng.gumbel(
            0, logging_noise, len(features)
        )
        order = np.lexsort((features.candidate_ids, -noisy))
        shown = order[: int(rng.integers(6, 10))].copy()
        if exploration > 0 and explorer.random() < exploration:
            slot = int(explorer.integers(len(shown)))
            shown[slot] = order[len(shown) + int(explorer.integers(len(order) - len(shown)))]
            street.explored.add(shift.id)
        pairs = features.subset(features.candidate_ids[shown].tolist())
        if keep_pools:
            street.pools[shift.id] = np.delete(features.matrix, shown, axis=0)
        rows = [position[int(c)] for c in pairs.candidate_ids]
        who = [standing[r] for r in rows]
        utility = true_utility(
            shift,
            who,
            pairs.column("availability"),
            pairs.column("load"),
            hidden_array[rows],
            distances.km[distances.index[shift.grid_id], distances.positions([p.home_grid_id for p in who])],
            community_of,
            emphasis,
        )
        likes = rng.random(len(rows)) < 1 / (
            1 + np.exp(-(decisiveness * utility + INTERCEPT + impression[pairs.candidate_ids]))
        )
        examined = rng.random(len(rows)) < np.arange(1, len(rows) + 1, dtype=np.float64) ** -eta
        turns_up = rng.random(len(rows)) < hidden_array[rows]
        place = community_of[shift.grid_id]
        for rank, candidate in enumerate(pairs.candidate_ids.tolist()):
            if not (likes[rank] and examined[rank]):
                outcome = "rejected"
            elif now >= pending_from:
                outcome = "approved"
            elif turns_up[rank]:
                outcome = "fulfilled"
                done[candidate] += 1
                if place is not None:
                    work[candidate][place] += 1
            else:
                outcome = "no_show"
                failed[candidate] += 1
            street.decisions.append(Decision(shift.need_id, shift.id, candidate, VOLUNTEER, outcome, rank + 1, now))
        street.pairs[shift.id] = pairs
        street.past_utility.update(
            {(shift.id, int(c)): float(u) for c, u in zip(pairs.candidate_ids, utility, strict=True)}
        )
        street.shifts.append(shift)
    street.volunteers = current(hours=True)
    final = _index(street.volunteers, grids, space, groups)
    for shift, now in zip(later_shifts, later_at, strict=True):
        features = final.pair_features(shift, now)
        if len(features) < LATER_CANDIDATES:
            continue
        chosen = np.sort(rng.choice(len(features), size=LATER_CANDIDATES, replace=False))
        pairs = features.subset(features.candidate_ids[chosen].tolist())
        rows = [position[int(c)] for c in pairs.candidate_ids]
        who = [street.volunteers[r] for r in rows]
        utility = true_utility(
            shift,
            who,
            pairs.column("availability"),
            pairs.column("load"),
            hidden_array[rows],
            distances.km[distances.index[shift.grid_id], distances.positions([p.home_grid_id for p in who])],
            community_of,
            emphasis,
        )
        probability = 1 / (1 + np.exp(-(decisiveness * utility + INTERCEPT)))
        street.later.append(TruthList(shift, pairs, np.digitize(probability, GRADES).astype(np.float64), utility))
    return street


# ---------------------------------------------------------------------------------------------
# Partners' offers and resource lines on the same street

# (category, item key, item name) offered and asked for; services are counted in hours (any category may
# use them, so category and item vary among a line's candidates), materials in pieces (same category only).
ITEMS: dict[str, tuple[tuple[str, str], ...]] = {
    "renovation": (("lamp_repair", "楼道灯维修"), ("painting", "外墙粉刷"), ("bricks", "透水砖")),
    "sanitation": (("cleaning", "楼道清洁"), ("bins", "分类垃圾桶")),
    "elderly_care": (("haircut", "上门理发"), ("meals", "助老送餐")),
    "travel_safety": (("patrol", "护学岗"), ("extinguisher", "灭火器")),
    "culture_sports": (("performance", "文艺演出"), ("sports_gear", "运动器材")),
    "epidemic_prevention": (("masks", "口罩"), ("disinfection", "消杀服务")),
    "mediation": (("legal_advice", "法律咨询"), ("counselling", "心理疏导")),
    "livelihood": (("food_parcels", "米面油礼包"), ("winter_clothes", "冬衣")),
    "education": (("tutoring", "课业辅导"), ("books", "图书")),
    "health": (("checkups", "健康义诊"), ("first_aid_kits", "急救包")),
}
SERVICE_ITEMS = {
    "lamp_repair", "painting", "cleaning", "haircut", "meals", "patrol", "performance", "disinfection",
    "legal_advice", "counselling", "tutoring", "checkups",
}  # fmt: skip
PARTNER_NAMES = ("湖岛物业", "绿帆建材", "律师协会", "红十字会", "利群超市", "海信社区服务中心", "青啤志愿服务队")
OFFER_UTILITY = {
    "coverage": 2.0,
    "item": 1.5,  # the same item; −1 × this when both are known and differ
    "category": 0.8,
    "km": -0.3,
    "km_x_urgency": -0.3,
    "familiarity": 0.6,
    "reliability": 4.0,  # × (hidden reliability − 0.8)
    "late_start": -2.0,  # available only after the due date
    "validity": 1.0,
    "load": -0.5,
}
OFFER_EMPHASIS: dict[str, dict[str, float]] = {
    "elderly_care": {"familiarity": 2.0, "reliability": 1.5},
    "renovation": {"item": 1.5, "coverage": 1.3},
    "epidemic_prevention": {"km_x_urgency": 2.0},
    "livelihood": {"coverage": 1.5, "familiarity": 1.5},
    "mediation": {"familiarity": 2.0},
}


@dataclass
class OfferTruthList:
    line: LineNeed
    pairs: PairFeatures
    relevance: np.ndarray
    utility: np.ndarray


@dataclass
class OfferStreet:
    seed: int
    grids: list[GridPoint]
    offers: list[Offer]
    lines: list[LineNeed]
    decisions: list[Decision]
    pairs: dict[int, PairFeatures]
    categories: dict[int, str]
    later: list[OfferTruthList] = field(default_factory=list)
    past_utility: dict[tuple[int, int], float] = field(default_factory=dict)
    # line id -> features of the offers that passed the pre-filters when it was decided and were not shown
    # (kept only with ``keep_pools``, as ``TruthStreet.pools``)
    pools: dict[int, np.ndarray] = field(default_factory=dict)


def _offer_records(
    rng: np.random.Generator, count: int, grids: list[GridPoint]
) -> tuple[list[Offer], dict[int, float]]:
    offers, hidden = [], {}
    communities = sorted({g.community_id for g in grids if g.community_id is not None})
    organizations = 40
    home = {o: communities[int(rng.integers(len(communities)))] for o in range(1, organizations + 1)}
    for i in range(1, count + 1):
        category = list(ITEMS)[int(rng.integers(len(ITEMS)))]
        key, name = ITEMS[category][int(rng.integers(len(ITEMS[category])))]
        service = key in SERVICE_ITEMS
        organization = 1 + int(rng.integers(organizations))
        reliability = float(rng.beta(10, 1.5) if rng.random() < 0.75 else rng.beta(3, 2))
        imported = rng.random() < 0.2
        past = 0 if imported else int(rng.poisson(3))
        fulfilled = int(rng.binomial(past, reliability))
        work = {home[organization]: int(rng.poisson(2))} if rng.random() < 0.7 else {}
        near = [g.id for g in grids if g.community_id == home[organization]]
        served = rng.choice(near, size=min(len(near), int(rng.integers(1, 4))), replace=False)
        start = START + timedelta(days=int(rng.integers(0, DAYS))) if rng.random() < 0.3 else None
        until = START + timedelta(days=int(rng.integers(60, DAYS + 60))) if rng.random() < 0.4 else None
        offers.append(
            Offer(
                id=i,
                organization_id=organization,
                text=f"{PARTNER_NAMES[organization % len(PARTNER_NAMES)]}提供{name}",
                kind="service" if service else "material",
                category=category,
                remaining=float(rng.integers(5, 60)) if service else float(rng.integers(10, 300)),
                unit="小时" if service else "件",
                grid_ids=frozenset(int(g) for g in served),
                valid_until=until,
                fulfilled=fulfilled,
                no_show=past - fulfilled,
                open_matches=int(rng.poisson(1.0)),
                item=name,
                item_key=key if rng.random() < 0.85 else "",
                available_from=start,
                community_work=work,
                reliability_rate=round(float(np.clip(reliability + rng.normal(0, 0.05), 0, 1)), 2)
                if imported
                else None,
            )
        )
        hidden[i] = reliability
    return offers, hidden


def _line(rng: np.random.Generator, line_id: int, decided: datetime, grids: int, service: bool) -> LineNeed:
    while True:
        category = list(ITEMS)[int(rng.integers(len(ITEMS)))]
        choices = [(k, n) for k, n in ITEMS[category] if (k in SERVICE_ITEMS) == service]
        if choices:
            break
    key, name = choices[int(rng.integers(len(choices)))]
    return LineNeed(
        id=line_id,
        need_id=line_id,
        text=f"{CATEGORIES[category][0][0]}，需要{name}",
        kind="service" if service else "material",
        category=category,
        grid_id=int(rng.integers(1, grids + 1)),
        still_needed=float(rng.integers(4, 40)) if service else float(rng.integers(10, 200)),
        unit="小时" if service else "件",
        urgency=int(rng.choice([0, 1, 1, 1, 2, 3])),
        due_date=(decided + timedelta(days=int(rng.integers(5, 40)))).date(),
        item=name,
        item_key=key if rng.random() < 0.9 else "",
    )


def offer_utility(
    line: LineNeed,
    offers: list[Offer],
    pairs: PairFeatures,
    hidden: np.ndarray,
    community_of: dict[int, int | None],
    now: datetime,
) -> np.ndarray:
    """The admins' systematic utility of each offer for the line (no impression, no noise)."""
    weight = dict(OFFER_UTILITY)
    for name, factor in OFFER_EMPHASIS.get(line.category, {}).items():
        weight[name] *= factor
    place = community_of[line.grid_id]
    due = datetime.combine(line.due_date, datetime.min.time(), UTC) if line.due_date else now + timedelta(days=60)
    item = np.asarray(
        [0.0 if not (o.item_key and line.item_key) else (1.0 if o.item_key == line.item_key else -1.0) for o in offers]
    )
    category = np.asarray([float(o.category == line.category) for o in offers])
    familiar = np.asarray([math.log1p(o.community_work.get(place, 0)) if place else 0.0 for o in offers])
    late = np.asarray([float(o.available_from is not None and o.available_from > due) for o in offers])
    coverage = np.minimum(np.asarray([o.remaining for o in offers]), line.still_needed) / line.still_needed
    km = pairs.column("distance_km")
    return (
        weight["coverage"] * coverage
        + weight["item"] * item
        + weight["category"] * category
        + (weight["km"] + weight["km_x_urgency"] * line.urgency) * km
        + weight["familiarity"] * familiar
        + weight["reliability"] * (hidden - 0.8)
        + weight["late_start"] * late
        + weight["validity"] * pairs.column("validity")
        + weight["load"] * np.log1p([o.open_matches for o in offers])
    )


def offer_street(
    seed: int = 1,
    *,
    offers: int = 300,
    lines: int = 800,
    later_lines: int = 100,
    eta: float = 1.0,
    logging_noise: float = 0.15,
    decisiveness: float = DECISIVENESS,
    keep_pools: bool = False,
) -> OfferStreet:
    """Partners' offers, a year of logged decisions on resource lines and later lines graded from the truth.

    ``keep_pools`` keeps each past line's unshown offers' features (``OfferStreet.pools``); it draws nothing,
    so the street is the same with or without it."""
    from matching.offers import DEFAULT_WEIGHTS as OFFER_WEIGHTS
    from matching.offers import OfferIndex

    rng = np.random.default_rng(seed + 10_000)
    grids = _grids(rng)
    community_of = {g.id: g.community_id for g in grids}
    stock, hidden = _offer_records(rng, offers, grids)
    impression = rng.normal(0, IMPRESSION_SD, size=offers + 1)
    decided_at = sorted(START + timedelta(seconds=float(s)) for s in rng.uniform(0, DAYS * 86_400, lines))
    past = [_line(rng, i + 1, when, len(grids), rng.random() < 0.7) for i, when in enumerate(decided_at)]
    later_at = sorted(START + timedelta(days=DAYS, seconds=float(s)) for s in rng.uniform(0, 28 * 86_400, later_lines))
    later = [_line(rng, lines + i + 1, when, len(grids), True) for i, when in enumerate(later_at)]
    space = TextSpace([o.text for o in stock] + [line.text for line in past + later])
    position = {o.id: i for i, o in enumerate(stock)}
    hidden_array = np.asarray([hidden[o.id] for o in stock])
    done: dict[int, int] = defaultdict(int)
    failed: dict[int, int] = defaultdict(int)
    work: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # organization -> community -> count

    def current() -> list[Offer]:
        return [
            replace(
                o,
                fulfilled=o.fulfilled + done[o.id],
                no_show=o.no_show + failed[o.id],
                community_work={
                    c: o.community_work.get(c, 0) + work[o.organization_id].get(c, 0)
                    for c in set(o.community_work) | set(work[o.organization_id])
                },
                open_matches=int(rng.poisson(1.0)),
            )
            for o in stock
        ]

    street = OfferStreet(seed, grids, [], [], [], {}, {line.id: line.category for line in past + later})
    pending_from = START + timedelta(days=DAYS - PENDING_DAYS)
    period, index, standing = -1, None, stock
    for line, now in zip(past, decided_at, strict=True):
        if (now - START).days // PERIOD_DAYS != period:
            period = (now - START).days // PERIOD_DAYS
            standing = current()
            index = OfferIndex(standing, grids, space)
        assert index is not None
        features = index.pair_features(line, now)
        if len(features) < 4:
            continue
        noisy = sum(w * features.column(n) for n, w in OFFER_WEIGHTS.items()) + rng.gumbel(
            0, logging_noise, len(features)
        )
        shown = np.lexsort((features.candidate_ids, -noisy))[: int(rng.integers(6, 10))]
        pairs = features.subset(features.candidate_ids[shown].tolist())
        if keep_pools:
            street.pools[line.id] = np.delete(features.matrix, shown, axis=0)
        rows = [position[int(c)] for c in pairs.candidate_ids]
        utility = offer_utility(line, [standing[r] for r in rows], pairs, hidden_array[rows], community_of, now)
        logit = decisiveness * utility + INTERCEPT + impression[pairs.candidate_ids]
        likes = rng.random(len(rows)) < 1 / (1 + np.exp(-logit))
        examined = rng.random(len(rows)) < np.arange(1, len(rows) + 1, dtype=np.float64) ** -eta
        delivers = rng.random(len(rows)) < hidden_array[rows]
        place = community_of[line.grid_id]
        for rank, candidate in enumerate(pairs.candidate_ids.tolist()):
            if not (likes[rank] and examined[rank]):
                outcome = "rejected"
            elif now >= pending_from:
                outcome = "approved"
            elif delivers[rank]:
                outcome = "fulfilled"
                done[candidate] += 1
                if place is not None:
                    work[stock[position[candidate]].organization_id][place] += 1
            else:
                outcome = "no_show"
                failed[candidate] += 1
            street.decisions.append(Decision(line.need_id, line.id, candidate, "offer", outcome, rank + 1, now))
        street.pairs[line.id] = pairs
        street.past_utility.update(
            {(line.id, int(c)): float(u) for c, u in zip(pairs.candidate_ids, utility, strict=True)}
        )
        street.lines.append(line)
    street.offers = current()
    final = OfferIndex(street.offers, grids, space)
    for line, now in zip(later, later_at, strict=True):
        features = final.pair_features(line, now)
        if len(features) < 20:
            continue
        chosen = np.sort(rng.choice(len(features), size=min(LATER_CANDIDATES, len(features)), replace=False))
        pairs = features.subset(features.candidate_ids[chosen].tolist())
        rows = [position[int(c)] for c in pairs.candidate_ids]
        utility = offer_utility(line, [street.offers[r] for r in rows], pairs, hidden_array[rows], community_of, now)
        probability = 1 / (1 + np.exp(-(decisiveness * utility + INTERCEPT)))
        street.later.append(OfferTruthList(line, pairs, np.digitize(probability, GRADES).astype(np.float64), utility))
    return street
