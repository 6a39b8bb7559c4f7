"""Whether what the street asked of someone about a match still waits for them, as SQL conditions.

A notification asks its reader to act ("Next: accept or decline it in My claims"); when the match it is
about moves on (the partner withdrew the offer, a colleague answered, staff decided, the claim was
delivered, the volunteer checked in, the shift ended or was cancelled), the notification no longer applies.
The notifications domain reads these conditions at read time, for all of a page's rows (and the unread badge)
in the statement it sends anyway: each is an EXISTS correlated to the caller's match or shift column, so
nothing is queried per row.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Shift
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

# What a match waits for, and from whom.
ANSWER = "answer"  # the candidate accepts or declines the street's proposal
DECISION = "decision"  # an admin approves or rejects a proposed match
DELIVERY = "delivery"  # the partner delivers an approved claim (a volunteer: serves the approved shift)
CHECK_IN = "check_in"  # the volunteer checks in to the shift their confirmed place is on
# A claim a change to its need kept ("your claim stands: deliver as agreed"): proposed or approved, not served.
STANDS = "stands"
WAITS_FOR = (ANSWER, DECISION, DELIVERY, CHECK_IN, STANDS)


def shift_done(shift_id: Any, now: datetime | None = None) -> sa.Exists:
    """The shift ``shift_id`` (a column or a value) is over or cancelled: nobody can check in to it any more
    (check-in closes at its end, ``delivery.check_in_closed``). "Over" is at ``now``, the caller's clock (a job
    run for a given moment, the daily digest's), else the app's clock when the statement is made."""
    over = col(Shift.ends_at) <= (now or utcnow())
    return sa.exists().where(col(Shift.id) == shift_id, sa.or_(col(Shift.cancelled_at).is_not(None), over))


def _place_done(match_id: Any, now: datetime | None = None) -> sa.Exists:
    """The match's sign-up is no longer a confirmed place waiting for its check-in (or its shift is done)."""
    return sa.exists().where(
        col(ShiftSignup.match_id) == match_id,
        sa.or_(col(ShiftSignup.status) != SignupStatus.CONFIRMED, shift_done(ShiftSignup.shift_id, now)),
    )


def match_moved_on(what: str, match_id: Any, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The match ``match_id`` (a column or a value) exists and no longer waits for ``what`` (at ``now``).

    A match the database does not know (an id from elsewhere) has not moved on: what was said stands.
    """
    from marketplace.matches.round_proposals import AWAITING  # read when asked: round_proposals imports much

    if what == CHECK_IN:
        return _place_done(match_id, now)
    waits = {
        ANSWER: AWAITING,
        DECISION: col(Match.status) == MatchStatus.PROPOSED,
        # Approved and not yet served: a volunteer's place (its sign-up) is still only confirmed, its shift ahead.
        DELIVERY: sa.and_(col(Match.status) == MatchStatus.APPROVED, ~_place_done(Match.id, now)),
        STANDS: sa.and_(
            col(Match.status).in_((MatchStatus.PROPOSED, MatchStatus.APPROVED)), ~_place_done(Match.id, now)
        ),
    }[what]
    return sa.exists().where(col(Match.id) == match_id, ~waits)


def shift_place_moved_on(shift_id: Any, user_id: Any, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The user (a column or a value) had a place on the shift and holds none still waiting for their check-in
    (checked in, served, cancelled, missed), or the shift is over or cancelled."""

    def place(*conditions: Any) -> sa.Exists:
        return sa.exists().where(
            col(ShiftSignup.shift_id) == shift_id,
            col(VolunteerProfile.id) == ShiftSignup.volunteer_id,
            col(VolunteerProfile.user_id) == user_id,
            *conditions,
        )

    confirmed = col(ShiftSignup.status) == SignupStatus.CONFIRMED
    return sa.and_(place(), sa.or_(~place(confirmed), shift_done(shift_id, now)))


def signup_moved_on(signup_id: Any, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The sign-up ``signup_id`` (a column or a value) exists and no longer waits for its volunteer to come:
    checked in, served, cancelled or missed, or its shift is over or cancelled."""
    live = col(ShiftSignup.status).in_((SignupStatus.PENDING, SignupStatus.CONFIRMED))
    return sa.exists().where(col(ShiftSignup.id) == signup_id, sa.or_(~live, shift_done(ShiftSignup.shift_id, now)))
