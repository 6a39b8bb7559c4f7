"""An error page speaks the reader's language, also for a path no route matches (no middleware ran for it)."""

import pytest
from litestar import Litestar
from litestar.testing import TestClient


@pytest.mark.parametrize("path", ["/no-such-page", "/projects/999999999", "/static/no-such-file.css"])
def test_a_404_in_an_english_session_is_english(client: TestClient[Litestar], path: str) -> None:
    client.get("/lang/en?next=/")
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert "Page not found" in response.text or "not found" in response.text.lower()
    assert "红色合伙人" not in response.text


def test_a_404_follows_the_browser_language_without_a_cookie(client: TestClient[Litestar]) -> None:
    english = client.get("/no-such-page", headers={"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9"})
    chinese = client.get("/no-such-page", headers={"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="en">' in english.text and "Red Partners" in english.text
    assert '<html lang="zh-CN">' in chinese.text and "红色合伙人" in chinese.text
