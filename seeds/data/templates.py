"""The shapes of curated entries: needs with their resource lines and shifts, offers, partner profiles."""

from dataclasses import dataclass

from marketplace.vocabulary import Category, ResourceKind


@dataclass(frozen=True)
class LineTemplate:
    """A resource a need asks for; offers with the same unit can serve it."""

    kind: ResourceKind
    category: Category
    item: str
    unit: str
    low: int
    high: int
    step: int = 1


@dataclass(frozen=True)
class ShiftTemplate:
    """A volunteer shift: local start times (minutes from midnight), length, slots and required skills."""

    title: str
    hours: float
    slots: tuple[int, int]
    skills: tuple[str, ...] = ()
    starts: tuple[int, ...] = (540, 870)


@dataclass(frozen=True)
class NeedTemplate:
    """A need as residents report it; ``{compound}``, ``{building}``, ``{community}``, ``{road}`` are filled in."""

    category: Category
    title: str
    title_en: str
    description: str
    description_en: str
    lines: tuple[LineTemplate, ...] = ()
    shifts: tuple[ShiftTemplate, ...] = ()


@dataclass(frozen=True)
class OfferTemplate:
    """An item of a partner's resource list."""

    key: str
    kind: ResourceKind
    category: Category
    title: str
    title_en: str
    description: str
    unit: str
    low: int
    high: int
    step: int = 1


@dataclass(frozen=True)
class OrganizationProfile:
    """A line of business: how organizations of it are named and what they offer."""

    key: str
    kind: str
    name: str
    name_en: str
    offers: tuple[str, ...]
    description: str = ""
