"""A background job's record: what it is, who started it, how far it got, how it ended."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, enum_type, json_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import LabelledEnum, register_labels


class JobStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


register_labels(
    "JobStatus",
    {"queued": N_("Queued"), "running": N_("Running"), "finished": N_("Finished"), "failed": N_("Failed")},
)

LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
ERROR_MAX = 2000
DEFAULT_MAX_ATTEMPTS = 3


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("length(kind) > 0", name="job_kind_not_empty"),
        CheckConstraint("done >= 0 AND total >= 0", name="job_progress_not_negative"),
        # A claim adds an attempt only while attempts < max_attempts, so this always holds.
        CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="job_attempts_in_range"),
        CheckConstraint("max_attempts >= 1 AND max_attempts <= 20", name="job_max_attempts_in_range"),
        # A failed job says why; a finished or failed one says when.
        CheckConstraint("status <> 'failed' OR error IS NOT NULL", name="job_failed_has_error"),
        CheckConstraint(
            "status NOT IN ('finished', 'failed') OR finished_at IS NOT NULL", name="job_ended_has_finished_at"
        ),
        # The worker's reclaim scan and the admin list read by status (and kind).
        Index("ix_job_status_kind", "status", "kind"),
        # The retention prune reads the ended jobs by when they ended (migration f2a3b4c5d6e7).
        Index("ix_job_status_finished_at", "status", "finished_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)
    status: JobStatus = Field(
        default=JobStatus.QUEUED, sa_column=Column(enum_type(JobStatus, "job_status"), nullable=False)
    )
    # Progress of the current stage, as the job reports it.
    stage: str = Field(default="queued", max_length=32)
    done: int = 0
    total: int = 0
    attempts: int = 0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    error: str | None = Field(default=None, max_length=ERROR_MAX)
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    # Unique when set: a scheduled run's slot ("schedule:offers.expire:2026-12-03T08:00"), so two workers
    # scheduling the same minute record one job.
    key: str | None = Field(default=None, max_length=128, unique=True)
    # Who holds the claim (host:pid:random); the finish is conditional on it, so a presumed-dead worker
    # that wakes up cannot finish a job someone else reclaimed.
    claimed_by: str | None = Field(default=None, max_length=128)
    started_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    # The street the job works for (a street's round, a street admin's import or export): its admins see it.
    # NULL for deployment-wide work (scheduled sweeps, training): city admins only (and whoever started it).
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or self.heartbeat_at or self.started_at
        return max((end - self.started_at).total_seconds(), 0.0)

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return min(100, round(100 * self.done / self.total))
