"""Validated input for offers (the resource list): publishing and editing an item."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, model_validator

from marketplace.offers.models import Offer
from marketplace.street_clock import day_end, day_start, parse_day
from marketplace.validation import (
    InputModel,
    NonEmptyIdList,
    NonNegativeQuantity,
    Quantity,
    Title,
    Unit,
    UpdateModel,
    UTCDatetime,
    Version,
    at_most_years_ahead,
    optional,
    require,
    sane_day,
    text,
    utc_now,
)
from marketplace.vocabulary import Category, ResourceKind


def _street_day(edge: Any) -> Any:
    """A bare street day ("2027-06-30") as the instant it starts or ends; anything else is left to the type."""

    def convert(value: Any) -> Any:
        day = value if isinstance(value, date) and not isinstance(value, datetime) else None
        if isinstance(value, str) and len(value.strip()) == 10:
            day = parse_day(value)
        # A day outside the accepted years is refused before edge() could overflow (9999-12-31 + 1 day).
        return edge(sane_day(day)) if day is not None else value

    return BeforeValidator(convert)


# The API takes an instant or a street day: "valid until 2027-06-30" lasts through that day in Qingdao.
# An offer is planned at most ten years ahead: a later date is a typo that would sort above every real one.
ValidFrom = Annotated[UTCDatetime, _street_day(day_start), at_most_years_ahead(10)]
ValidUntil = Annotated[UTCDatetime, _street_day(day_end), at_most_years_ahead(10)]
# The first day the resource can be delivered or used (a venue from July, coats from the first frost): the
# offer can be claimed before it, but matching does not count on it earlier. A street day is its start.
AvailableFrom = Annotated[UTCDatetime, _street_day(day_start), at_most_years_ahead(10)]


def check_offer(
    model: type[InputModel],
    quantity: Decimal,
    remaining: Decimal,
    valid_from: datetime | None,
    valid_until: datetime | None,
    available_from: datetime | None = None,
) -> None:
    require(remaining <= quantity, model, "remaining_quantity", f"must not exceed the quantity {quantity}", remaining)
    if valid_from is not None and valid_until is not None:
        require(valid_until > valid_from, model, "valid_until", "must be after valid_from", valid_until)
    _check_available(model, available_from, valid_until)


def _check_available(model: type[InputModel], available_from: datetime | None, valid_until: datetime | None) -> None:
    # valid_until is the instant the last day ends: the first day of use must come before it.
    if available_from is not None and valid_until is not None:
        require(available_from < valid_until, model, "available_from", "must be before valid_until", available_from)


class OfferCreate(InputModel):
    """A new item of a partner's resource list (the organization comes from the session, not the body)."""

    kind: ResourceKind
    category: Category
    title: Title
    description: text(4000) = ""
    quantity: Quantity
    unit: Unit
    # Defaults to the whole quantity: nothing of a new offer is reserved yet.
    remaining_quantity: optional(NonNegativeQuantity) = None
    valid_from: optional(ValidFrom) = None
    valid_until: optional(ValidUntil) = None
    available_from: optional(AvailableFrom) = None
    # The service area (offer_grid rows).
    grid_ids: NonEmptyIdList

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        remaining = self.quantity if self.remaining_quantity is None else self.remaining_quantity
        check_offer(type(self), self.quantity, remaining, self.valid_from, self.valid_until, self.available_from)
        if self.valid_until is not None:
            # A window that has already closed is not something anyone can claim.
            require(self.valid_until > utc_now(), type(self), "valid_until", "must be in the future", self.valid_until)
        return self

    def to_row(self, organization_id: int) -> Offer:
        values: dict[str, Any] = self.model_dump(exclude={"grid_ids"})
        if self.remaining_quantity is None:
            values["remaining_quantity"] = self.quantity
        if self.valid_from is None:
            values["valid_from"] = utc_now()
        return Offer.model_validate(values | {"organization_id": organization_id})


class OfferUpdate(UpdateModel):
    """An edit of an offer; ``version`` is the one the editor saw (optimistic locking)."""

    clearable = frozenset({"valid_until", "available_from"})
    not_columns = frozenset({"version", "grid_ids"})

    version: Version
    kind: ResourceKind | None = None
    category: Category | None = None
    title: Title | None = None
    description: text(4000) | None = None
    quantity: Quantity | None = None
    unit: Unit | None = None
    remaining_quantity: NonNegativeQuantity | None = None
    valid_from: ValidFrom | None = None
    valid_until: optional(ValidUntil) = None
    available_from: optional(AvailableFrom) = None
    grid_ids: NonEmptyIdList | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # What can be checked without the stored row; apply_to() checks the merged values.
        if self.quantity is not None and self.remaining_quantity is not None:
            check_offer(type(self), self.quantity, self.remaining_quantity, self.valid_from, self.valid_until)
        elif self.valid_from is not None and self.valid_until is not None:
            require(self.valid_until > self.valid_from, type(self), "valid_until", "must be after valid_from", None)
        _check_available(type(self), self.available_from, self.valid_until)
        return self

    def check_merged(self, values: dict[str, Any], row: Any) -> None:
        check_offer(
            type(self),
            values["quantity"],
            values["remaining_quantity"],
            values["valid_from"],
            values["valid_until"],
            values.get("available_from"),
        )
