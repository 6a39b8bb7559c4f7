"""Each person chooses on their account page whether the centre sends them shift reminders and the daily
digest. Both are on for everyone until turned off; turned off, the sweeps pass them by and the others
still get theirs; the change is audited and the page shows the choice."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEvent
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.notifications import daily
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import send
from marketplace.settings import Settings
from marketplace.volunteers import reminders
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form, reading
from tests.test_shift_reminders_and_digests import _volunteer_on


def _kinds_of(session: Session, user_id: int) -> list[str]:
    with reading(session) as db:
        query = sa.select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        return list(db.execute(query).scalars())


def _turn_off_everything(client: TestClient[Any], settings: Settings, username: str) -> None:
    assert login(client, username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = client.get("/account")
    assert page.status_code == 200
    assert 'name="shift_reminders" type="checkbox" checked' in page.text  # on until turned off
    assert post_form(client, settings, "/account/notifications", {}).status_code == 303
    again = client.get("/account")
    assert 'name="shift_reminders" type="checkbox" checked' not in again.text
    assert 'name="daily_digest" type="checkbox" checked' not in again.text


def test_a_volunteer_who_turns_reminders_off_is_not_reminded_and_others_still_are(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    need = mf.project(session)
    shift = mf.shift(session, need, starts_in_hours=5)
    quiet, _ = _volunteer_on(session, shift)
    keen, _ = _volunteer_on(session, shift)
    _turn_off_everything(client, settings, quiet.username)
    with session_scope(session_factory) as db:
        assert reminders.send_reminders(db, utcnow(), 24)["sent"] == 1
    assert reminders.KIND not in _kinds_of(session, quiet.id)
    assert reminders.KIND in _kinds_of(session, keen.id)
    with reading(session) as db:
        row = db.get(User, quiet.id)
        assert row is not None and not row.shift_reminders and not row.daily_digest
        audit = db.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "user.profile_update", AuditEvent.object_id == quiet.id)
        ).scalar_one()
        assert audit.after == {"shift_reminders": False, "daily_digest": False}


def test_one_who_turns_the_digest_off_gets_none_and_can_turn_it_back_on(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    need = mf.project(session)
    shift = mf.shift(session, need, starts_in_hours=50)
    quiet, _ = _volunteer_on(session, shift)
    keen, _ = _volunteer_on(session, shift)
    for person in (quiet, keen):
        send(session, person.id or 0, "need_closed", {"need_title": "楼道清理"}, echo=False)
    session.commit()
    _turn_off_everything(client, settings, quiet.username)
    with session_scope(session_factory) as db:
        daily.send_digests(db, utcnow())
    assert daily.KIND not in _kinds_of(session, quiet.id)
    assert daily.KIND in _kinds_of(session, keen.id)
    assert post_form(client, settings, "/account/notifications", {"daily_digest": "on"}).status_code == 303
    with reading(session) as db:
        row = db.get(User, quiet.id)
        assert row is not None and row.daily_digest and not row.shift_reminders
