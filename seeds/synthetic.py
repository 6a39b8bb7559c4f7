"""Synthetic streets for benchmarks: everything in proportion to the number of volunteers.

One grid per ~500 volunteers (at least 21), four grids per community, an organization per ~100
volunteers, an offer per ~20 and about one shift or resource line per 10 volunteers. The numbers of
needs, offers and shifts can be set apart from the volunteers, for streets busier than that (the
load benchmark's: 5,000 volunteers and 2,000 shifts).
"""

import math
import random
from datetime import date

import sqlalchemy as sa

from seeds.build.activity import build_activity
from seeds.build.context import SeedContext
from seeds.build.history import HistoryBuilder
from seeds.build.needs import build_needs
from seeds.build.offers import build_offers
from seeds.build.organizations import build_organizations
from seeds.build.places import build_places, default_branch_sizes
from seeds.build.skills import build_skills
from seeds.build.users import build_partner_users, build_staff_users
from seeds.build.volunteers import build_volunteers
from seeds.data.places import COMPOUND_SUFFIXES, SYNTHETIC_ROADS, CommunitySpec
from seeds.loading import Progress, SeedReport, Stopwatch
from seeds.runner import collector_paused, load_and_report, new_context

VOLUNTEERS_PER_GRID = 500
MIN_GRIDS = 21
GRIDS_PER_COMMUNITY = 4
VOLUNTEERS_PER_ORGANIZATION = 100
VOLUNTEERS_PER_OFFER = 20
# A need averages about 1.8 shifts and lines, so one need per 18 volunteers gives one per 10.
VOLUNTEERS_PER_NEED = 18
CENTRE = (36.075, 120.38)
COMMUNITY_SPACING_DEGREES = 0.009
DIRECTIONS = (("", ""), ("北", " North"), ("南", " South"), ("东", " East"), ("西", " West"), ("中", " Central"))


def synthetic_scale(
    volunteers: int, *, needs: int | None = None, offers: int | None = None, shifts: int | None = None
) -> dict[str, int]:
    """The counts a street of ``volunteers`` volunteers gets; ``needs`` and ``offers`` replace the
    proportional counts, and ``shifts`` (when given) is the number of shifts to aim at."""
    grids = max(MIN_GRIDS, round(volunteers / VOLUNTEERS_PER_GRID))
    scale = {
        "volunteers": volunteers,
        "grids": grids,
        "communities": math.ceil(grids / GRIDS_PER_COMMUNITY),
        "organizations": max(35, volunteers // VOLUNTEERS_PER_ORGANIZATION),
        "offers": max(50, volunteers // VOLUNTEERS_PER_OFFER) if offers is None else offers,
        "needs": max(60, round(volunteers / VOLUNTEERS_PER_NEED)) if needs is None else needs,
        "escalations": max(3, volunteers // 2000),
    }
    if shifts is not None:
        scale["shifts"] = shifts
    return scale


def synthetic_communities(grids: int, rng: random.Random) -> list[CommunitySpec]:
    """Communities named after roads, laid out on a lattice about a kilometre apart."""
    count = math.ceil(grids / GRIDS_PER_COMMUNITY)
    side = math.ceil(math.sqrt(count))
    specs: list[CommunitySpec] = []
    for number in range(count):
        road, road_en = SYNTHETIC_ROADS[number % len(SYNTHETIC_ROADS)]
        cycle = number // len(SYNTHETIC_ROADS)
        direction, direction_en = DIRECTIONS[cycle % len(DIRECTIONS)]
        if cycle >= len(DIRECTIONS):
            direction, direction_en = f"{direction}{cycle}", f"{direction_en} {cycle}"
        size = min(GRIDS_PER_COMMUNITY, grids - number * GRIDS_PER_COMMUNITY)
        compounds = tuple(
            (f"{road}{direction}{suffix}", f"{road_en}{direction_en} {suffix_en}")
            for suffix, suffix_en in rng.sample(COMPOUND_SUFFIXES, 3)
        )
        row, column = divmod(number, side)
        specs.append(
            CommunitySpec(
                f"{road}{direction}社区",
                f"{road_en}{direction_en} Community",
                size,
                round(CENTRE[0] + (row - side / 2) * COMMUNITY_SPACING_DEGREES, 6),
                round(CENTRE[1] + (column - side / 2) * COMMUNITY_SPACING_DEGREES * 1.24, 6),
                compounds,
                (road,),
                default_branch_sizes(size),
            )
        )
    return specs


def seed_synthetic(
    engine: sa.Engine,
    *,
    volunteers: int = 10_000,
    needs: int | None = None,
    offers: int | None = None,
    shifts: int | None = None,
    seed: int = 7,
    today: date | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Generate a street of ``volunteers`` volunteers and load it into an empty, migrated database.

    ``needs``, ``offers`` and ``shifts`` set those counts instead of keeping them in proportion."""
    scale = synthetic_scale(volunteers, needs=needs, offers=offers, shifts=shifts)
    with collector_paused():
        watch = Stopwatch()
        ctx = new_context(seed, today, progress)
        _build(ctx, scale)
        report = load_and_report(engine, ctx, watch)
    report.notes.update(scale)
    return report


def _build(ctx: SeedContext, scale: dict[str, int]) -> None:
    ctx.report("places and partners", 0, 1)
    specs = synthetic_communities(scale["grids"], ctx.rng("synthetic-places"))
    street = {
        "code": f"synthetic-{ctx.seed}-{scale['volunteers']}",
        "name": "海泊河街道",
        "name_en": "Haibohe Street (synthetic)",
        "district": "市北区",
        "district_en": "Shibei District",
        "city": "青岛市",
    }
    without_station = {index for index in range(scale["grids"]) if index % 20 == 19}
    build_places(ctx, street, specs, grid_code_prefix="SY", grids_without_station=without_station)
    build_skills(ctx)
    build_organizations(ctx, generated=scale["organizations"], story=False, areas=SYNTHETIC_ROADS)
    build_staff_users(ctx)
    build_partner_users(ctx)
    ctx.report("places and partners", 1, 1)
    build_volunteers(ctx, scale["volunteers"])
    build_offers(ctx, total=scale["offers"])
    build_needs(ctx, scale["needs"], shifts=scale.get("shifts"))
    history = HistoryBuilder(ctx)
    history.run()
    history.finish()
    build_activity(ctx, escalations=scale["escalations"])
