"""Matches: proposed pairings of a need's line, shift or whole self with an offer, volunteer or partner."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, false, text
from sqlmodel import Field, SQLModel

from marketplace.db.types import QUANTITY, UTCDateTime, enum_type, json_type, utcnow
from marketplace.i18n import N_, NC_
from marketplace.vocabulary import LabelledEnum, register_labels


class MatchKind(LabelledEnum):
    OFFER_LINE = "offer_line"
    VOLUNTEER_SHIFT = "volunteer_shift"
    WHOLE_NEED = "whole_need"


class MatchSource(LabelledEnum):
    PARTNER_CLAIM = "partner_claim"
    VOLUNTEER_SIGNUP = "volunteer_signup"
    STAFF = "staff"
    MATCHING_ROUND = "matching_round"


class MatchStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


register_labels(
    "MatchKind",
    {
        "offer_line": N_("Offer for a resource line"),
        "volunteer_shift": N_("Volunteer for a shift"),
        "whole_need": N_("Partner for the whole project"),
    },
)
# Proposals the street makes to a candidate, who accepts or declines before an admin approves
# (matches/round_proposals.py): a matching round's, and staff's from a need's recommendations.
PROPOSAL_SOURCES = (MatchSource.MATCHING_ROUND, MatchSource.STAFF)

register_labels(
    "MatchSource",
    {
        "partner_claim": N_("Partner claim"),
        "volunteer_signup": N_("Volunteer sign-up"),
        "staff": N_("Staff"),
        "matching_round": N_("Matching round"),
    },
)
register_labels(
    "MatchStatus",
    {
        "proposed": N_("Proposed"),
        "approved": NC_("match status", "Approved"),  # 已批准: a match is approved (批准)
        "rejected": N_("Rejected"),
        "fulfilled": N_("Fulfilled"),
        "cancelled": N_("Cancelled"),
        "no_show": N_("No-show"),
    },
)

_LIVE = "status IN ('proposed', 'approved', 'fulfilled')"


class Match(SQLModel, table=True):
    __table_args__ = (
        # Each kind carries its own references and none of another kind's (an offer line match also
        # names the offer's organization, for the partner's views).
        CheckConstraint(
            "kind != 'offer_line' OR (resource_line_id IS NOT NULL AND offer_id IS NOT NULL "
            "AND quantity IS NOT NULL AND quantity > 0 AND shift_id IS NULL AND volunteer_id IS NULL)",
            name="match_offer_line_complete",
        ),
        CheckConstraint(
            "kind != 'volunteer_shift' OR (shift_id IS NOT NULL AND volunteer_id IS NOT NULL "
            "AND resource_line_id IS NULL AND offer_id IS NULL AND quantity IS NULL AND organization_id IS NULL)",
            name="match_volunteer_shift_complete",
        ),
        CheckConstraint(
            "kind != 'whole_need' OR (organization_id IS NOT NULL AND resource_line_id IS NULL "
            "AND offer_id IS NULL AND quantity IS NULL AND shift_id IS NULL AND volunteer_id IS NULL)",
            name="match_whole_need_complete",
        ),
        CheckConstraint(
            "status NOT IN ('rejected', 'cancelled') OR decision_reason IS NOT NULL", name="match_reason_required"
        ),
        CheckConstraint("shown_rank IS NULL OR shown_rank >= 1", name="match_shown_rank_positive"),
        # One live claim of a whole project at a time; one live pairing of a volunteer with a shift.
        Index(
            "match_one_live_whole_claim",
            "need_id",
            unique=True,
            sqlite_where=text(f"kind = 'whole_need' AND {_LIVE}"),
            postgresql_where=text(f"kind = 'whole_need' AND {_LIVE}"),
        ),
        Index(
            "match_one_live_volunteer_per_shift",
            "shift_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text(f"kind = 'volunteer_shift' AND {_LIVE}"),
            postgresql_where=text(f"kind = 'volunteer_shift' AND {_LIVE}"),
        ),
        # The admins' home counts of pending matches per kind and age read this index alone.
        Index("ix_match_status_kind_created_at", "status", "kind", "created_at"),
        # The review counts per matching round read the pending round proposals alone (SQLite walked every
        # pending item by the status index).
        Index("ix_match_status_round_id", "status", "round_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    kind: MatchKind = Field(sa_column=Column(enum_type(MatchKind, "match_kind"), nullable=False))
    source: MatchSource = Field(sa_column=Column(enum_type(MatchSource, "match_source"), nullable=False))
    resource_line_id: int | None = Field(default=None, foreign_key="resource_line.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id", index=True)
    quantity: Decimal | None = Field(default=None, sa_type=QUANTITY)
    shift_id: int | None = Field(default=None, foreign_key="shift.id", index=True)
    volunteer_id: int | None = Field(default=None, foreign_key="volunteer_profile.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    score: float | None = None
    # The top contributing features, as data the pages render in the reader's language.
    explanation: list[dict[str, Any]] | None = Field(default=None, sa_type=json_type())
    # Where the candidate stood in the list the decider saw, so training can correct for position.
    shown_rank: int | None = None
    # Shown in a list with one slot randomised (exploration), so training can tell it apart.
    explored: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # A proposed claim released because its need was changed and the line no longer needs it
    # (needs/changes.py): stored rejected with the change's reason, as the partner is told, but no admin
    # judged the offer: matches.services.JUDGED leaves it out of training and of the rounds' refused pairs.
    released_by_change: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    status: MatchStatus = Field(
        default=MatchStatus.PROPOSED,
        sa_column=Column(enum_type(MatchStatus, "match_status"), nullable=False, index=True),
    )
    decision_reason: str | None = Field(default=None, max_length=500)
    proposed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A matching round's proposal is an offer to the partner or volunteer: they accept it (this time)
    # or decline it (cancelled) before an admin may approve it. Claims and sign-ups are their own acts.
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    round_id: int | None = Field(default=None, foreign_key="match_round.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
