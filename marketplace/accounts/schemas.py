"""Validated input for accounts: creating users, editing profiles, changing passwords."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from marketplace.accounts.models import Role, User
from marketplace.i18n import SUPPORTED_LOCALES
from marketplace.validation import (
    Email,
    Id,
    IdList,
    InputModel,
    Phone,
    UpdateModel,
    Username,
    line,
    optional,
    require,
)

# Never trimmed: a password is exactly what was typed. The upper bound keeps hashing cheap to refuse.
Password = Annotated[str, Field(min_length=8, max_length=128)]
Locale = Literal[SUPPORTED_LOCALES]  # type: ignore[valid-type]
DisplayName = line(100)


class UserCreate(InputModel):
    """A new account. Partners belong to an organization; staff may be scoped to grids."""

    username: Username
    display_name: DisplayName
    password: Password
    role: Role
    email: optional(Email) = None
    phone: optional(Phone) = None
    organization_id: optional(Id) = None
    is_org_manager: bool = False
    street_id: optional(Id) = None
    community_id: optional(Id) = None
    grid_ids: IdList = []
    preferred_locale: optional(Locale) = None

    @model_validator(mode="after")
    def _role_rules(self) -> Self:
        # The same rules as the CHECK constraints on user_account, plus grid scope for staff only.
        is_partner = self.role is Role.PARTNER
        require(
            is_partner == (self.organization_id is not None),
            type(self),
            "organization_id",
            "is required for a partner and only for a partner",
            self.organization_id,
        )
        require(not self.is_org_manager or is_partner, type(self), "is_org_manager", "only a partner manages one", True)
        require(
            not self.grid_ids or self.role is Role.STAFF,
            type(self),
            "grid_ids",
            "only staff are scoped to grids",
            self.grid_ids,
        )
        return self

    def to_row(self, password_hash: str) -> User:
        """The user row; the caller hashes ``password`` (grid scope goes to ``staff_grid``)."""
        values = self.model_dump(exclude={"password", "grid_ids"})
        return User.model_validate(values | {"password_hash": password_hash})


class UserUpdate(UpdateModel):
    """What a person may change about their own account."""

    clearable = frozenset({"email", "phone", "preferred_locale"})

    display_name: DisplayName | None = None
    email: optional(Email) = None
    phone: optional(Phone) = None
    preferred_locale: optional(Locale) = None


class PasswordChange(InputModel):
    current_password: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password

    @model_validator(mode="after")
    def _differs(self) -> Self:
        require(
            self.new_password != self.current_password,
            type(self),
            "new_password",
            "must differ from the current password",
            None,
        )
        return self


class Login(InputModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
