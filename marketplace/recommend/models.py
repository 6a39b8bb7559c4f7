"""The impression log: recommendation lists shown with one slot explored (matching/exploration.py).

A proposal records where its candidate stood (``Match.shown_rank``, ``Match.explored``), but a list
nobody proposed from leaves no trace, and an explored candidate passed over is exactly the evidence
that estimates how much the rank itself sways people. So each explored list is logged as it was shown:
its candidates in order and the slot drawn at random. Training counts, per slot, how often the explored
candidate was proposed and approved (``recommend/impressions.py``).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, json_type, utcnow

LIST_KINDS = ("offers", "volunteers")


class ShownList(SQLModel, table=True):
    __tablename__ = "shown_list"
    __table_args__ = (
        CheckConstraint("kind IN ('offers', 'volunteers')", name="shown_list_kind_known"),
        CheckConstraint("explored_slot >= 0 AND explored_slot < 100", name="shown_list_explored_slot_in_range"),
        CheckConstraint("part_id >= 1", name="shown_list_part_id_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    need_id: int = Field(foreign_key="need.id", index=True, ondelete="CASCADE")
    # A resource line (offers) or a shift (volunteers) of the need.
    part_id: int
    # The candidates (offer or volunteer profile ids) in the order shown, best first.
    candidate_ids: list[int] = Field(sa_type=json_type())
    explored_slot: int  # 0-based place of the candidate drawn from just below the list
    explored_candidate_id: int = Field(index=True)
    scorer: str = Field(max_length=16)  # "default" or "learned"
    shown_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
