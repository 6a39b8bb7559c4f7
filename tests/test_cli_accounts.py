"""`marketplace user ...` and `marketplace token ...`: settings from the environment, audited as "cli",
the token printed alone on stdout and accepted by the JSON API."""

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken, UserSession
from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import verify_password
from marketplace.audit.models import AuditEvent
from marketplace.cli import main
from marketplace.settings import Settings
from tests.security_helpers import make_community, make_user
from tests.security_world import session_identity, use

PASSWORD = "plum blossom 2026 quay"


@pytest.fixture
def run(settings: Settings, clean_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def _events(factory: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with factory() as db:
        return list(db.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_user_create_makes_the_first_admin_with_a_prompted_password(
    run: Any, session_factory: sessionmaker[Session]
) -> None:
    result = run(
        "user", "create", "--username", "Chief", "--display-name", "街道管理员", "--role", "admin",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.stdout
    with session_factory() as db:
        admin = db.execute(sa.select(User).where(User.username == "chief")).scalar_one()
        assert admin.role == Role.ADMIN and admin.is_active and verify_password(admin.password_hash or "", PASSWORD)
    (event,) = _events(session_factory, "user.create")
    assert event.actor_role == "cli" and event.actor_id is None and event.object_id == admin.id
    assert "password" not in str(event.after) and event.after and event.after["role"] == "admin"


def test_user_create_refuses_bad_input_and_writes_nothing(
    run: Any, session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_user(session, Role.ADMIN, username="taken")
    cases = [
        (["--username", "x1", "--role", "admin"], "password", "password\n"),  # a common password
        (["--username", "x2", "--role", "admin"], "at least", "short\n"),
        (["--username", "taken", "--role", "admin"], "--username", PASSWORD + "\n"),
        (["--username", "x3", "--role", "staff"], "--community", PASSWORD + "\n"),
        (["--username", "x4", "--role", "staff", "--community", "nowhere"], "--community", PASSWORD + "\n"),
    ]
    for args, message, stdin in cases:
        result = run("user", "create", "--display-name", "Someone", "--password-stdin", *args, input=stdin)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    with session_factory() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 1
    assert _events(session_factory, "user.create") == []


def test_staff_created_for_a_community(run: Any, session: Session, session_factory: sessionmaker[Session]) -> None:
    community = make_community(session)
    session.commit()
    result = run(
        "user", "create", "--username", "grid.li", "--display-name", "李网格员", "--role", "staff",
        "--community", str(community.id), "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with session_factory() as db:
        staff = db.execute(sa.select(User).where(User.username == "grid.li")).scalar_one()
        assert staff.role == Role.STAFF and staff.community_id == community.id


def test_user_disable_ends_every_session(
    run: Any, client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    volunteer = make_user(session, Role.VOLUNTEER, username="xiaoming")
    identity = session_identity(session_factory, settings, volunteer)
    use(client, identity)
    assert client.get("/api/v1/tokens/me").status_code == 200
    result = run("user", "disable", "xiaoming")
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/tokens/me").status_code == 401
    with session_factory() as db:
        assert db.get(User, volunteer.id).is_active is False  # type: ignore[union-attr]
        live = sa.select(sa.func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        assert db.execute(live).scalar_one() == 0
    (event,) = _events(session_factory, "user.disable")
    assert event.actor_role == "cli" and event.before == {"is_active": True}
    assert event.after == {"is_active": False, "sessions_ended": 1, "reset_links_expired": 0, "tokens_revoked": 0}
    assert run("user", "disable", "nobody").exit_code != 0


def test_token_create_prints_only_the_token_which_then_works(
    run: Any, client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_user(session, Role.STAFF, username="hotline")
    result = run(
        "token", "create", "--user", "hotline", "--name", "12345 热线", "--scope", "needs:write",
        "--scope", "needs:read", "--expires-days", "90",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rpm_")
    secret = lines[0]
    assert "not shown again" in result.stderr and secret not in result.stderr
    me = client.get("/api/v1/tokens/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["scopes"] == ["needs:read", "needs:write"]
    assert me.json()["user"]["username"] == "hotline"
    (event,) = _events(session_factory, "token.create")
    assert event.actor_role == "cli" and secret not in str(event.after)

    listing = run("token", "list")
    assert listing.exit_code == 0 and "hotline" in listing.stdout and secret not in listing.stdout
    assert "active" in listing.stdout and secret[:12] in listing.stdout

    with session_factory() as db:
        token_id = db.execute(sa.select(ApiToken.id)).scalar_one()
    assert run("token", "revoke", str(token_id)).exit_code == 0
    assert client.get("/api/v1/tokens/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert run("token", "revoke", str(token_id)).exit_code != 0
    assert len(_events(session_factory, "token.revoke")) == 1
    assert "revoked" in run("token", "list").stdout


def test_token_create_names_the_bad_option(run: Any, session: Session, session_factory: sessionmaker[Session]) -> None:
    make_user(session, Role.STAFF, username="hotline")
    for args, flag in [
        (["--user", "ghost", "--name", "x", "--scope", "needs:read"], "--user"),
        (["--user", "hotline", "--name", "x", "--scope", "everything"], "--scope"),
        (["--user", "hotline", "--name", "x", "--scope", "needs:read", "--expires-days", "0"], "--expires-days"),
    ]:
        result = run("token", "create", *args)
        assert result.exit_code != 0 and flag in result.output and "rpm_" not in result.output, args
    with session_factory() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0


def test_user_create_makes_a_street_admin_or_a_city_admin(
    run: Any, session: Session, session_factory: sessionmaker[Session]
) -> None:
    from marketplace.places.models import Street

    first = make_community(session)
    other = Street(code="370203-licun", name="李村街道", name_en="Licun Street", district="李沧区", city="青岛市")
    session.add(other)
    session.commit()
    made = {
        "licun.duty": ["--street", "370203-licun"],
        "city.duty": ["--city"],
        "first.duty": [],
    }
    for username, extra in made.items():
        result = run(
            "user", "create", "--username", username, "--display-name", "值班", "--role", "admin", *extra,
            "--password-stdin", input=PASSWORD + "\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    with session_factory() as db:
        streets = dict(db.execute(sa.select(User.username, User.street_id).where(User.username.in_(made))).all())  # type: ignore[attr-defined]
    assert streets == {"licun.duty": other.id, "city.duty": None, "first.duty": first.street_id}

    for args, message in (
        (["--role", "admin", "--street", "nowhere"], "--street"),
        (["--role", "admin", "--street", "370203-licun", "--city"], "--city"),
        (["--role", "staff", "--community", str(first.id), "--city"], "--street and --city are for admins"),
    ):
        result = run(
            "user", "create", "--username", "x9", "--display-name", "Someone", *args, "--password-stdin",
            input=PASSWORD + "\n",
        )  # fmt: skip
        assert result.exit_code != 0 and message in result.output, (args, result.output)
