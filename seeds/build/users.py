"""User accounts of the street's people: admins, community and grid staff, partner managers, demo logins."""

from datetime import datetime
from typing import Any

from marketplace.accounts.models import Role
from marketplace.organizations.models import OrganizationStatus
from seeds.build.context import SeedContext
from seeds.demo_accounts import city_account, demo_account

EXTRA_ADMINS = 2


def user_row(
    ctx: SeedContext,
    username: str,
    display_name: str,
    role: Role,
    created_at: datetime,
    **values: Any,
) -> dict[str, Any]:
    """A user_account row; every account of a seeding run shares one password hash (see demo_accounts)."""
    row = {
        "username": username,
        "display_name": display_name,
        "email": None,
        "phone": None,
        "password_hash": ctx.password_hash,
        "role": role,
        "is_active": True,
        "organization_id": None,
        "is_org_manager": False,
        "street_id": None,
        "community_id": None,
        "preferred_locale": None,
        "created_at": created_at,
        "last_login_at": None,
    }
    row.update(values)
    return row


def build_staff_users(ctx: SeedContext) -> None:
    """Admins, one worker per community and per grid; the demo ``staff`` works for the first community."""
    rng = ctx.rng("users")
    places, plan, clock = ctx.place, ctx.plan, ctx.clock
    street = {"street_id": places.street_id}
    admin = demo_account(Role.ADMIN)
    ctx.users.admins.append(
        plan.add(
            "user_account",
            user_row(
                ctx,
                admin.username,
                admin.display_name,
                Role.ADMIN,
                clock.ago(720),
                email="admin@hudao.example.cn",
                last_login_at=clock.ago(1.2),
                **street,
            ),
        )
    )
    for number in range(2, EXTRA_ADMINS + 2):
        ctx.users.admins.append(
            plan.add(
                "user_account",
                user_row(
                    ctx,
                    f"admin{number:02d}",
                    ctx.people.name(rng),
                    Role.ADMIN,
                    clock.ago(rng.uniform(400, 700)),
                    phone=ctx.people.phone(rng),
                    **street,
                ),
            )
        )
    staff = demo_account(Role.STAFF)
    for index, community in enumerate(places.communities):
        username, name = (staff.username, staff.display_name) if index == 0 else (f"community{index + 1:02d}", None)
        user_id = plan.add(
            "user_account",
            user_row(
                ctx,
                username,
                name or ctx.people.name(rng),
                Role.STAFF,
                clock.ago(rng.uniform(400, 700)),
                phone=ctx.people.phone(rng),
                community_id=community.id,
                **street,
            ),
        )
        ctx.users.community_staff[index] = user_id
        if index == 0:  # the demo staff is also scoped to the grids of their community
            for grid_index in community.grid_indexes:
                plan.link("staff_grid", {"user_id": user_id, "grid_id": places.grids[grid_index].id})
    for grid in places.grids:
        user_id = plan.add(
            "user_account",
            user_row(
                ctx,
                f"grid{grid.index + 1:03d}",
                ctx.people.name(rng),
                Role.STAFF,
                clock.ago(rng.uniform(300, 700)),
                phone=ctx.people.phone(rng),
                **street,
            ),
        )
        plan.link("staff_grid", {"user_id": user_id, "grid_id": grid.id})
        ctx.users.grid_staff[grid.index] = user_id


def build_partner_users(ctx: SeedContext) -> None:
    """A manager per organization (registration makes one); the demo ``partner`` manages Lvfan."""
    rng = ctx.rng("partner-users")
    partner = demo_account(Role.PARTNER)
    demo_org = next((org for org in ctx.organizations if org.story_key == "lvfan"), None) or next(
        org for org in ctx.organizations if org.status == OrganizationStatus.APPROVED
    )
    for org in ctx.organizations:
        is_demo = org is demo_org
        created = ctx.plan.rows["organization"][org.id - 1]["created_at"]
        username = partner.username if is_demo else f"org{org.id:05d}"
        user_id = ctx.plan.add(
            "user_account",
            user_row(
                ctx,
                username,
                partner.display_name if is_demo else ctx.people.name(rng),
                Role.PARTNER,
                created,
                email=f"{username}@partners.example.cn",
                phone=ctx.people.phone(rng),
                organization_id=org.id,
                is_org_manager=True,
                last_login_at=ctx.clock.ago(rng.uniform(0.5, 30))
                if org.status == OrganizationStatus.APPROVED
                else None,
            ),
        )
        ctx.users.partner_managers[org.id] = user_id
        if org.status == OrganizationStatus.APPROVED and rng.random() < 0.25:
            # A colleague who may claim projects but not manage the organization.
            ctx.plan.add(
                "user_account",
                user_row(
                    ctx,
                    f"org{org.id:05d}-2",
                    ctx.people.name(rng),
                    Role.PARTNER,
                    created,
                    phone=ctx.people.phone(rng),
                    organization_id=org.id,
                ),
            )


def build_city_admin(ctx: SeedContext) -> int:
    """The city admin ``city``: an admin whose account names no street, so they see every street."""
    city = city_account()
    user_id = ctx.plan.add(
        "user_account",
        user_row(
            ctx,
            city.username,
            city.display_name,
            Role.ADMIN,
            ctx.clock.ago(800),
            email="city@qingdao.example.cn",
            last_login_at=ctx.clock.ago(2.5),
        ),
    )
    return user_id
