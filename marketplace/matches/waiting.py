"""Whether what the street asked of someone about a match still waits for them, as SQL conditions.

A notification asks its reader to act ("Next: accept or decline it in My claims"); when the match it is
about moves on (the partner withdrew the offer, a colleague answered, staff decided, the claim was
delivered, the volunteer checked in), the notification no longer applies. The notifications domain reads
these conditions at read time, for all of a page's rows (and the unread badge) in the statement it sends
anyway: each is an EXISTS correlated to the caller's match or shift column, so nothing is queried per row.
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from marketplace.matches.models import Match, MatchStatus
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

# What a match waits for, and from whom.
ANSWER = "answer"  # the candidate accepts or declines the street's proposal
DECISION = "decision"  # an admin approves or rejects a proposed match
DELIVERY = "delivery"  # the partner delivers an approved claim (a volunteer: serves the approved shift)
CHECK_IN = "check_in"  # the volunteer checks in to the shift their confirmed place is on
WAITS_FOR = (ANSWER, DECISION, DELIVERY, CHECK_IN)


def match_moved_on(what: str, match_id: Any) -> sa.ColumnElement[bool]:
    """The match ``match_id`` (a column or a value) exists and no longer waits for ``what``.

    A match the database does not know (an id from elsewhere) has not moved on: what was said stands.
    """
    from marketplace.matches.round_proposals import AWAITING  # read when asked: round_proposals imports much

    if what == CHECK_IN:
        return sa.exists().where(
            col(ShiftSignup.match_id) == match_id, col(ShiftSignup.status) != SignupStatus.CONFIRMED
        )
    waits = {
        ANSWER: AWAITING,
        DECISION: col(Match.status) == MatchStatus.PROPOSED,
        # Approved and not yet served: a volunteer's place (its sign-up) is still only confirmed.
        DELIVERY: sa.and_(
            col(Match.status) == MatchStatus.APPROVED,
            ~sa.exists().where(
                col(ShiftSignup.match_id) == Match.id, col(ShiftSignup.status) != SignupStatus.CONFIRMED
            ),
        ),
    }[what]
    return sa.exists().where(col(Match.id) == match_id, ~waits)


def shift_place_moved_on(shift_id: Any, user_id: Any) -> sa.ColumnElement[bool]:
    """The user (a column or a value) had a place on the shift and holds none still waiting for their check-in
    (checked in, served, cancelled, missed)."""

    def place(*conditions: Any) -> sa.Exists:
        return sa.exists().where(
            col(ShiftSignup.shift_id) == shift_id,
            col(VolunteerProfile.id) == ShiftSignup.volunteer_id,
            col(VolunteerProfile.user_id) == user_id,
            *conditions,
        )

    confirmed = col(ShiftSignup.status) == SignupStatus.CONFIRMED
    return sa.and_(place(~confirmed), ~place(confirmed))
