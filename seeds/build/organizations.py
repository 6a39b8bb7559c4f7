"""Red partners: the story's five and generated ones of every kind, with valid credit codes and grids served."""

import random
from collections.abc import Sequence

from marketplace.organizations.models import OrganizationKind, OrganizationStatus
from seeds.build.context import OrganizationInfo, SeedContext
from seeds.credit_codes import (
    ENTERPRISE,
    INSTITUTION,
    PARTY_ORGANIZATION,
    SHIBEI_DISTRICT,
    SOCIAL_GROUP,
    SOCIAL_ORGANIZATION,
    random_credit_code,
)
from seeds.data.organizations import (
    BRANDS,
    PROFILES_BY_KIND,
    REJECTION_REASONS,
    STORY_PARTNERS,
    SUSPENSION_REASONS,
    StoryPartner,
)
from seeds.data.templates import OrganizationProfile
from seeds.people import street_address

KIND_SHARES = {
    OrganizationKind.ENTERPRISE: 0.47,
    OrganizationKind.INSTITUTION: 0.2,
    OrganizationKind.SOCIAL_ORGANIZATION: 0.2,
    OrganizationKind.PARTY_ORGANIZATION: 0.13,
}
SOCIAL_GROUP_PROFILES = {"volunteer_assoc", "mediation_assoc"}
FOUNDATION_PREFIX = "53"  # civil affairs, foundation


class _CodeBook:
    """Unique credit codes for one run."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self, prefix: str, division: str = SHIBEI_DISTRICT) -> str:
        while True:
            code = random_credit_code(self.rng, prefix, division)
            if code not in self.used:
                self.used.add(code)
                return code


def build_organizations(ctx: SeedContext, *, generated: int, story: bool, areas: Sequence[tuple[str, str]]) -> None:
    """Add the story's partners (``story``) and ``generated`` others; ``areas`` name institutions (zh, en)."""
    rng = ctx.rng("organizations")
    codes = _CodeBook(rng)
    if story:
        for partner in STORY_PARTNERS:
            _add_story_partner(ctx, rng, codes, partner)
    statuses = _statuses(generated, rng)
    kinds = _kinds(generated, rng)
    names: set[str] = {org.name for org in ctx.organizations}
    cursor = {kind: rng.randrange(len(PROFILES_BY_KIND[kind])) for kind in KIND_SHARES}
    for number in range(generated):
        kind = kinds[number]
        profiles = PROFILES_BY_KIND[kind]
        profile = profiles[cursor[kind] % len(profiles)]
        cursor[kind] += 1
        name, name_en = _unique_name(rng, profile, areas, names)
        _add_generated(ctx, rng, codes, profile, name, name_en, statuses[number])


def _kinds(count: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    for kind, share in KIND_SHARES.items():
        kinds.extend([kind] * max(1, round(count * share)))
    kinds = kinds[:count]
    while len(kinds) < count:
        kinds.append(OrganizationKind.ENTERPRISE)
    rng.shuffle(kinds)
    return kinds


def _statuses(count: int, rng: random.Random) -> list[OrganizationStatus]:
    """Most approved; about 7% pending, 3% rejected, 3% suspended (at least one each)."""
    pending = max(1, round(count * 0.07))
    rejected = max(1, round(count * 0.03))
    suspended = max(1, round(count * 0.03))
    statuses = (
        [OrganizationStatus.PENDING] * pending
        + [OrganizationStatus.REJECTED] * rejected
        + [OrganizationStatus.SUSPENDED] * suspended
    )
    statuses += [OrganizationStatus.APPROVED] * (count - len(statuses))
    rng.shuffle(statuses)
    return statuses[:count]


def _unique_name(
    rng: random.Random, profile: OrganizationProfile, areas: Sequence[tuple[str, str]], names: set[str]
) -> tuple[str, str]:
    for attempt in range(12):
        brand, brand_en = rng.choice(BRANDS)
        area, area_en = rng.choice(areas)
        name = profile.name.format(brand=brand, area=area)
        name_en = profile.name_en.format(brand_en=brand_en, area_en=area_en)
        if attempt >= 10:  # a large synthetic street runs out of combinations: number the branches
            name, name_en = f"{name}第{len(names) + 1}分部", f"{name_en} (Unit {len(names) + 1})"
        if name not in names:
            names.add(name)
            return name, name_en
    return name, name_en


def _credit_prefix(profile: OrganizationProfile) -> str:
    if profile.kind == OrganizationKind.ENTERPRISE:
        return ENTERPRISE
    if profile.kind == OrganizationKind.INSTITUTION:
        return INSTITUTION
    if profile.kind == OrganizationKind.PARTY_ORGANIZATION:
        return PARTY_ORGANIZATION
    if profile.key == "foundation":
        return FOUNDATION_PREFIX
    return SOCIAL_GROUP if profile.key in SOCIAL_GROUP_PROFILES else SOCIAL_ORGANIZATION


def _add_story_partner(ctx: SeedContext, rng: random.Random, codes: _CodeBook, partner: StoryPartner) -> None:
    grid_count = len(ctx.place.grids)
    # Material donors and the logistics firm serve the whole street; Huatuo its two nearest communities.
    if partner.key == "huatuo":
        grid_indexes = [g.index for g in ctx.place.grids if g.community_index in (0, 1)]
    elif partner.key == "jieda":
        grid_indexes = list(range(0, grid_count, 2))
    else:
        grid_indexes = list(range(grid_count))
    created = ctx.clock.ago(rng.uniform(560, 700))
    row = {
        "street_id": ctx.place.street_id,
        "name": partner.name,
        "name_en": partner.name_en,
        "kind": OrganizationKind.ENTERPRISE,
        "credit_code": codes.new(ENTERPRISE, partner.division),
        "contact_name": ctx.people.name(rng),
        "contact_phone": ctx.people.phone(rng),
        "address": f"{partner.address}{rng.randint(1, 120)}号",
        "description": partner.description,
        "status": OrganizationStatus.APPROVED,
        "status_reason": None,
        "created_at": created,
        "approved_at": ctx.clock.after(created, rng.uniform(24, 120)),
    }
    _add(ctx, row, OrganizationKind.ENTERPRISE, partner.offers, grid_indexes, partner.key)


def _add_generated(
    ctx: SeedContext,
    rng: random.Random,
    codes: _CodeBook,
    profile: OrganizationProfile,
    name: str,
    name_en: str,
    status: OrganizationStatus,
) -> None:
    places = ctx.place
    home = rng.randrange(len(places.grids))
    nearest = sorted(range(len(places.grids)), key=places.distances[home].__getitem__)
    grid_indexes = sorted(nearest[: rng.randint(1, min(6, len(nearest)))])
    created = ctx.clock.ago(rng.uniform(5, 60) if status == OrganizationStatus.PENDING else rng.uniform(380, 720))
    decided = status != OrganizationStatus.PENDING
    reason = None
    if status == OrganizationStatus.REJECTED:
        reason = rng.choice(REJECTION_REASONS)
    elif status == OrganizationStatus.SUSPENDED:
        reason = rng.choice(SUSPENSION_REASONS)
    grid = places.grids[home]
    row = {
        "street_id": places.street_id,
        "name": name,
        "name_en": name_en,
        "kind": profile.kind,
        "credit_code": codes.new(_credit_prefix(profile)),
        "contact_name": ctx.people.name(rng),
        "contact_phone": ctx.people.phone(rng),
        "address": street_address(rng, places.city, places.district, rng.choice(grid.roads)),
        "description": profile.description,
        "status": status,
        "status_reason": reason,
        "created_at": created,
        "approved_at": ctx.clock.after(created, rng.uniform(12, 240))
        if decided and status != OrganizationStatus.REJECTED
        else None,
    }
    _add(ctx, row, profile.kind, profile.offers, grid_indexes, None)


def _add(
    ctx: SeedContext, row: dict, kind: str, offers: tuple[str, ...], grid_indexes: list[int], story_key: str | None
) -> None:
    organization_id = ctx.plan.add("organization", row)
    for index in grid_indexes:
        ctx.plan.link("organization_grid", {"organization_id": organization_id, "grid_id": ctx.place.grids[index].id})
    ctx.organizations.append(
        OrganizationInfo(
            organization_id, kind, row["status"], row["name"], offers, grid_indexes, row["approved_at"], story_key
        )
    )
