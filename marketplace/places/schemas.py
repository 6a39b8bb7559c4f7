"""Validated input for places: streets, communities, party branches, grids, service stations, departments."""

from typing import Annotated

from pydantic import Field

from marketplace.places.models import Community, Department, Grid, PartyBranch, ServiceStation, Street
from marketplace.validation import TYPED_FLOAT, TYPED_INTEGER, Code, Count, Id, InputModel, UpdateModel, line, optional

Name = line(100)
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), TYPED_FLOAT]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), TYPED_FLOAT]
GridNumber = Annotated[int, Field(ge=1, le=9999), TYPED_INTEGER]


class StreetCreate(InputModel):
    code: Code
    name: Name
    name_en: Name
    district: Name
    city: Name

    def to_row(self) -> Street:
        return Street.model_validate(self.model_dump())


class StreetUpdate(UpdateModel):
    code: Code | None = None
    name: Name | None = None
    name_en: Name | None = None
    district: Name | None = None
    city: Name | None = None


class CommunityCreate(InputModel):
    street_id: Id
    name: Name
    name_en: Name

    def to_row(self) -> Community:
        return Community.model_validate(self.model_dump())


class CommunityUpdate(UpdateModel):
    name: Name | None = None
    name_en: Name | None = None


class PartyBranchCreate(InputModel):
    street_id: Id
    name: Name
    name_en: Name

    def to_row(self) -> PartyBranch:
        return PartyBranch.model_validate(self.model_dump())


class PartyBranchUpdate(UpdateModel):
    name: Name | None = None
    name_en: Name | None = None


class GridCreate(InputModel):
    code: Code
    community_id: Id
    party_branch_id: optional(Id) = None
    number: GridNumber
    name: Name
    name_en: Name
    latitude: Latitude
    longitude: Longitude
    households: Count = 0

    def to_row(self) -> Grid:
        return Grid.model_validate(self.model_dump())


class GridUpdate(UpdateModel):
    clearable = frozenset({"party_branch_id"})

    code: Code | None = None
    party_branch_id: optional(Id) = None
    number: GridNumber | None = None
    name: Name | None = None
    name_en: Name | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    households: Count | None = None


class ServiceStationCreate(InputModel):
    grid_id: Id
    name: Name
    name_en: Name
    address: line(200)
    opening_hours: line(100, min_length=0) = ""

    def to_row(self) -> ServiceStation:
        return ServiceStation.model_validate(self.model_dump())


class ServiceStationUpdate(UpdateModel):
    name: Name | None = None
    name_en: Name | None = None
    address: line(200) | None = None
    opening_hours: line(100, min_length=0) | None = None


class DepartmentCreate(InputModel):
    street_id: Id
    name: Name
    name_en: Name

    def to_row(self) -> Department:
        return Department.model_validate(self.model_dump())


class DepartmentUpdate(UpdateModel):
    name: Name | None = None
    name_en: Name | None = None
