"""A stored explanation (the main contributing factors of a match's score) as sentences a person reads."""

from collections.abc import Callable
from typing import Any

from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from matching.explain import NEAR_KM


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def _distance(km: float) -> str:
    """As the library says it (``matching.explain.distance_sentences``): "in the need's grid" at 0 km, "under
    0.1 km" below 0.05 km (one decimal would print 0.0), else "2.1 km from the grid"."""
    if km <= 0:
        return _("in the need's grid")
    if km < NEAR_KM:
        return _("under 0.1 km from the grid")
    return _("%(km)s km from the grid") % {"km": f"{km:.1f}"}


# feature name -> sentence for its value; the matching library's own features and the seeded history's.
SENTENCES: dict[str, Callable[[float], str]] = {
    "text": lambda v: _("the texts are %(p)s alike") % {"p": _percent(v)},
    "category_match": lambda v: _("same category") if v >= 1 else _("a different category"),
    "kind_match": lambda v: _("the kind of resource asked for") if v >= 1 else _("another kind of resource"),
    "quantity_coverage": lambda v: _("covers %(p)s of what is still needed") % {"p": _percent(v)},
    "serves_grid": lambda v: _("serves the need's grid") if v >= 1 else _("does not list the need's grid"),
    "distance_km": lambda v: _distance(v),
    "skill_coverage": lambda v: _("has %(p)s of the required skills") % {"p": _percent(v)},
    "availability": lambda v: (
        _("available for the whole shift") if v >= 1 else _("available for %(p)s of the shift") % {"p": _percent(v)}
    ),
    "reliability": lambda v: _("completed %(p)s of past tasks") % {"p": _percent(v)},
    "capacity": lambda v: _("has %(p)s of the weekly hours left") % {"p": _percent(v)},
    "whole_project": lambda _v: _("takes on the whole project"),
}


def reasons_of(explanation: list[dict[str, Any]] | None) -> list[str]:
    """Sentences in the reader's language: the library's own wording when stored, else ours from the value."""
    sentences: list[str] = []
    locale = "en" if current_locale.get() == "en" else "zh"
    for part in explanation or []:
        if isinstance(part.get(locale), str):
            sentences.append(part[locale])
            continue
        feature, value = part.get("feature"), part.get("value")
        say = SENTENCES.get(str(feature))
        if say is not None and isinstance(value, int | float):
            sentences.append(say(float(value)))
    return sentences
