"""The item vocabulary (matching/vocabulary.py) and the street's curated list (seeds/data/item_vocabulary.py)."""

import pytest

from matching.units import Side, can_serve, lookup
from matching.vocabulary import ItemEntry, ItemVocabulary, VocabularyError, fold
from seeds.data.item_vocabulary import CURATED_ITEMS
from seeds.data.needs import NEED_TEMPLATES
from seeds.data.offers import OFFER_TEMPLATES

CURATED = ItemVocabulary(CURATED_ITEMS)


def test_the_curated_list_is_a_believable_vocabulary_for_every_category_and_kind() -> None:
    assert 80 <= len(CURATED) <= 150
    categories = {entry.category for entry in CURATED}
    assert categories == {
        "renovation",
        "sanitation",
        "elderly_care",
        "travel_safety",
        "culture_sports",
        "epidemic_prevention",
        "mediation",
        "livelihood",
        "education",
        "health",
    }
    assert {entry.kind for entry in CURATED} == {"material", "service", "venue", "funds", "expertise"}
    for entry in CURATED:
        # Every unit is one the unit table knows, so the item's units and matching.units agree.
        assert entry.units and all(lookup(unit) is not None for unit in entry.units), entry.key
        assert len(entry.spellings()) >= 3, entry.key


def test_every_demo_offer_and_line_names_an_item_counted_in_its_unit() -> None:
    for offer in OFFER_TEMPLATES:
        key = CURATED.key_of_any([offer.title, offer.description], offer.category.value, offer.kind.value, offer.unit)
        entry = CURATED.entry(key)
        assert entry is not None and entry.counts_in(offer.unit), offer.title
        # The English title names the same item.
        assert CURATED.key_of(offer.title_en, offer.category.value, offer.kind.value, offer.unit) == key
    for need in NEED_TEMPLATES:
        for line in need.lines:
            entry = CURATED.entry(CURATED.key_of(line.item, line.category.value, line.kind.value, line.unit))
            assert entry is not None and entry.counts_in(line.unit), line.item


def test_a_demo_line_shares_its_item_key_with_the_offers_meant_for_it_and_they_can_serve_it() -> None:
    offers = [
        (
            CURATED.key_of(o.title, o.category.value, o.kind.value, o.unit),
            Side(o.kind.value, o.category.value, o.unit, o.title),
        )
        for o in OFFER_TEMPLATES
    ]
    lines = {(line.item, line.kind.value, line.category.value, line.unit) for n in NEED_TEMPLATES for line in n.lines}
    unmatched = []
    for item, kind, category, unit in sorted(lines):
        key = CURATED.key_of(item, category, kind, unit)
        same_item = [side for offer_key, side in offers if offer_key == key]
        if not same_item:
            unmatched.append(item)
        # An offer of the same item always passes the unit rule: the key never pairs what cannot pair.
        assert all(can_serve(side, Side(kind, category, unit, item)).ok for side in same_item), item
    # The demo's manhole covers are offered by nobody (docs/units.md).
    assert unmatched == ["井盖"]
    # Where units alone let an offer serve a line, the key tells another item apart (leaflets are not
    # packs of daily necessities, though both are counted in 份 in epidemic prevention).
    leaflet = Side("material", "epidemic_prevention", "份", "宣传折页")
    pack = next(side for _, side in offers if side.name == "生活物资包")
    assert can_serve(pack, leaflet).ok
    assert CURATED.key_of(pack.name, "epidemic_prevention", "material", "份") != CURATED.key_of(leaflet.name)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("再生透水砖", "permeable_brick"),
        ("透水砖 1500 平方米", "permeable_brick"),
        ("一批红砖", "brick"),
        ("水泥砖", "brick"),
        ("捐赠一批水泥", "cement"),
        ("水泥砂浆", "mortar"),
        ("LED 路灯", "led_street_lamp"),
        ("ＬＥＤ路灯２０盏", "led_street_lamp"),
        ("太阳能路灯", "solar_street_lamp"),
        ("小区主干道路灯", "street_lamp"),
        ("LED声控楼道灯", "stairwell_light"),
        ("Solar Street Lights", "solar_street_lamp"),
        ("LED STREET LAMPS for the main road", "led_street_lamp"),
        ("Low-VOC interior paint", "interior_paint"),
        ("防水涂料", "waterproofing"),
        ("N95口罩", "face_masks"),
    ],
)
def test_synonyms_resolve_in_both_languages_the_most_specific_item_winning(text: str, key: str) -> None:
    assert CURATED.key_of(text) == key


def test_brick_against_lamp_the_item_a_compound_names_last_and_the_longer_name_win() -> None:
    # 砖红色 is a colour: the text is about a lamp; a brick-red paint is paint, not bricks.
    assert CURATED.key_of("砖红色路灯") == "street_lamp"
    assert CURATED.key_of("红砖墙面涂料") == "interior_paint"
    # Two items named in one line: the longer, more specific name wins; then the unit decides.
    assert CURATED.key_of("路灯旁铺设透水砖") == "permeable_brick"
    assert CURATED.key_of("透水砖铺到路灯下", unit="盏") == "street_lamp"
    assert CURATED.key_of("透水砖铺到路灯下", unit="m²") == "permeable_brick"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "无关的文字", "社区篮球赛报名", "painting class for children", "sandwiches", "impaint", "a95", "元旦"],
)
def test_unrelated_text_names_no_item(text: str) -> None:
    assert CURATED.key_of(text) == ""


def test_kind_filters_and_category_prefers() -> None:
    # A service to install lamps is not a lamp; without a service entry for it the text names no item.
    assert CURATED.key_of("太阳能路灯安装", kind="service") == ""
    assert CURATED.key_of("太阳能路灯安装", kind="material") == "solar_street_lamp"
    # 助餐 names the meal delivery (a service) and the meal fund (funds): the kind says which.
    assert CURATED.key_of("助餐", kind="funds") == ""
    assert CURATED.key_of("助餐补贴", kind="funds") == "meal_fund"
    # 教室 is a training room unless the text is in education, where the after-school room is preferred.
    assert CURATED.key_of("四点半课堂教室", category="education") == "after_school_room"
    assert CURATED.key_of("教室", category="elderly_care") == "training_room"
    # Another category's item is still found when the text names nothing of its own category.
    assert CURATED.key_of("太阳能路灯", category="renovation") == "solar_street_lamp"


def test_latin_words_meet_at_word_boundaries_and_plurals_are_accepted() -> None:
    vocabulary = ItemVocabulary([ItemEntry("paint", "renovation", "material", "涂料", "paint", ("pail",), ("桶",))])
    assert vocabulary.key_of("Paints") == "paint"
    assert vocabulary.key_of("two pails of PAINT") == "paint"
    assert vocabulary.key_of("painting") == ""
    assert vocabulary.key_of("repaint") == ""
    assert fold("LED 路灯") == "led路灯" and fold("solar  street\tlights") == "solar street lights"


def test_a_vocabulary_refuses_duplicate_or_malformed_keys_and_missing_names() -> None:
    entry = ItemEntry("brick", "renovation", "material", "砖", "bricks")
    with pytest.raises(VocabularyError, match="twice"):
        ItemVocabulary([entry, entry])
    with pytest.raises(VocabularyError, match="key"):
        ItemVocabulary([ItemEntry("Brick!", "renovation", "material", "砖", "bricks")])
    with pytest.raises(VocabularyError, match="name"):
        ItemVocabulary([ItemEntry("brick", "renovation", "material", " ", "bricks")])


def test_units_an_item_is_counted_in_accept_every_spelling() -> None:
    entry = CURATED.entry("permeable_brick")
    assert entry is not None
    assert entry.counts_in("平方米") and entry.counts_in("sqm") and entry.counts_in("m²")
    assert not entry.counts_in("盏")


def test_the_item_signal_explains_itself_in_both_languages() -> None:
    same = CURATED.reason("led_street_lamp", "led_street_lamp")
    assert same == ("资源正是此项所需的物品：LED路灯", "the offer is the item the line asks for: LED street lamps")
    other = CURATED.reason("stairwell_light", "street_lamp")
    assert other is not None and "楼道灯" in other[0] and "street lamps" in other[1]
    assert CURATED.reason("", "street_lamp") is None
