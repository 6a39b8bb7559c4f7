"""The need form's fields in, validated input models (or one message per field) out.

Resource lines and shifts are numbered rows (``line-0-quantity``, ``shift-1-starts_at``); a row left
wholly empty is ignored, so the form can always offer empty rows. Each row is validated on its own
model, so its messages land next to its own fields.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from marketplace.forms import field_errors, many, one
from marketplace.i18n import gettext as _
from marketplace.masking import mask_phone
from marketplace.needs.models import Need
from marketplace.needs.schemas import NeedCreate, NeedUpdate, ResourceLineCreate, ShiftCreate
from marketplace.validation import STREET_TZ
from marketplace.whole_numbers import whole_number

NEED_FIELDS = (
    "title",
    "description",
    "category",
    "grid_id",
    "channel",
    "urgency",
    "due_date",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_address",
)
LINE_FIELDS = ("kind", "category", "description", "quantity", "unit")
SHIFT_FIELDS = ("title", "location", "starts_at", "ends_at", "slots")
# Fields that say nothing by themselves: a row with only these is still empty.
SHIFT_DEFAULTS = ("confirm", "skill_ids")
DEFAULT_LINE_ROWS, DEFAULT_SHIFT_ROWS, MAX_ROWS = 2, 1, 50
EDITABLE = ("title", "description", "category", "grid_id", "urgency", "due_date", *NEED_FIELDS[7:])


def _messages() -> dict[str, str]:
    """Pydantic error types and our validators' reasons, as a person reads them."""
    return {
        "decimal_parsing": _("Enter a number, such as 30 or 2.5."),
        "decimal_type": _("Enter a number, such as 30 or 2.5."),
        "greater_than": _("Must be more than zero."),
        "decimal_max_digits": _("This number is too large."),
        "decimal_max_places": _("Use at most two decimal places."),
        "date_from_datetime_parsing": _("Enter a date."),
        "date_parsing": _("Enter a date."),
        "date_type": _("Enter a date."),
        "datetime_parsing": _("Enter a date and time."),
        "datetime_from_date_parsing": _("Enter a date and time."),
        "datetime_type": _("Enter a date and time."),
        "timezone_aware": _("Enter a date and time."),
        "must not be in the past": _("The due date must not be in the past."),
        "must be after starts_at": _("The end must be after the start."),
        "a shift lasts at most 24 hours": _("A shift lasts at most 24 hours."),
        "must be in the future": _("The shift must end in the future."),
    }


def errors_of(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """One message per field: the shared wording, or ours where the shared one would be raw English."""
    errors = field_errors(error, prefix)
    known = _messages()
    for item in error.errors():
        key = prefix + str((item.get("loc") or ("",))[0])
        reason = str(item.get("msg", "")).rsplit(": ", 1)[-1]
        better = known.get(item.get("type", "")) or known.get(reason)
        if better and errors.get(key) not in (None, _("This field is required.")):
            errors[key] = better
    return errors


def _validate(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(values), {}
    except ValidationError as error:
        return None, errors_of(error, prefix)


def _local(text: str, kind: type) -> Any:
    """A date or datetime-local field (the street's clock) as a date or an aware instant; raw if unreadable."""
    if not text:
        return None
    try:
        if kind is date:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).replace(tzinfo=STREET_TZ)
    except ValueError:
        return text  # the model refuses it and names the field


def _rows(form: dict[str, Any], name: str, default: int) -> int:
    text = one(form, f"{name}_rows").strip()
    count = whole_number(text, minimum=0)
    return max(1, min(default if count is None else count, MAX_ROWS))


@dataclass
class NeedForm:
    """What the form shows: the values typed (strings), the row counts and the messages per field."""

    values: dict[str, Any]
    lines: list[dict[str, str]] = field(default_factory=list)
    shifts: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    # The need's fields the request carried; an edit leaves the others as they are.
    sent: frozenset[str] = frozenset(NEED_FIELDS)

    @classmethod
    def empty(cls, *, line_rows: int = DEFAULT_LINE_ROWS, **values: Any) -> "NeedForm":
        blank_shift = {"confirm": "at_once", "skill_ids": []}
        return cls(
            values={"urgency": "normal"} | values,
            lines=[{} for _ in range(line_rows)],
            shifts=[dict(blank_shift) for _ in range(DEFAULT_SHIFT_ROWS)],
        )

    @classmethod
    def of(cls, form: dict[str, Any]) -> "NeedForm":
        values = {name: one(form, name).strip() for name in NEED_FIELDS}
        values["version"] = one(form, "version").strip()
        lines = [
            {name: one(form, f"line-{i}-{name}").strip() for name in LINE_FIELDS}
            for i in range(_rows(form, "line", DEFAULT_LINE_ROWS))
        ]
        shifts = []
        for i in range(_rows(form, "shift", DEFAULT_SHIFT_ROWS)):
            row: dict[str, Any] = {name: one(form, f"shift-{i}-{name}").strip() for name in SHIFT_FIELDS}
            row["confirm"] = one(form, f"shift-{i}-confirm") or "at_once"
            row["skill_ids"] = many(form, f"shift-{i}-skill_ids")
            shifts.append(row)
        return cls(values=values, lines=lines, shifts=shifts, sent=frozenset(NEED_FIELDS) & set(form))

    def add_row(self, which: str) -> None:
        """The no-JavaScript "add another" buttons: one more empty row, nothing saved."""
        if which == "line" and len(self.lines) < MAX_ROWS:
            self.lines.append({})
        elif which == "shift" and len(self.shifts) < MAX_ROWS:
            self.shifts.append({"confirm": "at_once", "skill_ids": []})

    def line_models(self) -> list[ResourceLineCreate]:
        models = []
        for i, row in enumerate(self.lines):
            if not any(row.get(name) for name in LINE_FIELDS):
                continue
            model, errors = _validate(ResourceLineCreate, {k: v for k, v in row.items() if v}, f"line-{i}-")
            self.errors |= errors
            if model is not None:
                models.append(model)
        return models

    def shift_models(self) -> list[ShiftCreate]:
        models = []
        for i, row in enumerate(self.shifts):
            if not any(row.get(name) for name in SHIFT_FIELDS):
                continue
            data = {name: row[name] for name in ("title", "location", "slots") if row.get(name)}
            for name in ("starts_at", "ends_at"):
                if row.get(name):
                    data[name] = _local(row[name], datetime)
            data |= {"requires_approval": row.get("confirm") == "after_approval", "skill_ids": row["skill_ids"]}
            model, errors = _validate(ShiftCreate, data, f"shift-{i}-")
            self.errors |= errors
            if model is not None:
                models.append(model)
        return models

    def _need_values(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: value for name, value in self.values.items() if value and name in NEED_FIELDS}
        if "due_date" in data:
            data["due_date"] = _local(data["due_date"], date)
        return data

    def to_create(self) -> NeedCreate | None:
        """The need with its lines and shifts, or None with ``errors`` filled."""
        lines, shifts = self.line_models(), self.shift_models()
        model, errors = _validate(NeedCreate, self._need_values() | {"resource_lines": [], "shifts": []})
        self.errors |= errors
        if model is None or self.errors:
            return None
        return model.model_copy(update={"resource_lines": lines, "shifts": shifts})

    def to_update(self, current: Need) -> NeedUpdate | None:
        """The fields that differ from ``current``, with the version the editor saw."""
        data = self._need_values()
        changes: dict[str, Any] = {"version": self.values.get("version") or None}
        for name in EDITABLE:
            if name not in self.sent:
                continue
            typed, stored = data.get(name), getattr(current, name)
            if name == "beneficiary_phone" and stored and typed == mask_phone(stored):
                continue  # the form shows the phone masked: sent back unchanged, the stored number stays
            shown = stored.value if hasattr(stored, "value") else stored
            if str(typed if typed is not None else "") != str(shown if shown is not None else ""):
                changes[name] = typed if typed is not None else (None if name in NeedUpdate.clearable else "")
        model, errors = _validate(NeedUpdate, changes)
        self.errors |= errors
        return model if not self.errors else None


def values_of(need: Need) -> dict[str, Any]:
    """A stored need as the form shows it: the resident's phone masked (showing it in full is an audited act)."""
    values: dict[str, Any] = {}
    for name in NEED_FIELDS:
        value = getattr(need, name)
        values[name] = "" if value is None else (value.value if hasattr(value, "value") else str(value))
    values["beneficiary_phone"] = mask_phone(need.beneficiary_phone) or ""
    values["version"] = str(need.version)
    return values


def _labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "description": _("Description"),
        "category": _("Category"),
        "grid_id": _("Grid"),
        "channel": _("Intake channel"),
        "urgency": _("Urgency"),
        "due_date": _("Due date"),
        "beneficiary_name": _("Resident's name"),
        "beneficiary_phone": _("Resident's phone"),
        "beneficiary_address": _("Resident's address"),
        "version": _("Version"),
        "kind": _("Kind"),
        "quantity": _("Quantity"),
        "unit": _("Unit"),
        "location": _("Location"),
        "starts_at": _("Start"),
        "ends_at": _("End"),
        "slots": _("Slots"),
        "skill_ids": _("Required skills"),
        "still_needed": _("Still needed"),
    }


def _order(key: str) -> tuple[int, int, int]:
    """Where a field sits in the form: the need's fields, then line rows, then shift rows."""
    parts = key.split("-")
    row = whole_number(parts[1], minimum=0) if len(parts) == 3 else None
    if row is not None:
        fields = LINE_FIELDS if parts[0] == "line" else SHIFT_FIELDS + SHIFT_DEFAULTS
        place = fields.index(parts[2]) if parts[2] in fields else len(fields)
        return (1 if parts[0] == "line" else 2, row, place)
    return (0, NEED_FIELDS.index(key) if key in NEED_FIELDS else len(NEED_FIELDS), 0)


def field_labels(errors: dict[str, str], **overrides: str) -> dict[str, str]:
    """Each field with a message, in form order, named as the form labels it ("Resource line 2: Quantity")."""
    labels = _labels() | overrides
    named: dict[str, str] = {}
    for key in sorted(errors, key=_order):
        parts = key.split("-")
        row = whole_number(parts[1], minimum=0) if len(parts) == 3 else None
        if row is not None:
            group = _("Resource line %(n)d") if parts[0] == "line" else _("Shift %(n)d")
            named[key] = f"{group % {'n': row + 1}}: {labels.get(parts[2], parts[2])}"
        else:
            named[key] = labels.get(key, key)
    return named
