"""Reading a list page's filters from its query string: an empty value means "any"; a value the page cannot
use is an ``InvalidFilter`` naming the query parameter (400), as on the need board."""

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.whole_numbers import decimal_number, whole_number

# Ids and page numbers are 32-bit integers in PostgreSQL; a bigger one is a client error, not a 500.
MAX_ID = 2**31 - 1


class InvalidFilter(ValueError):
    """A filter value a list cannot use; ``parameter`` names the query parameter."""

    # Read by the error logging: the client's 400, not a server error to log with a traceback.
    status_code = 400

    def __init__(self, parameter: str, message: str, code: str = "invalid_filter") -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        # Stable, whatever the language (docs/api_refusals.md): ``not_a_choice``, ``too_long``, ...
        self.code = code


def invalid_filter_response(request: Request[Any, Any, Any], exc: InvalidFilter) -> Response[dict[str, Any]]:
    """The JSON APIs' 400 for a filter they cannot use, in the shape of Litestar's own validation errors: the
    parameter, its code and the problem in the reader's language (a message kept untranslated, ``N_``, is said
    here)."""
    current_locale.set(request.scope.get("state", {}).get("locale") or current_locale.get())
    return Response(
        content={
            "status_code": HTTP_400_BAD_REQUEST,
            "detail": _("Invalid query parameter: %(parameter)s") % {"parameter": exc.parameter},
            "extra": [{"key": exc.parameter, "message": _(exc.message), "source": "query", "code": exc.code}],
        },
        status_code=HTTP_400_BAD_REQUEST,
    )


MAX_QUERY = 100  # characters of a search


def one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    text = str(value or "").strip()
    if "\x00" in text:
        raise InvalidFilter(name, _("contains a NUL character"), "control_characters")
    return text


def number(params: Mapping[str, Any], name: str, *, maximum: int = 2**31 - 1) -> int | None:
    text = one(params, name)
    if not text:
        return None
    value = whole_number(text, minimum=0, maximum=maximum)
    if value is None:
        raise InvalidFilter(name, _("not a known value"), "out_of_range")
    return value


def check_typed_number(name: str, text: str) -> None:
    """A float or Decimal query value as Litestar would read it: written in the digits 0-9, perhaps after "-",
    with one "." (``whole_numbers.decimal_number``); "1e3", "inf", "nan", "１" and "+3" are a 400 naming the
    parameter, in the reader's language and in the shape of ``invalid_filter_response``. Empty is "not given"."""
    if not text or decimal_number(text.removeprefix("-")) is not None:
        return
    said = _("not a number: write it in the digits 0-9, such as 12 or 3.5")
    raise ValidationException(
        detail=_("Invalid query parameter: %(parameter)s") % {"parameter": name},
        extra=[{"key": name, "message": said, "source": "query", "code": "wrong_type"}],
    )


def choice(params: Mapping[str, Any], name: str, allowed: Mapping[str, Any] | list[str]) -> str | None:
    text = one(params, name)
    if text and text not in allowed:
        said = _("not a known value; use one of: %(choices)s") % {"choices": ", ".join(allowed)}
        raise InvalidFilter(name, said, "not_a_choice")
    return text or None


def parse_search(params: Mapping[str, Any]) -> str | None:
    text = one(params, "q")
    if len(text) > MAX_QUERY:
        raise InvalidFilter("q", _("longer than %(max)d characters") % {"max": MAX_QUERY}, "too_long")
    return text or None


def yes_no(params: Mapping[str, Any], name: str) -> bool | None:
    answer = choice(params, name, ["yes", "no"])
    return None if answer is None else answer == "yes"


def like_pattern(text: str) -> str:
    """``%text%`` for ILIKE with the wildcards of the text itself escaped (by backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
