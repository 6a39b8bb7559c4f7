"""A matching round's record: who started it, how far it got, what it found and how long each step took."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, false, text
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, enum_type, json_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import LabelledEnum, register_labels


class RoundStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class RoundMethod(LabelledEnum):
    OPTIMAL = "optimal"
    GREEDY = "greedy"


register_labels(
    "RoundStatus",
    {"queued": N_("Queued"), "running": N_("Running"), "finished": N_("Finished"), "failed": N_("Failed")},
)
register_labels("RoundMethod", {"optimal": N_("Exactly optimal"), "greedy": N_("Greedy (baseline)")})

LIVE_STATUSES = (RoundStatus.QUEUED, RoundStatus.RUNNING)
_LIVE = "status IN ('queued', 'running')"
# A round plans for everything open in its scope: the whole deployment ("all") or one street
# ("street:<id>", see street_scope); the unique index below allows one live round per scope.
WHOLE_DEPLOYMENT = "all"


def street_scope(street_id: int | None) -> str:
    """The scope of a round for one street, or for the whole deployment when ``street_id`` is None."""
    return WHOLE_DEPLOYMENT if street_id is None else f"street:{street_id}"


class MatchRound(SQLModel, table=True):
    __tablename__ = "match_round"
    __table_args__ = (
        CheckConstraint("k >= 1 AND k <= 100", name="match_round_k_in_range"),
        # One round at a time: a second insert while one is queued or running fails in the database.
        Index(
            "match_round_one_live",
            "scope",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default=WHOLE_DEPLOYMENT, max_length=32)
    # The street the round plans for (its scope is then "street:<id>"); None plans for every street.
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    status: RoundStatus = Field(
        default=RoundStatus.QUEUED,
        sa_column=Column(enum_type(RoundStatus, "match_round_status"), nullable=False, index=True),
    )
    method: RoundMethod = Field(
        default=RoundMethod.OPTIMAL, sa_column=Column(enum_type(RoundMethod, "match_round_method"), nullable=False)
    )
    k: int = 20
    # Progress of the current stage (loading, lines, shifts, allocation, writing).
    stage: str = Field(default="queued", max_length=32)
    done: int = 0
    total: int = 0
    lines: int = 0  # open resource lines considered
    shifts: int = 0  # open shifts considered
    line_candidates: int = 0
    shift_candidates: int = 0
    line_proposals: int = 0
    shift_proposals: int = 0
    # Planned pairs not written because a live match or sign-up for them appeared meanwhile.
    skipped: int = 0
    objective: float | None = None
    seconds: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    error: str | None = Field(default=None, max_length=500)
    started_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    # Started by the street's schedule (RoundSchedule), not by a person or the command line.
    scheduled: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Written every second while the round works; a live round whose heartbeat stopped was interrupted.
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def proposals(self) -> int:
        return self.line_proposals + self.shift_proposals

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish (or to the last heartbeat while it runs)."""
        if self.started_at is None:
            return None
        end = self.finished_at or self.heartbeat_at
        return max((end - self.started_at).total_seconds(), 0.0)


# Days of the week as bits of RoundSchedule.weekdays, Monday first (datetime.weekday()).
WEEKDAY_BITS = tuple(1 << day for day in range(7))
EVERY_WEEKDAY = (1 << 7) - 1


class RoundSchedule(SQLModel, table=True):
    """A street's standing order for matching rounds: on these weekdays at this time (street clock), plan the
    street. The scheduled sweep (``rounds.schedule``) starts each due round once: ``last_slot`` moves forward
    by a conditional update, so however many processes sweep the same minute, one round is started."""

    __tablename__ = "round_schedule"
    __table_args__ = (
        CheckConstraint("k >= 1 AND k <= 100", name="round_schedule_k_in_range"),
        CheckConstraint("at_minute >= 0 AND at_minute < 1440", name="round_schedule_minute_of_day"),
        CheckConstraint("weekdays >= 0 AND weekdays < 128", name="round_schedule_weekday_bits"),
    )

    street_id: int = Field(foreign_key="street.id", primary_key=True)
    enabled: bool = False
    weekdays: int = 0  # WEEKDAY_BITS of the days it runs
    at_minute: int = 9 * 60  # minutes after midnight, street clock
    method: RoundMethod = Field(
        default=RoundMethod.OPTIMAL,
        sa_column=Column(enum_type(RoundMethod, "round_schedule_method"), nullable=False),
    )
    k: int = 20
    # The due time (UTC) of the last slot a sweep claimed; a slot at or before it has been started.
    last_slot: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The round the last claimed slot started (None when that street's round was still live then).
    last_round_id: int | None = Field(default=None, foreign_key="match_round.id")
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
