"""The matching signals the demo street shows: volunteers' interests and offers' start dates.

Each stage has its own RNG (``ctx.rng``), so adding it reshuffles nothing else the seed builds.
"""

from datetime import timedelta

from marketplace.offers.models import OfferStatus
from marketplace.street_clock import day_start, street_day
from seeds.build.context import SeedContext
from seeds.data.skills import SKILLS

# The kinds of work a skill group's people tend to ask for (need categories).
GROUP_INTERESTS: dict[str, tuple[str, ...]] = {
    "care": ("elderly_care", "livelihood"),
    "medical": ("health", "epidemic_prevention"),
    "repair": ("renovation",),
    "professional": ("mediation", "livelihood"),
    "education": ("education",),
    "culture": ("culture_sports",),
    "logistics": ("travel_safety", "sanitation"),
}
ALL_CATEGORIES = tuple(sorted({c for categories in GROUP_INTERESTS.values() for c in categories}))
# Shares: who declared interests at all, and who added one beyond their skills.
DECLARED_SHARE = 0.7
EXTRA_SHARE = 0.3
# Offers of things that come later (a venue from next month, winter coats from the first frost).
LATER_START_SHARE = 0.2


def add_volunteer_interests(ctx: SeedContext) -> None:
    """Most volunteers name a few kinds of work, mostly those their skills point to."""
    rng = ctx.rng("interests")
    group_of_id = {ctx.skill_ids[code]: group for code, group, _zh, _en in SKILLS if code in ctx.skill_ids}
    skills_of: dict[int, list[int]] = {}
    for row in ctx.own_rows("volunteer_skill"):
        skills_of.setdefault(row["volunteer_id"], []).append(row["skill_id"])
    interests = ctx.plan.rows["volunteer_interest"]
    for profile in ctx.own_rows("volunteer_profile"):
        demo = profile["id"] == ctx.volunteers.first_id  # the demo volunteer always shows some
        if not demo and rng.random() >= DECLARED_SHARE:
            continue
        skills = skills_of.get(profile["id"], [])
        wanted = {category for skill in skills for category in GROUP_INTERESTS.get(group_of_id.get(skill, ""), ())}
        wanted = set(rng.sample(sorted(wanted), k=min(len(wanted), 2))) if wanted else set()
        if demo:
            wanted |= {"elderly_care", "culture_sports"}
        elif not wanted or rng.random() < EXTRA_SHARE:
            wanted.add(rng.choice(ALL_CATEGORIES))
        for category in sorted(wanted):
            interests.append({"id": len(interests) + 1, "volunteer_id": profile["id"], "category": category})


def add_offer_start_dates(ctx: SeedContext) -> None:
    """About a fifth of the active offers become usable only from a day in the coming weeks."""
    rng = ctx.rng("offer-start")
    now = ctx.clock.now
    for offer in ctx.own_rows("offer"):
        offer["available_from"] = None  # every row names the column: rows are inserted together
        if offer["status"] != OfferStatus.ACTIVE or rng.random() >= LATER_START_SHARE:
            continue
        start = day_start(street_day(now + timedelta(days=rng.randint(5, 45))))
        until = offer.get("valid_until")
        if until is None or start < until - timedelta(days=1):
            offer["available_from"] = start
