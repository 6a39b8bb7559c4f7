"""The item vocabulary: what an offer or a resource line is *of*, as a key shared by both sides.

Free text says the same item many ways (再生透水砖, 透水砖, permeable bricks; LED声控楼道灯, 声控灯); the
vocabulary lists each item once with its names and synonyms in Chinese and English, its category, its
kind and the units it is counted in, and ``key_of`` resolves a title or a description to the item's key
("" when it names none of them). Pure Python, no web or database: the application builds it from its
``item_term`` rows, the offer index compares only the keys the records carry.

How a text is resolved (``ItemVocabulary.resolve``):

1. Text and synonyms are folded alike (width, case, runs of spaces; no space kept next to a Chinese
   character, so "LED 路灯" is "led路灯"), then brought to one English form (``normal``): a hyphen
   between Latin words is a space, a possessive "'s" is dropped, and each English word is made singular
   by one light rule (``singular``: lamps → lamp, boxes → box, batteries → battery, shelves → shelf,
   caches → cache, tomatoes → tomato, shoes → shoe).
   So "LED stairwell lamps", "stairwell lamp" and "Stairwell-Lamps" are one text, and a synonym written
   in the plural finds the singular and the other way round. Only inflection is undone, never a
   derivation ("painting" stays "painting", "sandbags" is no "sand").
2. A synonym is found where it occurs in the text. Chinese needs no segmenter: a Chinese synonym is
   found anywhere inside the text. A Latin end of a synonym must stand at a word boundary, so "paint"
   is not found in "painting" (an English plural "s" or "es" may follow it).
3. A synonym counts only where it is the head of what the text names (``_is_head``), for a modifier that is
   a noun makes another thing of it:
   - a word after it that is not a function word, a count, a colour or size, an "-ed"/"-able" word or a word
     of doing ("repair", "delivery") is a noun it modifies: "sand bags" are no sand, "rice cooker" no rice;
     in Chinese, which names its head last, a head character after it (箱 盒 袋 桶 架 座 桌 杆 机 馆 室 车 ...,
     not followed by 装, "packed in"): 手套箱 is a glove box, 电线杆 a pole, 图书馆 a library;
   - a one-word English synonym must follow a word that says which of it, not what else: a function word or a
     count, a material, kind, colour, size or quality from short lists, a word of an adjective's ending (-ous,
     -ful, -less, -able, -ible, -ive, -ic, -al, -ed, save the nouns that end so: table, signal, festival), the
     second half of a hyphenated adjective (anti-slip, second-hand), or a word written in capitals in a text
     that is not (a brand, an acronym: "OSRAM bulbs"). So "LED bulbs", "rubber gloves", "recycled bricks"
     count, and "flower bulbs", "boxing gloves", "toy bricks" do not. A synonym of several words is a compound
     already ("work gloves", "street lamp") and is not checked before;
   - each item's ``exclusions`` list the phrases a rule cannot tell, data the admins keep like synonyms: a
     modifier the lists let through ("gold bricks", "steel wire") or a Chinese one (拳击手套: a Chinese modifier
     before a head is not read, for 红砖, 防割手套 and 拳击手套 look alike without a dictionary). A synonym
     found inside one of its item's excluded phrases does not name that item (``excluded`` says which did), so a
     phrase holding none of its item's synonyms excludes nothing (``ItemEntry.names_in`` says which it holds).
   The rule prefers leaving a text unresolved to pairing different things: an unknown modifier ("garden
   gloves", title-case brands such as "Philips bulbs") leaves the synonym uncounted.
4. Only items of the given kind are candidates (a service to install lamps is not a lamp).
5. Of the synonyms found, the winner is the one of an item in the given category (else any category),
   then of an item counted in the given unit, then the longest (太阳能路灯 beats 路灯, so the more
   specific item wins), then the one ending last (a Chinese compound names its head last: in
   红砖墙面涂料 the item is 涂料, paint, not 红砖), then the one starting first, then the key.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from matching.units import canonical

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_LATIN = re.compile(r"[0-9a-z]")
_SPACES = re.compile(r"\s+")
# A space next to a character that is not Latin (Chinese, punctuation) separates nothing.
_LOOSE_SPACE = re.compile(r"(?<=[^0-9a-z ]) | (?=[^0-9a-z ])")


def fold(text: str) -> str:
    """Text as compared: NFKC (full-width letters and digits), case folded, spaces only between Latin words."""
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return _LOOSE_SPACE.sub("", folded)


# English words whose plural is not the singular with s/es/ies (and a few plurals of a vowel and "es").
_IRREGULAR = {
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
    "knives": "knife",
    "shelves": "shelf",
    "leaves": "leaf",
    "halves": "half",
    "loaves": "loaf",
    "gases": "gas",
    "lenses": "lens",
    "axes": "axe",
}
# Words that end like a plural and are not one, or whose singular is another word ("glasses" to read with,
# "goods" for sale): they stay as written.
_INVARIANT = frozenset(
    {"goods", "news", "series", "species", "means", "glasses", "clothes", "scissors", "trousers", "pants", "jeans"}
)
_SIBILANT_ES = ("sses", "shes", "ches", "xes", "zzes")  # box-es, bench-es, brush-es: the plural adds "es"
# Singulars in -che whose plural only adds "s" (a plural in "-aches" is one too, unless beach-es, coach-es, attach-es).
_CHE = (
    "niche",
    "quiche",
    "cliche",
    "creche",
    "fiche",
    "avalanche",
    "brioche",
    "cloche",
    "psyche",
    "pastiche",
    "douche",
)
_ACH_ES = ("eaches", "oaches", "ttaches")
# Singulars in -oe of more than four letters (shoe, canoe); any other plural in "-oes" adds "es" to an "o" (tomato,
# volcano).
_OE_ENDINGS = ("shoes", "tiptoes", "mistletoes")
_OE = frozenset({"canoes", "throes"})
_WORD = re.compile(r"[0-9a-z]+")
_WORD_HYPHEN = re.compile(r"(?<=[0-9a-z])-(?=[0-9a-z])")
_POSSESSIVE = re.compile(r"(?<=[0-9a-z])['’]s?\b|(?<=s)['’]")


@lru_cache(maxsize=8192)
def singular(word: str) -> str:
    """An English word (folded, Latin) in the singular: lamps → lamp, boxes → box, batteries → battery,
    movies and movie → movy (one form for both), shelves → shelf, benches → bench but caches → cache and
    niches → niche, tomatoes → tomato but shoes → shoe. Words of three letters or fewer, words
    with digits and words ending in ss, us or is stay as they are (gas, LED, N95, glass, status, tennis).

    One rule for every English word of the vocabulary and of the texts it reads, so a synonym written in the
    plural finds the singular and the other way round. It undoes inflection only: "painting" is not "paint".
    """
    if word in _INVARIANT or len(word) <= 3 or not word.isalpha():
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("buses"):
        return word[:-2]  # minibuses, trolleybuses
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ie"):
        word = word[:-2] + "y"  # movie/movies, cookie/cookies: the "ies" of both reads "y"
    elif word.endswith("ches"):
        keeps_e = word.endswith("aches") and not word.endswith(_ACH_ES)
        word = word[:-1] if keeps_e or word[:-1].endswith(_CHE) else word[:-2]  # caches, niches; benches
    elif word.endswith("oes"):
        word = (
            word[:-1] if len(word) <= 5 or word in _OE or word.endswith(_OE_ENDINGS) else word[:-2]
        )  # toes, shoes; tomatoes, heroes
    elif word.endswith(_SIBILANT_ES):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return _IRREGULAR.get(word, word)  # "childrens" → "children" → "child"


def normal(text: str) -> str:
    """Text as the vocabulary compares it: ``fold``, hyphens between Latin words as spaces, possessives
    dropped, every English word ``singular``. Chinese is as ``fold`` leaves it."""
    cased = unicodedata.normalize("NFKC", text).casefold()
    if not _LATIN.search(cased):
        return fold(cased)  # Chinese alone (most texts): nothing English to read
    # Before ``fold`` drops the spaces next to punctuation: "seniors' room" must stay two words.
    folded = fold(_WORD_HYPHEN.sub(" ", _POSSESSIVE.sub("", cased)))
    return _WORD.sub(_singular_of, folded)


def _singular_of(found: re.Match[str]) -> str:
    return singular(found.group())


@dataclass(frozen=True, slots=True)
class ItemEntry:
    """One item of the vocabulary: a stable key, where it belongs, its names, synonyms and units.

    ``synonyms`` are other ways people write it, in either language; the names count as synonyms too.
    ``units`` are the units it is counted in (any spelling ``matching.units`` knows), empty when any.
    ``exclusions`` are phrases that hold a synonym and are not the item (拳击手套, "gold bricks"), either language.
    """

    key: str
    category: str
    kind: str
    name_zh: str
    name_en: str
    synonyms: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        """The names and synonyms, each once, names first."""
        seen: dict[str, None] = {}
        for text in (self.name_zh, self.name_en, *self.synonyms):
            if normal(text):
                seen.setdefault(text.strip(), None)
        return tuple(seen)

    def names_in(self, phrase: str) -> tuple[str, ...]:
        """The item's names and synonyms ``phrase`` holds where the resolver finds a synonym in any text (both read
        by ``normal``; a Chinese one anywhere, a Latin end at a word boundary, an English plural allowed).

        An excluded phrase takes from its item only the places of the item's own synonyms inside it, so a phrase
        holding none never excludes anything. Whether a synonym inside it heads what a text names is not asked:
        that depends on the text around the phrase and how it is written ("gold brick" alone names no brick,
        "GOLD bricks" does, a word in capitals read as a brand).
        """
        text = normal(phrase)
        return tuple(
            spelling for spelling in self.spellings() if normal(spelling) and any(_spans(text, normal(spelling)))
        )

    def counts_in(self, unit: str) -> bool:
        """Whether the item is counted in ``unit`` (however spelt); an item listing no units takes any."""
        if not self.units:
            return True
        wanted = fold(canonical(unit))
        return any(fold(canonical(own)) == wanted for own in self.units)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True, slots=True)
class Hit:
    """Where an item was found in a text: the item, the synonym as compared (``normal``), and its place in the
    text as compared."""

    entry: ItemEntry
    synonym: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.synonym)


class VocabularyError(ValueError):
    """Entries that cannot make a vocabulary (a key twice, a malformed key, an item without a name)."""


def _check(entry: ItemEntry) -> None:
    if not KEY_PATTERN.match(entry.key):
        raise VocabularyError(f"{entry.key!r}: a key is lower-case letters, digits and _ (2 to 64)")
    if not fold(entry.name_zh) or not fold(entry.name_en):
        raise VocabularyError(f"{entry.key}: an item needs a Chinese and an English name")


def _end_at(text: str, synonym: str, start: int) -> int:
    """Where the synonym found at ``start`` ends, a plural s/es after it included; -1 when a Latin end of it
    does not meet a word boundary ("paint" in "painting")."""
    end = start + len(synonym)
    if _LATIN.match(synonym[0]) and start > 0 and _LATIN.match(text[start - 1]):
        return -1
    if _LATIN.match(synonym[-1]) and end < len(text) and _LATIN.match(text[end]):
        plural = 2 if text.startswith("es", end) else 1 if text.startswith("s", end) else 0
        after = end + plural
        return after if plural and not (after < len(text) and _LATIN.match(text[after])) else -1
    return end


# --- the head of a phrase ---------------------------------------------------------------------------------
# A synonym counts where it is the head of what the text names, not a word that modifies another head and not
# a head another noun makes into a different thing (module docstring, rule 3). English has no closed list of
# nouns, so the rule lists the words that may stand next to a head instead: a word outside these lists is
# taken for a noun. The lists are short and of a closed kind (function words, materials, colours, sizes and
# qualities); a word of an adjective's ending (-ous, -ful, -less, -able, -ible, -ive, -ic, -al, -ed) is an
# adjective unless it ends like one of the few nouns that do.


def _words(text: str) -> frozenset[str]:
    return frozenset(singular(word) for word in text.split())


# Function words, quantities and the verbs of offering and asking: a phrase ends or starts at them.
_FUNCTION = _words(
    """a an the of for with without and or nor but in on at to from by per via into onto over under up about
    approx approximately around x plus incl including each every some any all no not only our your their its
    my this that these those it we you they i is are be can will may has have please new used old spare
    extra free surplus leftover unused secondhand donate donating donation offer offering need want seeking
    request requesting supply supplying provide providing give giving lend lending sell selling buy buying
    available urgent urgently asap more less total etc"""
)
# Materials and kinds ("rubber gloves", "LED bulbs"): before a head they say which of the item. After a word
# they are a head of their own ("sand paper", "rice paper"), so only before.
_MATERIALS = _words(
    """steel stainless iron metal aluminium aluminum copper brass zinc wood wooden timber bamboo plastic pvc ppr
    pe abs rubber latex nitrile vinyl silicone foam glass ceramic porcelain clay concrete cement stone marble
    granite paper cardboard cotton wool woollen leather nylon polyester canvas fabric cloth linen fleece felt
    mesh carbon fibre fiber down led cfl halogen incandescent fluorescent filament solar electric battery
    rechargeable bluetooth wireless smart digital infrared manual automatic portable"""
)
# Colours and sizes: before a head, and after it in a listing ("gloves, large"; "LED bulbs warm white").
_LOOKS = _words(
    """red orange yellow green blue purple pink white black grey gray brown silver golden beige transparent clear
    dark light bright warm cool colour color small medium large big mini tiny huge long short tall wide narrow
    thick thin heavy lightweight xs s m l xl xxl xxxl size full half double single twin"""
)
# Qualities and who it is for ("heavy-duty", "kids", "working gloves"): before a head.
_QUALITIES = _words(
    """standard regular adult kid child baby man woman junior good fine quality premium basic simple strong
    sturdy soft hard dry clean fresh cheap indoor outdoor eco top best high low working folding matching
    lasting saving duty slip use grade proof friendly"""
)
_MODIFIERS = _MATERIALS | _LOOKS | _QUALITIES
# First words of compound adjectives (anti-slip, second-hand, all-weather): the word after them is a modifier.
_COMPOUND_FIRST = _words("anti non self second multi semi high low heavy extra super ultra energy water fire all")
# After a head: besides function words, colours and sizes, the words of a count or a pack ("gloves 20 pairs",
# "gloves pack of 10"), and what is done to it ("water main inspection", "sand delivery").
_AFTER = _words(
    """pack set pair piece pc pcs unit lot batch bundle kg g t ton tonne m cm mm km ml l sqm m2 type model
    style version stock inspection repair maintenance service servicing installation install cleaning
    clearing check checkup training support delivery removal replacement upgrade work printing"""
)
_ADJECTIVE_ENDINGS = ("ous", "ful", "less", "able", "ible", "ive", "ic", "al", "ed")
# Nouns that end like adjectives: "table lamps", "signal lights", "festival lanterns", "speed bumps".
# fmt: off
_NOUN_ENDINGS = (
    "table", "cable", "vegetable", "olive", "drive", "archive", "music", "traffic", "clinic", "picnic",
    "mechanic", "panic", "topic", "graphic", "comic", "attic", "animal", "hospital", "festival", "signal",
    "pedal", "terminal", "rental", "sandal", "medal", "mural", "portal", "canal", "journal", "capital",
    "crystal", "petal", "cereal", "carnival", "eed", "hundred",
)
# fmt: on
_AFTER_ENDINGS = ("ed", "able", "ible", "ly")  # "bulbs needed", "lamps available", "gloves freshly washed"
_LATIN_WORD_END = re.compile(r"[0-9a-z]+$")
_LATIN_WORD_START = re.compile(r"[0-9a-z]+")
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")
_LOWER = re.compile(r"[a-z]")
# Chinese names the head last: what follows a synonym and makes it another thing (a box, a stand, a machine, a
# room, a vehicle, a part): 手套箱 is a glove box, 电线杆 a pole, 电脑桌 a desk, 图书馆 a library. 盒装, 袋装
# ("packed in boxes, bags") only say how the item comes.
# fmt: off
_ZH_HEADS = (
    "配件", "零件", "支架", "底座", "外壳", "开关", "插座", "模具", "坡道", "通道",
    "箱", "盒", "袋", "桶", "筐", "篮", "罐", "柜", "架", "座", "桌", "椅", "凳", "床", "杆", "罩", "壳",
    "机", "厂", "店", "馆", "室", "房", "车",
)
# fmt: on
_PACKED = "装"


def _spans(text: str, phrase: str) -> Iterator[tuple[int, int]]:
    """Where a phrase (as compared) stands in a text (as compared), its Latin ends at word boundaries."""
    at = text.find(phrase)
    while at >= 0:
        end = _end_at(text, phrase, at)
        if end >= 0:
            yield at, end
        at = text.find(phrase, at + 1)


def _adjective(word: str, endings: tuple[str, ...] = _ADJECTIVE_ENDINGS) -> bool:
    return len(word) >= 5 and word.endswith(endings) and not word.endswith(_NOUN_ENDINGS)


def _numeric(word: str) -> bool:
    return not word.isalpha()


def _modifier(word: str) -> bool:
    """Whether a word before a head says which of the thing, not another thing (a guess for words not listed)."""
    return word in _FUNCTION or word in _MODIFIERS or _numeric(word) or _adjective(word)


def _before(text: str, start: int) -> tuple[str, int]:
    """The Latin word right before ``start`` (separated by one space) and where it starts; "" when none."""
    if start < 2 or text[start - 1] != " ":
        return "", start
    found = _LATIN_WORD_END.search(text, 0, start - 1)
    return (found.group(), found.start()) if found else ("", start)


def _is_head(text: str, synonym: str, start: int, end: int, capitals: Callable[[], frozenset[str]]) -> bool:
    """Whether the synonym found at ``start`` (ending at ``end``, a plural ending included) heads its phrase."""
    # What follows: a noun after it makes the synonym a modifier ("sand bags", "rice cooker", 手套箱).
    if end < len(text):
        following = text[end]
        if following == " ":
            found = _LATIN_WORD_START.match(text, end + 1)
            word = found.group() if found else ""
            if word and not (
                word in _FUNCTION
                or word in _AFTER
                or word in _LOOKS
                or _numeric(word)
                or _adjective(word, _AFTER_ENDINGS)
            ):
                return False
        elif not _LATIN.match(following):
            for head in _ZH_HEADS:
                if text.startswith(head, end):
                    if not text.startswith(_PACKED, end + len(head)):
                        return False
                    break
    # What precedes a synonym of one English word: a noun before it makes it another thing ("flower bulbs",
    # "boxing gloves"). A longer synonym is itself a compound ("work gloves", "street lamp").
    if not _LATIN_WORD_START.fullmatch(synonym):
        return True
    word, at = _before(text, start)
    if not word or _modifier(word):
        return True
    first, _ = _before(text, at)
    return first in _COMPOUND_FIRST or word in capitals()


def _capitals(text: str) -> frozenset[str]:
    """Words written in capitals (a brand, an acronym: "OSRAM bulbs") in a text that is not all capitals."""
    text = unicodedata.normalize("NFKC", text)
    if not _LOWER.search(text):
        return frozenset()
    return frozenset(singular(word.casefold()) for word in _CAPITALS.findall(text))


class ItemVocabulary:
    """The street's items, resolved from free text by their synonyms in both languages."""

    def __init__(self, entries: Iterable[ItemEntry]) -> None:
        self._entries: dict[str, ItemEntry] = {}
        for entry in entries:
            _check(entry)
            if entry.key in self._entries:
                raise VocabularyError(f"{entry.key}: the key is given twice")
            self._entries[entry.key] = entry
        # Each folded synonym with the items that use it (one spelling may name items in two categories).
        self._synonyms: dict[str, list[ItemEntry]] = {}
        for entry in self._entries.values():
            for spelling in entry.spellings():
                owners = self._synonyms.setdefault(normal(spelling), [])
                if entry not in owners:
                    owners.append(entry)
        self._ordered = sorted(self._synonyms, key=lambda s: (-len(s), s))
        # Each item's phrases that are not it, as compared, with the phrase as written (for an explanation).
        self._not: dict[str, dict[str, str]] = {}
        for entry in self._entries.values():
            for phrase in entry.exclusions:
                if normal(phrase):
                    self._not.setdefault(entry.key, {}).setdefault(normal(phrase), phrase.strip())

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[ItemEntry]:
        return iter(self._entries.values())

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def entry(self, key: str) -> ItemEntry | None:
        return self._entries.get(key)

    def hits(self, text: str, *, kind: str | None = None) -> list[Hit]:
        """Every place an item of ``kind`` (any kind when None) is named in ``text``: for each synonym the last
        place it heads its phrase (a compound names its item last), outside the phrases that are not the item."""
        folded = normal(text)
        found: list[Hit] = []
        if not folded:
            return found
        known: list[frozenset[str]] = []

        def capitals() -> frozenset[str]:
            if not known:
                known.append(_capitals(text))
            return known[0]

        for synonym in self._ordered:
            if len(synonym) > len(folded):
                continue
            start = folded.find(synonym)
            if start < 0:
                continue
            places = []
            while start >= 0:
                end = _end_at(folded, synonym, start)
                if end >= 0 and _is_head(folded, synonym, start, end, capitals):
                    places.append(start)
                start = folded.find(synonym, start + 1)
            if not places:
                continue
            for entry in self._synonyms[synonym]:
                if kind is not None and entry.kind != kind:
                    continue
                last = self._last_outside(folded, entry.key, synonym, places)
                if last >= 0:
                    found.append(Hit(entry, synonym, last))
        return found

    def _last_outside(self, text: str, key: str, synonym: str, places: list[int]) -> int:
        """The last of ``places`` not inside a phrase that is not the item ``key`` (-1 when none)."""
        phrases = self._not.get(key)
        if not phrases:
            return places[-1]
        spans = [span for phrase in phrases for span in _spans(text, phrase)]
        for place in reversed(places):
            if not any(begin <= place and place + len(synonym) <= end for begin, end in spans):
                return place
        return -1

    def excluded(self, text: str, *, kind: str | None = None) -> list[tuple[ItemEntry, str]]:
        """The excluded phrases ``text`` holds, with the item (of ``kind``; any when None) each is not: why a text
        that holds a synonym names no item, or another one. Each item and phrase once, as the admins wrote it."""
        folded = normal(text)
        found: list[tuple[ItemEntry, str]] = []
        if not folded:
            return found
        for key, phrases in self._not.items():
            entry = self._entries[key]
            if kind is not None and entry.kind != kind:
                continue
            found.extend((entry, written) for phrase, written in phrases.items() if any(_spans(folded, phrase)))
        return found

    @staticmethod
    def excluded_reason(entry: ItemEntry, phrase: str) -> tuple[str, str]:
        """The sentence that says a text was not read as an item, in Chinese and English."""
        return (
            f"“{phrase}”不是物品“{entry.name_zh}”（已列为其排除说法）",
            f"“{phrase}” is not the item {entry.name_en} (listed as a phrase that is not it)",
        )

    def resolve(
        self, text: str, category: str | None = None, kind: str | None = None, unit: str | None = None
    ) -> Hit | None:
        """The item ``text`` names, by the rules of the module docstring, or None."""
        found = self.hits(text, kind=kind)
        if not found:
            return None

        def rank(hit: Hit) -> tuple[bool, bool, int, int, int, str]:
            in_category = category is None or hit.entry.category == category
            counted = unit is None or hit.entry.counts_in(unit)
            return (in_category, counted, len(hit.synonym), hit.end, -hit.start, hit.entry.key)

        return max(found, key=rank)

    def key_of(self, text: str, category: str | None = None, kind: str | None = None, unit: str | None = None) -> str:
        """The key of the item ``text`` names ("" when it names none of the vocabulary's items)."""
        hit = self.resolve(text, category, kind, unit)
        return hit.entry.key if hit is not None else ""

    def key_of_any(
        self, texts: Iterable[str], category: str | None = None, kind: str | None = None, unit: str | None = None
    ) -> str:
        """The key of the first text that names an item (an offer's title, then its description)."""
        for text in texts:
            key = self.key_of(text, category, kind, unit)
            if key:
                return key
        return ""

    def reason(self, offer_key: str, line_key: str) -> tuple[str, str] | None:
        """The sentence that explains the item signal, in Chinese and English (None when either is unknown)."""
        offer, line = self._entries.get(offer_key), self._entries.get(line_key)
        if offer is None or line is None:
            return None
        if offer is line:
            return (
                f"资源正是此项所需的物品：{offer.name_zh}",
                f"the offer is the item the line asks for: {offer.name_en}",
            )
        return (
            f"资源是“{offer.name_zh}”，此项需要“{line.name_zh}”",
            f"the offer is {offer.name_en}, the line asks for {line.name_en}",
        )
