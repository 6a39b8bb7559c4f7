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
