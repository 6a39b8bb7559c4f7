"""Column specifications: the header in both languages, how a cell is parsed, and how a row is written."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from marketplace.i18n import N_, current_locale
from marketplace.i18n import gettext as _
from marketplace.validation import has_control_characters
from marketplace.whole_numbers import decimal_number, whole_number


class CellProblem(ValueError):
    """A cell's value is wrong; ``reason`` is an English msgid shown translated, ``params`` fill it in."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params

    def message(self) -> str:
        return _(self.reason) % self.params if self.params else _(self.reason)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a list's file.

    ``name`` is the field it fills; a file's header row may use ``header_zh``, ``header_en`` or ``name``, or one
    of ``aliases``: a header the column had before it was renamed, so the files staff already hold still import.
    ``parse`` turns the cell's text (already stripped, never empty) into a value or raises ``CellProblem``;
    ``export`` reads the value to write from a row (any object the list passes to the writer).
    """

    name: str
    header_zh: str
    header_en: str
    parse: Callable[[str], Any]
    export: Callable[[Any], Any]
    required: bool = False
    example: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()

    def headers(self) -> set[str]:
        named = {self.header_zh, self.header_en, self.name, *self.aliases}
        return {header.strip().lower() for header in named}

    def shown_example(self) -> str:
        """The example as the reader would write it: a vocabulary's label in their language, not its code."""
        if self.example and isinstance(self.parse, Choice):
            return self.parse.label(self.example)
        return self.example


def header_for(column: ColumnSpec, language: str) -> str:
    return column.header_en if language == "en" else column.header_zh


# --- parsers shared by the lists ------------------------------------------------------------------------


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellProblem(N_("Longer than %(max)d characters."), max=max_length)
        if has_control_characters(value):  # the one rule of every text field, direction overrides included
            raise CellProblem(N_("Contains control characters."))
        return value

    return parse


def decimal(*, minimum: Decimal = Decimal(0), allow_zero: bool = True) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        # ASCII digits (whole_numbers): "１", "3_000", "+3", "1e3", "NaN" are no numbers here.
        cleaned = value.strip().replace(",", "").replace("，", "")
        number = decimal_number(cleaned.removeprefix("-"))
        if number is None:
            raise CellProblem(N_("Not a number."))
        number = -number if cleaned.startswith("-") else number
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            raise CellProblem(N_("Use a number with at most 2 decimal places."))
        if number < minimum or (number == 0 and not allow_zero):
            raise CellProblem(N_("Must be greater than 0.") if not allow_zero else N_("Must not be negative."))
        if number >= Decimal(10) ** 12:
            raise CellProblem(N_("Too large."))
        return number

    return parse


class Choice:
    """A value from a vocabulary: the stored code, or its label in either language."""

    def __init__(self, options: Callable[[], Sequence[tuple[str, str]]]) -> None:
        self.options = options
        self._known: dict[str, str] = {}  # every accepted spelling (lowercased) -> its code, built on first use

    def _spellings(self) -> dict[str, str]:
        if not self._known:
            for locale in ("en", "zh_CN"):  # a label is accepted in either language, whoever imports the file
                token = current_locale.set(locale)
                try:
                    pairs = list(self.options())
                finally:
                    current_locale.reset(token)
                for code, label in pairs:
                    self._known[str(label).lower()] = code
            self._known.update({code.lower(): code for code in list(self._known.values())})
        return self._known

    def __call__(self, value: str) -> str:
        found = self._spellings().get(value.strip().lower())
        if found is not None:
            return found
        # The labels in the importer's language (the codes are accepted too, but a reader knows the labels).
        separator = ", " if str(current_locale.get()).startswith("en") else "、"
        labels = separator.join(str(label) for _code, label in self.options())
        raise CellProblem(N_("Unknown value; use one of: %(choices)s."), choices=labels)

    def label(self, spelling: str) -> str:
        """Any accepted spelling as the reader's label (a code or the other language's label)."""
        code = self._spellings().get(spelling.strip().lower())
        return next((str(label) for value, label in self.options() if value == code), spelling)


def choice(options: Callable[[], Sequence[tuple[str, str]]]) -> Choice:
    return Choice(options)


def day(value: str) -> date:
    text_value = value.strip().split(" ")[0].split("T")[0].replace("/", "-").replace(".", "-")
    parts = [whole_number(part, minimum=0, maximum=9999) for part in text_value.split("-")]
    try:
        return date(*parts)  # type: ignore[misc]  # None or too few parts: a TypeError
    except (ValueError, TypeError):
        raise CellProblem(N_("Not a date; write it as 2026-12-31.")) from None
