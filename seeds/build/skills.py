"""The skill taxonomy."""

from seeds.build.context import SeedContext
from seeds.data.skills import SKILLS


def build_skills(ctx: SeedContext) -> None:
    for code, group, name, name_en in SKILLS:
        ctx.skill_ids[code] = ctx.plan.add("skill", {"code": code, "group": group, "name": name, "name_en": name_en})
