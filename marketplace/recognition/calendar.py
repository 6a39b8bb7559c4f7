"""A volunteer's shifts as an iCalendar feed (RFC 5545) their phone's calendar subscribes to.

Calendar apps fetch without cookies, so the feed's address carries its own key: the user's id and an
HMAC of it and of the user's feed generation under the deployment's secret key. Only who holds the
address reads the feed. A volunteer who let the address leak resets it (their calendar page, or
``POST /api/v1/me/calendar/reset``): the generation goes up by one, the old address answers 404 as a
forged one does, and the new one must be subscribed to again. Generation 0 signs the address as it was
signed before generations existed, so addresses already subscribed kept working. Rotating
MARKETPLACE_SECRET_KEY still revokes every address at once.
"""

import hmac
from datetime import datetime

import sqlalchemy as sa
from icalendar import Calendar, Event
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record
from marketplace.i18n import gettext as _
from marketplace.matches import services as matches_services
from marketplace.security.identity import CurrentUser, load_current_user
from marketplace.security.secrets import signature
from marketplace.volunteers.models import SignupStatus
from marketplace.whole_numbers import whole_number

KEY_LENGTH = 32
_CANCELLED = (SignupStatus.CANCELLED, SignupStatus.NO_SHOW)
_user = User.__table__  # type: ignore[attr-defined]


def _signature(secret_key: str, user_id: int, generation: int) -> str:
    # Generation 0 keeps the message of the first addresses, so they did not change when generations came.
    message = f"calendar-feed:{user_id}" if generation == 0 else f"calendar-feed:{user_id}:{generation}"
    return signature(secret_key, message)[:KEY_LENGTH]


def feed_key(secret_key: str, user_id: int, generation: int) -> str:
    return f"{user_id}-{_signature(secret_key, user_id, generation)}"


def _generation(db: Session, user_id: int) -> int | None:
    return db.execute(sa.select(_user.c.calendar_feed_generation).where(_user.c.id == user_id)).scalar_one_or_none()


def own_feed_key(db: Session, secret_key: str, volunteer: CurrentUser) -> str:
    """The key of the volunteer's address as it is now (after their latest reset)."""
    return feed_key(secret_key, volunteer.id, _generation(db, volunteer.id) or 0)


def feed_url(base_url: str, key: str) -> str:
    return f"{base_url}/calendar/{key}/shifts.ics"


def user_for_key(db: Session, secret_key: str, key: str) -> CurrentUser | None:
    """The volunteer whose feed this key opens, or None (a forged, malformed or reset key, a disabled account)."""
    user_part, _sep, signature = key.partition("-")
    user_id = whole_number(user_part)
    if user_id is None or len(signature) != KEY_LENGTH:
        return None
    generation = _generation(db, user_id)
    if generation is None or not hmac.compare_digest(signature, _signature(secret_key, user_id, generation)):
        return None
    user = load_current_user(db, user_id)
    return user if user is not None and user.is_volunteer else None


class NotAVolunteer(Exception):
    """The account is no (active) volunteer's: it has no calendar feed to reset."""


def reset(db: Session, volunteer: CurrentUser) -> int:
    """A new address for the volunteer's feed: the old one opens nothing from now on. Returns the new generation.

    One conditional UPDATE adds one to the generation, so two resets at the same time both count (each
    reads the row as the other left it). The audit row records the generations, never a key.
    """
    generation = db.execute(
        sa.update(_user)
        .where(
            _user.c.id == volunteer.id,
            _user.c.role == Role.VOLUNTEER,
            _user.c.is_active.is_(True),
        )
        .values(calendar_feed_generation=_user.c.calendar_feed_generation + 1)
        .returning(_user.c.calendar_feed_generation)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if generation is None:
        raise NotAVolunteer
    record(
        db,
        "calendar.reset",
        object_type="user",
        object_id=volunteer.id,
        actor=volunteer,
        before={"calendar_feed_generation": generation - 1},
        after={"calendar_feed_generation": generation},
    )
    return generation


def shifts_calendar(db: Session, volunteer: CurrentUser, now: datetime, base_url: str) -> bytes:
    """Every shift the volunteer signed up for: upcoming and past; cancelled ones marked so calendars drop them."""
    page = matches_services.signups_page(db, volunteer, now)
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
