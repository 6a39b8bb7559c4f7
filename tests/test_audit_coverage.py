"""One audit row (or the documented number) per privileged action, done through HTTP, each with
actor, role, object, before/after where something changed, time and client address.

Actions whose route does not exist (yet) are skipped with a reason naming the missing route.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login
from tests.security_world import World, app_routes, build_world, session_identity, use


@dataclass(frozen=True)
class Expected:
    actions: list[str]  # in the order they are written
    object_type: str
    object_id: int | None
    actor_id: int | None
    actor_role: str | None
    changes: bool = False  # before and after are recorded


@dataclass
class Ctx:
    client: TestClient[Any]
    world: World
    factory: sessionmaker[Session]
    settings: Settings
    session: Session

    def as_user(self, user_id: int) -> Any:
        identity = session_identity(self.factory, self.settings, user_id)
        use(self.client, identity)
        return identity

    def scalar(self, sql: str) -> Any:
        with self.factory() as db:  # a short transaction: SQLite's write lock is not held
            return db.execute(sa.text(sql)).scalar()

    def post(self, identity: Any, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data={**(data or {}), "csrf_token": identity.csrf}, follow_redirects=False)

    def anonymous_post(self, path: str, data: dict[str, Any]) -> Any:
        self.client.cookies.clear()
        page = self.client.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, f"no csrf token on {path}"
        return self.client.post(path, data=data | {"csrf_token": match.group(1)}, follow_redirects=False)


def _ok(response: Any) -> None:
    assert response.status_code in (200, 201, 303), f"{response.status_code}: {response.text[:800]}"


# --- the actions ------------------------------------------------------------------------------


def do_login(c: Ctx) -> Expected:
    c.client.cookies.clear()
    _ok(login(c.client, "w-manager-a", DEFAULT_PASSWORD))
    return Expected(["auth.login"], "user", c.world.ids["manager_a"], c.world.ids["manager_a"], "partner")


def do_failed_login(c: Ctx) -> Expected:
    c.client.cookies.clear()
    response = login(c.client, "w-manager-a", "not the password at all")
    assert response.status_code in (200, 400, 401), response.status_code
    return Expected(["auth.login_failed"], "user", c.world.ids["manager_a"], None, None)


def do_logout(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["staff_x"])
    _ok(c.post(identity, "/logout"))
    return Expected(["auth.logout"], "user", c.world.ids["staff_x"], c.world.ids["staff_x"], "staff")


def do_register_organization(c: Ctx) -> Expected:
    from tests.test_organizations import registration

    _ok(c.anonymous_post("/register/organization", registration([c.world.ids["grid_x"]])))
    org_id = c.scalar("SELECT max(id) FROM organization")
    return Expected(["organization.register", "user.register"], "organization", org_id, None, None, changes=False)


def do_register_volunteer(c: Ctx) -> Expected:
    from tests.factories import make_skill
    from tests.test_volunteers import signup_form

    skill = make_skill(c.session)
    c.session.commit()
    _ok(c.anonymous_post("/register/volunteer", signup_form(c.world.ids["grid_x"], [skill.id])))  # type: ignore[list-item]
    user_id = c.scalar("SELECT max(id) FROM user_account")
    return Expected(["user.register", "volunteer.register"], "user", user_id, None, None)


def do_role_change(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    target = c.world.ids["volunteer_w_user"]
    _ok(c.post(identity, f"/admin/users/{target}/role", {"role": "staff", "grid_ids": [str(c.world.ids["grid_y"])]}))
    return Expected(["user.role_change"], "user", target, c.world.ids["admin"], "admin", changes=True)


def do_disable(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    target = c.world.ids["partner_a2"]
    _ok(c.post(identity, f"/admin/users/{target}/disable"))
    return Expected(["user.disable"], "user", target, c.world.ids["admin"], "admin", changes=True)


def do_enable(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    target = c.world.ids["disabled"]
    _ok(c.post(identity, f"/admin/users/{target}/enable"))
    return Expected(["user.enable"], "user", target, c.world.ids["admin"], "admin", changes=True)


def _decide(decision: str, org: str, reason: str | None = None) -> Callable[[Ctx], Expected]:
    def act(c: Ctx) -> Expected:
        identity = c.as_user(c.world.ids["admin"])
        org_id = c.world.ids[org]
        _ok(c.post(identity, f"/admin/organizations/{org_id}/{decision}", {"reason": reason} if reason else {}))
        return Expected([f"organization.{decision}"], "organization", org_id, c.world.ids["admin"], "admin", True)

    return act


def do_password_change(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["manager_b"])
    new = "a brand new passphrase 2026"
    data = {"current_password": DEFAULT_PASSWORD, "new_password": new, "confirm_password": new}
    _ok(c.post(identity, "/account/password", data))
    return Expected(["auth.password_changed"], "user", c.world.ids["manager_b"], c.world.ids["manager_b"], "partner")


def do_reset_issue(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    target = c.world.ids["staff_y"]
    _ok(c.post(identity, f"/admin/users/{target}/reset-link"))
    return Expected(["user.password_reset_issued"], "user", target, c.world.ids["admin"], "admin")


def do_reset_use(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    target = c.world.ids["staff_y"]
    issued = c.post(identity, f"/admin/users/{target}/reset-link")
    _ok(issued)
    shown = c.client.get(issued.headers["location"])  # the link is made and shown on the page it leads to
    link = re.search(r"/reset/[A-Za-z0-9_\-]+", shown.text)
    assert link, "no reset link on the page"
    _consume_audit_baseline(c)
    new = "reset passphrase for staff 2026"
    _ok(c.anonymous_post(link.group(0), {"new_password": new, "confirm_password": new}))
    return Expected(["auth.password_reset"], "user", target, target, "staff")


def do_token_create(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    _ok(c.post(identity, "/admin/tokens", {"user": "w-staff-x", "name": "hotline", "scopes": ["needs:write"]}))
    token_id = c.scalar("SELECT max(id) FROM api_token")
    return Expected(["token.create"], "api_token", token_id, c.world.ids["admin"], "admin")


def do_token_revoke(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["admin"])
    token_id = c.world.ids["admin_token"]
    _ok(c.post(identity, f"/admin/tokens/{token_id}/revoke"))
    return Expected(["token.revoke"], "api_token", token_id, c.world.ids["admin"], "admin", changes=True)


def do_job_retry(c: Ctx) -> Expected:
    from marketplace.accounts.models import User
    from marketplace.db.types import utcnow
    from marketplace.jobs import backends
    from marketplace.jobs.models import Job, JobStatus

    with c.factory() as db:
        # A job of the admin's own street: a street admin sees (and retries) only those.
        admin = db.get(User, c.world.ids["admin"])
        street_id = admin.street_id if admin else None
        job = Job(
            kind="offers.expire",
            status=JobStatus.FAILED,
            error="boom",
            attempts=1,
            finished_at=utcnow(),
            street_id=street_id,
        )
        db.add(job)
        db.commit()
        job_id = job.id
    identity = c.as_user(c.world.ids["admin"])
    _consume_audit_baseline(c)
    _ok(c.post(identity, f"/admin/jobs/{job_id}/retry"))
    assert backends.wait(timeout=60)  # the retried job runs on a thread here: done before the tables are emptied
    return Expected(["job.retry"], "job", job_id, c.world.ids["admin"], "admin", changes=True)


def do_profile_edit(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["staff_x"])
    data = {"display_name": "改过的名字", "phone": "13700000001", "email": "", "preferred_locale": "en"}
    _ok(c.post(identity, "/account", data))
    return Expected(["user.profile_update"], "user", c.world.ids["staff_x"], c.world.ids["staff_x"], "staff", True)


def do_organization_edit(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["manager_a"])
    page = c.client.get("/organization")
    assert page.status_code == 200
    data = {
        "contact_name": "李娜",
        "contact_phone": "13800138001",
        "address": "新地址",
        "description": "新的说明",
        "grid_ids": [str(c.world.ids["grid_x"])],
    }
    _ok(c.post(identity, "/organization", data))
    org_id = c.world.ids["org_a"]
    return Expected(["organization.update"], "organization", org_id, c.world.ids["manager_a"], "partner", True)


def do_volunteer_edit(c: Ctx) -> Expected:
    from tests.factories import make_skill
    from tests.test_volunteers import signup_form

    skill = make_skill(c.session)
    c.session.commit()
    identity = c.as_user(c.world.ids["volunteer_v_user"])
    edit = signup_form(c.world.ids["grid_x"], [skill.id], segment="resident", is_party_member="", slots=["2-evening"])  # type: ignore[list-item]
    edit.pop("password"), edit.pop("username")
    _ok(c.post(identity, "/volunteer/profile", edit))
    profile = c.world.ids["volunteer_v"]
    return Expected(["volunteer.update"], "volunteer", profile, c.world.ids["volunteer_v_user"], "volunteer", True)


def do_calendar_reset(c: Ctx) -> Expected:
    identity = c.as_user(c.world.ids["volunteer_v_user"])
    _ok(c.post(identity, "/volunteer/calendar/reset", {}))
    user = c.world.ids["volunteer_v_user"]
    return Expected(["calendar.reset"], "user", user, user, "volunteer", True)


# (name, routes it needs, action)
ACTIONS: list[tuple[str, list[str], Callable[[Ctx], Expected]]] = [
    ("login", ["POST /login"], do_login),
    ("failed login", ["POST /login"], do_failed_login),
    ("logout", ["POST /logout"], do_logout),
    ("organization registration", ["POST /register/organization"], do_register_organization),
    ("volunteer registration", ["POST /register/volunteer"], do_register_volunteer),
    ("role change", ["POST /admin/users/{user_id:int}/role"], do_role_change),
    ("disable", ["POST /admin/users/{user_id:int}/disable"], do_disable),
    ("enable", ["POST /admin/users/{user_id:int}/enable"], do_enable),
    (
        "organization approve",
        ["POST /admin/organizations/{organization_id:int}/{decision:str}"],
        _decide("approve", "org_p"),
    ),
    (
        "organization reject",
        ["POST /admin/organizations/{organization_id:int}/{decision:str}"],
        _decide("reject", "org_p", "资料不全"),
    ),
    (
        "organization suspend",
        ["POST /admin/organizations/{organization_id:int}/{decision:str}"],
        _decide("suspend", "org_b", "投诉核查中"),
    ),
    ("password change", ["POST /account/password"], do_password_change),
    ("password reset issue", ["POST /admin/users/{user_id:int}/reset-link"], do_reset_issue),
    ("password reset use", ["POST /admin/users/{user_id:int}/reset-link", "POST /reset/{token:str}"], do_reset_use),
    ("token create", ["POST /admin/tokens"], do_token_create),
    ("token revoke", ["POST /admin/tokens/{token_id:int}/revoke"], do_token_revoke),
    ("job retry", ["POST /admin/jobs/{job_id:int}/retry"], do_job_retry),
    ("profile edit", ["POST /account"], do_profile_edit),
    ("organization edit", ["GET /organization", "POST /organization"], do_organization_edit),
    ("volunteer profile edit", ["POST /volunteer/profile"], do_volunteer_edit),
    ("calendar reset", ["POST /volunteer/calendar/reset"], do_calendar_reset),
]


_BASELINE: dict[int, int] = {}


def _consume_audit_baseline(c: Ctx) -> None:
    """Count only rows written after this point (an action's own preparation is not the action)."""
    _BASELINE[id(c)] = _max_audit_id(c)


def _max_audit_id(c: Ctx) -> int:
    with c.factory() as db:
        return int(db.execute(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0))).scalar_one())


@pytest.mark.parametrize(("name", "needs", "action"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_one_audit_row_per_privileged_action(
    name: str,
    needs: list[str],
    action: Callable[[Ctx], Expected],
    app: Litestar,
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    routes = {route.label for route in app_routes(app)}
    missing = [route for route in needs if route not in routes]
    if missing:
        pytest.skip(f"{name}: missing route {', '.join(missing)}")
    world = build_world(session, session_factory, settings)
    ctx = Ctx(client, world, session_factory, settings, session)
    _consume_audit_baseline(ctx)
    started = utcnow()
    expected = action(ctx)
    baseline = _BASELINE.pop(id(ctx))
    with session_factory() as db:
        rows = list(db.execute(sa.select(AuditEvent).where(AuditEvent.id > baseline).order_by(AuditEvent.id)).scalars())
    assert [row.action for row in rows] == expected.actions, [(r.action, r.object_type, r.object_id) for r in rows]
    main = rows[0]
    assert main.object_type == expected.object_type, main.object_type
    if expected.object_id is not None:
        assert main.object_id == expected.object_id
    else:
        assert main.object_id is not None
    if expected.actor_id is not None:
        assert main.actor_id == expected.actor_id and main.actor_role == expected.actor_role
    for row in rows:
        assert row.client_address, f"{row.action} has no client address"
        assert started - timedelta(seconds=5) <= row.created_at <= utcnow() + timedelta(seconds=5)
        assert "password" not in str(row.after).lower().replace("password_changed", "")
    if expected.changes:
        assert main.before is not None and main.after is not None and main.before != main.after, (
            main.before,
            main.after,
        )


def test_the_audit_log_search_knows_every_recorded_action() -> None:
    """Each action the code records is in the audit page's list of known actions."""
    from pathlib import Path

    from marketplace.admin.audit_log import KNOWN_ACTIONS

    source = Path(__file__).resolve().parent.parent / "marketplace"
    literal = re.compile(r'record\(\s*(?:db|session|connection)\s*,\s*"([a-z_]+\.[a-z_]+)"')
    nearby = re.compile(r'^\s*"([a-z_]+\.[a-z_]+)"(?: if .*)?,?$')
    found: set[str] = set()
    for path in source.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            found |= set(literal.findall(line))
            if line.rstrip().endswith("record(") and number + 2 < len(lines):
                for follower in lines[number + 1 : number + 3]:
                    match = nearby.match(follower.strip().replace('"user.enable" if active else ', ""))
                    if match:
                        found.add(match.group(1))
    assert found, "no record(...) calls found"
    assert not found - set(KNOWN_ACTIONS), sorted(found - set(KNOWN_ACTIONS))
