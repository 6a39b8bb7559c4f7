"""HTML forms of every domain: form fields in, validated models or per-field messages out (in the reader's language)."""

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body
from pydantic import BaseModel, ValidationError

from marketplace.i18n import N_
from marketplace.i18n import gettext as _

# Messages of the shared validators (marketplace/validation.py), shown translated next to the field.
_KNOWN_MESSAGES = {
    "is not a Chinese mobile number (1[3-9] and 9 more digits) or landline (0532-82861234)": N_(
        "Enter a mobile number (11 digits starting with 1) or a landline such as 0532-82861234."
    ),
    "must be 3 to 64 characters: a letter, then letters, digits, '_', '.' or '-'": N_(
        "3 to 64 characters: a letter first, then letters, digits, '_', '.' or '-'."
    ),
    "must be a single line": N_("Must be a single line."),
    "must not contain control characters": N_("Must not contain control characters."),
    "overlaps another window of the same day": N_("Overlaps another window of the same day."),
    "must be true for the party_member segment": N_("Tick “party member” for the party member group."),
}


def _bound_message(kind: str, context: dict[str, Any]) -> str | None:
    """A number outside its range, said with the bound it crossed ("at least 1"), not "choose a valid value":
    the person typed a number and needs to know which numbers are accepted."""
    for error, key, message in (
        ("greater_than_equal", "ge", N_("Enter a number of at least %(limit)s.")),
        ("greater_than", "gt", N_("Enter a number greater than %(limit)s.")),
        ("less_than_equal", "le", N_("Enter a number of at most %(limit)s.")),
        ("less_than", "lt", N_("Enter a number less than %(limit)s.")),
    ):
        if kind == error and key in context:
            return _(message) % {"limit": context[key]}
    return None


def message(item: Any) -> str:
    kind = item.get("type", "")
    minimum = (item.get("ctx") or {}).get("min_length", 1)
    if kind in ("string_too_short", "too_short") and minimum > 1:
        return _("Use at least %(count)d characters.") % {"count": minimum}
    if kind in ("missing", "string_too_short", "too_short"):
        return _("This field is required.")
    if kind in ("string_too_long", "too_long"):
        return _("This is too long.")
    bound = _bound_message(kind, item.get("ctx") or {})
    if bound is not None:
        return bound
    if kind in ("int_parsing", "int_type", "enum", "literal_error", "bool_parsing"):
        return _("Choose a valid value.")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        # A quantity or an hour count typed as text that is no number ("abc", "１", "1e3").
        return _("Enter a number, such as 12 or 3.5.")
    text = str(item.get("msg", ""))
    text = text.removeprefix("Value error, ")
    for english, message in _KNOWN_MESSAGES.items():
        if english in text:
            return _(message)
    return text


def field_errors(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """The first problem of each field, keyed by field name (nested locations use their first part)."""
    errors: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc") or ("",)
        key = prefix + str(location[0])
        errors.setdefault(key, message(item))
    return errors


def validate(model: type[BaseModel], values: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The model built from ``values``, or None and the messages per field."""
    try:
        return model.model_validate(values), {}
    except ValidationError as error:
        return None, field_errors(error)


FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def many(form: dict[str, Any], name: str) -> list[Any]:
    """A multi-select's or checkbox group's values (one value arrives as a plain string)."""
    raw = form.get(name, [])
    values = raw if isinstance(raw, list) else [raw]
    result: list[Any] = []
    for value in values:
        text = str(value).strip()
        if text:
            # ASCII digits only: isdigit() accepts "¹", which int() refuses (a 500); the schema bounds the number.
            result.append(int(text) if text.isascii() and text.isdigit() else text)
    return result


def one(form: dict[str, Any], name: str) -> str:
    """A single field's value ("" when missing; the last one when sent twice)."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)
