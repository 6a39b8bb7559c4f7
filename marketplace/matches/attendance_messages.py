"""What the My shifts page says when a check-in or check-out is refused: when it opens, or what to do first.

delivery.py answers in English for the API; these are the page's sentences, in the reader's language,
with the street's clock times (an old page may still show a button the moment no longer allows).
"""

from datetime import datetime

from sqlmodel import Session

from marketplace.i18n import gettext as _
from marketplace.matches.delivery import CHECK_IN_OPENS, AlreadyCheckedIn
from marketplace.matches.services import Conflict
from marketplace.needs.models import Shift
from marketplace.volunteers.models import ShiftSignup
from marketplace.web import local_day, local_time


def check_in_closed(shift: Shift, now: datetime) -> str:
    """Check-in is not open: when it opens, or that the shift is over."""
    opens = shift.starts_at - CHECK_IN_OPENS
    if now < opens:
        when = _("Check-in opens at %(time)s on %(day)s.") % {"time": local_time(opens), "day": local_day(opens)}
        return _("Check-in opens one hour before the shift starts and closes when it ends.") + " " + when
    return _("This shift is over.")


def check_out_not_yet(shift: Shift) -> str:
    return _("You can check out from %(time)s on %(day)s, when the shift starts.") % {
        "time": local_time(shift.starts_at),
        "day": local_day(shift.starts_at),
    }


def refusal(db: Session, signup_id: int, error: Conflict) -> str | None:
    """The page's sentence for a refused check-in or check-out; None leaves it to the general messages."""
    if isinstance(error, AlreadyCheckedIn):
        return _("You are checked in to “%(shift)s”. Check out there before you check in here.") % {
            "shift": error.shift_title
        }
    if "Check-out opens" in str(error.detail):
        signup = db.get(ShiftSignup, signup_id)
        shift = db.get(Shift, signup.shift_id) if signup is not None else None
        return check_out_not_yet(shift) if shift is not None else None
    return None
