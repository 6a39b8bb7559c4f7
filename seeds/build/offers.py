"""The resource list: offers of approved partners across every kind and category."""

import random
from datetime import timedelta

from marketplace.offers.models import OfferStatus
from marketplace.offers.rules import check_seeded
from marketplace.organizations.models import OrganizationStatus
from seeds.build.context import OfferInfo, OrganizationInfo, SeedContext, quantity
from seeds.data.offers import OFFERS_BY_KEY
from seeds.data.templates import OfferTemplate

# The story's offers: Lvfan's 3,200 m² of permeable bricks, Huatuo's pavilion repairs.
STORY_QUANTITIES = {("lvfan", "bricks"): 3200, ("huatuo", "pavilion_repair"): 8}


def build_offers(ctx: SeedContext, *, total: int | None = None) -> None:
    """Story partners offer what the story says; others 1-3 offers each, or ``total`` spread over them."""
    rng = ctx.rng("offers")
    offering = [
        org for org in ctx.organizations if org.status in (OrganizationStatus.APPROVED, OrganizationStatus.SUSPENDED)
    ]
    assignments: list[tuple[OrganizationInfo, str, int]] = []
    for org in offering:
        if org.story_key:
            assignments.extend((org, key, 1) for key in org.offer_keys)
    generated = [org for org in offering if not org.story_key]
    if total is None:
        for org in generated:
            keys = list(org.offer_keys)
            rng.shuffle(keys)
            count = 1 if org.status == OrganizationStatus.SUSPENDED else rng.randint(1, min(3, len(keys)))
            assignments.extend((org, key, 1) for key in keys[:count])
    else:
        remaining = max(0, total - len(assignments))
        rounds: dict[tuple[int, str], int] = {}
        for number in range(remaining):
            org = generated[number % len(generated)]
            key = org.offer_keys[(number // len(generated)) % len(org.offer_keys)]
            batch = rounds[(org.id, key)] = rounds.get((org.id, key), 0) + 1
            assignments.append((org, key, batch))
    for number, (org, key, batch) in enumerate(assignments):
        _add_offer(ctx, rng, org, OFFERS_BY_KEY[key], batch)
        if number % 500 == 0:
            ctx.report("offers", number, len(assignments))
    ctx.report("offers", len(assignments), len(assignments))


def _add_offer(
    ctx: SeedContext, rng: random.Random, org: OrganizationInfo, template: OfferTemplate, batch: int
) -> None:
    clock = ctx.clock
    story_amount = STORY_QUANTITIES.get((org.story_key or "", template.key))
    amount = story_amount or rng.randrange(template.low, template.high + 1, template.step)
    approved = org.approved_at or clock.ago(400)
    status = OfferStatus.ACTIVE
    if story_amount:
        valid_from = clock.ago(rng.uniform(50, 70))
        valid_until = clock.after(clock.now, 24 * 180)
    else:
        recent = rng.random() < 0.2
        earliest = max(2.0, (clock.now - approved).total_seconds() / 86400 - 1)
        valid_from = clock.ago(rng.uniform(3, 90) if recent else rng.uniform(min(earliest, 200), earliest))
        roll = rng.random()
        valid_until = None if roll < 0.4 else valid_from + timedelta(days=rng.randint(300, 800))
        if org.status == OrganizationStatus.SUSPENDED or roll > 0.96:
            status = OfferStatus.WITHDRAWN
        elif roll > 0.88 and not recent:
            status = OfferStatus.EXPIRED
            valid_until = clock.ago(rng.uniform(2, 60))
    if valid_until is not None and valid_until <= valid_from:
        valid_until = valid_from + timedelta(days=30)
    if status == OfferStatus.ACTIVE and valid_until is not None and valid_until <= clock.now:
        status = OfferStatus.EXPIRED
    title = template.title if batch == 1 else f"{template.title}（第{batch}批）"
    row = {
        "organization_id": org.id,
        "kind": template.kind,
        "category": template.category,
        "title": title,
        "description": template.description,
        "quantity": quantity(amount),
        "unit": template.unit,
        "remaining_quantity": quantity(amount),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "status": status,
        "version": 1,
        "created_at": valid_from,
        "updated_at": valid_from,
    }
    served = org.grid_indexes
    _obeys_the_rules(ctx, org, row, served)
    offer_id = ctx.plan.add("offer", row)
    for index in served:
        ctx.plan.link("offer_grid", {"offer_id": offer_id, "grid_id": ctx.place.grids[index].id})
    ctx.offers.append(
        OfferInfo(offer_id, org.id, template.kind, template.category, template.unit, frozenset(served), row)
    )


def _obeys_the_rules(ctx: SeedContext, org: OrganizationInfo, row: dict, area: list[int]) -> None:
    """The service's rules on the planned row (``marketplace.offers.rules``): published by an approved
    organization, fields and window as ``OfferCreate`` takes them, the service area in the streets the
    organization serves (its registration street, where the seeds put its grids too)."""
    street = ctx.place.street_id
    check_seeded(
        row,
        {ctx.place.grids[index].id: street for index in area},
        {street},
        organization_approved=org.approved_at is not None
        and org.status in (OrganizationStatus.APPROVED, OrganizationStatus.SUSPENDED),
    )
