"""Command-line account administration: the first admin of a new install, disabling accounts, API tokens.

Settings come from the environment (``Settings.from_env()``); every change is audited with the
actor role "cli". ``token create`` prints the token alone on stdout so scripts can capture it;
everything else goes to stderr.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.password_policy import PasswordProblem, check_password
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.schemas import UserCreate
from marketplace.admin.services import TokenInputErrors, issue_token, list_tokens, withdraw_token
from marketplace.audit.services import record, snapshot
from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.places.models import Community, Street
from marketplace.security.disabling import end_credentials
from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber, whole_number

CLI_ROLE = "cli"
USER_FIELDS = ["username", "display_name", "role", "is_active", "community_id", "street_id", "email", "phone"]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    try:
        with session_scope(make_session_factory(engine)) as db:
            yield db
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _community(db: Session, value: str | None) -> Community | None:
    if value is None:
        return None
    query = sa.select(Community).where(Community.name == value)
    community_id = whole_number(value)
    if community_id is not None:
        query = sa.select(Community).where(sa.or_(Community.id == community_id, Community.name == value))  # type: ignore[arg-type]
    found = db.execute(query).scalars().first()
    if found is None:
        _fail(f"--community: no community {value!r}")
    return found


@click.group("user")
def user() -> None:
    """Accounts: create admins and staff, disable accounts."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(["admin", "staff"]), required=True)
@click.option("--community", help="Staff: the community (id or name) they are scoped to.")
@click.option("--street", "street_code", help="Admin: the code of the street they work in (default: the first street).")
@click.option("--city", "city_admin", is_flag=True, help="Admin: a city admin, over every street (no street).")
@click.option("--email")
@click.option("--phone")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_create(
    username: str,
    display_name: str,
    role: str,
    community: str | None,
    street_code: str | None,
    city_admin: bool,
    email: str | None,
    phone: str | None,
    password_stdin: bool,
) -> None:
    """Create an admin or staff account (e.g. the first admin of a new install, or a city admin with --city)."""
    if (street_code or city_admin) and role != "admin":
        _fail("--street and --city are for admins (staff take their street from --community)")
    if street_code and city_admin:
        _fail("--city: a city admin has no street of their own; leave out --street")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        password = check_password(password, username=username, display_name=display_name)
    except PasswordProblem as problem:
        _fail(f"password: {problem}")
    with unit_of_work() as db:
        place = _community(db, community)
        if role == "staff" and place is None:
            _fail("--community: staff need the community they work for")
        if city_admin:
            street_id = None
        elif street_code:
            street_id = db.execute(sa.select(Street.id).where(Street.code == street_code)).scalar()
            if street_id is None:
                _fail(f"--street: no street has the code {street_code!r}")
        else:
            street_id = place.street_id if place else db.execute(sa.select(Street.id).order_by(Street.id)).scalar()
        try:
            values = UserCreate(
                username=username,
                display_name=display_name,
                password=password,
                role=Role(role),
                email=email,
                phone=phone,
                street_id=street_id,
                community_id=place.id if place and role == "staff" else None,
            )
        except ValidationError as error:
            problems = "; ".join(f"--{'-'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            _fail(problems.replace("_", "-"))
        if db.execute(sa.select(User.id).where(User.username == values.username)).first():
            _fail(f"--username: {values.username!r} is taken")
        row = values.to_row(hash_password(password))
        db.add(row)
        db.flush()
        record(
            db,
            "user.create",
            object_type="user",
            object_id=row.id,
            after=snapshot(row, USER_FIELDS),
            actor_role=CLI_ROLE,
        )
        click.echo(f"created {row.role.value} {row.username} (id {row.id})", err=True)


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account and end all of its sessions."""
    with unit_of_work() as db:
        row = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if row is None or row.id is None:
            _fail(f"no user {username!r}")
            return
        before = {"is_active": row.is_active}
        row.is_active = False
        ended = end_credentials(db, row.id)
        record(
            db,
            "user.disable",
            object_type="user",
            object_id=row.id,
            before=before,
            after={"is_active": False, **ended},
            actor_role=CLI_ROLE,
        )
        click.echo(
            f"disabled {username}; {ended['sessions_ended']} session(s) ended, {ended['tokens_revoked']} token(s)"
            f" revoked, {ended['reset_links_expired']} reset link(s) expired",
            err=True,
        )


@click.group("token")
def token() -> None:
    """API tokens for systems and scripts."""


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What uses the token, e.g. '12345 hotline'.")
@click.option("--scope", "scopes", multiple=True, required=True, help="Repeat for several, e.g. needs:write.")
@click.option("--expires-days", type=TypedNumber(0, 10**9), help="Days until the token stops working (default: never).")
def token_create(username: str, name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create a token and print it once: the token alone on stdout, details on stderr."""
    with unit_of_work() as db:
        try:
            secret, row, owner = issue_token(
                db,
                user=username,
                name=name,
                scopes=list(scopes),
                expires_days=expires_days,
                actor=None,
                actor_role=CLI_ROLE,
            )
        except TokenInputErrors as errors:
            flags = {"user": "--user", "name": "--name", "scopes": "--scope", "expires_days": "--expires-days"}
            _fail("; ".join(f"{flags[e.field]}: {e.message}" for e in errors.errors))
            return
        details = f"token {row.id} '{row.name}' for {owner.username}, scopes {row.scopes}"
        expiry = f", expires {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ", never expires"
    click.echo(details + expiry + ". Store it now: it is not shown again.", err=True)
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    with unit_of_work() as db:
        tokens = list_tokens(db)
    for item in tokens:
        expires = f"{item.expires_at:%Y-%m-%d}" if item.expires_at else "never"
        used = f"{item.last_used_at:%Y-%m-%d %H:%M}" if item.last_used_at else "never"
        click.echo(
            f"{item.id}\t{item.status}\t{item.prefix}…\t{item.username}\t{item.name}\t"
            f"{' '.join(item.scopes)}\tcreated {item.created_at:%Y-%m-%d}\tused {used}\texpires {expires}"
        )


@token.command("revoke")
@click.argument("token_id", type=TypedNumber(1, 2**53))
def token_revoke(token_id: int) -> None:
    """Revoke a token; it stops working at once."""
    with unit_of_work() as db:
        if withdraw_token(db, token_id, actor=None, actor_role=CLI_ROLE) is None:
            _fail(f"no live token {token_id}")
    click.echo(f"revoked token {token_id}", err=True)


COMMANDS = [user, token]
