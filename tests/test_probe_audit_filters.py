"""An audit search for an object id beyond the database's INTEGER is a 400 naming the field, not a 500
(found by a live probe of `marketplace serve` on PostgreSQL: "integer out of range").

The filter allowed ids up to 2**53 while audit_event.object_id is an INTEGER (at most 2,147,483,647):
PostgreSQL refused the comparison and the page and the API answered 500. Now such an id is refused like
any other bad object id, on the API and the page alike; the largest INTEGER still searches (and finds none).
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.security.tokens import create_api_token
from marketplace.validation import MAX_INT
from tests.security_helpers import make_user, sign_in_as

TOO_BIG = ["2147483648", "99999999999", str(2**53)]


@pytest.fixture
def admin_token(session: Session, session_factory: sessionmaker[Session]) -> dict[str, str]:
    admin = make_user(session, Role.ADMIN, username="auditor")
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=admin.id or 0, name="audit", scopes=["admin"], created_by_id=None)
        db.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("object_id", TOO_BIG)
def test_api_refuses_an_object_id_beyond_integer(
    client: TestClient[Any], admin_token: dict[str, str], object_id: str
) -> None:
    response = client.get("/api/v1/audit", params={"object_id": object_id}, headers=admin_token)
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "object_id"


def test_the_largest_integer_still_searches(client: TestClient[Any], admin_token: dict[str, str]) -> None:
    response = client.get("/api/v1/audit", params={"object_id": str(MAX_INT)}, headers=admin_token)
    assert response.status_code == 200
    assert response.json()["events"] == []


def test_the_page_refuses_it_too(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    response = client.get("/admin/audit", params={"object_id": TOO_BIG[1]})
    assert response.status_code == 400
