"""Sixth probe: a revoked or expired API token is told so (401 and ``WWW-Authenticate``), on every method.

Before: the authentication middleware left a dead token's request anonymous and the CSRF middleware, which
exempts only a *live* bearer, answered every POST, PUT, PATCH and DELETE "403 Missing or invalid CSRF token":
a script whose token had been revoked or had expired was told to send a CSRF token it never needs, and GETs
were "401 Sign in to continue". Now a request naming a bearer token is that token's: a dead one is 401 with
``WWW-Authenticate: Bearer error="invalid_token"`` naming why (revoked, expired, unknown, account disabled),
before CSRF and before any route, whatever the method; nothing is written.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.needs.models import Need
from marketplace.security.tokens import TOKEN_SCOPES, create_api_token
from tests.security_helpers import make_user

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _tokens(session_factory: sessionmaker[Session], user_id: int) -> dict[str, str]:
    """A live, a revoked and an expired token of one admin, with every scope."""
    with session_factory() as db:
        scopes = list(TOKEN_SCOPES)
        live, _ = create_api_token(db, user_id=user_id, name="live", scopes=scopes, created_by_id=user_id)
        revoked, row = create_api_token(db, user_id=user_id, name="revoked", scopes=scopes, created_by_id=user_id)
        row.revoked_at = utcnow()
        expired, _ = create_api_token(
            db,
            user_id=user_id,
            name="expired",
            scopes=scopes,
            created_by_id=user_id,
            expires_at=utcnow() - timedelta(minutes=1),
        )
        db.commit()
    return {"live": live, "revoked": revoked, "expired": expired}


def _unsafe_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path) the application answers with a state-changing method, ids filled with 1."""
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method in UNSAFE:
                found.add((method, re.sub(r"\{[^}]+\}", "1", route.path)))
    return sorted(found)


def _counts(session_factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with session_factory() as db:
        return (
            db.execute(sa.select(sa.func.count()).select_from(Need)).scalar_one(),
            db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one(),
            db.execute(
                sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
            ).scalar_one(),  # type: ignore[union-attr]
        )


@pytest.mark.parametrize("kind", ["revoked", "expired"])
def test_every_unsafe_route_answers_a_dead_token_401_naming_why(
    app: Litestar, client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], kind: str
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    tokens = _tokens(session_factory, admin.id)  # type: ignore[arg-type]
    routes = _unsafe_routes(app)
    # Every unsafe method the application answers (it has no DELETE route: removals are POSTs of an action).
    assert len(routes) > 50 and {method for method, _ in routes} == {"POST", "PUT", "PATCH"}
    before = _counts(session_factory)
    wrong = []
    for method, path in routes:
        answer = client.request(
            method, path, json={"title": "x", "status": "open"}, headers={"Authorization": f"Bearer {tokens[kind]}"}
        )
        challenge = answer.headers.get("www-authenticate", "")
        if (
            answer.status_code != 401
            or 'error="invalid_token"' not in challenge
            or kind not in challenge
            or (path.startswith("/api/") and kind not in answer.json()["detail"])
        ):
            wrong.append((method, path, answer.status_code, challenge, answer.text[:120]))
    assert wrong == []
    assert _counts(session_factory) == before


def test_the_api_says_why_in_the_body_and_the_header(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    tokens = _tokens(session_factory, admin.id)  # type: ignore[arg-type]
    for kind, said in (("revoked", "was revoked"), ("expired", "expired on"), ("unknown", "not known")):
        secret = tokens.get(kind, "rpm_not-a-token-at-all")
        for method, path in (("GET", "/api/v1/needs/1"), ("POST", "/api/v1/needs"), ("PATCH", "/api/v1/needs/1")):
            answer = client.request(method, path, json={}, headers={"Authorization": f"Bearer {secret}"})
            assert answer.status_code == 401, (kind, method, answer.text)
            assert said in answer.json()["detail"], (kind, method)
            assert answer.headers["www-authenticate"].startswith('Bearer realm="marketplace", error="invalid_token"')
    # The live token still works, and its POST needs no CSRF token.
    assert client.get("/api/v1/tokens/me", headers={"Authorization": f"Bearer {tokens['live']}"}).status_code == 200


def test_a_disabled_accounts_token_says_so(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    tokens = _tokens(session_factory, admin.id)  # type: ignore[arg-type]
    with session_factory() as db:
        db.execute(sa.update(User).where(User.id == admin.id).values(is_active=False))  # type: ignore[arg-type]
        db.commit()
    answer = client.post("/api/v1/needs", json={}, headers={"Authorization": f"Bearer {tokens['live']}"})
    assert answer.status_code == 401
    assert "account is disabled" in answer.headers["www-authenticate"]


def test_a_dead_token_beside_a_session_cookie_is_still_refused_as_a_token(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    """A request naming a token is that token's: a dead one is not the cookie's session (nor a CSRF refusal)."""
    admin = make_user(session, Role.ADMIN, username="root")
    tokens = _tokens(session_factory, admin.id)  # type: ignore[arg-type]
    client.cookies.set("session", "whatever")
    answer = client.post("/api/v1/needs", json={}, headers={"Authorization": f"Bearer {tokens['revoked']}"})
    assert answer.status_code == 401 and "revoked" in answer.headers["www-authenticate"]
