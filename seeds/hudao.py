"""The Hudao Street scenario (湖岛街道, Shibei District, Qingdao): the street of the design's story."""

from datetime import date

import sqlalchemy as sa

from seeds.build.activity import build_activity
from seeds.build.context import SeedContext
from seeds.build.history import HistoryBuilder
from seeds.build.needs import NeedBuilder, build_needs
from seeds.build.offers import build_offers
from seeds.build.organizations import build_organizations
from seeds.build.places import build_places
from seeds.build.signals import add_offer_start_dates, add_volunteer_interests
from seeds.build.skills import build_skills
from seeds.build.users import build_city_admin, build_partner_users, build_staff_users
from seeds.build.volunteers import build_volunteers
from seeds.data.places import HUDAO_COMMUNITIES, HUDAO_STREET
from seeds.hudao_story import add_hudao_new_village, play_partner_claims, play_volunteers
from seeds.loading import Progress, SeedReport, Stopwatch
from seeds.runner import collector_paused, load_and_report, new_context

GENERATED_ORGANIZATIONS = 30
VOLUNTEERS = 300
NEEDS = 200
ESCALATIONS = 3
# Twenty of the 21 grids have a service station; the last grid of Beiling shares its neighbour's.
GRIDS_WITHOUT_STATION = {20}


def seed_hudao(
    engine: sa.Engine,
    *,
    seed: int = 2026,
    today: date | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Seed Hudao Street into an empty, migrated database; the same ``seed`` and ``today`` give the same rows."""
    with collector_paused():
        watch = Stopwatch()
        ctx = new_context(seed, today, progress)
        _build(ctx)
        return load_and_report(engine, ctx, watch)


def _build(ctx: SeedContext) -> None:
    ctx.report("places and partners", 0, 1)
    build_places(
        ctx, HUDAO_STREET, HUDAO_COMMUNITIES, grid_code_prefix="HD", grids_without_station=GRIDS_WITHOUT_STATION
    )
    build_skills(ctx)
    areas = [(c.name.removesuffix("社区"), c.name_en.removesuffix(" Community")) for c in HUDAO_COMMUNITIES]
    build_organizations(ctx, generated=GENERATED_ORGANIZATIONS, story=True, areas=areas)
    build_staff_users(ctx)
    build_partner_users(ctx)
    ctx.report("places and partners", 1, 1)
    build_volunteers(ctx, VOLUNTEERS)
    add_volunteer_interests(ctx)
    build_offers(ctx)
    add_offer_start_dates(ctx)
    builder = NeedBuilder(ctx)
    add_hudao_new_village(ctx, builder)
    build_needs(ctx, NEEDS, builder)
    history = HistoryBuilder(ctx, ranked_by_library=True)
    play_partner_claims(ctx, history)
    history.run()
    play_volunteers(ctx, history)
    history.finish()
    build_activity(ctx, escalations=ESCALATIONS)
    build_city_admin(ctx)  # last, so every other row keeps the id it had before the city level
