"""Validated input for volunteers: profile with skills and weekly availability, skills, shift sign-ups."""

from itertools import pairwise
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from marketplace.validation import (
    TYPED_INTEGER,
    Code,
    Id,
    IdList,
    InputModel,
    UpdateModel,
    field_error,
    line,
    optional,
    require,
)
from marketplace.vocabulary import Category
from marketplace.volunteers.models import AvailabilitySlot, ShiftSignup, Skill, VolunteerProfile, VolunteerSegment

MINUTES_PER_DAY = 1440
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday"), TYPED_INTEGER]
StartMinute = Annotated[int, Field(ge=0, lt=MINUTES_PER_DAY, description="minutes from midnight"), TYPED_INTEGER]
EndMinute = Annotated[
    int, Field(gt=0, le=MINUTES_PER_DAY, description="minutes from midnight; 1440 = midnight"), TYPED_INTEGER
]
WeeklyHourCap = Annotated[int, Field(ge=1, le=80), TYPED_INTEGER]
# The kinds of work the volunteer wants to do: need categories (the matching's interest signal).
Interests = Annotated[
    list[Category], Field(max_length=2 * len(Category), description="need categories the volunteer wants to work in")
]

# Streets a volunteer serves besides the one they live in, by street code (a city may hold hundreds).
StreetCodes = Annotated[
    list[line(32)],  # type: ignore[valid-type]
    Field(max_length=1000, description="codes of streets served besides the home grid's street"),
]


class AvailabilitySlotCreate(InputModel):
    """A weekly window: weekday 0 = Monday, minutes from midnight, start before end on the same day."""

    weekday: Weekday
    start_minute: StartMinute
    end_minute: EndMinute

    @model_validator(mode="after")
    def _start_before_end(self) -> Self:
        require(
            self.start_minute < self.end_minute, type(self), "end_minute", "must be after start_minute", self.end_minute
        )
        return self

    def to_row(self, volunteer_id: int) -> AvailabilitySlot:
        return AvailabilitySlot.model_validate(self.model_dump() | {"volunteer_id": volunteer_id})


Availability = Annotated[list[AvailabilitySlotCreate], Field(max_length=7 * 24)]


def _check_availability(model: type[InputModel], slots: list[AvailabilitySlotCreate]) -> None:
    """Windows of one day must not overlap (nor start at the same minute: a unique constraint)."""
    ordered = sorted(enumerate(slots), key=lambda item: (item[1].weekday, item[1].start_minute))
    for (_, before), (index, after) in pairwise(ordered):
        if before.weekday == after.weekday and after.start_minute < before.end_minute:
            raise field_error(model, ("availability", index), "overlaps another window of the same day", None)


def _check_party_member(model: type[InputModel], segment: VolunteerSegment, is_party_member: bool) -> None:
    # The party-member segment and the flag must agree; a veteran or youth may be a party member too.
    require(
        segment is not VolunteerSegment.PARTY_MEMBER or is_party_member,
        model,
        "is_party_member",
        "must be true for the party_member segment",
        is_party_member,
    )


class VolunteerCreate(InputModel):
    """A volunteer's profile (the account comes from the session or is created alongside)."""

    home_grid_id: Id
    segment: VolunteerSegment
    is_party_member: bool = False
    employer_organization_id: optional(Id) = None
    weekly_hour_cap: WeeklyHourCap = 8
    skill_ids: IdList = []
    availability: Availability = []
    interests: Interests = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_party_member(type(self), self.segment, self.is_party_member)
        _check_availability(type(self), self.availability)
        return self

    def to_row(self, user_id: int) -> VolunteerProfile:
        values = self.model_dump(exclude={"skill_ids", "availability", "interests"})
        return VolunteerProfile.model_validate(values | {"user_id": user_id})


class VolunteerUpdate(UpdateModel):
    """A profile edit; ``skill_ids``, ``availability``, ``interests`` and ``street_codes`` replace the whole list
    when sent."""

    clearable = frozenset({"employer_organization_id"})
    not_columns = frozenset({"version", "skill_ids", "availability", "interests", "street_codes"})

    home_grid_id: Id | None = None
    segment: VolunteerSegment | None = None
    is_party_member: bool | None = None
    employer_organization_id: optional(Id) = None
    weekly_hour_cap: WeeklyHourCap | None = None
    skill_ids: IdList | None = None
    availability: Availability | None = None
    interests: Interests | None = None
    street_codes: StreetCodes | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.availability is not None:
            _check_availability(type(self), self.availability)
        return self

    def check_merged(self, values: dict[str, Any], row: Any) -> None:
        _check_party_member(type(self), values["segment"], values["is_party_member"])


class SkillCreate(InputModel):
    code: Code
    group: line(64)
    name: line(100)
    name_en: line(100)

    def to_row(self) -> Skill:
        return Skill.model_validate(self.model_dump())


class SkillUpdate(UpdateModel):
    group: line(64) | None = None
    name: line(100) | None = None
    name_en: line(100) | None = None


class ShiftSignupCreate(InputModel):
    """A volunteer signs up for a shift (the volunteer comes from the session)."""

    shift_id: Id

    def to_row(self, volunteer_id: int) -> ShiftSignup:
        return ShiftSignup.model_validate({"shift_id": self.shift_id, "volunteer_id": volunteer_id})
