"""The time a volunteer's sign-up holds: one rule for every check that a volunteer is busy (a sign-up, an
approval, the review's conflict notes and filter, a matching round, the suggestions, a moved shift).

A sign-up holds its shift's time while it holds a slot (``SLOT_HOLDERS``), to the shift's end; a completed
stay, checked out before the end, held it only to the check-out: the rest of that shift is free, and a later
shift starting after the check-out may be taken (a volunteer who left at 10:35 was told to cancel a finished
shift before signing up for one at 11:00). Hours cannot count twice: a check-in waits for the check-out.
"""

import sqlalchemy as sa

from marketplace.needs.models import Shift
from marketplace.volunteers.models import ShiftSignup, SignupStatus

# Sign-ups holding a slot (confirmed_count counts them).
SLOT_HOLDERS = (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN, SignupStatus.COMPLETED)


def held_until(signup: type[ShiftSignup] | object = ShiftSignup, shift: type[Shift] | object = Shift) -> sa.Case:
    """SQL: when the sign-up stops holding the volunteer's time (over ``signup`` and ``shift``, the tables or
    their aliases, joined by the caller)."""
    status, checked_out, ends_at = signup.status, signup.checked_out_at, shift.ends_at  # type: ignore[attr-defined]
    left_early = sa.and_(status == SignupStatus.COMPLETED, checked_out.is_not(None), checked_out < ends_at)
    return sa.case((left_early, checked_out), else_=ends_at)
