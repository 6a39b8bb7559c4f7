"""A volunteer with a life on the platform (hours, a match, notifications, a token), and a scan of every column."""

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.notifications.models import Notification
from marketplace.places.models import Grid
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile, VolunteerSegment
from tests import factories
from tests.needs_helpers import token_for
from tests.security_helpers import make_user


@dataclass
class Person:
    user: User
    profile: VolunteerProfile
    token: str
    match_id: int
    signup_id: int

    @property
    def values(self) -> list[str]:
        """What identifies the person: none of it may survive an erasure anywhere."""
        return [self.user.display_name, self.user.username, self.user.phone or "", self.user.email or ""]


def volunteer_with_history(
    session: Session, grid: Grid, *, name: str, username: str, phone: str, email: str, hours: str = "3.00"
) -> Person:
    """A volunteer who served one finished shift (hours credited, match fulfilled) and got a notification."""
    user = make_user(session, Role.VOLUNTEER, username=username, display_name=name, phone=phone, email=email)
    profile = VolunteerProfile(user_id=user.id, home_grid_id=grid.id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    session.add(profile)
    session.flush()
    need = factories.make_need(session, grid, NeedStatus.VERIFIED, title="楼道清扫服务")
    start = utcnow() - timedelta(days=10)
    shift = Shift(
        need_id=need.id,
        title="清扫楼道",
        location="3号楼",
        slots=4,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )  # type: ignore[arg-type]
    session.add(shift)
    session.flush()
    match = Match(
        need_id=need.id,  # type: ignore[arg-type]
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.VOLUNTEER_SIGNUP,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=MatchStatus.FULFILLED,
        proposed_by_id=user.id,
    )
    session.add(match)
    session.flush()
    signup = ShiftSignup(
        shift_id=shift.id,  # type: ignore[arg-type]
        volunteer_id=profile.id,  # type: ignore[arg-type]
        match_id=match.id,
        status=SignupStatus.COMPLETED,
        checked_in_at=start,
        checked_out_at=start + timedelta(hours=3),
        hours_credited=Decimal(hours),
    )
    session.add(signup)
    session.add(
        Notification(
            user_id=user.id,  # type: ignore[arg-type]
            kind="signup.confirmed",
            subject_type="shift",
            subject_id=shift.id,  # type: ignore[arg-type]
            digest_key=f"signup-{shift.id}",
            payload={"shift_title": "清扫楼道"},
        )
    )
    record(
        session,
        "match.signup",
        object_type="match",
        object_id=match.id,
        actor_id=user.id,
        actor_role="volunteer",
        after={"volunteer": name},
        client_address="10.1.2.3",
    )
    session.commit()
    token = token_for(session, user, ("profile:read",))
    assert profile.id is not None and match.id is not None and signup.id is not None
    return Person(user=user, profile=profile, token=token, match_id=match.id, signup_id=signup.id)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def find_everywhere(session: Session, values: list[str]) -> list[str]:
    """Every (table.column) whose text or JSON holds one of ``values``: the whole database, every table."""
    found = []
    wanted = [v for v in values if v]
    with Session(session.get_bind()) as fresh:
        for table in SQLModel.metadata.sorted_tables:
            for row in fresh.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    text = _cell_text(value)
                    found.extend(f"{table.name}.{column}={value!r}" for v in wanted if v in text)
    return found


def counts(session: Session) -> dict[str, Any]:
    with Session(session.get_bind()) as fresh:
        return {
            "matches": fresh.execute(sa.select(sa.func.count()).select_from(Match)).scalar_one(),
            "signups": fresh.execute(sa.select(sa.func.count()).select_from(ShiftSignup)).scalar_one(),
            "hours": fresh.execute(sa.select(sa.func.sum(ShiftSignup.hours_credited))).scalar_one(),
            "needs": fresh.execute(sa.select(sa.func.count()).select_from(Need)).scalar_one(),
        }
