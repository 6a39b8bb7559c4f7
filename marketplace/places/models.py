"""Place: street → community → grid, with party branches, service stations and departments."""

from sqlalchemy import CheckConstraint, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Street(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    district: str = Field(max_length=100)
    city: str = Field(max_length=100)
    # The district's English name ("Shibei District"): English pages group streets under it; "" shows the Chinese.
    district_en: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": text("''")})


class Community(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("street_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)


class PartyBranch(SQLModel, table=True):
    """A grid party branch; one branch may lead several grids."""

    __tablename__ = "party_branch"
    __table_args__ = (UniqueConstraint("street_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)


class Grid(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="grid_latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="grid_longitude_range"),
        CheckConstraint("number >= 1", name="grid_number_positive"),
        CheckConstraint("households >= 0", name="grid_households_not_negative"),
        UniqueConstraint("community_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    party_branch_id: int | None = Field(default=None, foreign_key="party_branch.id", index=True)
    number: int = Field(ge=1)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    latitude: float
    longitude: float
    households: int = Field(default=0, ge=0)


class ServiceStation(SQLModel, table=True):
    """A grid service station; at most one per grid."""

    __tablename__ = "service_station"

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="grid.id", unique=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    address: str = Field(max_length=200)
    opening_hours: str = Field(default="", max_length=100)


class Department(SQLModel, table=True):
    """A functional department that reports when the street whistles (吹哨报到)."""

    __table_args__ = (UniqueConstraint("street_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
