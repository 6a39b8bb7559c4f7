"""A database made before the English names gets them on upgrade (revision c3d4e5f6a7b8), an admin's own
spellings kept, and the resolver then reads "LED stairwell lamps" as its item (both databases)."""

import json

import sqlalchemy as sa

from marketplace.db.migrate import upgrade
from marketplace.db.types import json_type
from matching.vocabulary import ItemEntry, ItemVocabulary
from tests.test_migrations import fresh_database_url  # noqa: F401  (the fixture)

BEFORE = "b2c3d4e5f6a7"
# stairwell_light as the curated list had it before the English names, plus an admin's own spelling.
OLD_SYNONYMS = ["声控灯", "LED声控灯", "stairwell light", "motion-sensor light", "楼道长明灯"]


_TABLE = sa.table("item_term", sa.column("key"), sa.column("synonyms", json_type()), sa.column("version"))


def _terms(connection: sa.Connection) -> dict[str, tuple[list[str], int]]:
    return {key: (synonyms, version) for key, synonyms, version in connection.execute(sa.select(_TABLE)).all()}


def test_an_old_vocabulary_gains_the_english_names_and_keeps_an_admin_s_own(fresh_database_url: str) -> None:  # noqa: F811
    upgrade(fresh_database_url, BEFORE)
    engine = sa.create_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            stairwell = _TABLE.c.key == "stairwell_light"
            connection.execute(sa.update(_TABLE).where(stairwell).values(synonyms=OLD_SYNONYMS, version=3))
        upgrade(fresh_database_url)
        with engine.connect() as connection:
            terms = _terms(connection)
            rows = connection.execute(
                sa.text("SELECT key, category, kind, name_zh, name_en, synonyms, units FROM item_term")
            ).all()
    finally:
        engine.dispose()
    synonyms, version = terms["stairwell_light"]
    assert synonyms[: len(OLD_SYNONYMS)] == OLD_SYNONYMS  # the admin's 楼道长明灯 stays, in its place
    assert {"stairwell lamp", "corridor light", "楼梯灯"} <= set(synonyms) and version == 4
    assert len(synonyms) == len(set(synonyms))
    assert "LED lamp" in terms["light_bulb"][0]
    entries = [
        ItemEntry(r.key, r.category, r.kind, r.name_zh, r.name_en, tuple(_json(r.synonyms)), tuple(_json(r.units)))
        for r in rows
    ]
    assert ItemVocabulary(entries).key_of("LED stairwell lamps", "renovation", "material", "个") == "stairwell_light"


def _json(value: object) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]
