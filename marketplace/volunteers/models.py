"""Volunteers: skills from a taxonomy, weekly availability, home grid, hours; shift sign-ups."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from marketplace.db.types import QUANTITY, UTCDateTime, enum_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import Category, LabelledEnum, register_labels


class VolunteerSegment(LabelledEnum):
    RESIDENT = "resident"
    PARTY_MEMBER = "party_member"
    VETERAN = "veteran"
    YOUTH = "youth"


def segment_choices(current: str | None = None) -> list[VolunteerSegment]:
    """The groups a volunteer picks from on the profile form ("I am a"). Party membership is the
    "member of the Communist Party of China" tick beside it (a veteran or a youth may be a member too), so
    the party-member group is no second way to say it: it is offered only to a profile already in it."""
    return [
        segment
        for segment in VolunteerSegment
        if segment is not VolunteerSegment.PARTY_MEMBER or current == VolunteerSegment.PARTY_MEMBER.value
    ]


class SignupStatus(LabelledEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


register_labels(
    "VolunteerSegment",
    {
        "resident": N_("Resident"),
        "party_member": N_("Party member"),
        "veteran": N_("Veteran"),
        "youth": N_("Youth"),
    },
)
register_labels(
    "SignupStatus",
    {
        "pending": N_("Awaiting approval"),
        "confirmed": N_("Confirmed"),
        "checked_in": N_("Checked in"),
        "completed": N_("Completed"),
        "no_show": N_("No-show"),
        "cancelled": N_("Cancelled"),
    },
)


class Skill(SQLModel, table=True):
    """A skill of the taxonomy, grouped (care, repair, medical, ...)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    group: str = Field(max_length=64, index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)


class VolunteerProfile(SQLModel, table=True):
    __tablename__ = "volunteer_profile"
    __table_args__ = (
        CheckConstraint("hours_total >= 0", name="volunteer_hours_not_negative"),
        CheckConstraint("no_show_count >= 0 AND fulfilled_count >= 0", name="volunteer_counts_not_negative"),
        CheckConstraint("weekly_hour_cap BETWEEN 1 AND 80", name="volunteer_weekly_cap_range"),
        CheckConstraint(
            "reliability_rate IS NULL OR (reliability_rate >= 0 AND reliability_rate <= 1)",
            name="volunteer_reliability_rate_range",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    home_grid_id: int = Field(foreign_key="grid.id", index=True)
    segment: VolunteerSegment = Field(
        sa_column=Column(enum_type(VolunteerSegment, "volunteer_segment"), nullable=False)
    )
    is_party_member: bool = False
    employer_organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    weekly_hour_cap: int = 8
    hours_total: Decimal = Field(default=Decimal(0), sa_type=QUANTITY, nullable=False)
    fulfilled_count: int = 0
    no_show_count: int = 0
    # A completion rate another system kept (an import), 0..1: the record when there are no counts here.
    reliability_rate: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VolunteerInterest(SQLModel, table=True):
    """A need category the volunteer wants to work in (the matching's interest signal)."""

    __tablename__ = "volunteer_interest"
    __table_args__ = (UniqueConstraint("volunteer_id", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer_profile.id", index=True, ondelete="CASCADE")
    category: Category = Field(sa_column=Column(enum_type(Category, "category"), nullable=False))


class VolunteerSkill(SQLModel, table=True):
    __tablename__ = "volunteer_skill"

    volunteer_id: int = Field(foreign_key="volunteer_profile.id", primary_key=True, ondelete="CASCADE")
    skill_id: int = Field(foreign_key="skill.id", primary_key=True, index=True)


class AvailabilitySlot(SQLModel, table=True):
    """A weekly window when the volunteer can serve: weekday 0 = Monday, minutes from midnight."""

    __tablename__ = "availability_slot"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="availability_weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440", name="availability_minutes_range"),
        CheckConstraint("start_minute < end_minute", name="availability_start_before_end"),
        UniqueConstraint("volunteer_id", "weekday", "start_minute"),
    )

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer_profile.id", index=True, ondelete="CASCADE")
    weekday: int
    start_minute: int
    end_minute: int


class ShiftSignup(SQLModel, table=True):
    """A volunteer's place on a shift; at most one live sign-up per volunteer per shift."""

    __tablename__ = "shift_signup"
    __table_args__ = (
        # One live sign-up per volunteer per shift; a cancelled one does not stop signing up again.
        Index(
            "shift_signup_once_per_volunteer",
            "shift_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        # The slots a volunteer holds, read from the index alone (the review queue's overlap checks).
        Index("ix_shift_signup_volunteer_status_shift", "volunteer_id", "status", "shift_id"),
        CheckConstraint("hours_credited >= 0", name="shift_signup_hours_not_negative"),
        CheckConstraint(
            "checked_out_at IS NULL OR (checked_in_at IS NOT NULL AND checked_out_at >= checked_in_at)",
            name="shift_signup_checkout_after_checkin",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer_profile.id", index=True)
    match_id: int | None = Field(default=None, foreign_key="match.id", index=True)
    status: SignupStatus = Field(
        default=SignupStatus.PENDING,
        sa_column=Column(enum_type(SignupStatus, "signup_status"), nullable=False, index=True),
    )
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hours_credited: Decimal = Field(default=Decimal(0), sa_type=QUANTITY, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VolunteerStreet(SQLModel, table=True):
    """A street a volunteer serves besides the one they live in (their home grid's street is implied)."""

    __tablename__ = "volunteer_street"

    volunteer_id: int = Field(foreign_key="volunteer_profile.id", primary_key=True, ondelete="CASCADE")
    street_id: int = Field(foreign_key="street.id", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
