"""Shared test helpers for signed-in tests: make users of every role, sign in through /login, CSRF tokens.

Usage::

    user = make_user(session, Role.PARTNER, username="wang")          # creates street + approved org
    response = login(client, "wang", DEFAULT_PASSWORD)                 # real form POST, 303 on success
    token = csrf_for(client, settings)                                 # token for the client's session
    client.post("/somewhere", data={"csrf_token": token, ...})
    # or in one go:
    user = sign_in_as(client, session, Role.ADMIN)

``make_user`` commits, so the application (which uses its own connections) sees the rows.
"""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import sqlalchemy as sa
from httpx import Response
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.accounts.passwords import hash_password
from marketplace.audit.models import AuditEvent
from marketplace.organizations.credit_code import credit_code_check_digit
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.security.csrf import CSRF_COOKIE, csrf_token_for
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings

DEFAULT_PASSWORD = "correct horse battery staple"
_serial = count(1)
# Hashing with argon2 costs ~50 ms; most helpers reuse the hash of the default password.
_hash_cache: dict[str, str] = {}

_HIDDEN_INPUT = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)
_HX_HEADERS = re.compile(r"X-CSRF-Token&#34;:\s*&#34;([0-9a-f]+)|X-CSRF-Token\"\s*:\s*\"([0-9a-f]+)")


def csrf_from(page: str) -> str:
    """The CSRF token rendered in a page (a form's hidden input, or the hx-headers on <body>)."""
    for pattern in (_HIDDEN_INPUT, _HX_HEADERS):
        match = pattern.search(page) or pattern.search(html.unescape(page))
        if match:
            return next(group for group in match.groups() if group)
    raise AssertionError("no csrf_token in the page")


def csrf_for(client: TestClient[Any], settings: Settings) -> str:
    """The token the CSRF middleware expects from this client now (session-bound once signed in)."""
    secret = client.cookies.get(SESSION_COOKIE)
    if secret:
        return csrf_token_for(settings.secret_key, "session:" + secret)
    anonymous = client.cookies.get(CSRF_COOKIE)
    if not anonymous:
        client.get("/login")
        anonymous = client.cookies.get(CSRF_COOKIE)
    assert anonymous, "the application set no csrf cookie"
    return csrf_token_for(settings.secret_key, "anonymous:" + anonymous)


def login(client: TestClient[Any], username: str, password: str, *, next_url: str | None = None) -> Response:
    """Sign in through the real form: GET /login for the token, POST the form; the redirect is not followed."""
    page = client.get("/login" + (f"?next={next_url}" if next_url else ""))
    data = {"username": username, "password": password, "csrf_token": csrf_from(page.text)}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data, follow_redirects=False)


def post_form(
    client: TestClient[Any], settings: Settings, path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> Response:
    """POST a form with the right CSRF token for the client's current session; redirects not followed."""
    return client.post(
        path, data={**(data or {}), "csrf_token": csrf_for(client, settings)}, follow_redirects=False, **kwargs
    )


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def default_street(session: Session) -> Street:
    street = session.execute(sa.select(Street).order_by(Street.id)).scalars().first()
    if street is None:
        n = next(_serial)
        street = Street(
            code=f"sec-street-{n}", name="湖岛街道", name_en="Hudao Street", district="市北区", city="青岛市"
        )
        session.add(street)
        session.flush()
    return street


def make_community(session: Session, street: Street | None = None) -> Community:
    street = street or default_street(session)
    n = next(_serial)
    community = Community(street_id=street.id, name=f"安全社区{n}", name_en=f"Community {n}")  # type: ignore[arg-type]
    session.add(community)
    session.flush()
    return community


def make_grid(session: Session, community: Community | None = None) -> Grid:
    community = community or make_community(session)
    n = next(_serial)
    grid = Grid(
        code=f"SG{n:04d}",
        community_id=community.id,  # type: ignore[arg-type]
        number=n,
        name=f"第{n}网格",
        name_en=f"Grid {n}",
        latitude=36.1,
        longitude=120.35,
        households=100,
    )
    session.add(grid)
    session.flush()
    return grid


def make_org(
    session: Session, status: OrganizationStatus = OrganizationStatus.APPROVED, *, name: str | None = None
) -> Organization:
    street = default_street(session)
    n = next(_serial)
    first17 = f"91370200MA{n:07d}"
    org = Organization(
        street_id=street.id,  # type: ignore[arg-type]
        name=name or f"测试合伙人企业{n}",
        kind=OrganizationKind.ENTERPRISE,
        credit_code=first17 + credit_code_check_digit(first17),
        contact_name="王经理",
        contact_phone="13800138000",
        status=status,
        status_reason="资料不全" if status in (OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED) else None,
    )
    session.add(org)
    session.flush()
    return org


def make_user(
    session: Session,
    role: Role,
    *,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    display_name: str | None = None,
    organization_id: int | None = None,
    community_id: int | None = None,
    grid_ids: list[int] | None = None,
    is_org_manager: bool = False,
    is_active: bool = True,
    phone: str | None = "13800138000",
    **overrides: Any,
) -> User:
    """A user of ``role`` with the rows its role needs (a partner's organization, a staff member's scope).

    Staff with neither ``community_id`` nor ``grid_ids`` gets a fresh community of their own.
    Commits, so the application sees the user.
    """
    n = next(_serial)
    street = default_street(session)
    if role == Role.PARTNER and organization_id is None:
        organization_id = make_org(session).id
    if role == Role.STAFF and community_id is None and not grid_ids:
        community_id = make_community(session, street).id
    user = User(
        username=username or f"{role.value}{n}",
        display_name=display_name or f"{role.value.title()} {n}",
        password_hash=_hash(password),
        role=role,
        is_active=is_active,
        organization_id=organization_id if role == Role.PARTNER else None,
        is_org_manager=is_org_manager and role == Role.PARTNER,
        street_id=street.id,
        community_id=community_id if role == Role.STAFF else None,
        phone=phone,
        **overrides,
    )
    session.add(user)
    session.flush()
    for grid_id in grid_ids or []:
        session.add(StaffGrid(user_id=user.id, grid_id=grid_id))  # type: ignore[arg-type]
    session.commit()  # no refresh: it would open a transaction that holds SQLite's write lock
    return user


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A short-lived session on the same database, closed at once (the app's requests are never blocked).

    Use it to look at rows after requests: a long-lived test session that has read something
    holds a transaction (on SQLite, the write lock) until it ends.
    """
    with Session(session.get_bind(), expire_on_commit=False) as fresh:
        yield fresh  # closing ends the transaction and detaches the rows, loaded attributes intact


def fetch(session: Session, model: type[Any], row_id: Any) -> Any:
    """The current row, read on a fresh session."""
    with reading(session) as fresh:
        return fresh.get(model, row_id)


def audit_actions(session: Session) -> list[str]:
    """Every audit row's action, oldest first."""
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def audit_events(session: Session, action: str | None = None) -> list[AuditEvent]:
    with reading(session) as fresh:
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(fresh.execute(query).scalars())


def sign_in_as(client: TestClient[Any], session: Session, role: Role, **user_fields: Any) -> User:
    """Make a user of ``role`` and sign ``client`` in as them (asserts the login worked)."""
    password = user_fields.pop("password", DEFAULT_PASSWORD)
    user = make_user(session, role, password=password, **user_fields)
    response = login(client, user.username, password)
    assert response.status_code in (302, 303), f"login failed: {response.status_code} {response.text[:300]}"
    assert client.cookies.get(SESSION_COOKIE), "no session cookie after login"
    return user


# The name other briefs use for the same thing.
authed_client = sign_in_as
