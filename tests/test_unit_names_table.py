"""The unit table names every unit in English, singular and plural, for English pages ("60 barrels", "1 lamp").

What is stored, typed and matched stays the street's own spelling (桶, 盏, 平方米); only what is shown changes.
"""

from decimal import Decimal

import pytest

from marketplace import i18n
from marketplace.notifications.phrases import line_phrase
from marketplace.quantity_display import unit_name, with_unit
from matching.units import english_name, in_english, lookup, units


def test_every_unit_of_the_table_has_an_english_name_singular_and_plural() -> None:
    for unit in units():
        singular, plural = unit.english
        assert singular and plural, unit.symbol
        assert not any("\u3400" <= ch <= "\u9fff" for ch in singular + plural), unit.symbol  # no Chinese left


@pytest.mark.parametrize(
    ("unit", "one", "many"),
    [
        ("桶", "barrel", "barrels"),
        ("盏", "lamp", "lamps"),
        ("个", "piece", "pieces"),
        ("平方米", "m²", "m²"),  # an alias: the table's unit, named once
        ("小时", "hour", "hours"),
        ("元", "yuan", "yuan"),
        ("人次", "person-time", "person-times"),
        ("盒", "box", "boxes"),
        ("人", "person", "people"),
        ("本", "copy", "copies"),
    ],
)
def test_english_names_and_their_plurals(unit: str, one: str, many: str) -> None:
    assert in_english(Decimal(1), unit) == (Decimal(1), one)
    assert in_english(Decimal(12), unit) == (Decimal(12), many)
    assert english_name(unit) == many


def test_count_words_without_english_get_a_generic_name() -> None:
    for word in ("只", "把", "条", "块", "根", "顶", "床"):
        assert lookup(word) is not None and lookup(word).english == ("piece", "pieces")  # type: ignore[union-attr]
    assert in_english(3, "处") == (3, "sites") and in_english(2, "座") == (2, "structures")


def test_only_exactly_one_is_singular() -> None:
    assert in_english(Decimal("1.00"), "盏")[1] == "lamp"  # type: ignore[index]
    for value in (Decimal("0"), Decimal("0.5"), Decimal("1.5"), Decimal("2")):
        assert in_english(value, "盏")[1] == "lamps"  # type: ignore[index]


def test_an_unknown_unit_has_no_english_name() -> None:
    assert in_english(5, "捆") is None and english_name("捆") is None


def test_money_in_wan_is_said_in_yuan() -> None:
    assert in_english(Decimal(3), "万元") == (Decimal(30000), "yuan")
    assert english_name("万元") == "× 10,000 yuan"


@pytest.fixture
def english() -> object:
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


def test_with_unit_in_chinese_is_as_the_street_writes_it() -> None:
    assert i18n.current_locale.get() == "zh_CN"
    assert with_unit(Decimal(60), "桶") == "60桶"
    assert with_unit(Decimal(5000), "m²") == "5,000 m²"
    assert with_unit(Decimal(12500), "元") == "12,500元"
    assert unit_name("桶", 60) == "桶" and unit_name("桶", symbol=True) == "桶"


@pytest.mark.usefixtures("english")
def test_with_unit_in_english_names_the_unit() -> None:
    assert with_unit(Decimal(60), "桶") == "60 barrels"
    assert with_unit(Decimal(1), "盏") == "1 lamp" and with_unit(Decimal(12), "盏") == "12 lamps"
    assert with_unit(Decimal(300), "平方米") == "300 m²"
    assert with_unit(Decimal("4"), "小时") == "4 hours" and with_unit(Decimal("2.5"), "小时") == "2.5 hours"
    assert with_unit(Decimal(3), "万元") == "30,000 yuan"
    assert with_unit(Decimal(5), "捆") == "5捆" and with_unit(Decimal(5), "bales") == "5 bales"  # as stored
    assert with_unit(Decimal(5), "") == "5"
    assert unit_name("桶") == "barrels" and unit_name("桶", Decimal(1)) == "barrel"
    assert unit_name("条", symbol=True) == "pieces (条)" and unit_name("m²", symbol=True) == "m²"
    assert unit_name("捆", symbol=True) == "捆"


@pytest.mark.usefixtures("english")
def test_a_notification_names_the_unit_in_the_readers_language() -> None:
    assert line_phrase({"line": "LED lamps", "quantity": "2", "unit": "盏"}) == "LED lamps (2 lamps)"
