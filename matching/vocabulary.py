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
   by one light rule (``singular``: lamps → lamp, boxes → box, batteries → battery, shelves → shelf).
   So "LED stairwell lamps", "stairwell lamp" and "Stairwell-Lamps" are one text, and a synonym written
   in the plural finds the singular and the other way round. Only inflection is undone, never a
   derivation ("painting" stays "painting", "sandbags" is no "sand").
2. A synonym is found where it occurs in the text. Chinese needs no segmenter: a Chinese synonym is
   found anywhere inside the text. A Latin end of a synonym must stand at a word boundary, so "paint"
   is not found in "painting" (an English plural "s" or "es" may follow it).
3. Only items of the given kind are candidates (a service to install lamps is not a lamp).
4. Of the synonyms found, the winner is the one of an item in the given category (else any category),
   then of an item counted in the given unit, then the longest (太阳能路灯 beats 路灯, so the more
   specific item wins), then the one ending last (a Chinese compound names its head last: in
   红砖墙面涂料 the item is 涂料, paint, not 红砖), then the one starting first, then the key.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
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
    "potatoes": "potato",
    "tomatoes": "tomato",
    "heroes": "hero",
    "echoes": "echo",
}
# Words that end like a plural and are not one, or whose singular is another word ("glasses" to read with,
# "goods" for sale): they stay as written.
_INVARIANT = frozenset(
    {"goods", "news", "series", "species", "means", "glasses", "clothes", "scissors", "trousers", "pants", "jeans"}
)
_SIBILANT_ES = ("sses", "shes", "ches", "xes", "zzes")  # box-es, bench-es, brush-es: the plural adds "es"
_WORD = re.compile(r"[0-9a-z]+")
_WORD_HYPHEN = re.compile(r"(?<=[0-9a-z])-(?=[0-9a-z])")
_POSSESSIVE = re.compile(r"(?<=[0-9a-z])['’]s?\b|(?<=s)['’]")


@lru_cache(maxsize=8192)
def singular(word: str) -> str:
    """An English word (folded, Latin) in the singular: lamps → lamp, boxes → box, batteries → battery,
    movies and movie → movy (one form for both), shelves → shelf. Words of three letters or fewer, words
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
    """

    key: str
    category: str
    kind: str
    name_zh: str
    name_en: str
    synonyms: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        """The names and synonyms, each once, names first."""
        seen: dict[str, None] = {}
        for text in (self.name_zh, self.name_en, *self.synonyms):
            if normal(text):
                seen.setdefault(text.strip(), None)
        return tuple(seen)

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


def _found_at(text: str, synonym: str, start: int) -> bool:
    """A Latin end of the synonym must meet a word boundary (a plural s/es may follow it)."""
    end = start + len(synonym)
    if _LATIN.match(synonym[0]) and start > 0 and _LATIN.match(text[start - 1]):
        return False
    if _LATIN.match(synonym[-1]) and end < len(text) and _LATIN.match(text[end]):
        rest = text[end:]
        plural = "es" if rest.startswith("es") else "s" if rest.startswith("s") else ""
        after = end + len(plural)
        return bool(plural) and not (after < len(text) and _LATIN.match(text[after]))
    return True


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

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[ItemEntry]:
        return iter(self._entries.values())

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def entry(self, key: str) -> ItemEntry | None:
        return self._entries.get(key)

    def hits(self, text: str, *, kind: str | None = None) -> list[Hit]:
        """Every place an item of ``kind`` (any kind when None) is named in ``text``."""
        folded = normal(text)
        found: list[Hit] = []
        if not folded:
            return found
        for synonym in self._ordered:
            if len(synonym) > len(folded):
                continue
            # The last place it stands at a boundary: a compound names its item last.
            last, start = -1, folded.find(synonym)
            while start >= 0:
                if _found_at(folded, synonym, start):
                    last = start
                start = folded.find(synonym, start + 1)
            if last >= 0:
                found.extend(
                    Hit(entry, synonym, last) for entry in self._synonyms[synonym] if kind is None or entry.kind == kind
                )
        return found

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
