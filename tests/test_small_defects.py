"""Small defects of issue 11: automatic escalations are the system's acts in the audit log, not the
visitor's whose request ran the sweep; a partner whose organization is not approved sees no action it
cannot take, and reaching one anyway says why, in the reader's language, instead of a bare 403."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.needs.escalation import escalate_overdue
from marketplace.needs.models import EscalationLevel, Need, NeedStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import load_current_user
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import audit_events, fetch, make_grid, make_org, make_user, post_form, sign_in_as

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
    role = {"zh_CN": "管理员", "en": "Admin"}[lang]  # the role in the reader's language, not its code
    assert f'<span class="audit-actor">{admin.username} · {role}</span>' in logins


def test_the_audit_api_gives_the_system_role(client: TestClient[Any], session: Session) -> None:
    _overdue_need(session)
    sign_in_as(client, session, Role.ADMIN)
    client.get("/escalations")
    body = client.get("/api/v1/audit", params={"action": "need.escalate"}).json()
    [item] = body["events"]
    assert (item["actor"], item["actor_id"], item["actor_role"]) == (None, None, "system")


# --- a partner whose organization is not approved -----------------------------------------------------------


def _partner(client: TestClient[Any], session: Session, status: OrganizationStatus) -> Organization:
    organization = make_org(session, status)
    session.commit()
    sign_in_as(client, session, Role.PARTNER, organization_id=organization.id)
    return organization


def _nav(html: str) -> str:
    return html.split('<nav class="wrap main-nav"', 1)[1].split("</nav>", 1)[0]


def _street_day(moment: datetime, locale: str) -> str:
    return format_date(moment.astimezone(ZoneInfo("Asia/Shanghai")).date(), format="medium", locale=locale)


# A partner always has an organization (a CHECK constraint), so "none" is not a case to test.
@pytest.mark.parametrize("status", [OrganizationStatus.PENDING, OrganizationStatus.REJECTED])
def test_a_partner_not_yet_approved_is_offered_no_action_it_cannot_take(
    client: TestClient[Any], session: Session, status: OrganizationStatus
) -> None:
    need = factories.make_need(session, make_grid(session), NeedStatus.PUBLISHED, title="需要透水砖")
    session.commit()
    _partner(client, session, status)
    nav = _nav(client.get("/").text)
    for href in ("/recommended", "/claims", "/offers"):
        assert f'href="{href}"' not in nav, href
    assert 'href="/organization"' in nav
    offers = client.get("/offers")
    assert offers.status_code == 200
    assert 'href="/offers/new"' not in offers.text and 'href="/offers/import"' not in offers.text
    assert "街道审核通过后，贵单位即可发布资源。" in offers.text
    project = client.get(f"/projects/{need.id}").text
    assert f'href="/projects/{need.id}/take-part"' not in project
    assert "街道审核通过后，贵单位即可认领项目。" in project


def test_a_suspended_partner_keeps_its_history_in_view_but_may_not_publish(
    client: TestClient[Any], session: Session
) -> None:
    _partner(client, session, OrganizationStatus.SUSPENDED)
    nav = _nav(client.get("/").text)
    assert 'href="/claims"' in nav and 'href="/offers"' in nav and 'href="/recommended"' not in nav
    assert 'href="/offers/new"' not in client.get("/offers").text


def test_an_approved_partner_sees_every_action(client: TestClient[Any], session: Session) -> None:
    need = factories.make_need(session, make_grid(session), NeedStatus.PUBLISHED)
    session.commit()
    _partner(client, session, OrganizationStatus.APPROVED)
    nav = _nav(client.get("/").text)
    assert all(f'href="{href}"' in nav for href in ("/recommended", "/claims", "/offers", "/organization"))
    assert 'href="/offers/new"' in client.get("/offers").text
    assert f'href="/projects/{need.id}/take-part"' in client.get(f"/projects/{need.id}").text


@pytest.mark.parametrize(("lang", "headline", "next_step"), [
    ("zh_CN", "贵单位正在等待审核", "接下来会怎样"),
    ("en", "Your organization is awaiting approval", "What happens next"),
])  # fmt: skip
def test_a_pending_partner_reaching_publish_is_told_why_and_since_when(
    client: TestClient[Any], session: Session, lang: str, headline: str, next_step: str
) -> None:
    organization = _partner(client, session, OrganizationStatus.PENDING)
    client.cookies.set("lang", lang)
    for path in ("/offers/new", "/offers/import"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert headline in page.text and next_step in page.text
        assert _street_day(organization.created_at, lang) in page.text
        assert organization.name in page.text or (organization.name_en or "") in page.text


def test_a_pending_partner_claiming_a_project_is_told_why(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = factories.make_need(session, make_grid(session), NeedStatus.PUBLISHED)
    session.commit()
    _partner(client, session, OrganizationStatus.PENDING)
    response = post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"})
    assert response.status_code == 403 and "贵单位正在等待审核" in response.text
    assert audit_events(session, "match.claim") == []


def test_a_suspended_partner_is_told_the_streets_reason(client: TestClient[Any], session: Session) -> None:
    _partner(client, session, OrganizationStatus.SUSPENDED)
    client.cookies.set("lang", "en")
    page = client.get("/offers/new")
    assert page.status_code == 403
    assert "Your organization is suspended" in page.text and "资料不全" in page.text  # make_org's reason


def test_the_api_still_answers_a_pending_partner_with_a_json_403(client: TestClient[Any], session: Session) -> None:
    organization = make_org(session, OrganizationStatus.PENDING)
    user = make_user(session, Role.PARTNER, organization_id=organization.id)
    secret, _row = create_api_token(session, user_id=user.id, name="t", scopes=["offers:write"], created_by_id=None)  # type: ignore[arg-type]
    session.commit()
    grid = make_grid(session)
    session.commit()
    body = {
        "kind": "material",
        "category": "renovation",
        "title": "透水砖",
        "quantity": "10",
        "unit": "m²",
        "grid_ids": [grid.id],
    }
    response = client.post("/api/v1/offers", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
    assert response.json()["detail"] == "贵单位正在等待街道审核。"  # the same reason as before, in the default language
