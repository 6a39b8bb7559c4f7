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
