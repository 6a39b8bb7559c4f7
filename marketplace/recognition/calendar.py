"""A volunteer's shifts as an iCalendar feed (RFC 5545) their phone's calendar subscribes to.

Calendar apps fetch without cookies, so the feed's address carries its own key: the user's id and an
HMAC of it under the deployment's secret key. Only who holds the address reads the feed; rotating
MARKETPLACE_SECRET_KEY revokes every address at once.
"""

import hmac
from datetime import datetime

from icalendar import Calendar, Event
from sqlmodel import Session

from marketplace.i18n import gettext as _
from marketplace.matches import page_data
from marketplace.security.identity import CurrentUser, load_current_user
from marketplace.security.secrets import signature
from marketplace.volunteers.models import SignupStatus

KEY_LENGTH = 32
_CANCELLED = (SignupStatus.CANCELLED, SignupStatus.NO_SHOW)


def _signature(secret_key: str, user_id: int) -> str:
    return signature(secret_key, f"calendar-feed:{user_id}")[:KEY_LENGTH]


def feed_key(secret_key: str, user_id: int) -> str:
    return f"{user_id}-{_signature(secret_key, user_id)}"


def user_for_key(db: Session, secret_key: str, key: str) -> CurrentUser | None:
    """The volunteer whose feed this key opens, or None (a forged or malformed key, a disabled account)."""
    user_part, _sep, signature = key.partition("-")
    if not user_part.isdigit() or len(user_part) > 12 or len(signature) != KEY_LENGTH:
        return None
    user_id = int(user_part)
    if not hmac.compare_digest(signature, _signature(secret_key, user_id)):
        return None
    user = load_current_user(db, user_id)
    return user if user is not None and user.is_volunteer else None


def shifts_calendar(db: Session, volunteer: CurrentUser, now: datetime, base_url: str) -> bytes:
    """Every shift the volunteer signed up for: upcoming and past; cancelled ones marked so calendars drop them."""
    page = page_data.signups_page(db, volunteer, now)
    calendar = Calendar()
    calendar.add("prodid", "-//Red Partners Marketplace//Shifts//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("My shifts"))
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    calendar.add("refresh-interval;value=duration", "PT1H")
    for row in [*page.current, *page.past]:
        signup, shift, need = row.signup, row.shift, row.need
        event = Event()
        event.add("uid", f"signup-{signup.id}@red-partners")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", shift.title)
        if need is not None:
            event.add("description", f"{need.title}\n{signup.status.label}\n{base_url}/projects/{need.id}")
            event.add("url", f"{base_url}/projects/{need.id}")
        event.add("status", "CANCELLED" if signup.status in _CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
