"""English titles resolve to their item, whatever the number (lamps/lamp, boxes/box): the class, not one word.

A partner published "LED stairwell lamps" (20 个) and was told it could not serve a line of 楼道灯: the
vocabulary had "stairwell lights" and no lamp. The vocabulary now reads every English word in the singular
(``matching.vocabulary.normal``), so each name and synonym is found in the plural and in the singular, and
the curated list has the common English names it lacked. These tests walk every item of the curated list;
the inflections are made here by a plain English rule (not the resolver's), so a name the resolver reads
wrongly shows.
"""

import re

import pytest

from matching.vocabulary import ItemEntry, ItemVocabulary, normal
from seeds.data.item_vocabulary import CURATED_ITEMS

CURATED = ItemVocabulary(CURATED_ITEMS)
_LAST_WORD = re.compile(r"([A-Za-z]+)(?=[^A-Za-z]*$)")
# Words the English rule below would inflect wrongly; they stay as written in both forms.
_UNCHANGED = {"clothes", "pants", "glasses", "series", "goods", "aed", "ppe", "kn95", "n95", "cpr", "sos", "pa"}


def _forms(name: str) -> tuple[str, str]:
    """The name with its last English word in the singular and in the plural (a textbook rule)."""
    found = _LAST_WORD.search(name)
    if found is None or found.group(1).lower() in _UNCHANGED or len(found.group(1)) <= 2:
        return name, name
    word, before, after = found.group(1), name[: found.start(1)], name[found.end(1) :]
    low = word.lower()
    if low.endswith("ies"):
        one = word[:-3] + "y"
    elif low.endswith(("ches", "shes", "xes", "sses")):
        one = word[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        one = word[:-1]
    else:
        one = word
    if one.lower().endswith(("s", "x", "ch", "sh")):
        many = one + "es"
    elif one.lower().endswith("y") and one[-2:-1].lower() not in "aeiou":
        many = one[:-1] + "ies"
    else:
        many = one + "s"
    return before + one + after, before + many + after


def _english(entry: ItemEntry) -> list[str]:
    return [text for text in (entry.name_en, *entry.synonyms) if text.isascii() and re.search("[A-Za-z]", text)]


def _cases() -> list[tuple[str, str, str]]:
    """(key, the spelling, a text naming it): every English name and synonym, singular and plural, alone and
    inside a longer title."""
    cases = []
    for entry in CURATED:
        for spelling in _english(entry):
            one, many = _forms(spelling)
            for text in {spelling, one, many, f"LED {many} for the stairwell", f"20 boxes of {one}", f"20 {many}"}:
                cases.append((entry.key, spelling, text))
    return cases


CASES = _cases()


def test_every_item_has_an_english_name_and_common_english_synonyms() -> None:
    for entry in CURATED:
        assert len(_english(entry)) >= 3, entry.key  # the name and at least two other ways people write it
    assert len(CASES) > 2000


def _wins(hit_key: str, hit_synonym: str, key: str, spelling: str) -> bool:
    """The item itself, or a more specific one named by a longer spelling in the text ("LED street lamps" is
    the LED street lamp, though "street lamps" is in it)."""
    return hit_key == key or len(hit_synonym) > len(normal(spelling))


def test_every_english_name_and_synonym_resolves_to_its_item_in_the_singular_the_plural_and_a_longer_title() -> None:
    wrong = []
    for key, spelling, text in CASES:
        entry = CURATED.entry(key)
        assert entry is not None
        for hints in ((None, None), (entry.category, entry.kind)):
            hit = CURATED.resolve(text, *hints)
            if hit is None or not _wins(hit.entry.key, hit.synonym, key, spelling):
                wrong.append((key, text, hints, hit.entry.key if hit else None))
    assert wrong == []


def test_no_two_items_share_a_spelling_and_no_item_s_name_resolves_to_another() -> None:
    # Within a category and kind one spelling names one item (the rule admins are held to), after the
    # normalisation: "lamp" and "lamps" are one spelling.
    owners: dict[tuple[str, str, str], str] = {}
    for entry in CURATED:
        for spelling in entry.spellings():
            place = (entry.category, entry.kind, normal(spelling))
            assert owners.setdefault(place, entry.key) == entry.key, (spelling, owners[place], entry.key)
    # Each item's English name, as written, resolves to the item, never to another (no hints given).
    for entry in CURATED:
        assert CURATED.key_of(entry.name_en) == entry.key, entry.name_en
        assert CURATED.key_of(entry.name_zh) == entry.key, entry.name_zh


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # The finding, and the English lamps of the street, each its own item.
        ("LED stairwell lamps", "stairwell_light"),
        ("LED stairwell lamp", "stairwell_light"),
        ("Stairwell-Lamps (motion sensor)", "stairwell_light"),
        ("stairwell lights", "stairwell_light"),
        ("20 sound-activated lights for corridors", "stairwell_light"),
        ("LED lamps", "light_bulb"),
        ("energy-saving lamps, E27", "light_bulb"),
        ("bulbs", "light_bulb"),
        ("LED bulb", "light_bulb"),
        ("LED street lamps", "led_street_lamp"),
        ("solar street lights", "solar_street_lamp"),
        ("courtyard lamps", "courtyard_lamp"),
        ("lamp posts for the main road", "street_lamp"),
        # Bags, boxes, bricks: the container is no item, the thing in it is.
        ("garbage bags", "garbage_bag"),
        ("bin liners", "garbage_bag"),
        ("20 bags of cement", "cement"),
        ("20 boxes of face masks", "face_masks"),
        ("mailboxes", "mailbox"),
        ("letter boxes", "mailbox"),
        ("bricks", "brick"),
        ("a brick", "brick"),
        ("brick-red street lamps", "street_lamp"),
        ("children's books", "childrens_books"),
        ("childrens book", "childrens_books"),
        ("seniors' activity rooms", "activity_room"),
        ("first aid kits", "first_aid_kit"),
        ("batteries of first-aid kits", "first_aid_kit"),
        ("minibuses", "shuttle_vehicle"),
        ("wheelchairs", "wheelchair"),
        ("benches and table tennis tables", "table_tennis_table"),
    ],
)
def test_common_english_titles_resolve_to_the_item_they_name(text: str, key: str) -> None:
    assert CURATED.key_of(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "lamp",
        "lamps",
        "a lamp",
        "lampshades",
        "lights",
        "boxes",
        "20 boxes",
        "bags",
        "sandbags",
        "sandwiches",
        "sandals",
        "bricklaying",
        "bricklayers",
        "painting class for children",
        "paintings",
        "woodland walk",
        "goods",
        "news",
        "glasses",
        "posts",
        "kits",
        "LED",
        "stairwell",
        "stairwells",
        "20 pcs",
        "bikes",
    ],
)
def test_hard_negatives_name_no_item(text: str) -> None:
    assert CURATED.key_of(text) == ""


@pytest.mark.parametrize(
    ("text", "never"),
    [
        ("bricks", {"stairwell_light", "light_bulb", "street_lamp", "led_street_lamp", "courtyard_lamp"}),
        ("red bricks", {"stairwell_light", "light_bulb", "street_lamp"}),
        ("LED stairwell lamps", {"brick", "permeable_brick", "light_bulb", "street_lamp", "led_street_lamp"}),
        ("LED lamps", {"brick", "stairwell_light", "led_street_lamp"}),
        ("lamps", {"brick", "permeable_brick"}),
        ("sandbags", {"sand", "garbage_bag"}),
        ("boxing gloves", {"mailbox", "compost_bin"}),
        ("tablets", {"computers"}),
        ("physical therapy", {"counselling"}),
    ],
)
def test_no_english_title_resolves_to_an_unrelated_item(text: str, never: set[str]) -> None:
    for category, kind in ((None, None), ("renovation", "material"), ("travel_safety", "material")):
        assert CURATED.key_of(text, category, kind) not in never, (text, category)


def test_the_plural_rule_undoes_inflection_only() -> None:
    assert normal("LED Stairwell-Lamps") == normal("led stairwell lamp") == "led stairwell lamp"
    assert normal("20 boxes of batteries") == "20 box of battery"
    assert normal("children's books") == normal("childrens book") == "child book"
    assert normal("painting") == "painting" and normal("sandbags") == "sandbag" and normal("status") == "status"
    assert normal("ＬＥＤ 路灯２０盏") == "led路灯20盏"  # Chinese as before: folded, nothing else
    # An admin's own item is read by the same rule: written in the singular, found in the plural.
    own = ItemVocabulary([ItemEntry("sandbag", "renovation", "material", "沙袋", "sandbag", ("flood bag",), ("个",))])
    assert own.key_of("200 Sandbags") == "sandbag" and own.key_of("flood-bags") == "sandbag"
    assert own.key_of("sand") == "" and own.key_of("bags") == ""
