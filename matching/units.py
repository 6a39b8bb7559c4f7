"""The unit table: which units a street counts resources in, how they convert, and whether an offer can serve a line.

Pure Python, no web or database: the application adapts its rows into ``Side`` and asks ``can_serve``.

Rules (``can_serve``):

1. The kinds agree (material, service, venue, funds, expertise): a service never serves a need for material.
2. The units measure the same thing. Each known unit belongs to one *measure* (area, length, mass, volume,
   hours, days, money, ...). Spellings of one unit are aliases (m² = 平方米 = ㎡ = sqm) and always agree.
   Units of one measure with a factor between them (1 吨 = 1000 公斤, 1 斤 = 0.5 公斤) agree only when the
   caller accepts a conversion (``convert=True``; the application does not, see docs/units.md). Different
   measures never agree: an area is not a length, and money never converts to goods.
3. Counts of things: each count word (个, 盏, 套, 份, ...) is a measure of its own. Two different specific
   count words never agree (套 vs 盏, 份 vs 张). The generic 个 stands only for a count word of single objects
   (盏, 台, 件, 张, ...), never for sets, portions or containers (套, 份, 箱, 袋, ...: a 套 holds several 个, and
   份 of brochures are no 个 of lamps). Against 个 or such a count word it says nothing of what is counted,
   so it agrees only where the names agree too (a pair of Chinese characters or a Latin word in common, one
   name inside the other, or the last character of one name, which says what a Chinese compound names, found
   in the other): 12 个 "太阳能路灯" can serve a line of 盏 "太阳能路灯"; e-bike charging posts counted in 个
   serve neither street lamps counted in 盏 nor LED stairwell lights counted in 个.
4. The item agrees. Except for time (小时, 天, 课时) and money, a unit says how much, not of what: a metre of
   handrail is not a metre of speed bump, 套 of protective kits are not 套 of sound systems, a home health
   check (次) does not clear a drain (次). So the offer's category must be the line's: besides the kind, the
   category is what both sides say of the item.
5. A unit the table does not know matches only itself (compared without case, spaces or width), for the
   same category.

Every refusal comes with a reason a person understands, in Chinese and English.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import TypeVar


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of the table: its canonical spelling, what it measures, and its size in the measure's base unit.

    ``single``: a count word of single objects (盏, 台, 件), which the generic 个 may stand for; a count word of
    sets, portions or containers (套, 份, 箱) counts something else than 个 does (a 套 holds several 个).

    ``english``: how an English page names the unit, singular and plural ("barrel", "barrels"; "m²" for both).
    A count word with no English of its own gets a generic one (条, 块, 根: "piece"; 座: "structure"). It is for
    showing only: what is stored, typed and matched stays the symbol and its aliases.
    """

    symbol: str
    measure: str
    factor: float = 1.0
    aliases: tuple[str, ...] = ()
    single: bool = False
    english: tuple[str, str] = ("", "")


# Measures whose units are counts of things: each count word is its own measure, named after itself.
COUNT = "count"
GENERIC_COUNT = "个"
MONEY = "money"

# (measure, base first); the symbol is how the street writes the unit, the aliases how people also write it.
_TABLE: tuple[Unit, ...] = (
    # Area and length never mix.
    Unit(
        "m²",
        "area",
        1,
        (
            "平方米",
            "平米",
            "㎡",
            "m2",
            "m^2",
            "sqm",
            "sq m",
            "square metre",
            "square metres",
            "square meter",
            "square meters",
        ),
        english=("m²", "m²"),
    ),
    Unit("米", "length", 1, ("m", "metre", "metres", "meter", "meters", "延米"), english=("metre", "metres")),
    Unit(
        "厘米", "length", 0.01, ("cm", "centimetre", "centimetres", "centimeter", "centimeters"), english=("cm", "cm")
    ),
    Unit(
        "公里",
        "length",
        1000,
        ("千米", "km", "kilometre", "kilometres", "kilometer", "kilometers"),
        english=("km", "km"),
    ),
    # Mass, in kilograms.
    Unit("公斤", "mass", 1, ("kg", "千克", "kilogram", "kilograms", "kilo", "kilos", "kgs"), english=("kg", "kg")),
    Unit("克", "mass", 0.001, ("g", "gram", "grams"), english=("g", "g")),
    Unit("斤", "mass", 0.5, ("市斤", "jin", "catty", "catties"), english=("jin", "jin")),
    Unit("吨", "mass", 1000, ("t", "ton", "tons", "tonne", "tonnes", "公吨"), english=("tonne", "tonnes")),
    # Volume, in litres.
    Unit("升", "volume", 1, ("l", "litre", "litres", "liter", "liters", "公升"), english=("litre", "litres")),
    Unit(
        "毫升", "volume", 0.001, ("ml", "millilitre", "millilitres", "milliliter", "milliliters"), english=("ml", "ml")
    ),
    # Time: hours and minutes convert; a day of a venue or of work is not 24 hours, so days stand alone.
    Unit("小时", "hours", 1, ("h", "hr", "hrs", "hour", "hours", "钟头", "个小时", "时"), english=("hour", "hours")),
    Unit("分钟", "hours", 1 / 60, ("min", "mins", "minute", "minutes"), english=("minute", "minutes")),
    Unit("天", "days", 1, ("日", "day", "days"), english=("day", "days")),
    Unit(
        "课时", "lessons", 1, ("class hour", "class hours", "lesson", "lessons"), english=("class hour", "class hours")
    ),
    # Money never converts to goods.
    Unit(
        "元", MONEY, 1, ("yuan", "cny", "rmb", "人民币", "¥", "￥", "块钱", "人民币元"), english=("yuan", "yuan")
    ),  # 块 is a count word
    Unit("万元", MONEY, 10_000, ("万", "wan yuan", "10k yuan"), english=("yuan", "yuan")),
    # Times a service is given, person-times, sessions, vehicle trips.
    Unit("次", "times", 1, ("time", "times", "visit", "visits"), english=("time", "times")),
    Unit(
        "人次",
        "person-times",
        1,
        ("person-time", "person-times", "person time", "person times"),
        english=("person-time", "person-times"),
    ),
    Unit(
        "场",
        "sessions",
        1,
        ("session", "sessions", "screening", "screenings", "event", "events"),
        english=("session", "sessions"),
    ),
    Unit("车次", "trips", 1, ("趟", "trip", "trips", "truckload", "truckloads"), english=("trip", "trips")),
    # Counts of things: the generic 个 and the specific count words, each a measure of its own.
    Unit(
        "个",
        COUNT,
        1,
        ("pc", "pcs", "piece", "pieces", "item", "items", "ea", "each"),
        single=True,
        english=("piece", "pieces"),
    ),
    Unit("只", COUNT, single=True, english=("piece", "pieces")),
    Unit("盏", COUNT, 1, ("lamp", "lamps"), single=True, english=("lamp", "lamps")),
    Unit("件", COUNT, 1, ("article", "articles"), single=True, english=("item", "items")),
    Unit("台", COUNT, 1, ("machine", "machines", "device", "devices"), single=True, english=("device", "devices")),
    Unit("套", COUNT, 1, ("set", "sets", "kit", "kits"), english=("set", "sets")),
    Unit(
        "份",
        COUNT,
        1,
        ("copy", "copies", "portion", "portions", "serving", "servings", "parcel", "parcels"),
        english=("unit", "units"),
    ),
    Unit("箱", COUNT, 1, ("box", "boxes", "case", "cases", "carton", "cartons"), english=("case", "cases")),
    Unit("袋", COUNT, 1, ("bag", "bags", "sack", "sacks"), english=("bag", "bags")),
    Unit("张", COUNT, 1, ("sheet", "sheets"), single=True, english=("piece", "pieces")),
    Unit("本", COUNT, 1, ("book", "books"), single=True, english=("copy", "copies")),
    Unit("册", COUNT, 1, ("volume", "volumes"), single=True, english=("volume", "volumes")),
    Unit("把", COUNT, single=True, english=("piece", "pieces")),
    Unit("辆", COUNT, 1, ("vehicle", "vehicles"), single=True, english=("vehicle", "vehicles")),
    Unit("座", COUNT, single=True, english=("structure", "structures")),
    Unit("桶", COUNT, 1, ("bucket", "buckets", "barrel", "barrels", "pail", "pails"), english=("barrel", "barrels")),
    Unit("株", COUNT, 1, ("plant", "plants", "seedling", "seedlings"), single=True, english=("plant", "plants")),
    Unit("棵", COUNT, 1, ("tree", "trees"), single=True, english=("tree", "trees")),
    Unit("条", COUNT, single=True, english=("piece", "pieces")),
    Unit("块", COUNT, single=True, english=("piece", "pieces")),
    Unit("包", COUNT, 1, ("pack", "packs", "packet", "packets"), english=("pack", "packs")),
    Unit("盒", COUNT, english=("box", "boxes")),
    Unit("瓶", COUNT, 1, ("bottle", "bottles"), english=("bottle", "bottles")),
    Unit("双", COUNT, 1, ("pair", "pairs"), english=("pair", "pairs")),
    Unit("床", COUNT, single=True, english=("piece", "pieces")),
    Unit("根", COUNT, single=True, english=("piece", "pieces")),
    Unit("副", COUNT, english=("pair", "pairs")),
    Unit("顶", COUNT, single=True, english=("piece", "pieces")),
    Unit("间", COUNT, 1, ("room", "rooms"), single=True, english=("room", "rooms")),
    Unit("处", COUNT, single=True, english=("site", "sites")),
    Unit("户", COUNT, 1, ("household", "households"), english=("household", "households")),
    Unit("人", COUNT, 1, ("person", "people", "persons"), english=("person", "people")),
)

KIND_NAMES: dict[str, tuple[str, str]] = {
    "material": ("物资", "material"),
    "service": ("服务", "a service"),
    "venue": ("场地", "a venue"),
    "funds": ("资金", "funds"),
    "expertise": ("专业技能", "expertise"),
}
MEASURE_NAMES: dict[str, tuple[str, str]] = {
    "area": ("面积", "an area"),
    "length": ("长度", "a length"),
    "mass": ("重量", "a weight"),
    "volume": ("体积", "a volume"),
    "hours": ("时长", "a duration"),
    "days": ("天数", "days"),
    "lessons": ("课时", "class hours"),
    MONEY: ("金额", "money"),
    "times": ("次数", "times"),
    "person-times": ("人次", "person-times"),
    "sessions": ("场次", "sessions"),
    "trips": ("车次", "trips"),
}


def fold(text: str) -> str:
    """A spelling as compared: width, case and spaces folded (NFKC turns ㎡ and m² into m2)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _index() -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for unit in _TABLE:
        # A spelling that is some unit's own symbol stays that unit's, whatever alias lists say.
        for spelling in (unit.symbol, *unit.aliases):
            key = fold(spelling)
            if key in found and found[key] is not unit and spelling != unit.symbol:
                continue
            found[key] = unit
    return found


_BY_SPELLING = _index()


def lookup(unit: str) -> Unit | None:
    """The table's unit written as ``unit`` (any alias, any width or case), or None when the table does not know it."""
    return _BY_SPELLING.get(fold(unit))


def canonical(unit: str) -> str:
    """How to store ``unit``: the table's spelling of a known alias, otherwise the text as written (trimmed)."""
    found = lookup(unit)
    return found.symbol if found is not None else " ".join(unit.split())


Q = TypeVar("Q", int, float, Decimal)


def in_english(quantity: Q, unit: str) -> tuple[Q, str] | None:
    """``quantity`` of ``unit`` as an English page says it: the number and the unit's English name, plural unless
    the number is exactly 1 (1 lamp, 12 lamps, 1.5 lamps, 0 lamps); None when the table does not know the unit.

    English has no word for 万: money is said in yuan (3 万元 → 30000 yuan).
    """
    found = lookup(unit)
    if found is None or not found.english[0]:
        return None
    if found.measure == MONEY and found.factor != 1:
        quantity = quantity * int(found.factor)
    singular, plural = found.english
    return quantity, singular if quantity == 1 else plural


def english_name(unit: str, quantity: float | Decimal | None = None) -> str | None:
    """The English name of ``unit`` beside a number written apart ("5 / 60 barrels"), plural unless ``quantity``
    is exactly 1; alone ("counted in barrels") when no quantity is given; None when the table does not know it.

    Money in 万元 is named by its size in yuan ("× 10,000 yuan"), the number beside it being in 万."""
    found = lookup(unit)
    if found is None or not found.english[0]:
        return None
    singular, plural = found.english
    name = singular if quantity is not None and quantity == 1 else plural
    if found.measure == MONEY and found.factor != 1:
        return f"× {int(found.factor):,} {plural}"
    return name


def units() -> tuple[Unit, ...]:
    """Every unit of the table, in the order it is documented."""
    return _TABLE


# Time and money buy the same whatever they are for: an hour of a room or of a lawyer, a yuan of any fund. Every
# other unit says how much, not of what (a metre of handrail is not a metre of speed bump), so the item must agree.
UNBOUND_MEASURES = frozenset({MONEY, "hours", "days", "lessons"})


class Condition(Enum):
    """What two units leave to decide, before kinds are compared."""

    UNITS = "units"  # the same unit of time or money: nothing more
    CATEGORY = "category"  # the same unit of an item (m², 米, 公斤, 套, 次...): the same category
    ITEM = "item"  # the generic 个 against a count word: the same category and names that agree
    CONVERSION = "conversion"  # one measure a factor apart (吨 and 公斤): only when converting
    NEVER = "never"  # different measures, different count words, different unknown units


@lru_cache(maxsize=4096)
def condition(offer_unit: str, line_unit: str) -> Condition:
    """What the offer's unit and the line's leave to decide (``can_serve`` and the offer index both ask this)."""
    a, b = lookup(offer_unit), lookup(line_unit)
    if a is None or b is None:
        # A unit the table does not know matches only itself, and says nothing of the item.
        same = fold(offer_unit) == fold(line_unit) and bool(fold(offer_unit))
        return Condition.CATEGORY if same else Condition.NEVER
    if a.measure == b.measure == COUNT:
        if a is b:
            return Condition.ITEM if a.symbol == GENERIC_COUNT else Condition.CATEGORY
        generic, other = (a, b) if a.symbol == GENERIC_COUNT else (b, a)
        return Condition.ITEM if generic.symbol == GENERIC_COUNT and other.single else Condition.NEVER
    if a.measure != b.measure:
        return Condition.NEVER
    if a is not b:
        return Condition.CONVERSION
    return Condition.UNITS if a.measure in UNBOUND_MEASURES else Condition.CATEGORY


def _bound(unit: str) -> bool:
    """The unit says how much, not of what: a pairing needs the item (its category) to agree."""
    found = lookup(unit)
    return found is None or found.measure not in UNBOUND_MEASURES


class UnitMismatch(ValueError):
    """A quantity cannot be converted between these two units."""


def factor(from_unit: str, to_unit: str) -> float:
    """How many ``to_unit`` one ``from_unit`` is (1 吨 → 1000 公斤); ``UnitMismatch`` when they do not convert.

    Count words convert only to themselves; the generic 个 and a specific one count the same things one for
    one, so their factor is 1 where ``can_serve`` lets them pair.
    """
    found = condition(from_unit, to_unit)
    if found in (Condition.UNITS, Condition.CATEGORY, Condition.ITEM):
        return 1.0
    if found is Condition.CONVERSION:
        a, b = lookup(from_unit), lookup(to_unit)
        assert a is not None and b is not None
        return a.factor / b.factor
    raise UnitMismatch(f"{from_unit} does not convert to {to_unit}")


def convert(quantity: float, from_unit: str, to_unit: str) -> float:
    """``quantity`` of ``from_unit`` in ``to_unit`` (3 斤 → 1.5 公斤); ``UnitMismatch`` when they do not convert."""
    return quantity * factor(from_unit, to_unit)


_HAN = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[a-z0-9]{2,}")


def _words(name: str) -> set[str]:
    """Two-character pieces of the Chinese runs and the Latin words of a name (no segmenter needed)."""
    folded = fold(name)
    pieces = {run[i : i + 2] for run in _HAN.findall(folded) for i in range(len(run) - 1)}
    return pieces | set(_LATIN.findall(folded))


def _head(name: str) -> str:
    """The last Chinese character of a name: what a Chinese compound names (路灯 is a 灯, 充电桩 a 桩)."""
    runs = _HAN.findall(fold(name))
    return runs[-1][-1] if runs else ""


@lru_cache(maxsize=65536)
def names_agree(offer_name: str, line_name: str) -> bool:
    """The offer's title and the line's description name the same item: one inside the other, or a word in
    common. Nothing to compare (a name left empty) agrees: kind and category decide alone then."""
    a, b = fold(offer_name), fold(line_name)
    if not a or not b:
        return True
    if a in b or b in a or _words(a) & _words(b):
        return True
    head_a, head_b = _head(a), _head(b)
    return bool(head_a and head_a in b) or bool(head_b and head_b in a)


def items_agree(offer_name: str, line_name: str, offer_item: str = "", line_item: str = "") -> bool:
    """The offer and the line are of the same item: by the item vocabulary's keys when both sides have one
    ("LED stairwell lamps" and 楼道灯 are both ``stairwell_light``; LED bulbs and 楼道灯 are two items though
    a word may be shared), never when only one side has one (the same vocabulary read the other side and found
    no item there: "flower bulbs" share a word with "bulbs", 拳击手套 with 劳保手套, and are not them), by
    ``names_agree`` when neither has."""
    if offer_item or line_item:
        return offer_item == line_item
    return names_agree(offer_name, line_name)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a pairing: an offer (``name`` its title) or a resource line (``name`` its description);
    ``item`` the item vocabulary's key for it ("" when its text names no known item)."""

    kind: str
    category: str
    unit: str
    name: str = ""
    item: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the offer can serve the line, why not (``code``, and a sentence in Chinese and English), and the
    factor from the offer's unit to the line's when they pair.

    ``en`` writes the units as stored ("this line needs 个": the API's and the logs' sentence, stable);
    ``en_named`` as an English page says them ("this line needs pieces", ``english_label``).
    """

    ok: bool
    code: str
    zh: str = ""
    en: str = ""
    factor: float | None = None
    en_named: str = ""

    def reason(self, locale: str) -> str:
        """The sentence a page in ``locale`` shows."""
        if locale.startswith("en"):
            return self.en_named or self.en
        return self.zh


def english_label(unit: str, quantity: float | Decimal | None = None, *, symbol: bool = False) -> str:
    """The unit as an English sentence names it ("barrels", "m²"), with the unit as stored beside it when
    ``symbol`` ("pieces (条)"); a unit the table does not know, as stored. Pages use it through
    ``marketplace.quantity_display.unit_name``."""
    name = english_name(unit, quantity)
    if name is None or name == unit:
        return unit
    return f"{name} ({unit})" if symbol else name


# How an English sentence names a unit: as stored (``Verdict.en``) or as a page says it (``Verdict.en_named``).
Say = Callable[[str], str]


def _as_stored(unit: str) -> str:
    return unit


def _namer(*units: str) -> Say:
    """English names for the units of one sentence, each with its symbol when two of them share a name
    (条 and 个 are both "pieces": "counted in pieces (条), this line needs pieces (个)")."""
    spellings: dict[str, set[str]] = {}
    for unit in units:
        spellings.setdefault(english_label(unit), set()).add(canonical(unit))
    shared = {name for name, which in spellings.items() if len(which) > 1}

    def say(unit: str) -> str:
        found = lookup(unit)
        if found is not None and found.measure == MONEY and found.factor != 1:
            return f"units of {int(found.factor):,} {found.english[1]}"  # 万元: "counted in units of 10,000 yuan"
        return english_label(unit, symbol=english_label(unit) in shared)

    return say


def _refusal(code: str, zh: str, en: Callable[[Say], str], offer: Side, line: Side) -> Verdict:
    return Verdict(False, code, zh, en(_as_stored), en_named=en(_namer(offer.unit, line.unit)))


def _kind_name(kind: str) -> tuple[str, str]:
    return KIND_NAMES.get(kind, (kind, kind))


def _counted(
    offer: Side, line: Side, code: str, why_zh: str = "", why_en: Callable[[Say], str] | None = None
) -> Verdict:
    """A refusal for units: "the offer is counted in m², this line needs 个", and why, when it helps."""
    zh = f"该资源按“{offer.unit}”计，此资源项需要“{line.unit}”"

    def en(say: Say) -> str:
        said = f"the offer is counted in {say(offer.unit)}, this line needs {say(line.unit)}"
        return f"{said} ({why_en(say)})" if why_en else said

    return _refusal(code, f"{zh}（{why_zh}）" if why_zh else zh, en, offer, line)


def _not_the_item(offer: Side, line: Side, why_zh: str, why_en: Callable[[Say], str]) -> Verdict:
    """A refusal for another item: "the offer (充电桩) is not the item this line needs (路灯)", and why."""
    offer_name, line_name = offer.name or offer.unit, line.name or line.unit
    if fold(canonical(offer.unit)) != fold(canonical(line.unit)):

        def because(say: Say) -> str:
            return f"{why_en(say)}: {offer.name or say(offer.unit)} is not {line.name or say(line.unit)}"

        return _counted(offer, line, "item", f"{why_zh}，“{offer_name}”不是“{line_name}”", because)
    return _refusal(
        "item",
        f"该资源“{offer_name}”与此资源项“{line_name}”不是同一种物品（{why_zh}）",
        lambda say: (
            f"the offer ({offer.name or say(offer.unit)}) is not the item this line needs "
            f"({line.name or say(line.unit)}): {why_en(say)}"
        ),
        offer,
        line,
    )


def can_serve(offer: Side, line: Side, *, convert: bool = False) -> Verdict:
    """Can the offer serve the line? Kinds must agree and units must measure the same thing (module docstring).

    ``convert``: accept units of one measure a factor apart (吨 for 公斤), the verdict carrying the factor.
    The application passes False: a claim's quantity is one number in the line's unit, taken from the offer
    as it is, so only spellings of one unit (factor 1) may pair.
    """
    if offer.kind != line.kind:
        (offer_zh, offer_en), (line_zh, line_en) = _kind_name(offer.kind), _kind_name(line.kind)
        said = f"the offer is {offer_en}, this line needs {line_en}"
        return Verdict(False, "kind", f"该资源属于{offer_zh}，此资源项需要{line_zh}", said, en_named=said)
    found = condition(offer.unit, line.unit)
    if found is Condition.NEVER:
        return _different(offer, line)
    if found is Condition.CONVERSION and not convert:
        size = factor(offer.unit, line.unit)

        def advice(say: Say) -> str:
            many = say(line.unit) if say is _as_stored else english_label(line.unit, size)
            one = say(offer.unit) if say is _as_stored else english_label(offer.unit, 1)
            return (
                f"1 {one} = {size:g} {many}; claims are not converted between units, "
                f"publish the offer in {say(line.unit)}"
            )

        shown = f"1 {offer.unit} = {size:g} {line.unit}"
        return _counted(offer, line, "conversion", f"{shown}，认领不做单位换算，请按“{line.unit}”发布资源", advice)
    if _bound(line.unit) and offer.category != line.category:
        return _not_the_item(offer, line, "类别不同", lambda say: "another category")
    if found is Condition.ITEM and not items_agree(offer.name, line.name, offer.item, line.item):
        return _not_the_item(
            offer,
            line,
            f"“{GENERIC_COUNT}”不说明数的是什么",
            _generic_says_nothing,
        )
    code = {Condition.UNITS: "same_unit", Condition.CATEGORY: "same_item", Condition.ITEM: "same_item"}
    return Verdict(True, code.get(found, "converted"), factor=factor(offer.unit, line.unit))


def _generic_says_nothing(say: Say) -> str:
    if say is _as_stored:
        return f"{GENERIC_COUNT} does not say what is counted"
    return f"{say(GENERIC_COUNT)} do not say what is counted"


def _different(offer: Side, line: Side) -> Verdict:
    """Why two units never pair: unknown units, money, two count words, two measures."""
    a, b = lookup(offer.unit), lookup(line.unit)
    if a is None or b is None:
        return _counted(offer, line, "unit")
    if MONEY in (a.measure, b.measure):
        return _counted(offer, line, "money", "资金不能换算成物品或服务", lambda say: "money never converts to goods")
    if a.measure == b.measure == COUNT:
        return _counted(offer, line, "count_words", "计量的不是同一种东西", lambda say: "they count different things")
    (a_zh, a_en), (b_zh, b_en) = _measure_name(a), _measure_name(b)
    return _counted(offer, line, "measure", f"{a_zh}不能换算成{b_zh}", lambda say: f"{a_en} is not {b_en}")


def _measure_name(unit: Unit) -> tuple[str, str]:
    return ("数量", "a count") if unit.measure == COUNT else MEASURE_NAMES.get(unit.measure, (unit.symbol, unit.symbol))
