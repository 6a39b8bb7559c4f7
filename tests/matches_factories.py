"""Test data for claims, sign-ups, review and delivery: a published project with a line and shifts,
partners with offers, volunteers, admins — each user with an API token (Authorization: Bearer)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.places.models import Grid
from marketplace.security.tokens import create_api_token
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
from tests import factories
from tests.security_helpers import make_grid, make_org, make_user

SCOPES = ["matches:read", "matches:write", "profile:read"]


def soon(hours: float = 24) -> datetime:
    """A time in the future (shifts must not be over to take sign-ups)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)


@dataclass
class Person:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def with_token(session: Session, user: User) -> Person:
    secret, _ = create_api_token(session, user_id=user.id or 0, name="tests", scopes=SCOPES, created_by_id=None)
    session.commit()
    return Person(user, secret)


def partner(session: Session, **fields: Any) -> Person:
    return with_token(session, make_user(session, Role.PARTNER, **fields))


def admin(session: Session) -> Person:
    return with_token(session, make_user(session, Role.ADMIN))


def volunteer(session: Session, grid: Grid) -> tuple[Person, VolunteerProfile]:
    user = make_user(session, Role.VOLUNTEER)
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    person = with_token(session, user)
    return person, profile


def project(
    session: Session, grid: Grid | None = None, status: NeedStatus = NeedStatus.PUBLISHED, **need_fields: Any
) -> Need:
    grid = grid or make_grid(session)
    need = factories.make_need(session, grid, status, **need_fields)
    session.commit()
    return need


def line(session: Session, need: Need, quantity: str = "10") -> ResourceLine:
    row = factories.add_resource_line(session, need, quantity)
    session.commit()
    return row


def shift(session: Session, need: Need, slots: int = 4, *, starts_in_hours: float = 24, **fields: Any) -> Shift:
    starts = soon(starts_in_hours)
    row = factories.add_shift(session, need, slots, starts_at=starts, **fields)
    session.commit()
    return row


def offer_of(session: Session, user: User, remaining: str = "10", quantity: str | None = None, **fields: Any) -> Offer:
    from marketplace.organizations.models import Organization

    organization = session.get(Organization, user.organization_id)
    assert organization is not None
    row = factories.make_offer(
        session,
        organization,
        quantity=Decimal(quantity or remaining),
        remaining_quantity=Decimal(remaining),
        **fields,
    )
    session.commit()
    return row


__all__ = ["make_grid", "make_org"]
