"""How well a candidate fits, in words: pages show a strength label, never the raw score.

Scores lie in [0, 1] for both the default scorer and the learned ranker (docs/matching.md), so one
set of thresholds serves every recommendation card. The API keeps returning the scores themselves.
"""

from dataclasses import dataclass

from marketplace.i18n import N_
from marketplace.i18n import gettext as _


@dataclass(frozen=True, slots=True)
class Strength:
    """A strength band: its CSS key and its label in the reader's language."""

    key: str
    label: str


# The lowest score of each band, strongest first; anything below the last is still a possible fit,
# since only candidates that passed every pre-filter are ranked at all.
BANDS: tuple[tuple[float, str, str], ...] = (
    (0.7, "strong", N_("Strong match")),
    (0.45, "good", N_("Good match")),
    (0.0, "possible", N_("Possible match")),
)


def strength(score: float) -> Strength:
    """The band a score falls in, labelled for the current request's language."""
    for floor, key, label in BANDS:
        if score >= floor:
            return Strength(key, _(label))
    _floor, key, label = BANDS[-1]
    return Strength(key, _(label))
