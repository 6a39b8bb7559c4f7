"""Revision b8c9d0e1f2a3 moves the nine curated phrases that are not an item (拳击手套, "gold bricks", "barbed
wire", "high chair"...) from the resolver's code into item_term.exclusions, which admins edit: after the upgrade
the application's own vocabulary, built from the rows, reads each phrase as before (not its item), the keys
stored for offers and lines stay as they were, a phrase an admin had made one of the item's own synonyms is
left out, and an item without curated phrases has an empty list (both databases)."""

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.migrate import upgrade
from marketplace.db.types import json_type
from marketplace.items import services
from tests.test_constraints import World
from tests.test_migrations import fresh_database_url  # noqa: F401  (the fixture)

BEFORE = "a7b8c9d0e1f2"
_ITEM_TERM = sa.table("item_term", sa.column("key", sa.String()), sa.column("synonyms", json_type()))
NINE = {
    "work_gloves": ["拳击手套", "滑雪手套", "棒球手套"],
    "brick": ["gold brick", "金砖", "砖茶"],
    "electric_wire": ["barbed wire", "steel wire"],
    "desks": ["high chair"],
}
# Text, category, kind, unit, the key stored before (with the phrases in the code), the item the text must not be.
OFFERS = [
    ("拳击手套", "sanitation", "material", "双", None, "work_gloves"),
    ("棒球手套 20双", "sanitation", "material", "双", None, "work_gloves"),
    ("gold bricks", "renovation", "material", "块", None, "brick"),
    ("砖茶礼盒", "renovation", "material", "块", None, "brick"),
    ("barbed wire", "renovation", "material", "米", None, "electric_wire"),
    ("steel wire", "renovation", "material", "米", None, "electric_wire"),
]
LINES = [
    ("金砖", "renovation", "material", "块", None, "brick"),
    ("high chair", "education", "material", "张", None, "desks"),
]
# Texts whose keys must stay: the items themselves.
KEPT_OFFERS = [
    ("劳保手套", "sanitation", "material", "双", "work_gloves"),
    ("red bricks", "renovation", "material", "块", "brick"),
]


def test_the_upgrade_moves_the_nine_phrases_into_the_rows_and_keeps_their_effect(
    fresh_database_url: str,  # noqa: F811
) -> None:
    upgrade(fresh_database_url, BEFORE)
    engine = sa.create_engine(fresh_database_url)
    try:
        world = World(engine)
        for table in ("street", "community", "party_branch", "grid", "organization", "need"):
            world.ids[table] = world.insert(table)
        offers = {
            world.insert("offer", title=text, category=c, kind=k, unit=u, item_key=old, description=""): (old, not_)
            for text, c, k, u, old, not_ in OFFERS
        }
        kept = {
            world.insert("offer", title=text, category=c, kind=k, unit=u, item_key=key, description=""): key
            for text, c, k, u, key in KEPT_OFFERS
        }
        lines = {
            world.insert(
                "resource_line",
                description=text,
                category=c,
                kind=k,
                unit=u,
                item_key=old,
                quantity=Decimal(5),
                still_needed=Decimal(5),
            ): (old, not_)
            for text, c, k, u, old, not_ in LINES
        }
        with engine.begin() as connection:
            # An admin had made 滑雪手套 a synonym of work gloves (ski gloves do keep hands warm on a clean-up).
            gloves = _ITEM_TERM.c.key == "work_gloves"
            synonyms = connection.execute(sa.select(_ITEM_TERM.c.synonyms).where(gloves)).scalar_one()
            connection.execute(_ITEM_TERM.update().where(gloves).values(synonyms=[*synonyms, "滑雪手套"]))
        upgrade(fresh_database_url)
        with Session(engine) as db:
            stored = {row.key: list(row.exclusions) for row in db.execute(sa.select(services.ItemTerm)).scalars()}
            vocabulary = services.vocabulary(db)
            offer_keys = dict(db.execute(sa.text("SELECT id, item_key FROM offer")).all())
            line_keys = dict(db.execute(sa.text("SELECT id, item_key FROM resource_line")).all())
    finally:
        engine.dispose()

    assert stored["work_gloves"] == ["拳击手套", "棒球手套"]  # 滑雪手套 is the admin's synonym now
    assert {key: stored[key] for key in ("brick", "electric_wire", "desks")} == {
        key: NINE[key] for key in ("brick", "electric_wire", "desks")
    }
    assert all(phrases == [] for key, phrases in stored.items() if key not in NINE)
    # The effect of the phrases, read by the application's vocabulary built from the rows.
    for text, category, kind, unit, _old, not_item in [*OFFERS, *LINES]:
        assert vocabulary.key_of(text, category, kind, unit) != not_item, text
    assert vocabulary.key_of("滑雪手套", "sanitation", "material", "双") == "work_gloves"  # the admin's synonym
    # Stored keys as they were.
    assert {id_: offer_keys[id_] for id_ in offers} == {id_: old for id_, (old, _) in offers.items()}
    assert {id_: offer_keys[id_] for id_ in kept} == kept
    assert line_keys == {id_: old for id_, (old, _) in lines.items()}
