"""Reading a list page's filters from its query string: an empty value means "any"; a value the page cannot
use is an ``InvalidFilter`` naming the query parameter (400), as on the need board."""

from collections.abc import Mapping
from typing import Any

from marketplace.i18n import gettext as _
from marketplace.needs.board import InvalidFilter
from marketplace.whole_numbers import whole_number

MAX_QUERY = 100  # characters of a search


def one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    text = str(value or "").strip()
    if "\x00" in text:
        raise InvalidFilter(name, _("contains a NUL character"))
    return text


def number(params: Mapping[str, Any], name: str, *, maximum: int = 2**31 - 1) -> int | None:
    text = one(params, name)
    if not text:
        return None
    value = whole_number(text, minimum=0, maximum=maximum)
    if value is None:
        raise InvalidFilter(name, _("not a known value"))
    return value


def choice(params: Mapping[str, Any], name: str, allowed: Mapping[str, Any] | list[str]) -> str | None:
    text = one(params, name)
    if text and text not in allowed:
        raise InvalidFilter(name, _("not a known value; use one of: %(choices)s") % {"choices": ", ".join(allowed)})
    return text or None


def parse_search(params: Mapping[str, Any]) -> str | None:
    text = one(params, "q")
    if len(text) > MAX_QUERY:
        raise InvalidFilter("q", _("longer than %(max)d characters") % {"max": MAX_QUERY})
    return text or None


def yes_no(params: Mapping[str, Any], name: str) -> bool | None:
    answer = choice(params, name, ["yes", "no"])
    return None if answer is None else answer == "yes"


def like_pattern(text: str) -> str:
    """``%text%`` for ILIKE with the wildcards of the text itself escaped (by backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
