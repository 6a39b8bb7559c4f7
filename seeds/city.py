"""A city of streets for ``marketplace seed city --streets N``: Hudao Street and its story first, then
streets of Qingdao's districts built by the same generators.

Every street gets its own code (division-slug), Chinese and English names, communities named after its
roads, grids laid around its own centre (streets of a district sit a few kilometres apart around the
district's centre), organizations registered there with credit codes of its district, its own staff,
volunteers living there, needs, a year of matches and activity. The streets share one plan, loaded in
one transaction: ids are global, and what would repeat (usernames, intake references) is made unique.

Accounts: the Hudao demo logins (``admin`` is Hudao's street admin), the city admin ``city``, and per
other street its street admin ``<slug>-admin`` (plus ``<slug>-admin02`` and ``-admin03``, its community
and grid staff ``<slug>-staff``, ``<slug>-grid001``, ...), all with the demo password.
"""

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from marketplace.needs.models import NeedStatus
from seeds.build.activity import build_activity
from seeds.build.context import SeedContext
from seeds.build.history import HistoryBuilder
from seeds.build.needs import STATUS_WEIGHTS, build_needs
from seeds.build.offers import build_offers
from seeds.build.organizations import build_organizations
from seeds.build.places import build_places, default_branch_sizes
from seeds.build.signals import add_offer_start_dates, add_volunteer_interests
from seeds.build.users import build_partner_users, build_staff_users
from seeds.build.volunteers import build_volunteers
from seeds.credit_codes import make_credit_code, random_credit_code
from seeds.data.city import CITY, DISTRICTS, DistrictSpec
from seeds.data.places import COMPOUND_SUFFIXES, SYNTHETIC_ROADS, CommunitySpec
from seeds.loading import Progress, SeedReport, Stopwatch
from seeds.runner import collector_paused, load_and_report, new_context

MAX_STREETS = 500
# Each street other than Hudao, about Hudao's size (each its own share of this: see ``street_sizes``).
ORGANIZATIONS = 24
VOLUNTEERS = 240
NEEDS = 160
ESCALATIONS = 2
COMMUNITY_SIZES = (4, 4, 3, 4, 3, 3)  # 21 grids in 6 communities, like Hudao
STREET_SPACING_DEGREES = 0.03  # streets of a district about 3 km apart
COMMUNITY_SPACING_DEGREES = 0.006
DIRECTIONS = (("", ""), ("北", " North"), ("南", " South"), ("东", " East"), ("西", " West"))


@dataclass(frozen=True)
class CityStreet:
    number: int  # 1-based, in seeding order
    district: DistrictSpec
    name: str
    name_en: str
    slug: str
    latitude: float
    longitude: float

    @property
    def code(self) -> str:
        return f"{self.district.division}-{self.slug}"

    @property
    def row(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "district": self.district.name,
            "district_en": self.district.name_en,
            "city": CITY,
        }


def city_streets(count: int) -> list[CityStreet]:
    """``count`` streets: districts in turn (Hudao first), each district's streets in order; past the named
    streets, numbered new streets of each district."""
    queues = [list(district.streets) for district in DISTRICTS]
    placed = [0] * len(DISTRICTS)
    streets: list[CityStreet] = []
    turn = 0
    while len(streets) < count:
        index = turn % len(DISTRICTS)
        district = DISTRICTS[index]
        if queues[index]:
            name, name_en, slug = queues[index].pop(0)
        else:
            extra = placed[index] - len(district.streets) + 1
            name = f"{district.name.removesuffix('区').removesuffix('市')}新城第{extra}街道"
            name_en = f"{district.name_en.split()[0]} New Town Street {extra}"
            slug = f"{district.name_en.split()[0].lower()}-new{extra}"
        position = placed[index]
        placed[index] += 1
        # Around the district's centre: a spiral, a street every ~3 km.
        angle, radius = position * 2.4, STREET_SPACING_DEGREES * math.sqrt(position)
        latitude = round(district.latitude + radius * math.sin(angle), 6)
        longitude = round(district.longitude + radius * math.cos(angle) / math.cos(math.radians(district.latitude)), 6)
        streets.append(CityStreet(len(streets) + 1, district, name, name_en, slug, latitude, longitude))
        turn += 1
    return streets


def street_communities(street: CityStreet, rng: random.Random) -> list[CommunitySpec]:
    """Six communities named after roads, around the street's centre."""
    roads = SYNTHETIC_ROADS
    first = (street.number * 7) % len(roads)
    specs = []
    for number, size in enumerate(COMMUNITY_SIZES):
        road, road_en = roads[(first + number) % len(roads)]
        direction, direction_en = DIRECTIONS[(street.number + number) // len(roads) % len(DIRECTIONS)]
        compounds = tuple(
            (f"{road}{direction}{suffix}", f"{road_en}{direction_en} {suffix_en}")
            for suffix, suffix_en in rng.sample(COMPOUND_SUFFIXES, 3)
        )
        row, column = divmod(number, 3)
        specs.append(
            CommunitySpec(
                f"{road}{direction}社区",
                f"{road_en}{direction_en} Community",
                size,
                round(street.latitude + (row - 0.5) * COMMUNITY_SPACING_DEGREES, 6),
                round(street.longitude + (column - 1) * COMMUNITY_SPACING_DEGREES * 1.24, 6),
                compounds,
                (road,),
                default_branch_sizes(size),
            )
        )
    return specs


def seed_city(
    engine: sa.Engine,
    *,
    streets: int,
    seed: int = 2026,
    today: date | None = None,
    progress: Progress | None = None,
    on_street: Callable[[CityStreet], None] | None = None,
    totals: dict[str, int] | None = None,
) -> SeedReport:
    """Seed ``streets`` streets (the first is Hudao with its story) into an empty, migrated database.

    ``totals`` (keys ``volunteers``, ``needs``, ``offers``, each optional) sizes the whole city instead of
    the usual street sizes: what Hudao's story leaves is shared out over the other streets, busier
    streets taking more (see ``city_shares``), so the city holds exactly that many."""
    from seeds.hudao import _build as build_hudao

    if not 1 <= streets <= MAX_STREETS:
        raise ValueError(f"streets must be between 1 and {MAX_STREETS}")
    specs = city_streets(streets)
    with collector_paused():
        watch = Stopwatch()
        hudao = new_context(seed, today, progress)
        names = _Unique()
        shares: dict[int, dict[str, int]] = {}
        for street in specs:
            if on_street:
                on_street(street)
            if street.number == 1:
                build_hudao(hudao)  # the story, the demo logins and the city admin
                names.note(hudao, street)
                shares = city_shares(hudao, specs[1:], totals or {}, seed)
                continue
            ctx = SeedContext(
                seed=seed * 1000 + street.number,
                clock=hudao.clock,
                people=hudao.people,
                password_hash=hudao.password_hash,
                plan=hudao.plan,
                progress=progress,
                skill_ids=hudao.skill_ids,
                row_starts={table: len(rows) for table, rows in hudao.plan.rows.items()},
            )
            _build_street(ctx, street, shares.get(street.number, {}))
            names.note(ctx, street)
        report = load_and_report(engine, hudao, watch)
    report.notes.update({"streets": streets})
    return report


# What ``totals`` may size, and the table whose rows count it.
SIZED_TABLES = {"volunteers": "volunteer_profile", "needs": "need", "offers": "offer"}


def city_shares(
    hudao: SeedContext, others: list[CityStreet], totals: dict[str, int], seed: int
) -> dict[int, dict[str, int]]:
    """Each other street's share of the city's ``totals`` once Hudao is built: street number -> sizes.

    A street's weight is drawn as ``street_sizes`` draws a street's size, so some streets are about
    three times as busy as others; largest remainders make the shares add up exactly."""
    shares: dict[int, dict[str, int]] = {street.number: {} for street in others}
    if not others:
        return shares
    weights = []
    for street in others:
        rng = random.Random(f"{seed}:city-share:{street.number}")
        weights.append(rng.uniform(0.6, 1.5) * rng.uniform(0.8, 1.2))
    for key, total in totals.items():
        left = total - hudao.plan.count(SIZED_TABLES[key])
        if left < len(others):
            raise ValueError(f"{key}: {total:,} is too few for {len(others) + 1} streets")
        exact = [left * weight / sum(weights) for weight in weights]
        counts = [max(1, math.floor(value)) for value in exact]
        by_remainder = sorted(range(len(others)), key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
        for turn in range(left - sum(counts)):
            counts[by_remainder[turn % len(others)]] += 1
        for street, count in zip(others, counts, strict=True):
            shares[street.number][key] = count
    return shares


def street_sizes(ctx: SeedContext) -> dict[str, int]:
    """How big and how busy a street is: within about half to one and a half of the usual."""
    rng = ctx.rng("city-size")
    size = rng.uniform(0.6, 1.5)
    return {
        "organizations": max(8, round(ORGANIZATIONS * size * rng.uniform(0.8, 1.2))),
        "volunteers": max(60, round(VOLUNTEERS * size * rng.uniform(0.7, 1.3))),
        "needs": max(60, round(NEEDS * size * rng.uniform(0.8, 1.2))),
    }


def street_statuses(ctx: SeedContext) -> dict[NeedStatus, int]:
    """The street's shares of need statuses: some streets close more of what they collect than others."""
    rng = ctx.rng("city-statuses")
    closing = rng.uniform(0.45, 1.8)  # how much of what is open the street has closed
    weights = {}
    for status, weight in STATUS_WEIGHTS.items():
        if status in (NeedStatus.COMPLETED, NeedStatus.VERIFIED):
            weight = weight * closing
        elif status in (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED, NeedStatus.IN_PROGRESS):
            weight = weight / closing
        weights[status] = max(1, round(weight * rng.uniform(0.8, 1.25)))
    return weights


def _build_street(ctx: SeedContext, street: CityStreet, share: dict[str, int]) -> None:
    sizes = street_sizes(ctx) | share
    ctx.report("places and partners", 0, 1)
    specs = street_communities(street, ctx.rng("city-places"))
    grids = sum(spec.grids for spec in specs)
    build_places(ctx, street.row, specs, grid_code_prefix=street.slug.upper(), grids_without_station={grids - 1})
    areas = [(spec.name.removesuffix("社区"), spec.name_en.removesuffix(" Community")) for spec in specs]
    build_organizations(ctx, generated=sizes["organizations"], story=False, areas=areas)
    build_staff_users(ctx)
    build_partner_users(ctx)
    ctx.report("places and partners", 1, 1)
    build_volunteers(ctx, sizes["volunteers"])
    add_volunteer_interests(ctx)
    build_offers(ctx, total=sizes.get("offers"))
    add_offer_start_dates(ctx)
    build_needs(ctx, sizes["needs"], status_weights=street_statuses(ctx))
    history = HistoryBuilder(ctx)
    history.run()
    history.finish()
    build_activity(ctx, escalations=ESCALATIONS)


_TRAILING_NUMBER = re.compile(r"(\d+)$")


class _Unique:
    """What must be unique across the city: usernames, credit codes, intake references."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.reference_number = 0
        self.rng = random.Random("city-credit-codes")

    def note(self, ctx: SeedContext, street: CityStreet) -> None:
        if street.number > 1:
            for user in ctx.own_rows("user_account"):
                user["username"] = f"{street.slug}-{user['username']}"
                if user["email"]:
                    user["email"] = f"{street.slug}-{user['email']}"
        for organization in ctx.own_rows("organization"):
            organization["credit_code"] = self._credit_code(organization["credit_code"], street)
        if street.number > 1:
            for intake in ctx.own_rows("need_intake"):
                if intake["external_ref"]:
                    self._renumber(intake)

    def _credit_code(self, code: str, street: CityStreet) -> str:
        """The code moved to the street's district, kept unique across the city (its kind stays)."""
        candidate = make_credit_code(code[:2], street.district.division, code[8:16])
        while candidate in self.codes:
            candidate = random_credit_code(self.rng, code[:2], street.district.division)
        self.codes.add(candidate)
        return candidate

    def _renumber(self, intake: dict[str, object]) -> None:
        """Hotline and e-home numbers are the city's: give each street's references numbers of their own."""
        self.reference_number += 1
        reference = str(intake["external_ref"])
        match = _TRAILING_NUMBER.search(reference)
        assert match is not None
        width = len(match.group(1))
        renumbered = f"{reference[: match.start()]}9{self.reference_number:0{width - 1}d}"
        intake["external_ref"] = renumbered
        intake["idempotency_key"] = f"{intake['channel'].value}:{renumbered}"  # type: ignore[attr-defined]
