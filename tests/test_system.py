"""The health check, the language switch and the OpenAPI schema."""

import pytest
from litestar import Litestar
from litestar.testing import TestClient


def test_health_checks_the_database(client: TestClient[Litestar]) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_language_switch_sets_a_lasting_cookie_and_goes_back(client: TestClient[Litestar]) -> None:
    response = client.get("/lang/en?next=/figures?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/figures?page=2"
    cookie = response.headers["set-cookie"]
    assert "lang=en" in cookie
    assert "Max-Age=" in cookie or "expires=" in cookie.lower()


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "evil", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(client: TestClient[Litestar], target: str) -> None:
    response = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_unknown_language_changes_nothing(client: TestClient[Litestar]) -> None:
    response = client.get("/lang/xx?next=/", follow_redirects=False)
    assert response.status_code == 303
    assert not any(cookie.startswith("lang=") for cookie in response.headers.get_list("set-cookie"))


def test_openapi_schema_is_served(client: TestClient[Litestar]) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert schema["info"]["title"] == "Red Partners Marketplace API"
    assert "/healthz" in schema["paths"]
