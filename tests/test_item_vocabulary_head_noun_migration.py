"""A database whose keys were resolved by the rule before the head-noun check gets them resolved again on upgrade
(revision e5f6a7b8c9d0): "flower bulbs" lose the light-bulb key the old rule gave them, "LED bulbs" keep it, and
a key nobody would change is not written (both databases)."""

from decimal import Decimal

import sqlalchemy as sa

from marketplace.db.migrate import upgrade
from tests.test_constraints import World
from tests.test_migrations import fresh_database_url  # noqa: F401  (the fixture)

BEFORE = "c3d4e5f6a7b8"
# Text, category, kind, unit, the key the old rule stored, the key the new rule resolves.
OFFERS = [
    ("flower bulbs", "renovation", "material", "个", "light_bulb", None),
    ("boxing gloves", "sanitation", "material", "双", "work_gloves", None),
    ("sand bags", "renovation", "material", "袋", "sand", None),
    ("拳击手套", "sanitation", "material", "双", "work_gloves", None),
    ("LED bulbs", "renovation", "material", "个", "light_bulb", "light_bulb"),
    ("20 bags of building sand", "renovation", "material", "袋", "sand", "sand"),
]
LINES = [
    ("电线杆", "renovation", "material", "根", "electric_wire", None),
    ("劳保手套", "sanitation", "material", "双", "work_gloves", "work_gloves"),
]


def test_an_upgrade_resolves_the_keys_the_old_rule_got_wrong(fresh_database_url: str) -> None:  # noqa: F811
    upgrade(fresh_database_url, BEFORE)
    engine = sa.create_engine(fresh_database_url)
    try:
        world = World(engine)
        for table in ("street", "community", "party_branch", "grid", "organization", "need"):
            world.ids[table] = world.insert(table)
        offers = {
            world.insert(
                "offer", title=text, category=category, kind=kind, unit=unit, item_key=old, description=""
            ): new
            for text, category, kind, unit, old, new in OFFERS
        }
        lines = {
            world.insert(
                "resource_line",
                description=text,
                category=category,
                kind=kind,
                unit=unit,
                item_key=old,
                quantity=Decimal(5),
                still_needed=Decimal(5),
            ): new
            for text, category, kind, unit, old, new in LINES
        }
        upgrade(fresh_database_url)
        with engine.connect() as connection:
            offer_keys = dict(connection.execute(sa.text("SELECT id, item_key FROM offer")).all())
            line_keys = dict(connection.execute(sa.text("SELECT id, item_key FROM resource_line")).all())
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert offer_keys == offers
    assert line_keys == lines
    assert version != BEFORE
