"""Presence at the service station: a printed QR code per shift for check-in and one for check-out.

The code's address carries an HMAC of the shift and the action, so only someone standing before the
printed sheet has it; scanning it checks in (or out) the volunteer's own sign-up for that shift, through
the same domain rules as the buttons on My shifts. A code works only in its window: check-in from an
hour before the start to the end (the rule matches_services.check_in enforces), check-out from the start until
two hours after the end.
"""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import segno
from sqlmodel import Session

from marketplace.matches import services as matches_services
from marketplace.needs.models import Need, Shift
from marketplace.security.identity import CurrentUser
from marketplace.security.secrets import signature
from marketplace.volunteers.models import ShiftSignup, SignupStatus

CHECK_OUT_GRACE = timedelta(hours=2)


class Action(StrEnum):
    CHECK_IN = "check-in"
    CHECK_OUT = "check-out"


def code_key(secret_key: str, shift_id: int, action: Action) -> str:
    return signature(secret_key, f"station:{shift_id}:{action.value}")[:24]


def key_is_valid(secret_key: str, shift_id: int, action: Action, key: str) -> bool:
    return hmac.compare_digest(key, code_key(secret_key, shift_id, action))


def window(shift: Shift, action: Action) -> tuple[datetime, datetime]:
    """When the printed code works."""
    if action is Action.CHECK_IN:
        return shift.starts_at - matches_services.CHECK_IN_OPENS, shift.ends_at
    return shift.starts_at, shift.ends_at + CHECK_OUT_GRACE


def scan_path(secret_key: str, shift_id: int, action: Action) -> str:
    return f"/station/scan/{shift_id}/{action.value}/{code_key(secret_key, shift_id, action)}"


def qr_svg(url: str) -> str:
    """The QR code as inline SVG (no file, no script), big enough to scan from a printed sheet."""
    return segno.make(url, error="m").svg_inline(scale=6, border=2, title=url)


@dataclass(frozen=True)
class ShiftAtStation:
    shift: Shift
    need: Need


def shift_at_station(db: Session, shift_id: int) -> ShiftAtStation | None:
    shift = db.get(Shift, shift_id)
    need = db.get(Need, shift.need_id) if shift is not None else None
    return ShiftAtStation(shift, need) if shift is not None and need is not None else None


def own_signup_for(db: Session, volunteer: CurrentUser, shift_id: int, now: datetime) -> ShiftSignup | None:
    """The volunteer's live sign-up for this shift (the one a scan acts on)."""
    page = matches_services.signups_page(db, volunteer, now)
    for row in [*page.current, *page.past]:
        if row.shift.id == shift_id and row.signup.status in (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN):
            return row.signup
    return None


def act(db: Session, volunteer: CurrentUser, signup: ShiftSignup, action: Action, now: datetime) -> ShiftSignup:
    assert signup.id is not None
    if action is Action.CHECK_IN:
        return matches_services.check_in(db, volunteer, signup.id, now)
    return matches_services.check_out(db, volunteer, signup.id, now)
