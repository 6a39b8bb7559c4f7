"""Explanations: the main contributing factors of a score, as sentences in Chinese and English."""

import unicodedata
from dataclasses import dataclass
from datetime import date

from matching.units import in_english


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor of a score: what it measured, how much it added, and what it means to a person."""

    feature: str
    value: float
    contribution: float
    zh: str
    en: str

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Ranked:
    """A candidate with its score and the reasons that contributed most, best first."""

    candidate_id: int
    score: float
    reasons: tuple[Reason, ...]


def skill_sentences(held: int, required: int) -> tuple[str, str]:
    """How many of a shift's required skills a volunteer has, in Chinese and English ("has the 1 required
    skill", "has all 3 required skills", "has 1 of the 2 required skills", "has none of the 2 required skills")."""
    noun = "skill" if required == 1 else "skills"
    if held >= required:
        if required == 1:
            return "具备所需的1项技能", "has the 1 required skill"
        return f"具备全部{required}项所需技能", f"has all {required} required skills"
    if held == 0:
        return f"不具备所需的{required}项技能", f"has none of the {required} required {noun}"
    return f"具备所需{required}项技能中的{held}项", f"has {held} of the {required} required {noun}"


# Below this many km a distance to the grid is no distance worth a number: the same grid, or next to it.
NEAR_KM = 0.05


def distance_sentences(km: float) -> tuple[str, str]:
    """How far from the need's grid, in Chinese and English: "2.1 km from the grid"; "in the grid" for the grid
    itself (0 km: the distance is measured between grid centres); "under 0.1 km from the grid" below 0.05 km,
    which one decimal would print as a misleading 0.0."""
    if km <= 0:
        return "就在项目网格内", "in the need's grid"
    if km < NEAR_KM:
        return "距项目网格不到0.1公里", "under 0.1 km from the grid"
    return f"距项目网格{km:.1f}公里", f"{km:.1f} km from the grid"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def quantity(value: float, unit: str) -> str:
    """5000 → "5,000"; 2.5 → "2.5"; with the unit as stored, the way Chinese writes it: "5,000 m²", "20套"."""
    if unit and unicodedata.east_asian_width(unit[0]) in ("W", "F"):
        return f"{_number(value)}{unit}"
    return f"{_number(value)} {unit}".strip()


def quantity_en(value: float, unit: str) -> str:
    """The amount as an English sentence says it, the unit by its English name: "20 sets", "5,000 m²", "1 lamp";
    a unit the unit table does not know, as stored."""
    said = in_english(value, unit)
    if said is None:
        return f"{_number(value)} {unit}".strip()
    amount, name = said
    return f"{_number(amount)} {name}"


def percent(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_month(day: date) -> tuple[str, str]:
    """A street day as both languages write it in a sentence: ("12月12日", "12 Dec")."""
    return f"{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]}"


def top_reasons(reasons: list[Reason], limit: int = 3) -> tuple[Reason, ...]:
    """The factors that added most to the score; factors that added nothing are not reasons."""
    helpful = [reason for reason in reasons if reason.contribution > 0]
    return tuple(sorted(helpful, key=lambda reason: reason.contribution, reverse=True)[:limit])
