"""Issuing and verifying certificates of service hours.

The hours are the volunteer's own figures by the one definition (volunteers.services.hours_summary):
credited completed sign-ups plus the hours the street's earlier paper records carried over. A certificate
freezes them with the holder's name and street; its code is what a reader types on the public page.
"""

import calendar
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.masking import mask_name
from marketplace.places.models import Street
from marketplace.places.services import street_of_grid
from marketplace.recognition.models import ServiceCertificate
from marketplace.security.identity import CurrentUser
from marketplace.volunteers import services as volunteers

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class NoHoursYet(Exception):
    """A certificate of nothing: the volunteer has no hours to certify."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code as stored, from what someone typed ("rp 7k3m-9qxd-2f0a" too); None when it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_READ_AS)
    if cleaned.startswith("RP") and len(cleaned) == CODE_LENGTH + 2:
        cleaned = cleaned[2:]
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def grouped(code: str) -> str:
    """RP-7K3M-9QXD-2F0A: the printed form."""
    return "RP-" + "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _period(by_month: list[tuple[str, Decimal, int]]) -> tuple[date | None, date | None]:
    months = sorted(month for month, _hours, shifts in by_month if shifts)
    if not months:
        return None, None
    first_year, first_month = (int(part) for part in months[0].split("-"))
    last_year, last_month = (int(part) for part in months[-1].split("-"))
    last_day = calendar.monthrange(last_year, last_month)[1]
    return date(first_year, first_month, 1), date(last_year, last_month, last_day)


def issue(db: Session, actor: CurrentUser) -> ServiceCertificate:
    """A certificate of the volunteer's hours as they stand; the latest one again when nothing changed since."""
    profile = volunteers.own_profile(db, actor)
    assert profile.id is not None
    summary = volunteers.hours_summary(db, profile.id, recent_limit=0)
    hours = summary.all_time
    if hours <= 0:
        raise NoHoursYet()
    latest = db.execute(
        sa.select(ServiceCertificate)
        .where(ServiceCertificate.volunteer_id == profile.id)
        .order_by(ServiceCertificate.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.hours == hours and latest.shifts == summary.completed:
        return latest
    street = db.get(Street, street_of_grid(db, profile.home_grid_id))
    first_day, last_day = _period(summary.by_month)
    certificate = ServiceCertificate(
        code=new_code(),
        volunteer_id=profile.id,
        holder_name=actor.display_name,
        street_name=street.name if street else "",
        street_name_en=street.name_en if street else "",
        hours=hours,
        shifts=summary.completed,
        first_day=first_day,
        last_day=last_day,
    )
    db.add(certificate)
    db.flush()
    return certificate


def own_certificates(db: Session, actor: CurrentUser) -> list[ServiceCertificate]:
    profile = volunteers.own_profile(db, actor)
    return list(
        db.execute(
            sa.select(ServiceCertificate)
            .where(ServiceCertificate.volunteer_id == profile.id)
            .order_by(ServiceCertificate.id.desc())  # type: ignore[union-attr]
        ).scalars()
    )


def own_certificate(db: Session, actor: CurrentUser, code: str) -> ServiceCertificate | None:
    """One of the volunteer's own certificates (another's is as good as missing)."""
    profile = volunteers.own_profile(db, actor)
    return db.execute(
        sa.select(ServiceCertificate).where(
            ServiceCertificate.code == code, ServiceCertificate.volunteer_id == profile.id
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Verification:
    """What the public page says about a code: enough to check a paper, not enough to find the person."""

    code: str
    holder: str  # masked
    street_name: str
    street_name_en: str
    hours: Decimal
    shifts: int
    first_day: date | None
    last_day: date | None
    issued_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "code": grouped(self.code),
            "valid": True,
            "holder": self.holder,
            "street": self.street_name,
            "street_en": self.street_name_en,
            "hours": float(self.hours),
            "shifts": self.shifts,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "issued_at": self.issued_at.isoformat(),
        }


def verify(db: Session, typed: str) -> Verification | None:
    code = normalise_code(typed)
    if code is None:
        return None
    row = db.execute(sa.select(ServiceCertificate).where(ServiceCertificate.code == code)).scalar_one_or_none()
    if row is None:
        return None
    return Verification(
        code=row.code,
        holder=mask_name(row.holder_name) or "",
        street_name=row.street_name,
        street_name_en=row.street_name_en,
        hours=row.hours,
        shifts=row.shifts,
        first_day=row.first_day,
        last_day=row.last_day,
        issued_at=row.issued_at,
    )
