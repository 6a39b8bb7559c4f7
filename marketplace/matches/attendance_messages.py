"""What the My shifts page says when a check-in or check-out is refused: when it opens, or what to do first.

delivery.py raises these refusals once, in the reader's language with the street's clock times (refusals.py);
the page says the same sentence (an old page may still show a button the moment no longer allows).
"""

from datetime import datetime

from marketplace.i18n import gettext as _
from marketplace.matches import delivery
from marketplace.matches.delivery import AlreadyCheckedIn
from marketplace.matches.services import Conflict
from marketplace.needs.models import Shift


def check_in_closed(shift: Shift, now: datetime) -> str:
    """Check-in is not open: when it opens, or that the shift is over."""
    closed = delivery.check_in_closed(shift, now)
    return _("This shift is over.") if closed is None else str(closed.detail)


def refusal(error: Conflict) -> str | None:
    """The page's sentence for a refused check-in or check-out; None leaves it to the general messages."""
    if isinstance(error, AlreadyCheckedIn):
        return _("You are checked in to “%(shift)s”. Check out there before you check in here.") % {
            "shift": error.shift_title
        }
    return None
