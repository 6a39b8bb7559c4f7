"""A quantity with its unit as the reader's language says it: "60桶" on a Chinese page, "60 barrels" on an English one.

Units are stored as the street writes them (桶, 盏, 平方米, 元). The unit table (``matching.units``) names each
known unit in English, singular and plural; a unit it does not know is shown as stored, in every language.
Only what is shown changes: stored values, form inputs and the API keep the unit as written.
"""

import unicodedata
from decimal import Decimal

from marketplace import i18n
from matching.units import english_label, in_english


def _english() -> bool:
    return i18n.current_locale.get().startswith("en")


def with_unit(value: Decimal | float | int, unit: str) -> str:
    """A quantity with its unit in the page's language.

    Chinese as the street writes it: "10套", "12,500元", "5,000 m²" (Chinese units take no space). English
    with the unit's English name, plural unless exactly 1: "1 lamp", "12 lamps", "2.5 hours", "300 m²",
    "30,000 yuan" for 3 万元. A unit the table does not know is shown as stored.
    """
    from marketplace.web import format_number  # the pages' own number formatting (web.py imports this module)

    if unit and _english():
        said = in_english(value, unit)
        if said is not None:
            quantity, name = said
            return f"{format_number(quantity)} {name}"
    number = format_number(value)
    if not unit:
        return number
    wide = unicodedata.east_asian_width(unit[0]) in ("W", "F")
    return f"{number}{unit}" if wide else f"{number} {unit}"


def unit_name(unit: str, quantity: Decimal | float | int | None = None, *, symbol: bool = False) -> str:
    """The unit in the page's language, without its number: alone ("counted in barrels", "数量（桶）"), or beside
    a number the page writes itself ("5 / 60 barrels", "5 / 60 桶"), plural unless ``quantity`` is exactly 1.
    Chinese and units the table does not know: as stored.

    ``symbol``: in English, also the unit as stored, where a reader must type it ("pieces (条)"): an offer
    published in "pieces" is counted in 个 and cannot serve a line counted in 条.
    """
    if not unit or not _english():
        return unit
    return english_label(unit, quantity, symbol=symbol)
