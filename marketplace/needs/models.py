"""Needs (the need list) with their intake records, resource lines, volunteer shifts and escalations.

A published need is a project on the public board.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.db.types import QUANTITY, UTCDateTime, enum_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import Category, IntakeChannel, LabelledEnum, ResourceKind, Urgency, register_labels


class NeedStatus(LabelledEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    PUBLISHED = "published"
    PARTIALLY_MATCHED = "partially_matched"
    MATCHED = "matched"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# Statuses in which a need is a project the public can see on the board.
PUBLIC_STATUSES: tuple[NeedStatus, ...] = (
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
    NeedStatus.VERIFIED,
)
SOLVED_STATUSES: tuple[NeedStatus, ...] = (NeedStatus.COMPLETED, NeedStatus.VERIFIED)


class EscalationLevel(LabelledEnum):
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DEPARTMENT = "department"


class GridToConfirm(LabelledEnum):
    """How much of the place a resident knew when reporting without the grid: staff set the grid afterwards.

    The need is filed under a grid of that community (or of the street) until then, so it stays in the street's
    scope; grid staff see it only once the grid is set (needs.services.grids_in_scope).
    """

    COMMUNITY = "community"  # the community, not which of its grids
    STREET = "street"  # neither: the street's staff find out from the address


register_labels(
    "GridToConfirm",
    {"community": N_("Grid to confirm: only the community is known"), "street": N_("Grid to confirm: not known")},
)


register_labels(
    "NeedStatus",
    {
        "submitted": N_("Submitted"),
        "under_review": N_("Under review"),
        "published": N_("Published"),
        "partially_matched": N_("Partially matched"),
        "matched": N_("Matched"),
        "in_progress": N_("In progress"),
        "completed": N_("Completed"),
        "verified": N_("Verified"),
        "rejected": N_("Rejected"),
        "cancelled": N_("Cancelled"),
    },
)
register_labels(
    "EscalationLevel",
    {"grid": N_("Grid"), "community": N_("Community"), "street": N_("Street"), "department": N_("Department")},
)


class Need(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("status != 'rejected' OR status_reason IS NOT NULL", name="need_rejection_has_reason"),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id != id", name="need_not_duplicate_of_itself"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="need_satisfaction_range"),
        CheckConstraint("version >= 1", name="need_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    category: Category = Field(sa_column=Column(enum_type(Category, "category"), nullable=False, index=True))
    grid_id: int = Field(foreign_key="grid.id", index=True)
    # Set when the resident was not sure of the grid: grid_id is then a stand-in until staff set it.
    grid_to_confirm: GridToConfirm | None = Field(
        default=None, sa_column=Column(enum_type(GridToConfirm, "grid_to_confirm"), nullable=True)
    )
    channel: IntakeChannel = Field(sa_column=Column(enum_type(IntakeChannel, "intake_channel"), nullable=False))
    urgency: Urgency = Field(default=Urgency.NORMAL, sa_column=Column(enum_type(Urgency, "urgency"), nullable=False))
    due_date: date | None = None
    # Personal data: masked in every list, visible only to staff of the need's grid.
    beneficiary_name: str | None = Field(default=None, max_length=100)
    beneficiary_phone: str | None = Field(default=None, max_length=32)
    beneficiary_address: str | None = Field(default=None, max_length=200)
    status: NeedStatus = Field(
        default=NeedStatus.SUBMITTED,
        sa_column=Column(enum_type(NeedStatus, "need_status"), nullable=False, index=True),
    )
    status_reason: str | None = Field(default=None, max_length=500)
    duplicate_of_id: int | None = Field(default=None, foreign_key="need.id", index=True)
    escalation_level: EscalationLevel | None = Field(
        default=None, sa_column=Column(enum_type(EscalationLevel, "escalation_level"), nullable=True)
    )
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    satisfaction: int | None = None
    satisfaction_comment: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The public board's order as one number the database computes, so the board reads its first page
# from an index instead of sorting every public need: open before solved (0/100), then urgency
# (critical 0 ... low 30), then dated before undated (+1); NULL for a need the public does not see.
# Then come due date, newest, id. tests/test_board_speed.py checks it against PUBLIC_STATUSES,
# SOLVED_STATUSES and the urgency order; a change here needs a migration that rebuilds the column.
BOARD_RANK_SQL = (
    "CASE WHEN status IN ('published', 'partially_matched', 'matched', 'in_progress') THEN 0"
    " WHEN status IN ('completed', 'verified') THEN 100 END"
    " + CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 10 WHEN 'normal' THEN 20 WHEN 'low' THEN 30 ELSE 90 END"
    " + CASE WHEN due_date IS NULL THEN 1 ELSE 0 END"
)
# Added to the table but not mapped: no Python code reads or writes it, and the ORM never refetches it.
NEED_BOARD_RANK = sa.Column("board_rank", sa.Integer, sa.Computed(BOARD_RANK_SQL, persisted=True), nullable=True)
Need.__table__.append_column(NEED_BOARD_RANK)  # type: ignore[attr-defined]
sa.Index(
    "ix_need_board_order",
    NEED_BOARD_RANK,
    Need.__table__.c.due_date,  # type: ignore[attr-defined]
    Need.__table__.c.created_at.desc(),  # type: ignore[attr-defined]
    Need.__table__.c.id.desc(),  # type: ignore[attr-defined]
)


class NeedIntake(SQLModel, table=True):
    """One report of a need through one channel; merged duplicates keep all of theirs."""

    __tablename__ = "need_intake"

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    channel: IntakeChannel = Field(sa_column=Column(enum_type(IntakeChannel, "intake_channel"), nullable=False))
    external_ref: str | None = Field(default=None, max_length=64)
    # Systems feeding needs in (hotline, e-home) send one; the same key never makes two needs.
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)
    reporter_note: str = Field(default="", max_length=2000)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ResourceLine(SQLModel, table=True):
    """A resource the need still needs (kind, category, quantity, unit)."""

    __tablename__ = "resource_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="resource_line_quantity_positive"),
        CheckConstraint("still_needed >= 0", name="resource_line_still_needed_not_negative"),
        CheckConstraint("still_needed <= quantity", name="resource_line_still_needed_within_quantity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True, ondelete="CASCADE")
    kind: ResourceKind = Field(sa_column=Column(enum_type(ResourceKind, "resource_kind"), nullable=False))
    category: Category = Field(sa_column=Column(enum_type(Category, "category"), nullable=False))
    description: str = Field(default="", max_length=500)
    quantity: Decimal = Field(sa_type=QUANTITY, nullable=False)
    unit: str = Field(max_length=32)
    # The item vocabulary's key for what the line names, resolved when saved (marketplace/items); NULL: none.
    item_key: str | None = Field(default=None, max_length=64, index=True)
    still_needed: Decimal = Field(sa_type=QUANTITY, nullable=False)
    # Closed as "enough" (部分办结): staff said what came is enough; nothing more is asked or claimed.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_reason: str | None = Field(default=None, max_length=500)


class Shift(SQLModel, table=True):
    """A volunteer shift of a need: a time window with a number of slots."""

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="shift_ends_after_start"),
        CheckConstraint("slots > 0", name="shift_slots_positive"),
        # The capacity invariant: never more confirmed volunteers than slots.
        CheckConstraint("confirmed_count >= 0 AND confirmed_count <= slots", name="shift_confirmed_within_slots"),
        # The review counts' overlap probe reads a held shift's times from this index alone (PostgreSQL).
        sa.Index("ix_shift_id_starts_at_ends_at", "id", "starts_at", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    location: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    slots: int
    confirmed_count: int = 0
    requires_approval: bool = False
    # A cancelled shift takes no sign-ups and no longer holds up verification.
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class ShiftSkill(SQLModel, table=True):
    __tablename__ = "shift_skill"

    shift_id: int = Field(foreign_key="shift.id", primary_key=True, ondelete="CASCADE")
    skill_id: int = Field(foreign_key="skill.id", primary_key=True, index=True)


class Escalation(SQLModel, table=True):
    """One step of an escalation (吹哨报到): a level, its deadline and its acknowledgement (报到)."""

    __table_args__ = (
        UniqueConstraint("need_id", "level", name="escalation_one_step_per_level"),
        CheckConstraint("deadline_at > opened_at", name="escalation_deadline_after_open"),
        CheckConstraint("level != 'department' OR department_id IS NOT NULL", name="escalation_names_department"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    level: EscalationLevel = Field(sa_column=Column(enum_type(EscalationLevel, "escalation_level"), nullable=False))
    department_id: int | None = Field(default=None, foreign_key="department.id")
    reason: str = Field(max_length=500)
    opened_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    deadline_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsentMethod(LabelledEnum):
    """How the resident said yes to sharing their contact: orally, in writing or by phone."""

    ORAL = "oral"
    WRITTEN = "written"
    PHONE = "phone"


register_labels("ConsentMethod", {"oral": N_("Oral"), "written": N_("Written"), "phone": N_("By phone")})


class NeedConsent(SQLModel, table=True):
    """The resident's consent that partners and volunteers working on the need see their contact.

    Staff record it and may withdraw it; a withdrawn record stays as history. At most one live record per
    need (a partial unique index), so two staff recording at once cannot both succeed.
    """

    __tablename__ = "need_consent"
    __table_args__ = (
        sa.Index(
            "need_consent_one_live",
            "need_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= recorded_at", name="need_consent_withdrawn_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True, ondelete="CASCADE")
    method: ConsentMethod = Field(sa_column=Column(enum_type(ConsentMethod, "consent_method"), nullable=False))
    note: str | None = Field(default=None, max_length=500)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    withdrawn_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_reason: str | None = Field(default=None, max_length=500)
