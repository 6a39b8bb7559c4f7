"""Security headers on every kind of response; unknown hosts refused; no inline script or style in templates."""

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import session_identity, use

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _directives(csp: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in csp.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def assert_secure_headers(response: Any) -> None:
    headers = response.headers
    csp = _directives(headers["content-security-policy"])
    script_src = csp.get("script-src", csp.get("default-src", []))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


def test_every_kind_of_response_carries_the_headers(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    responses = {
        "page": client.get("/"),
        "api": client.get("/api/v1/projects"),
        "static": client.get("/static/css/site.css"),
        "404 page": client.get("/no/such/page"),
        "404 api": client.get("/api/v1/no-such-thing"),
        "401": client.get("/api/v1/tokens/me"),
        "401 page": client.get("/admin", follow_redirects=False),
        "405": client.delete("/api/v1/projects"),
        "csrf 403": client.post("/admin/tokens", data={}),
    }
    use(client, session_identity(session_factory, settings, make_user(session, Role.VOLUNTEER)))
    responses["403"] = client.get("/admin/tokens")
    expected = {"page": 200, "api": 200, "static": 200, "404 page": 404, "404 api": 404, "401": 401, "403": 403}
    for name, response in responses.items():
        if name in expected:
            assert response.status_code == expected[name], name
        assert_secure_headers(response)


def test_unknown_hosts_are_refused(client: TestClient[Any]) -> None:
    for host in ("evil.example", "testserver.local.evil.example", "127.0.0.2"):
        response = client.get("/", headers={"host": host})
        assert response.status_code == 400, host
        assert_secure_headers(response)
    for host in ("testserver.local", "testserver.local:8443", "localhost:8000", "127.0.0.1"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200, host


def test_forwarded_host_does_not_bypass_the_host_check(client: TestClient[Any]) -> None:
    assert client.get("/", headers={"host": "evil.example", "x-forwarded-host": "testserver.local"}).status_code == 400


_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
_JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".j2", ".jinja"))


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("inline <script> with content", _INLINE_SCRIPT),
        ("on*= event handler", _HANDLER),
        ("style= attribute", _STYLE_ATTR),
        ("<style> block", _STYLE_BLOCK),
        ("javascript: URL", _JS_URL),
    ],
)
def test_templates_need_no_unsafe_inline(name: str, pattern: re.Pattern[str]) -> None:
    templates = _templates()
    assert len(templates) > 5
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{match.group(0)[:80]!r}"
        for path in templates
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"{name} in templates (blocked by the Content-Security-Policy):\n" + "\n".join(offenders)


def test_the_template_checks_catch_what_they_should() -> None:
    assert _INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not _INLINE_SCRIPT.search('<script src="/static/vendor/htmx.js" defer></script>')
    assert _HANDLER.search('<button type="button" onclick="go()">')
    assert _HANDLER.search('<a\n  href="/"\n  onmouseover="x()">')
    assert not _HANDLER.search('<input name="only">')
    assert _STYLE_ATTR.search('<p class="x" style="color: red">')
