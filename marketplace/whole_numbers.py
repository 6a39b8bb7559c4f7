"""A whole number as a person or a form typed it (an id, a page number): ASCII digits only, within bounds.

``str.isdigit()`` alone is not enough: it accepts superscripts ("²"), which ``int()`` refuses (a 500 where a
400 naming the field belongs), and other scripts' digits ("１", "٣"), which ``int()`` reads as numbers nobody
meant. Every parser of a typed id or page number goes through ``whole_number``.
"""

MAX_ID = 2**31 - 1  # an INTEGER column


def whole_number(text: str | None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` spells in ASCII digits, between ``minimum`` and ``maximum``; else None."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
