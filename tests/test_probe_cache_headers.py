"""Signed-in answers are not stored by caches (found by a live probe of `marketplace serve`).

Pages and JSON shown to a signed-in person (a need with its resident's contact, one's own data export,
the account page) went out with no Cache-Control at all, so a shared proxy or the browser of a street
office's shared computer could keep them. Now every answer to a request with a session cookie or a
bearer token is ``no-store`` unless its handler chose a policy; anonymous pages and static files are
left cacheable.
"""

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.security.tokens import create_api_token
from tests.security_helpers import make_user, sign_in_as


def test_signed_in_pages_and_json_are_no_store(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.STAFF)
    for path in ("/account", "/api/v1/auth/me", "/api/v1/me/data", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("cache-control") == "no-store", path
    # Static files keep their validators: no-store would refetch every stylesheet on every page.
    assert "no-store" not in client.get("/static/css/site.css").headers.get("cache-control", "")


def test_a_bearer_tokens_answers_are_no_store(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(session, Role.STAFF, username="hotline")
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=user.id or 0, name="t", scopes=["needs:read"], created_by_id=None)
        db.commit()
    response = client.get("/api/v1/tokens/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.headers.get("cache-control") == "no-store"


def test_anonymous_pages_stay_cacheable(client: TestClient[Any]) -> None:
    for path in ("/", "/api/v1/projects"):
        assert "no-store" not in client.get(path).headers.get("cache-control", ""), path
