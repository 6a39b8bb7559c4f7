"""The Hudao Street story itself: the renovation of Hudao New Village and who took part in it."""

from datetime import timedelta

from marketplace.matches.models import MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from seeds.build.context import NeedInfo, OfferInfo, SeedContext
from seeds.build.history import HistoryBuilder
from seeds.build.needs import NeedBuilder, NeedDraft
from seeds.data.needs import HUDAO_NEW_VILLAGE
from seeds.data.templates import LineTemplate, ShiftTemplate

BRICKS = LineTemplate(ResourceKind.MATERIAL, Category.RENOVATION, "透水砖", "m²", 5000, 5000)
PAVILIONS = LineTemplate(ResourceKind.SERVICE, Category.RENOVATION, "凉亭维修", "座", 6, 6)
PAINT = LineTemplate(ResourceKind.MATERIAL, Category.RENOVATION, "内墙涂料", "桶", 60, 60)
LIGHTS = LineTemplate(ResourceKind.MATERIAL, Category.RENOVATION, "LED声控灯", "个", 48, 48)
ORDER_KEEPING = ShiftTemplate("改造现场秩序维护", 3, (4, 4), ("order_keeping",), (540,))
CONSULTATION = ShiftTemplate("入户征求居民改造意见", 2, (3, 3), ("data_entry",), (870,))
PAVILIONS_REPAIRED = 6
BRICKS_DONATED = 3200


def add_hudao_new_village(ctx: SeedContext, builder: NeedBuilder) -> NeedInfo:
    """The renovation the red tea house council agreed on; the first need of the list."""
    draft = NeedDraft(
        HUDAO_NEW_VILLAGE["title"],
        HUDAO_NEW_VILLAGE["description"],
        Category.RENOVATION,
        0,
        IntakeChannel.RED_TEA_HOUSE,
        Urgency.HIGH,
        NeedStatus.PARTIALLY_MATCHED,
        "湖岛新村",
        lines=[(BRICKS, 5000), (PAVILIONS, 6), (PAINT, 60), (LIGHTS, 48)],
        shifts=[ORDER_KEEPING, ORDER_KEEPING, ORDER_KEEPING, CONSULTATION],
        beneficiary=False,
        age_days=45,
        published_days_after=6,
    )
    need = builder.add(draft)
    ctx.story["hudao_new_village"] = need
    ctx.story.setdefault("reserved_needs", set()).add(need.id)
    ctx.story.setdefault("reserved_offers", set()).add(story_offer(ctx, "lvfan", "m²").id)
    return need


def story_offer(ctx: SeedContext, partner: str, unit: str) -> OfferInfo:
    org_id = next(org.id for org in ctx.organizations if org.story_key == partner)
    return next(offer for offer in ctx.offers if offer.organization_id == org_id and offer.unit == unit)


def play_partner_claims(ctx: SeedContext, history: HistoryBuilder) -> None:
    """Huatuo repaired the pavilions (approved); Lvfan's bricks await the admins (proposed, 64% of the need)."""
    clock = ctx.clock
    need = ctx.story["hudao_new_village"]
    bricks, pavilions = need.lines[0], need.lines[1]
    claimed = clock.after(need.row["published_at"], 24 * 3)
    history.add_offer(
        need,
        pavilions,
        story_offer(ctx, "huatuo", "座"),
        PAVILIONS_REPAIRED,
        MatchStatus.APPROVED,
        MatchSource.PARTNER_CLAIM,
        claimed,
        clock.after(claimed, 20),
    )
    history.add_offer(
        need,
        bricks,
        story_offer(ctx, "lvfan", "m²"),
        BRICKS_DONATED,
        MatchStatus.PROPOSED,
        MatchSource.MATCHING_ROUND,
        clock.ago(0.6),
    )


def play_volunteers(ctx: SeedContext, history: HistoryBuilder) -> None:
    """The demo volunteer (position 0) and neighbours staff the renovation; the demo one also has a past."""
    clock, vols = ctx.clock, ctx.volunteers
    need = ctx.story["hudao_new_village"]
    first, second = need.shifts[0], need.shifts[1]
    history.add_volunteer(
        need, first, 0, MatchStatus.APPROVED, MatchSource.VOLUNTEER_SIGNUP, clock.ago(3), clock.ago(2.6)
    )
    neighbours = [p for p in vols.by_grid.get(0, []) if p != 0][:6]
    for position in neighbours[:2]:
        history.add_volunteer(
            need, first, position, MatchStatus.APPROVED, MatchSource.STAFF, clock.ago(2.8), clock.ago(2.5)
        )
    for position in neighbours[2:5]:
        history.add_volunteer(
            need, second, position, MatchStatus.PROPOSED, MatchSource.MATCHING_ROUND, clock.ago(0.6), None
        )
    _demo_volunteer_past(ctx, history)


def _demo_volunteer_past(ctx: SeedContext, history: HistoryBuilder, wanted: int = 5) -> None:
    clock = ctx.clock
    community = ctx.place.grids[0].community_index
    past = [
        (shift, need)
        for need in ctx.needs
        if need.status in (NeedStatus.COMPLETED, NeedStatus.VERIFIED)
        and ctx.place.grids[need.grid_index].community_index == community
        for shift in need.shifts
        if shift.ends_at < clock.now
    ]
    past.sort(key=lambda pair: -pair[0].starts_at.timestamp())
    added = 0
    for shift, need in past:
        if added >= wanted:
            break
        created = max(need.row["published_at"], shift.starts_at - timedelta(days=3))
        if created > shift.starts_at:
            continue
        decided = min(created + timedelta(hours=5), shift.starts_at)
        done = shift.ends_at + timedelta(minutes=40)
        if history.add_volunteer(
            need, shift, 0, MatchStatus.FULFILLED, MatchSource.VOLUNTEER_SIGNUP, created, decided, done
        ):
            added += 1
