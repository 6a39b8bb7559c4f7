"""Small defects of issue 11: automatic escalations are the system's acts in the audit log, not the
visitor's whose request ran the sweep; a partner whose organization is not approved sees no action it
cannot take, and reaching one anyway says why, in the reader's language, instead of a bare 403."""

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.needs.escalation import escalate_overdue
from marketplace.needs.models import EscalationLevel, Need, NeedStatus
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import load_current_user
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import audit_events, fetch, make_grid, make_user, post_form, sign_in_as

# --- automatic escalations are the system's ---------------------------------------------------------------


def _overdue_need(session: Session, title: str = "过期未办的路灯") -> Need:
    need = factories.make_need(
        session, make_grid(session), NeedStatus.PUBLISHED, title=title, due_date=utcnow().date() - timedelta(days=2)
    )
    session.commit()
    return need


def test_the_sweep_a_visit_runs_records_its_escalations_as_the_system(
    client: TestClient[Any], session: Session
) -> None:
    need = _overdue_need(session)
    admin = sign_in_as(client, session, Role.ADMIN)
    assert client.get("/escalations").status_code == 200
    assert fetch(session, Need, need.id).escalation_level is EscalationLevel.GRID
    [event] = audit_events(session, "need.escalate")
    assert (event.actor_id, event.actor_role, event.client_address) == (None, "system", None)
    assert event.actor_id != admin.id
    # The admin's own acts in the same request are still theirs: the login was recorded as the admin.
    [login] = audit_events(session, "auth.login")
    assert login.actor_id == admin.id


def test_an_escalation_staff_open_by_hand_stays_theirs(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = factories.make_need(session, make_grid(session), NeedStatus.PUBLISHED, title="楼道堆物")
    session.commit()
    admin = sign_in_as(client, session, Role.ADMIN)
    response = post_form(client, settings, f"/needs/{need.id}/escalate", {"reason": "三天无人处理"})
    assert response.status_code == 303, response.text[:300]
    [event] = audit_events(session, "need.escalate")
    assert (event.actor_id, event.actor_role) == (admin.id, "admin")


def test_the_sweep_is_the_system_even_inside_someone_elses_context(session: Session) -> None:
    """The command line and any caller: whoever is signed in around it, the sweep's rows name no one."""
    need = _overdue_need(session)
    user = load_current_user(session, make_user(session, Role.ADMIN).id)  # type: ignore[arg-type]
    user_token, address_token = current_user.set(user), current_client_address.set("203.0.113.9")
    try:
        assert escalate_overdue(session, utcnow()) == 1
        session.commit()
    finally:
        current_user.reset(user_token)
        current_client_address.reset(address_token)
    [event] = audit_events(session, "need.escalate")
    assert (event.actor_id, event.actor_role, event.client_address) == (None, "system", None)
    assert fetch(session, Need, need.id).escalation_level is EscalationLevel.GRID


@pytest.mark.parametrize(("lang", "word"), [("zh_CN", "系统"), ("en", "System")])
def test_the_audit_log_page_names_the_system(client: TestClient[Any], session: Session, lang: str, word: str) -> None:
    _overdue_need(session)
    admin = sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    client.get("/escalations")  # runs the sweep
    page = client.get("/admin/audit", params={"action": "need.escalate"})
    assert page.status_code == 200
    assert page.text.count('<details class="audit-event">') == 1
    actor = page.text.split('<span class="audit-actor">', 1)[1].split("</span>", 1)[0]
    assert actor == word
    assert admin.username not in actor
    logins = client.get("/admin/audit", params={"action": "auth.login"}).text
    assert f'<span class="audit-actor">{admin.username} · admin</span>' in logins


def test_the_audit_api_gives_the_system_role(client: TestClient[Any], session: Session) -> None:
    _overdue_need(session)
    sign_in_as(client, session, Role.ADMIN)
    client.get("/escalations")
    body = client.get("/api/v1/audit", params={"action": "need.escalate"}).json()
    [item] = body["events"]
    assert (item["actor"], item["actor_id"], item["actor_role"]) == (None, None, "system")
