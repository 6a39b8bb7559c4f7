"""Helpers for the application-wide security tests: the routes of the app, identities signed in
without going through /login, and a checksum of every table to prove a request changed nothing.

Routes are enumerated from the running application, so routes added later are covered too.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from marketplace.accounts.models import User
from marketplace.security.csrf import CSRF_COOKIE, csrf_token_for
from marketplace.security.secrets import new_secret
from marketplace.security.sessions import SESSION_COOKIE, Lifetimes, start_session
from marketplace.settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
# Columns the middleware writes on every authenticated request (bookkeeping, not data changes).
VOLATILE_COLUMNS = {"user_session": {"last_seen_at"}, "api_token": {"last_used_at"}}


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    handler: HTTPRouteHandler

    @property
    def params(self) -> list[tuple[str, str]]:
        """(name, type) of every path parameter, in order."""
        return [(name, kind or "str") for name, kind in _PARAM.findall(self.path)]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_public(self) -> bool:
        return self.handler.opt.get("public") is True

    @property
    def guard_names(self) -> list[str]:
        return [getattr(g, "__name__", repr(g)) for layer in self.handler.ownership_layers for g in layer.guards or []]

    def fill(self, values: dict[str, Any]) -> str:
        """The path with each parameter replaced by ``values[name]``."""
        return _PARAM.sub(lambda m: str(values[m.group(1)]), self.path)


def app_routes(app: Litestar, *, include_options: bool = False) -> list[Route]:
    """Every (path, method) the application answers, with its handler."""
    routes: list[Route] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            # Litestar's automatic OPTIONS handler answers CORS preflights with the Allow header only.
            if handler.handler_name == "options_handler" and not include_options:
                continue
            for method in sorted(handler.http_methods):
                routes.append(Route(route.path, method, handler))
    return sorted(routes, key=lambda r: (r.path, r.method))


def unsafe_routes(app: Litestar) -> list[Route]:
    return [route for route in app_routes(app) if route.method in UNSAFE_METHODS]


# --- identities -------------------------------------------------------------------------------


@dataclass
class Identity:
    """Cookies for one caller and the CSRF token that goes with them."""

    name: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    user_id: int | None = None

    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf} if self.csrf else {}


def anonymous(settings: Settings, name: str = "anonymous") -> Identity:
    cookie = new_secret(24)
    return Identity(name, {CSRF_COOKIE: cookie}, csrf_token_for(settings.secret_key, "anonymous:" + cookie))


def session_identity(
    factory: sessionmaker[Session], settings: Settings, user: User | int, name: str | None = None
) -> Identity:
    """A live session for ``user`` made directly on the server (as /login would), with its CSRF token."""
    user_id = user if isinstance(user, int) else user.id
    assert user_id is not None
    with factory() as db:
        secret, _ = start_session(db, user_id, Lifetimes.of(settings), client_address="127.0.0.1", user_agent="tests")
        db.commit()
    return Identity(
        name or f"user{user_id}",
        {SESSION_COOKIE: secret},
        csrf_token_for(settings.secret_key, "session:" + secret),
        user_id,
    )


def use(client: TestClient[Any], identity: Identity) -> None:
    """Make ``client`` send exactly this identity's cookies."""
    client.cookies.clear()
    for key, value in identity.cookies.items():
        client.cookies.set(key, value)


# --- database checksums -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value) if value is not None else None


def table_checksums(engine: sa.Engine) -> dict[str, tuple[int, int | None, str]]:
    """Per table: row count, max(id) and a hash of every row (volatile bookkeeping columns left out)."""
    result: dict[str, tuple[int, int | None, str]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            skip = VOLATILE_COLUMNS.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            pk = list(table.primary_key.columns) or columns
            rows = connection.execute(sa.select(*columns).order_by(*pk)).all()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr([_plain(v) for v in row]).encode())
            ids = [row._mapping["id"] for row in rows] if "id" in table.columns else []
            result[table.name] = (len(rows), max(ids) if ids else None, digest.hexdigest()[:16])
    return result


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def iter_param_values(route: Route, candidates: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    """Every combination of candidate values for the route's parameters (first param varies)."""
    params = route.params
    if not params:
        yield {}
        return
    choices = [candidates_for(name, kind, candidates) for name, kind in params]
    # Parameters beyond the first take their first candidate: object routes rarely have two ids.
    for first in choices[0]:
        values = {params[0][0]: first}
        for (name, _), options in zip(params[1:], choices[1:], strict=True):
            values[name] = options[0]
        yield values


def candidates_for(name: str, kind: str, candidates: dict[str, list[Any]]) -> list[Any]:
    """Victim values for a parameter, chosen by its name (org_id → the other organization...)."""
    lowered = name.lower()
    if kind == "path":
        return ["css/site.css"]
    for key, values in candidates.items():
        if key != "*" and key in lowered:
            return values
    if kind in ("int",):
        return candidates.get("*", [1])
    return candidates.get("str", ["x"])


# --- a world with two of everything -----------------------------------------------------------

# Private values: each appears in exactly one row, so finding it in a response means that row leaked.
SECRETS = {
    "org_a_phone": "13911110001",
    "org_a_code": None,  # filled with the generated credit code
    "org_p_phone": "13911110003",
    "org_p_code": None,
    "manager_a_phone": "13933330001",
    "partner_a2_phone": "13933330002",
    "volunteer_v_phone": "13922220001",
    "volunteer_v_username": "w-volunteer-v",  # lists scoped to another community must not name them
    "staff_x_phone": "13944440001",
    "admin_phone": "13955550001",
}


@dataclass
class World:
    """Organizations A (victim) and B (attacker), pending P; communities X (victim) and Y (attacker)."""

    ids: dict[str, int]
    secrets: dict[str, str]
    identities: dict[str, Identity] = field(default_factory=dict)

    def candidates(self) -> dict[str, list[Any]]:
        """Victim values for path parameters, keyed by a fragment of the parameter's name."""
        i = self.ids
        users = [i["manager_a"], i["partner_a2"], i["volunteer_v_user"], i["staff_x"], i["admin"]]
        return {
            "organization": [i["org_a"], i["org_p"]],
            "org": [i["org_a"], i["org_p"]],
            "user": users,
            "account": users,
            "profile": [i["volunteer_v"]],
            "volunteer": [i["volunteer_v"]],
            "token_id": [i["admin_token"]],
            "need": [i["need_x_private"], i["need_x"]],
            "project": [i["need_x_private"], i["need_x"]],
            "offer": [i["offer_a"]],
            "decision": ["approve", "reject", "suspend"],
            "token": ["not-a-real-reset-token"],
            "*": [i["org_a"], i["manager_a"], i["volunteer_v"]],
            "str": ["x"],
        }


def build_world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    """Two organizations each with a manager, two communities each with staff, volunteers, an admin,
    a disabled user, a pending organization, needs, an offer, an API token; signed-in identities."""
    from marketplace.accounts.models import Role
    from marketplace.organizations.models import OrganizationStatus
    from marketplace.security.tokens import create_api_token
    from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
    from tests.factories import make_need, make_offer
    from tests.security_helpers import make_community, make_grid, make_org, make_user

    secrets = dict(SECRETS)
    community_x, community_y = make_community(session), make_community(session)
    grid_x, grid_y = make_grid(session, community_x), make_grid(session, community_y)
    org_a, org_b = make_org(session, name="甲公司"), make_org(session, name="乙公司")
    org_p = make_org(session, OrganizationStatus.PENDING, name="待审公司")
    org_a.contact_phone, org_a.address = secrets["org_a_phone"], "秘密大厦A座"
    org_p.contact_phone = secrets["org_p_phone"]
    org_b.contact_phone = "13911110002"
    secrets["org_a_code"], secrets["org_p_code"] = org_a.credit_code, org_p.credit_code
    need_x_private = make_need(session, grid_x, status=_need_status("SUBMITTED"))
    need_x = make_need(session, grid_x)
    need_y = make_need(session, grid_y)
    offer_a = make_offer(session, org_a)
    session.commit()

    def user(role: Role, name: str, phone: str, **fields: Any) -> User:
        return make_user(session, role, username=name, phone=phone, **fields)

    admin = user(Role.ADMIN, "w-admin", secrets["admin_phone"], email="admin@secret.example")
    manager_a = user(Role.PARTNER, "w-manager-a", secrets["manager_a_phone"], organization_id=org_a.id,
                     is_org_manager=True, email="manager-a@secret.example")  # fmt: skip
    partner_a2 = user(Role.PARTNER, "w-partner-a2", secrets["partner_a2_phone"], organization_id=org_a.id)
    manager_b = user(Role.PARTNER, "w-manager-b", "13933330009", organization_id=org_b.id, is_org_manager=True)
    staff_x = user(Role.STAFF, "w-staff-x", secrets["staff_x_phone"], community_id=community_x.id)
    staff_y = user(Role.STAFF, "w-staff-y", "13944440009", community_id=community_y.id)
    volunteer_v = user(Role.VOLUNTEER, "w-volunteer-v", secrets["volunteer_v_phone"])
    volunteer_w = user(Role.VOLUNTEER, "w-volunteer-w", "13922220009")
    disabled = user(Role.VOLUNTEER, "w-disabled", "13922220008")
    profile_v = VolunteerProfile(user_id=volunteer_v.id, home_grid_id=grid_x.id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    profile_w = VolunteerProfile(user_id=volunteer_w.id, home_grid_id=grid_y.id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    profile_d = VolunteerProfile(user_id=disabled.id, home_grid_id=grid_y.id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    session.add_all([profile_v, profile_w, profile_d])
    session.commit()
    with session_factory() as db:
        _, token = create_api_token(db, user_id=admin.id, name="feed", scopes=["needs:read"], created_by_id=admin.id)  # type: ignore[arg-type]
        db.commit()
        token_id = token.id
    ids = {
        "org_a": org_a.id, "org_b": org_b.id, "org_p": org_p.id, "community_x": community_x.id,
        "community_y": community_y.id, "grid_x": grid_x.id, "grid_y": grid_y.id, "need_x": need_x.id,
        "need_x_private": need_x_private.id, "need_y": need_y.id, "offer_a": offer_a.id, "admin": admin.id,
        "manager_a": manager_a.id, "partner_a2": partner_a2.id, "manager_b": manager_b.id, "staff_x": staff_x.id,
        "staff_y": staff_y.id, "volunteer_v_user": volunteer_v.id, "volunteer_w_user": volunteer_w.id,
        "volunteer_v": profile_v.id, "volunteer_w": profile_w.id, "disabled": disabled.id, "admin_token": token_id,
    }  # fmt: skip
    world = World(
        ids={k: int(v) for k, v in ids.items() if v is not None}, secrets={k: str(v) for k, v in secrets.items()}
    )

    def signed_in(row: User, name: str) -> Identity:
        return session_identity(session_factory, settings, row, name)

    world.identities = {
        "admin": signed_in(admin, "admin"),
        "anonymous": anonymous(settings),
        "volunteer": signed_in(volunteer_w, "volunteer"),
        "partner of another organization": signed_in(manager_b, "partner of another organization"),
        "staff of another community": signed_in(staff_y, "staff of another community"),
    }
    # The disabled user signed in before being disabled; their cookie now stands for nobody, so the
    # CSRF token that goes with it is the anonymous one (the test is about access, not CSRF).
    stale = signed_in(disabled, "disabled user")
    guest = anonymous(settings)
    stale.cookies |= guest.cookies
    stale.csrf = guest.csrf
    with session_factory() as db:
        db.execute(sa.update(User).where(User.id == disabled.id).values(is_active=False))  # type: ignore[arg-type]
        db.commit()
    world.identities["disabled user"] = stale
    return world


def _need_status(name: str) -> Any:
    from marketplace.needs.models import NeedStatus

    return NeedStatus[name]
