"""The unit table of the matching library: aliases, conversions, and whether an offer can serve a line, with why not."""

from datetime import UTC, datetime

import pytest

from matching import GridPoint, LineNeed, Offer, OfferIndex
from matching.allocation import Candidate, allocate_lines, greedy_lines
from matching.units import Side, UnitMismatch, can_serve, canonical, convert, lookup, names_agree, units

NOW = datetime(2026, 11, 26, tzinfo=UTC)
GRIDS = [GridPoint(1, 36.11, 120.35)]

BRICKS_OFFER = Side("material", "renovation", "m²", "再生透水砖")
LED_LINE = Side("material", "renovation", "个", "LED声控灯")
PRINTING_OFFER = Side("material", "epidemic_prevention", "份", "宣传折页印制")
BRICKS_LINE = Side("material", "renovation", "m²", "透水砖")
KITS_OFFER = Side("material", "epidemic_prevention", "套", "防护用品")
STREET_LAMPS_LINE = Side("material", "travel_safety", "盏", "太阳能路灯")
HANDRAILS_OFFER = Side("material", "renovation", "米", "不锈钢楼道扶手")


@pytest.mark.parametrize(
    ("spelt", "stored"),
    [
        ("平方米", "m²"),
        ("㎡", "m²"),
        ("sqm", "m²"),
        ("Square Metres", "m²"),
        ("m2", "m²"),
        (" 米 ", "米"),
        ("metre", "米"),
        ("KG", "公斤"),
        ("千克", "公斤"),
        ("t", "吨"),
        ("L", "升"),
        ("hour", "小时"),
        ("h", "小时"),
        ("yuan", "元"),
        ("CNY", "元"),
        ("pcs", "个"),
        ("车 次", "车次"),
        ("趟", "车次"),
        ("块", "块"),  # the count word keeps its spelling; money is 元
        ("箱子", "箱子"),  # unknown: kept as written
    ],
)
def test_known_aliases_are_stored_in_the_tables_spelling_and_others_as_written(spelt: str, stored: str) -> None:
    assert canonical(spelt) == stored


def test_every_unit_of_the_table_is_found_by_each_of_its_spellings() -> None:
    for unit in units():
        for spelling in (unit.symbol, *unit.aliases):
            found = lookup(spelling)
            # 块 is a count word of its own as well as slang for 元: the count word keeps its spelling.
            assert found is not None and (found is unit or found.symbol == spelling), spelling


def test_conversions_that_make_sense_and_refusals_that_do_not() -> None:
    assert convert(2, "吨", "公斤") == 2000
    assert convert(3, "斤", "kg") == 1.5
    assert convert(250, "厘米", "米") == 2.5
    assert convert(90, "分钟", "小时") == 1.5
    assert convert(3, "万元", "元") == 30_000
    assert convert(7, "平方米", "m²") == 7
    for a, b in [("m²", "米"), ("元", "个"), ("天", "小时"), ("套", "盏"), ("公斤", "升"), ("次", "人次")]:
        with pytest.raises(UnitMismatch):
            convert(1, a, b)


@pytest.mark.parametrize(
    ("offer", "line", "code", "english"),
    [
        (BRICKS_OFFER, LED_LINE, "measure", "the offer is counted in m², this line needs 个"),
        (PRINTING_OFFER, BRICKS_LINE, "measure", "the offer is counted in 份, this line needs m²"),
        (KITS_OFFER, STREET_LAMPS_LINE, "count_words", "the offer is counted in 套, this line needs 盏"),
        (HANDRAILS_OFFER, LED_LINE, "measure", "the offer is counted in 米, this line needs 个"),
        (Side("funds", "livelihood", "元", "帮扶资金"), Side("funds", "livelihood", "个", "取暖器"), "money", "money"),
        (
            Side("service", "renovation", "次", "管道疏通"),
            Side("material", "renovation", "次", "管道"),
            "kind",
            "a service",
        ),
    ],
)
def test_the_pairs_of_the_issue_are_refused_with_a_reason_in_both_languages(
    offer: Side, line: Side, code: str, english: str
) -> None:
    found = can_serve(offer, line)
    assert not found.ok and found.code == code
    assert english in found.en
    assert found.zh and found.reason("zh_CN") == found.zh and found.reason("en") == found.en_named  # names units
    if code != "kind":
        assert f"“{offer.unit}”" in found.zh and f"“{line.unit}”" in found.zh


def test_aliases_and_the_generic_count_for_the_same_item_are_accepted() -> None:
    assert can_serve(Side("material", "renovation", "平方米", "再生透水砖"), BRICKS_LINE).ok
    same_lamp = can_serve(Side("material", "travel_safety", "个", "太阳能LED路灯"), STREET_LAMPS_LINE)
    assert same_lamp.ok and same_lamp.factor == 1
    assert can_serve(Side("material", "renovation", "盏", "声控灯"), Side("material", "renovation", "个", "LED灯")).ok


def test_a_count_or_a_measure_of_another_item_is_refused() -> None:
    chargers = Side("material", "travel_safety", "个", "电动自行车智能充电桩")
    generic = can_serve(chargers, STREET_LAMPS_LINE)
    assert not generic.ok and generic.code == "item" and "does not say what is counted" in generic.en
    other_category = can_serve(chargers, LED_LINE)  # both in 个, but chargers are not stairwell lights
    assert not other_category.ok and "not the item this line needs" in other_category.en
    kits_for_sound = can_serve(KITS_OFFER, Side("material", "culture_sports", "套", "音响设备"))
    assert not kits_for_sound.ok and kits_for_sound.code == "item"
    handrails_for_bumps = can_serve(HANDRAILS_OFFER, Side("material", "travel_safety", "米", "减速带"))
    assert not handrails_for_bumps.ok
    assert can_serve(
        Side("material", "sanitation", "套", "清洁工具套装"), Side("material", "sanitation", "套", "清洁工具")
    ).ok
    # 个 stands for single objects, never for sets, portions or containers, whatever the names say.
    brochures = can_serve(Side("material", "renovation", "份", "LED声控灯宣传册"), LED_LINE)
    assert not brochures.ok and brochures.code == "count_words"
    assert not can_serve(Side("material", "renovation", "套", "LED声控灯"), LED_LINE).ok


def test_time_and_money_serve_any_category_and_rank_by_it() -> None:
    room = Side("venue", "education", "小时", "四点半课堂教室")
    assert can_serve(room, Side("venue", "elderly_care", "h", "培训教室")).ok
    assert can_serve(Side("funds", "culture_sports", "元", "活动经费"), Side("funds", "livelihood", "yuan", "补助")).ok


def test_conversions_pair_only_when_asked_and_the_app_does_not_ask() -> None:
    tons, kilos = Side("material", "livelihood", "吨", "大米"), Side("material", "livelihood", "公斤", "大米")
    refused = can_serve(tons, kilos)
    assert not refused.ok and refused.code == "conversion" and "1 吨 = 1000 公斤" in refused.en
    converted = can_serve(Side("material", "livelihood", "斤", "大米"), kilos, convert=True)
    assert converted.ok and converted.factor == 0.5


def test_unknown_units_match_only_themselves() -> None:
    assert can_serve(Side("service", "health", "人·次", "体检"), Side("service", "health", "人·次", "体检")).ok
    refused = can_serve(Side("service", "health", "人·次", "体检"), Side("service", "health", "人份", "体检"))
    assert not refused.ok and refused.code == "unit"


def test_names_agree_on_a_shared_word_or_the_thing_named_last() -> None:
    assert names_agree("太阳能LED路灯", "太阳能路灯")
    assert names_agree("LED灯", "灯泡")  # 灯, what "LED灯" names, is in the other
    assert names_agree("", "路灯")  # nothing to compare: kind and category decide
    assert not names_agree("电动自行车智能充电桩", "太阳能路灯")
    assert not names_agree("井盖", "充电桩")


def _offer(id: int, unit: str, item: str, category: str = "renovation", remaining: float = 100) -> Offer:
    return Offer(id, id, item, "material", category, remaining, unit, frozenset({1}), item=item)


def test_the_offer_index_ranks_only_offers_that_can_serve_the_line_even_when_others_read_closer() -> None:
    bricks_line = LineNeed(1, 1, "透水砖 LED", "material", "renovation", 1, 50, "m²", item="透水砖")
    lamps_line = LineNeed(2, 1, "LED声控灯", "material", "renovation", 1, 20, "盏", item="LED声控灯")
    offers = [
        _offer(10, "个", "LED声控灯"),  # the same lamps in the generic count
        _offer(11, "份", "LED声控灯 透水砖 宣传册"),  # reads like both lines, counts brochures
        _offer(12, "平方米", "再生透水砖"),
        _offer(13, "个", "电动车充电桩"),  # a count of another item
        _offer(14, "米", "LED灯带"),
    ]
    index = OfferIndex(offers, GRIDS)
    assert [r.candidate_id for r in index.rank(bricks_line, NOW)] == [12]
    assert [r.candidate_id for r in index.rank(lamps_line, NOW)] == [10]
    assert [[r.candidate_id for r in found] for found in index.rank_many([bricks_line, lamps_line], NOW)] == [
        [12],
        [10],
    ]


def test_allocation_never_plans_a_pair_whose_offer_cannot_serve_the_line() -> None:
    line = LineNeed(1, 1, "LED声控灯", "material", "renovation", 1, 10, "个", item="LED声控灯")
    bricks, lamps = _offer(20, "m²", "再生透水砖", remaining=500), _offer(21, "盏", "LED声控灯", remaining=4)
    pairs = [Candidate(1, 20, 0.99), Candidate(1, 21, 0.2)]
    for allocate in (allocate_lines, greedy_lines):
        plan, _ = allocate([line], [bricks, lamps], pairs)
        assert [(a.offer_id, a.quantity) for a in plan] == [(21, 4)]
