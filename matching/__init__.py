"""The matching library: plain records in, ranked and explained candidates out.

It imports nothing from the web application, Litestar or SQLModel; the application adapts its
rows into the records of ``matching.records``.

The names below are loaded on first use (PEP 562): ``import matching.exploration`` (the settings do)
must not pull in scikit-learn and SciPy, which take seconds to import, for a command that never ranks.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matching.explain import Ranked, Reason
    from matching.offers import OfferIndex
    from matching.records import GridPoint, LineNeed, Offer, ShiftNeed, Volunteer, WeeklyWindow
    from matching.text import TextSpace
    from matching.volunteers import DEFAULT_WEIGHTS, VolunteerIndex

# name → the module that defines it
_LAZY = {
    "Ranked": "matching.explain",
    "Reason": "matching.explain",
    "OfferIndex": "matching.offers",
    "GridPoint": "matching.records",
    "LineNeed": "matching.records",
    "Offer": "matching.records",
    "ShiftNeed": "matching.records",
    "Volunteer": "matching.records",
    "WeeklyWindow": "matching.records",
    "TextSpace": "matching.text",
    "DEFAULT_WEIGHTS": "matching.volunteers",
    "VolunteerIndex": "matching.volunteers",
}

__all__ = [
    "DEFAULT_WEIGHTS",
    "GridPoint",
    "LineNeed",
    "Offer",
    "OfferIndex",
    "Ranked",
    "Reason",
    "ShiftNeed",
    "TextSpace",
    "Volunteer",
    "VolunteerIndex",
    "WeeklyWindow",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
