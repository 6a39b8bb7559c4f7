"""The health check, the language switch and the OpenAPI schema."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from marketplace.app import create_app
from marketplace.settings import Settings


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


def test_the_api_reference_page_lists_every_operation_without_any_outside_script(client: TestClient[Litestar]) -> None:
    """/schema was a blank page: its viewer came from a CDN, which the site's CSP (and an offline intranet) blocks."""
    schema = client.get("/schema/openapi.json").json()
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert page.text.count("class='op'") == len(operations) > 50
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    stylesheet = re.search(r"href='(/static/css/[^']+)'", page.text)
    assert stylesheet is not None and client.get(stylesheet.group(1)).status_code == 200
    assert "<code>/api/v1/needs</code>" in page.text and "/schema/openapi.json" in page.text


@pytest.mark.parametrize(
    "unreachable",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
        "sqlite:///{tmp}",  # a directory, not a database file
    ],
)
def test_health_is_503_when_the_database_cannot_be_reached(
    settings: Settings, tmp_path: Path, unreachable: str
) -> None:
    database = replace(settings.database, url=unreachable.format(tmp=tmp_path), pool_timeout=2)
    with TestClient(app=create_app(replace(settings, database=database))) as client:
        answer = client.get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "unavailable", "database": "unreachable"}
        assert answer.headers["retry-after"] == "5"
        # Pages say so too, with a page a person can read, instead of hanging or a bare 500.
        page = client.get("/")
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
