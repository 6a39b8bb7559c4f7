"""Building blocks of the validated input models (``*/schemas.py``): text, phones, e-mails, ids, quantities.

Table models do not validate; every byte from outside goes through a model built from these types.
Each rule names the field it broke in pydantic's error location, which Litestar returns as a 400.
"""

import re
from collections.abc import Hashable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from matching.units import canonical as canonical_unit

# PostgreSQL INTEGER: a larger id or count would be a 500 from the database, not a 400.
MAX_INT = 2_147_483_647
MIN_INT = -MAX_INT - 1
# The streets are in China (UTC+8, no daylight saving): "today" for due dates is their today.
STREET_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class InputModel(BaseModel):
    """Base of every Create/Update model."""

    # Unknown keys are ignored rather than refused: HTML forms post their CSRF token alongside.
    model_config = ConfigDict(extra="ignore")


class UpdateModel(InputModel):
    """A partial update: only the fields the client sent are applied.

    Every field is optional, but an explicit null only clears a column listed in ``clearable``;
    a null title or quantity would otherwise reach a NOT NULL column.
    """

    clearable: ClassVar[frozenset[str]] = frozenset()
    # Fields that are not columns of the row: the lock version, id lists kept in link tables.
    not_columns: ClassVar[frozenset[str]] = frozenset({"version"})

    @model_validator(mode="after")
    def _nulls_only_where_clearable(self) -> Self:
        for name in sorted(self.model_fields_set - self.clearable - {"version"}):
            if getattr(self, name) is None:
                raise field_error(type(self), name, "may not be null", None)
        return self

    def changes(self) -> dict[str, Any]:
        """The columns the client sent, with their new values."""
        return self.model_dump(include=self.model_fields_set - self.not_columns)

    def apply_to(self, row: Any) -> dict[str, Any]:
        """Check the row as it would be after the update, then set the changed columns; return them.

        Rules across fields (remaining within quantity, end after start) are checked on the merged
        values, so a partial update cannot break them either. Raises ``ValidationError``.
        """
        changes = self.changes()
        merged = {name: getattr(row, name, None) for name in type(self).model_fields} | changes
        self.check_merged(merged, row)
        for name, value in changes.items():
            setattr(row, name, value)
        return changes

    def check_merged(self, values: dict[str, Any], row: Any) -> None:
        """Rules across fields on the merged values (``row`` is unchanged yet); domains override it."""


Location = str | tuple[str | int, ...]


def field_error(model: type[BaseModel], field: Location, message: str, value: Any) -> ValidationError:
    """A ``ValidationError`` at ``field`` (a name, or a path such as ``("availability", 2)``).

    Shaped like the errors request validation raises, and raised from a model validator it keeps its
    location, nested under the parent's when the model is part of a larger one.
    """
    loc = (field,) if isinstance(field, str) else field
    name = ".".join(str(part) for part in loc)
    detail: InitErrorDetails = {
        "type": PydanticCustomError("value_error", "{field}: {reason}", {"field": name, "reason": message}),
        "loc": loc,
        "input": value,
    }
    return ValidationError.from_exception_data(model.__name__, [detail])


# --- text ---------------------------------------------------------------------------------------------

# Control characters, and the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069): typed into a name or a title, these turn the text after them around on every page that
# shows it (a volunteer's certificate read "92 hours" for 29; fourth probe, docs/SECURITY.md). Nobody types
# them into a form; Arabic or Hebrew text needs none of them (the marks U+200E/U+200F stay allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def invalid(reason: str) -> PydanticCustomError:
    """An error for a value that breaks a rule; pydantic adds the field's location."""
    return PydanticCustomError("invalid", reason)


def has_control_characters(value: str) -> bool:
    """Whether text holds what no field may: control characters or direction overrides (the one rule)."""
    return _CONTROL.search(value) is not None


def _no_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text; other control characters are never meant in a form field.
    if has_control_characters(value):
        raise invalid("must not contain control characters")
    return value


def _single_line(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise invalid("must be a single line")
    return value


def _blank_to_none(value: Any) -> Any:
    # An empty optional form input arrives as "": it means "not given".
    return None if isinstance(value, str) and not value.strip() else value


def line(max_length: int, *, min_length: int = 1) -> Any:
    """A trimmed single line of text, non-empty unless ``min_length=0``."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
        AfterValidator(_single_line),
    ]


def text(max_length: int, *, min_length: int = 0) -> Any:
    """Trimmed free text that may span lines (descriptions, notes)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


def optional(annotation: Any) -> Any:
    """``annotation | None`` where a blank string counts as None."""
    return Annotated[annotation | None, BeforeValidator(_blank_to_none)]


Title = line(200)
Reason = text(500, min_length=1)
# A unit is stored as the unit table spells it (平方米, ㎡, sqm → m²; kg → 公斤), so offers and lines compare
# (matching.units); a unit the table does not know is kept as written. Never empty.
Unit = Annotated[line(32), AfterValidator(canonical_unit)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]


# --- people and contacts ------------------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
# Area code (010, 021, 0532, ...), an optional hyphen, a 7- or 8-digit local number, optional extension.
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(?:-\d{1,6})?$")


def _phone(value: str) -> str:
    compact = re.sub(r"[\s()]", "", value)
    if mobile := _MOBILE.match(compact.replace("-", "")):
        return mobile.group(1)
    if _LANDLINE.match(compact):
        return compact
    raise invalid("is not a Chinese mobile number (1[3-9] and 9 more digits) or landline (0532-82861234)")


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]

# Deliberately simple (no email-validator dependency): one @, a sane local part, a dotted domain.
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise invalid("is not an e-mail address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")


def _username(value: str) -> str:
    if not _USERNAME.match(value):
        raise invalid("must be 3 to 64 characters: a letter, then letters, digits, '_', '.' or '-'")
    return value


# Lower case, so "Alice" and "alice" can never be two accounts.
Username = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True), AfterValidator(_username)]


# --- numbers, ids, times -------------------------------------------------------------------------------

# A number sent as text (a form field, a JSON string) is written in the digits 0-9: pydantic's lax mode would
# read "3_000" and "+3" and, for decimals and floats, "１", "٣" and "1e3" as numbers (marketplace.whole_numbers).
# Refused as pydantic refuses "abc" in the field (the same error type, so forms and the API say it alike).
_TYPED_INTEGER = re.compile(r"-?[0-9]+")
_TYPED_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NOT_FINITE = frozenset({"nan", "inf", "infinity"})


def _digits(pattern: re.Pattern[str], kind: str, message: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return value
        text = value.strip()
        if text.lower().lstrip("+-") in _NOT_FINITE:
            return text  # pydantic's own answer: "should be a finite number"
        if pattern.fullmatch(text) is None:
            raise PydanticCustomError(kind, message)
        return text

    check.typed_digits = True  # type: ignore[attr-defined]  # found by tests/test_typed_numbers_int_sweep.py
    return BeforeValidator(check)


# Every int, float or Decimal field of an input model carries one of these (directly or through the types below).
TYPED_INTEGER = _digits(
    _TYPED_INTEGER, "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
)
TYPED_DECIMAL = _digits(_TYPED_DECIMAL, "decimal_parsing", "Input should be a valid decimal")
TYPED_FLOAT = _digits(
    _TYPED_DECIMAL, "float_parsing", "Input should be a valid number, unable to parse string as a number"
)

Id = Annotated[int, Field(ge=1, le=MAX_INT), TYPED_INTEGER]
Count = Annotated[int, Field(ge=0, le=MAX_INT), TYPED_INTEGER]
# The row version an editor saw: an update of a row changed since is refused (optimistic locking).
Version = Annotated[int, Field(ge=1, le=MAX_INT), TYPED_INTEGER]
# NUMERIC(14, 2) columns: at most 12 digits before the point and 2 after; NaN and infinity are refused.
# A hundred million of anything (bricks, yuan, m²) is more than a street ever trades; more is a typo or a probe.
MAX_QUANTITY = Decimal(100_000_000)
Quantity = Annotated[Decimal, Field(gt=0, le=MAX_QUANTITY, max_digits=14, decimal_places=2), TYPED_DECIMAL]
NonNegativeQuantity = Annotated[Decimal, Field(ge=0, le=MAX_QUANTITY, max_digits=14, decimal_places=2), TYPED_DECIMAL]


def _unique(values: Sequence[Hashable]) -> Sequence[Hashable]:
    seen: set[Hashable] = set()
    duplicates = [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]
    if duplicates:
        raise invalid(f"must not repeat {sorted(set(duplicates))!r}")
    return values


IdList = Annotated[list[Id], Field(max_length=500), AfterValidator(_unique)]
NonEmptyIdList = Annotated[list[Id], Field(min_length=1, max_length=500), AfterValidator(_unique)]


# Every date and instant from outside lies in these years, so shifting one by any UTC offset or a few days
# (street days, exports, "until the end of that day") can never overflow Python's year 1..9999.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_UTC_OFFSET = timedelta(hours=14)


def _in_years(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise invalid(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")


def _to_utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise invalid("must have a UTC offset between -14:00 and +14:00")
    _in_years(value)  # checked on the local clock reading, before converting can overflow
    return value.astimezone(UTC)


def sane_day(value: date) -> date:
    """``value`` if it lies in the accepted years, else an error for pydantic to place."""
    _in_years(value)
    return value


# Naive datetimes are refused (whose clock would they be?); aware ones are stored in UTC.
UTCDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
# A calendar day (due dates, street days) within the same years.
Day = Annotated[date, AfterValidator(sane_day)]


def years_ahead(years: int) -> timedelta:
    return timedelta(days=365 * years + years // 4)


def at_most_years_ahead(years: int) -> AfterValidator:
    """Refuse a day or instant more than ``years`` ahead of now (a shift in 2099 is a typo)."""

    def check(value: date | datetime | None) -> date | datetime | None:
        if value is None:
            return value
        limit = utc_now() + years_ahead(years) if isinstance(value, datetime) else street_today() + years_ahead(years)
        if value > limit:
            raise invalid(f"must be at most {years} years ahead")
        return value

    return AfterValidator(check)


def at_most_years_back(years: int) -> AfterValidator:
    """Refuse a day or instant more than ``years`` before now."""

    def check(value: date | datetime | None) -> date | datetime | None:
        if value is None:
            return value
        limit = utc_now() - years_ahead(years) if isinstance(value, datetime) else street_today() - years_ahead(years)
        if value < limit:
            raise invalid(f"must be at most {years} years ago")
        return value

    return AfterValidator(check)


def street_today() -> date:
    """Today's date where the streets are."""
    return datetime.now(STREET_TZ).date()


def utc_now() -> datetime:
    return datetime.now(UTC)


def one_of(*allowed: StrEnum) -> AfterValidator:
    """Accept only some members of an enum (a decision may not set every status)."""

    def check(value: StrEnum) -> StrEnum:
        if value not in allowed:
            raise invalid(f"must be one of {', '.join(member.value for member in allowed)}")
        return value

    return AfterValidator(check)


def require(condition: bool, model: type[BaseModel], field: str, message: str, value: Any) -> None:
    """Raise a validation error naming ``field`` unless ``condition`` holds (for checks across fields)."""
    if not condition:
        raise field_error(model, field, message, value)
