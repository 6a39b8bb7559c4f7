"""Validated input for needs (the need list): intake, edits, lines, shifts, decisions, escalation, feedback."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, model_validator

from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedIntake, ResourceLine, Shift
from marketplace.validation import (
    TYPED_INTEGER,
    Day,
    Id,
    IdList,
    InputModel,
    NonNegativeQuantity,
    Phone,
    Quantity,
    Reason,
    Title,
    Unit,
    UpdateModel,
    UTCDatetime,
    Version,
    at_most_years_ahead,
    at_most_years_back,
    line,
    optional,
    require,
    street_today,
    text,
    utc_now,
)
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency

# A shift is a stretch of work somebody turns up for, not a campaign; hours are credited from it.
MAX_SHIFT_LENGTH = timedelta(hours=24)
Slots = Annotated[int, Field(ge=1, le=1000), TYPED_INTEGER]
Satisfaction = Annotated[int, Field(ge=1, le=5), TYPED_INTEGER]
# Keys sent by feeding systems (hotline ticket ids, UUIDs): printable ASCII without spaces.
IdempotencyKey = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[\x21-\x7e]{1,128}$")]
Description = text(4000)


# Shifts are planned (and corrected) within a few years of now; 9999-12-31 is a typo or a probe.
ShiftTime = Annotated[UTCDatetime, at_most_years_ahead(5), at_most_years_back(5)]
# A need due more than five years ahead is not a street's need.
DueDate = Annotated[Day, at_most_years_ahead(5)]


def _check_due_date(model: type[InputModel], due_date: date | None) -> None:
    if due_date is not None:
        require(due_date >= street_today(), model, "due_date", "must not be in the past", due_date)


def _check_line(model: type[InputModel], quantity: Decimal, still_needed: Decimal) -> None:
    require(still_needed <= quantity, model, "still_needed", f"must not exceed the quantity {quantity}", still_needed)


def _check_shift_window(model: type[InputModel], starts_at: datetime, ends_at: datetime) -> None:
    require(ends_at > starts_at, model, "ends_at", "must be after starts_at", ends_at)
    require(ends_at - starts_at <= MAX_SHIFT_LENGTH, model, "ends_at", "a shift lasts at most 24 hours", ends_at)


class ResourceLineCreate(InputModel):
    kind: ResourceKind
    category: Category
    description: text(500) = ""
    quantity: Quantity
    unit: Unit
    # Defaults to the whole quantity; less when part was already found elsewhere.
    still_needed: optional(NonNegativeQuantity) = None

    @model_validator(mode="after")
    def _within_quantity(self) -> Self:
        if self.still_needed is not None:
            _check_line(type(self), self.quantity, self.still_needed)
        return self

    def to_row(self, need_id: int) -> ResourceLine:
        still_needed = self.quantity if self.still_needed is None else self.still_needed
        return ResourceLine.model_validate(self.model_dump() | {"need_id": need_id, "still_needed": still_needed})


class ResourceLineUpdate(UpdateModel):
    description: text(500) | None = None
    quantity: Quantity | None = None
    unit: Unit | None = None
    still_needed: NonNegativeQuantity | None = None

    @model_validator(mode="after")
    def _within_quantity(self) -> Self:
        if self.quantity is not None and self.still_needed is not None:
            _check_line(type(self), self.quantity, self.still_needed)
        return self

    def check_merged(self, values: dict[str, Any], row: Any) -> None:
        _check_line(type(self), values["quantity"], values["still_needed"])


class ShiftCreate(InputModel):
    title: Title
    location: line(200, min_length=0) = ""
    starts_at: ShiftTime
    ends_at: ShiftTime
    slots: Slots
    requires_approval: bool = False
    # Required skills (shift_skill rows).
    skill_ids: IdList = []

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_shift_window(type(self), self.starts_at, self.ends_at)
        require(self.ends_at > utc_now(), type(self), "ends_at", "must be in the future", self.ends_at)
        return self

    def to_row(self, need_id: int) -> Shift:
        return Shift.model_validate(self.model_dump(exclude={"skill_ids"}) | {"need_id": need_id})


class ShiftUpdate(UpdateModel):
    not_columns = frozenset({"version", "skill_ids"})

    title: Title | None = None
    location: line(200, min_length=0) | None = None
    starts_at: ShiftTime | None = None
    ends_at: ShiftTime | None = None
    slots: Slots | None = None
    requires_approval: bool | None = None
    skill_ids: IdList | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.starts_at is not None and self.ends_at is not None:
            _check_shift_window(type(self), self.starts_at, self.ends_at)
        return self

    def check_merged(self, values: dict[str, Any], row: Any) -> None:
        _check_shift_window(type(self), values["starts_at"], values["ends_at"])
        confirmed = row.confirmed_count or 0
        require(
            values["slots"] >= confirmed,
            type(self),
            "slots",
            f"must not be fewer than the {confirmed} volunteers already confirmed",
            values["slots"],
        )


class NeedCreate(InputModel):
    """A need as recorded at intake (staff, a resident, or a feeding system), with its lines and shifts."""

    title: Title
    description: Description = ""
    category: Category
    grid_id: Id
    channel: IntakeChannel
    urgency: Urgency = Urgency.NORMAL
    due_date: optional(DueDate) = None
    # Personal data: masked in lists, visible to the grid's staff only.
    beneficiary_name: optional(line(100)) = None
    beneficiary_phone: optional(Phone) = None
    beneficiary_address: optional(line(200)) = None
    resource_lines: Annotated[list[ResourceLineCreate], Field(max_length=50)] = []
    shifts: Annotated[list[ShiftCreate], Field(max_length=50)] = []
    # The intake record (need_intake row).
    external_ref: optional(line(64)) = None
    idempotency_key: optional(IdempotencyKey) = None
    reporter_note: text(2000) = ""

    @model_validator(mode="after")
    def _due_date(self) -> Self:
        _check_due_date(type(self), self.due_date)
        return self

    def to_row(self, created_by_id: int | None = None) -> Need:
        intake = {"resource_lines", "shifts", "external_ref", "idempotency_key", "reporter_note"}
        return Need.model_validate(self.model_dump(exclude=intake) | {"created_by_id": created_by_id})

    def intake_row(self, need_id: int, recorded_by_id: int | None = None) -> NeedIntake:
        values = self.model_dump(include={"channel", "external_ref", "idempotency_key", "reporter_note"})
        return NeedIntake.model_validate(values | {"need_id": need_id, "recorded_by_id": recorded_by_id})


class NeedUpdate(UpdateModel):
    """An edit of a need; ``version`` is the one the editor saw (optimistic locking)."""

    clearable = frozenset({"due_date", "beneficiary_name", "beneficiary_phone", "beneficiary_address"})

    version: Version
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    grid_id: Id | None = None
    urgency: Urgency | None = None
    due_date: optional(DueDate) = None
    beneficiary_name: optional(line(100)) = None
    beneficiary_phone: optional(Phone) = None
    beneficiary_address: optional(line(200)) = None

    @model_validator(mode="after")
    def _due_date(self) -> Self:
        _check_due_date(type(self), self.due_date)
        return self


class NeedRejection(InputModel):
    """Staff reject a need; the reason is required, and a duplicate names the need it repeats."""

    reason: Reason
    duplicate_of_id: optional(Id) = None


class NeedFeedback(InputModel):
    """The resident's satisfaction with a completed need (1 to 5)."""

    satisfaction: Satisfaction
    comment: optional(text(1000)) = None


class EscalationCreate(InputModel):
    """Escalate a stuck need one level (吹哨报到); the department level names the department."""

    level: EscalationLevel
    department_id: optional(Id) = None
    reason: Reason
    deadline_at: Annotated[UTCDatetime, at_most_years_ahead(5)]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        at_department = self.level is EscalationLevel.DEPARTMENT
        require(
            at_department == (self.department_id is not None),
            type(self),
            "department_id",
            "is required at the department level and only there",
            self.department_id,
        )
        require(self.deadline_at > utc_now(), type(self), "deadline_at", "must be in the future", self.deadline_at)
        return self

    def to_row(self, need_id: int, opened_by_id: int | None = None) -> Escalation:
        values = self.model_dump() | {"need_id": need_id, "opened_by_id": opened_by_id, "opened_at": utc_now()}
        return Escalation.model_validate(values)


# --- changes to a published need (marketplace.needs.changes) -------------------------------------------


class LineQuantityChange(InputModel):
    """A resource line's new quantity; ``version`` is the need's version the editor saw."""

    version: Version
    quantity: Quantity
    # Told to the claimants whose proposals are reduced or released.
    reason: optional(Reason) = None


class LineClosing(InputModel):
    """Close a resource line as enough (部分办结): what came is enough; the reason is required."""

    version: Version
    reason: Reason


class ShiftChange(InputModel):
    """Move a shift (new start and/or end) or change its slots; at least one of them."""

    version: Version
    starts_at: optional(ShiftTime) = None
    ends_at: optional(ShiftTime) = None
    slots: optional(Slots) = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        given = [self.starts_at, self.ends_at, self.slots]
        require(
            any(value is not None for value in given), type(self), "starts_at", "send starts_at, ends_at or slots", None
        )
        if self.starts_at is not None and self.ends_at is not None:
            _check_shift_window(type(self), self.starts_at, self.ends_at)
        return self


class ShiftCancellation(InputModel):
    """Cancel a shift that has not started; the reason is told to its volunteers."""

    version: Version
    reason: Reason
