"""What a home page shows, as plain data: sections of number cards and short lists, each linking to a list.

The page and the JSON twin (GET /api/v1/me/home) are both made from these; templates read them and
nothing else.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Card:
    """One number and the filtered list that shows exactly those items."""

    key: str  # stable, for programs and tests: "needs_to_review"
    label: str
    number: float  # counts are ints, hours may be fractions: one JSON "number" (int | float is ambiguous oneOf)
    href: str
    # "act": something waits for this person when the number is not zero (the card stands out).
    tone: str = ""

    @property
    def stands_out(self) -> bool:
        return self.tone == "act" and self.number != 0


@dataclass(frozen=True)
class Item:
    """One row of a short list (a shift, an offer, a proposal): what it is, when or how much, where it leads."""

    title: str
    detail: str = ""
    href: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    cards: list[Card] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # Said instead of the list when it has no items (a new partner, a quiet day).
    empty: str = ""
    lead: str = ""


@dataclass(frozen=True)
class Home:
    role: str
    title: str
    lead: str
    sections: list[Section]
