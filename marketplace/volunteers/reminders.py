"""Shift reminders: a confirmed volunteer hears of their shift once, within the lead time before it starts.

The ``shifts.remind`` job (scheduled every 15 minutes by default, docs/jobs.md) looks for confirmed
sign-ups whose shift starts within ``MARKETPLACE_SHIFT_REMINDER_HOURS`` and has not started, on a shift
and a need that are not cancelled, and puts a ``shift_reminder`` into the volunteer's notification
centre. Each reminder carries the once-key ``shift_reminder:SIGNUP:START`` (the start in UTC, to the
minute): the notification table's unique key makes it once per sign-up and start whoever runs the sweep,
however often; a shift moved to another time has another key, so its volunteers are reminded again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from marketplace.accounts.models import User
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.notifications.services import digest_key_for, send_once, sent_once_keys
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

KIND = "shift_reminder"
DEFAULT_LEAD_HOURS = 24
# Needs whose shifts no longer take place.
CLOSED_NEED_STATUSES = (NeedStatus.CANCELLED, NeedStatus.REJECTED)


@dataclass(frozen=True)
class Due:
    signup_id: int
    user_id: int
    shift_id: int
    shift: str
    location: str
    starts_at: datetime
    need_id: int
    need_title: str

    @property
    def once_key(self) -> str:
        return once_key(self.signup_id, self.starts_at)

    def payload(self) -> dict[str, Any]:
        return {
            "need_id": self.need_id,
            "need_title": self.need_title,
            "shift_id": self.shift_id,
            "signup_id": self.signup_id,
            "shift": self.shift,
            "location": self.location,
            "starts_at": self.starts_at.astimezone(UTC).isoformat(),
        }


def once_key(signup_id: int, starts_at: datetime) -> str:
    return f"{KIND}:{signup_id}:{starts_at.astimezone(UTC):%Y-%m-%dT%H:%M}"


def due_reminders(db: Session, now: datetime, lead: timedelta) -> list[Due]:
    """Confirmed sign-ups of active volunteers whose shift starts after ``now`` and within ``lead``."""
    statement = (
        sa.select(
            ShiftSignup.id,
            VolunteerProfile.user_id,
            Shift.id,
            Shift.title,
            Shift.location,
            Shift.starts_at,
            Need.id,
            Need.title,
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .join(Need, Need.id == Shift.need_id)  # type: ignore[arg-type]
        .join(VolunteerProfile, VolunteerProfile.id == ShiftSignup.volunteer_id)  # type: ignore[arg-type]
        .join(User, User.id == VolunteerProfile.user_id)  # type: ignore[arg-type]
        .where(
            ShiftSignup.status == SignupStatus.CONFIRMED,
            col(Shift.cancelled_at).is_(None),
            Shift.starts_at > now,
            Shift.starts_at <= now + lead,
            col(Need.status).not_in(CLOSED_NEED_STATUSES),
            col(User.is_active).is_(True),
            col(User.shift_reminders).is_(True),  # the volunteer may turn reminders off (/account)
        )
        .order_by(Shift.starts_at, ShiftSignup.id)
    )
    return [Due(*row) for row in db.execute(statement).all()]


def send_reminders(db: Session, now: datetime, lead_hours: int = DEFAULT_LEAD_HOURS) -> dict[str, int]:
    """Remind every volunteer due a reminder, in the caller's transaction: {"due": n, "sent": m}."""
    due = due_reminders(db, now, timedelta(hours=lead_hours))
    already = sent_once_keys(db, [item.once_key for item in due])
    sent = 0
    for item in due:
        if item.once_key in already:
            continue
        sent += send_once(
            db,
            item.user_id,
            KIND,
            item.payload(),
            once_key=item.once_key,
            subject_type="shift",
            subject_id=item.shift_id,
            digest_key=digest_key_for(KIND, "shift", item.shift_id),
        )
    return {"due": len(due), "sent": sent}
