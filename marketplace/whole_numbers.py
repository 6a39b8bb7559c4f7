"""Numbers as a person or a form typed them (an id, a page number, a count, a quantity): ASCII digits only.

``str.isdigit()`` alone is not enough: it accepts superscripts ("²"), which ``int()`` refuses (a 500 where a
400 naming the field belongs), and other scripts' digits ("１", "٣"), which ``int()`` reads as numbers nobody
meant. ``int()``, ``float()`` and ``Decimal()`` are looser still: each takes " 3 ", "+3", "3_000" and other
scripts' digits, ``float()`` and ``Decimal()`` also "1e3", "nan" and "inf". Every reader of typed text goes
through ``whole_number`` (ids, pages, counts) or ``decimal_number`` (quantities, rates, scores): what they
refuse is None, and the caller answers a 4xx naming the field (tests/test_typed_numbers_int_sweep.py holds the
app to it). The caller trims the surrounding spaces of a form field, as for any text; inside, nothing but
"0"-"9" (and one "." in a decimal).
"""

import re
from decimal import Decimal
from typing import Any

import click

MAX_ID = 2**31 - 1  # an INTEGER column
# Long enough for any quantity; the caller bounds the value (NUMERIC(14, 2) columns hold 12 digits before the point).
_DECIMAL = re.compile(r"[0-9]{1,30}(?:\.[0-9]{1,30})?")


def whole_number(text: str | None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` spells in ASCII digits, between ``minimum`` and ``maximum``; else None."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def decimal_number(text: str | None, *, places: int | None = None) -> Decimal | None:
    """The non-negative number ``text`` spells in ASCII digits with at most one ".", and at most ``places``
    digits after it; else None (no sign, exponent, underscore, space, NaN or infinity)."""
    if not text or _DECIMAL.fullmatch(text) is None:
        return None
    if places is not None and "." in text and len(text.partition(".")[2]) > places:
        return None
    return Decimal(text)


def has_other_digits(text: str) -> bool:
    """Whether ``text`` holds a digit that is not ASCII ("２", "٣", "¹"): the form then says which digits it reads."""
    return any(char.isdigit() and not char.isascii() for char in text)


def is_plain_integer(text: str) -> bool:
    """Whether ``text`` is an integer as a program writes one: ASCII digits, perhaps after a "-"."""
    digits = text.removeprefix("-")
    return bool(digits) and digits.isascii() and digits.isdigit()


class TypedNumber(click.ParamType):
    """A command-line number read like a typed one (``click.IntRange`` and ``FloatRange`` use ``int()``/``float()``,
    which take "１", "٣", "+3" and "3_000"): ASCII digits, within ``minimum``..``maximum``."""

    name = "number"

    def __init__(self, minimum: float, maximum: float, *, whole: bool = True) -> None:
        self.minimum, self.maximum, self.whole = minimum, maximum, whole

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number: Any = value
        elif self.whole:
            number = whole_number(str(value), minimum=0, maximum=2**63)
        else:
            found = decimal_number(str(value))
            number = None if found is None else float(found)
        if number is None:
            kind = "whole number" if self.whole else "number"
            self.fail(f"{value!r} is not a {kind} written in the digits 0-9", param, ctx)
        if not self.minimum <= number <= self.maximum:
            self.fail(f"{value!r} is not between {self.minimum} and {self.maximum}", param, ctx)
        return number
