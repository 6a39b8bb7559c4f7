"""Volunteers with skills, weekly availability, home grids and employers (dual reporting, 双报到).

This is the hot loop of a 100,000-volunteer street: plain dicts, one RNG, no Faker calls.
"""

import itertools
from decimal import Decimal

from marketplace.accounts.models import Role
from marketplace.organizations.models import OrganizationStatus
from marketplace.volunteers.models import VolunteerSegment
from seeds.build.context import SeedContext
from seeds.build.users import user_row
from seeds.data.skills import SEGMENT_SKILLS
from seeds.demo_accounts import demo_account

# Weekly periods (minutes from midnight): morning, afternoon, evening.
PERIODS = ((480, 720), (840, 1080), (1110, 1260))
SEGMENTS = (
    (VolunteerSegment.PARTY_MEMBER, 0.35),
    (VolunteerSegment.VETERAN, 0.10),
    (VolunteerSegment.YOUTH, 0.25),
    (VolunteerSegment.RESIDENT, 0.30),
)
# Retired residents and party members favour mornings; young people evenings.
PERIOD_WEIGHTS = {
    VolunteerSegment.PARTY_MEMBER: (5, 3, 3),
    VolunteerSegment.VETERAN: (5, 4, 2),
    VolunteerSegment.YOUTH: (1, 2, 6),
    VolunteerSegment.RESIDENT: (6, 4, 1),
}
PARTY_SHARE = {
    VolunteerSegment.PARTY_MEMBER: 1.0,
    VolunteerSegment.VETERAN: 0.5,
    VolunteerSegment.YOUTH: 0.08,
    VolunteerSegment.RESIDENT: 0.0,
}
HOUR_CAPS = (4, 6, 8, 8, 10, 12, 16)
ENGLISH_SPEAKER_SHARE = 0.006
DEMO_SKILLS = ("order_keeping", "first_aid", "publicity")
DEMO_AVAILABILITY = ((2, 2), (5, 0), (6, 0))


def build_volunteers(ctx: SeedContext, count: int) -> None:
    rng = ctx.rng("volunteers")
    plan, clock, people, places = ctx.plan, ctx.clock, ctx.people, ctx.place
    vols = ctx.volunteers
    vols.first_id = plan.next_id("volunteer_profile")
    all_skills = list(ctx.skill_ids.values())
    favourites = {seg: [ctx.skill_ids[code] for code in SEGMENT_SKILLS[seg.value]] for seg, _ in SEGMENTS}
    translation = ctx.skill_ids["translation"]
    employers = [org.id for org in ctx.organizations if org.status == OrganizationStatus.APPROVED]
    story_employer = next((org.id for org in ctx.organizations if org.story_key == "xingda"), None)
    segment_cum = list(itertools.accumulate(share for _, share in SEGMENTS))
    segments = [seg for seg, _ in SEGMENTS]
    grid_cum = list(itertools.accumulate(grid.households for grid in places.grids))
    home_grids = rng.choices(range(len(places.grids)), cum_weights=grid_cum, k=count)
    period_cum = {seg: list(itertools.accumulate(weights)) for seg, weights in PERIOD_WEIGHTS.items()}
    users = plan.rows["user_account"]
    profiles = plan.rows["volunteer_profile"]
    volunteer_skills = plan.rows["volunteer_skill"]
    slots = plan.rows["availability_slot"]
    user_id = plan.next_id("user_account")
    slot_id = plan.next_id("availability_slot")
    demo = demo_account(Role.VOLUNTEER)
    report_every = max(1, count // 20)
    random, choice, randrange = rng.random, rng.choice, rng.randrange

    for position in range(count):
        profile_id = vols.first_id + position
        is_demo = position == 0
        roll = random()
        segment = segments[next(i for i, edge in enumerate(segment_cum) if roll < edge)] if not is_demo else segments[0]
        party = is_demo or random() < PARTY_SHARE[segment]
        home = 0 if is_demo else home_grids[position]
        english = not is_demo and random() < ENGLISH_SPEAKER_SHARE
        joined = clock.ago(600 if is_demo else randrange(420, 900) if roll < 0.7 else randrange(15, 420))

        if is_demo:
            skills = {ctx.skill_ids[code] for code in DEMO_SKILLS}
            availability = set(DEMO_AVAILABILITY)
        else:
            skills = set()
            for _ in range(1 + (random() < 0.7) + (random() < 0.35) + (random() < 0.1)):
                skills.add(choice(favourites[segment]) if random() < 0.65 else choice(all_skills))
            if english:
                skills.add(translation)
            availability = set()
            cum = period_cum[segment]
            for _ in range(1 + (random() < 0.75) + (random() < 0.4) + (random() < 0.15)):
                pick = random() * cum[-1]
                availability.add((randrange(7), 0 if pick < cum[0] else 1 if pick < cum[1] else 2))

        employer = None
        if is_demo:
            employer = story_employer
        elif party and employers and random() < 0.3:
            employer = choice(employers)

        username = demo.username if is_demo else f"vol{position + 1:06d}"
        display_name = demo.display_name if is_demo else people.english_name(rng) if english else people.name(rng)
        users.append(
            user_row(
                ctx,
                username,
                display_name,
                Role.VOLUNTEER,
                joined,
                id=user_id,
                phone=people.phone(rng),
                preferred_locale="en" if english else None,
                last_login_at=clock.ago(random() * 60) if random() < 0.5 else None,
            )
        )
        profile = {
            "id": profile_id,
            "user_id": user_id,
            "home_grid_id": places.grids[home].id,
            "segment": segment,
            "is_party_member": party,
            "employer_organization_id": employer,
            "weekly_hour_cap": 8 if is_demo else choice(HOUR_CAPS),
            "hours_total": Decimal(0),
            "fulfilled_count": 0,
            "no_show_count": 0,
            "created_at": joined,
        }
        profiles.append(profile)
        ordered_skills = sorted(skills)
        for skill_id in ordered_skills:
            volunteer_skills.append({"volunteer_id": profile_id, "skill_id": skill_id})
            vols.by_skill.setdefault(skill_id, []).append(position)
        for weekday, period in sorted(availability):
            start, end = PERIODS[period]
            slots.append(
                {
                    "id": slot_id,
                    "volunteer_id": profile_id,
                    "weekday": weekday,
                    "start_minute": start,
                    "end_minute": end,
                }
            )
            slot_id += 1

        vols.user_ids.append(user_id)
        vols.home_grids.append(home)
        vols.skills.append(frozenset(ordered_skills))
        vols.availability.append(frozenset(availability))
        # A latent reliability drives no-shows; most volunteers are dependable, some are not.
        vols.reliability.append(
            0.97 if is_demo else rng.betavariate(2, 2) if random() < 0.1 else rng.betavariate(9, 1.2)
        )
        vols.joined.append(joined)
        vols.profiles.append(profile)
        vols.by_grid.setdefault(home, []).append(position)
        user_id += 1
        if position % report_every == 0:
            ctx.report("volunteers", position, count)
    ctx.report("volunteers", count, count)
