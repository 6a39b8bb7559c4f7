"""The curated item vocabulary: what a street's offers and resource lines are of, with synonyms and units.

The list itself is ``item_vocabulary.tsv`` next to this module (one item a line, tab-separated, so it
can be edited in a spreadsheet): key, category, kind, Chinese name, English name, synonyms and units,
and optionally the phrases that are not the item (拳击手套 for work gloves), the last three with "|" between
them. It was written for the street's categories from what partners
offer and residents ask for; every demo offer and resource line resolves to an item counted in its
unit (``tests/test_item_vocabulary.py``). Admins edit the live list at /admin/items; this list is
what a database starts with (the migration that creates ``item_term`` loads it).
"""

from pathlib import Path

from matching.vocabulary import ItemEntry

SOURCE = Path(__file__).with_name("item_vocabulary.tsv")


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def load(path: Path = SOURCE) -> tuple[ItemEntry, ...]:
    """The entries of a vocabulary file in its order (comments and blank lines skipped)."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) not in (7, 8):
            raise ValueError(f"{path.name}:{number}: 7 or 8 tab-separated columns expected, found {len(cells)}")
        key, category, kind, name_zh, name_en, synonyms, units, exclusions = (cell.strip() for cell in [*cells, ""][:8])
        entries.append(
            ItemEntry(key, category, kind, name_zh, name_en, _split(synonyms), _split(units), _split(exclusions))
        )
    return tuple(entries)


CURATED_ITEMS: tuple[ItemEntry, ...] = load()
