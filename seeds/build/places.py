"""Street, communities, grids with coordinates, grid party branches, service stations, departments."""

import math
from collections.abc import Sequence

from seeds.build.context import CommunityInfo, GridInfo, Places, SeedContext
from seeds.data.places import DEPARTMENTS, STATION_OPENING_HOURS, CommunitySpec
from seeds.people import street_address

GRID_RING_DEGREES = 0.0035  # grids sit about 400 m around their community's centre


def build_places(
    ctx: SeedContext,
    street: dict[str, str],
    communities: Sequence[CommunitySpec],
    *,
    grid_code_prefix: str,
    grids_without_station: set[int],
) -> Places:
    """Add the street and everything under it; ``grids_without_station`` holds grid indexes."""
    rng = ctx.rng("places")
    plan = ctx.plan
    street_id = plan.add("street", dict(street))
    community_infos: list[CommunityInfo] = []
    grids: list[GridInfo] = []
    for community_index, spec in enumerate(communities):
        community_id = plan.add("community", {"street_id": street_id, "name": spec.name, "name_en": spec.name_en})
        info = CommunityInfo(community_id, spec.name, spec.name_en)
        community_infos.append(info)
        branch_of_grid = _add_party_branches(ctx, street_id, spec)
        for number in range(1, spec.grids + 1):
            angle = 2 * math.pi * (number - 1) / spec.grids + rng.uniform(-0.3, 0.3)
            radius = GRID_RING_DEGREES * (0.6 + 0.4 * rng.random()) if spec.grids > 1 else 0.0
            latitude = round(spec.latitude + radius * math.sin(angle), 6)
            longitude = round(spec.longitude + radius * math.cos(angle) / math.cos(math.radians(spec.latitude)), 6)
            index = len(grids)
            households = rng.randrange(280, 921)
            grid_id = plan.add(
                "grid",
                {
                    "code": f"{grid_code_prefix}-{index + 1:02d}",
                    "community_id": community_id,
                    "party_branch_id": branch_of_grid[number - 1],
                    "number": number,
                    "name": f"{spec.name}第{number}网格",
                    "name_en": f"{spec.name_en} Grid {number}",
                    "latitude": latitude,
                    "longitude": longitude,
                    "households": households,
                },
            )
            grids.append(
                GridInfo(
                    grid_id,
                    index,
                    community_index,
                    f"{spec.name}第{number}网格",
                    latitude,
                    longitude,
                    households,
                    spec.compounds,
                    spec.roads,
                )
            )
            info.grid_indexes.append(index)
            if index not in grids_without_station:
                plan.add(
                    "service_station",
                    {
                        "grid_id": grid_id,
                        "name": f"{spec.name}第{number}网格服务站",
                        "name_en": f"{spec.name_en} Grid {number} Service Station",
                        "address": street_address(rng, street["city"], street["district"], rng.choice(spec.roads)),
                        "opening_hours": rng.choice(STATION_OPENING_HOURS),
                    },
                )
    departments = {
        key: plan.add("department", {"street_id": street_id, "name": name, "name_en": name_en})
        for key, name, name_en in DEPARTMENTS
    }
    places = Places(street_id, street["city"], street["district"], community_infos, grids, departments)
    places.distances = [[grid_distance_km(a, b) for b in grids] for a in grids]
    ctx.places = places
    return places


def _add_party_branches(ctx: SeedContext, street_id: int, spec: CommunitySpec) -> list[int]:
    """Add the community's grid party branches; returns the branch id of each grid, in grid order."""
    sizes = spec.branches or default_branch_sizes(spec.grids)
    assert sum(sizes) == spec.grids, f"branches of {spec.name} must lead all its grids"
    branch_of_grid: list[int] = []
    first = 1
    for size in sizes:
        numbers = list(range(first, first + size))
        if size == 1:
            name, name_en = f"{spec.name}第{first}网格党支部", f"Party Branch of Grid {first}, {spec.name_en}"
        else:
            joined = "、".join(str(n) for n in numbers)
            name = f"{spec.name}第{joined}网格联合党支部"
            name_en = f"Joint Party Branch of Grids {numbers[0]}-{numbers[-1]}, {spec.name_en}"
        branch_id = ctx.plan.add("party_branch", {"street_id": street_id, "name": name, "name_en": name_en})
        branch_of_grid.extend([branch_id] * size)
        first += size
    return branch_of_grid


def default_branch_sizes(grids: int) -> tuple[int, ...]:
    """One branch per two grids; an odd grid out joins the last branch."""
    if grids <= 2:
        return (grids,)
    sizes = [2] * (grids // 2)
    if grids % 2:
        sizes[-1] += 1
    return tuple(sizes)


def grid_distance_km(a: GridInfo, b: GridInfo) -> float:
    """Equirectangular distance: exact enough within a street."""
    dy = (a.latitude - b.latitude) * 110.57
    dx = (a.longitude - b.longitude) * 111.32 * math.cos(math.radians((a.latitude + b.latitude) / 2))
    return round(math.hypot(dx, dy), 3)
