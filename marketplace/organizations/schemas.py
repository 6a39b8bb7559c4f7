"""Validated input for red partners' organizations: registration, edits, and the admins' decisions."""

from typing import Annotated, Self

from pydantic import AfterValidator, model_validator

from marketplace.organizations.credit_code import CreditCodeError, validate_credit_code
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.validation import (
    Id,
    InputModel,
    NonEmptyIdList,
    Phone,
    Reason,
    UpdateModel,
    invalid,
    line,
    one_of,
    optional,
    require,
    text,
)


def _credit_code(value: str) -> str:
    try:
        return validate_credit_code(value)
    except CreditCodeError as error:
        raise invalid(str(error)) from None


CreditCode = Annotated[str, AfterValidator(_credit_code)]
OrganizationName = line(200)


class OrganizationCreate(InputModel):
    """A partner's registration; it starts pending until an admin approves it."""

    street_id: Id
    name: OrganizationName
    name_en: optional(OrganizationName) = None
    kind: OrganizationKind
    credit_code: CreditCode
    contact_name: line(100)
    contact_phone: Phone
    address: line(200, min_length=0) = ""
    description: text(2000) = ""
    # The grids it serves (organization_grid rows).
    grid_ids: NonEmptyIdList

    def to_row(self) -> Organization:
        return Organization.model_validate(self.model_dump(exclude={"grid_ids"}))


class OrganizationUpdate(UpdateModel):
    clearable = frozenset({"name_en"})
    not_columns = frozenset({"version", "grid_ids"})

    name: OrganizationName | None = None
    name_en: optional(OrganizationName) = None
    kind: OrganizationKind | None = None
    credit_code: CreditCode | None = None
    contact_name: line(100) | None = None
    contact_phone: Phone | None = None
    address: line(200, min_length=0) | None = None
    description: text(2000) | None = None
    grid_ids: NonEmptyIdList | None = None


class OrganizationDecision(InputModel):
    """An admin approves, rejects or suspends an organization; the last two need a reason."""

    status: Annotated[
        OrganizationStatus,
        one_of(OrganizationStatus.APPROVED, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED),
    ]
    reason: optional(Reason) = None

    @model_validator(mode="after")
    def _reason_when_refused(self) -> Self:
        needs_reason = self.status in (OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED)
        require(not needs_reason or self.reason is not None, type(self), "reason", "is required", self.reason)
        return self


# --- forms of the registration page and the partner's own organization -------------------------------

from marketplace.accounts.schemas import DisplayName, Password  # noqa: E402
from marketplace.validation import Username  # noqa: E402


class AccountCreate(InputModel):
    """The person behind a self-registration (an organization's manager, a volunteer)."""

    username: Username
    display_name: DisplayName
    phone: Phone
    password: Password


class MemberCreate(InputModel):
    """A user the manager adds to their organization (with an initial password the manager sets)."""

    username: Username
    display_name: DisplayName
    phone: optional(Phone) = None
    password: Password


class OwnOrganizationEdit(InputModel):
    """What the manager may change once registered; name and credit code stay as vetted."""

    contact_name: line(100)
    contact_phone: Phone
    address: line(200, min_length=0) = ""
    description: text(2000) = ""
    grid_ids: NonEmptyIdList
