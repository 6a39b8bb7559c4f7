"""Every page is rendered in a worker thread, never on the event loop (the app's after_request hook): while
one worker renders a heavy page, its other requests, the health probe included, are not held. The pages read
as before: status, HTML, security headers, CSRF inputs, the reader's language."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.render_spy import renders  # noqa: F401 (fixture)
from tests.security_helpers import csrf_for, sign_in_as


@pytest.mark.parametrize(
    ("role", "path", "template"),
    [
        (None, "/", "board"),
        (None, "/login", "login"),
        (None, "/submit", "submit"),
        (None, "/track", "track"),
        (Role.ADMIN, "/needs", "needs"),
        (Role.ADMIN, "/admin/audit", "audit"),
        (Role.VOLUNTEER, "/signups", "signups"),
        (Role.PARTNER, "/offers", "offers"),
    ],
)
def test_pages_render_off_the_event_loop(
    role: Role | None,
    path: str,
    template: str,
    client: TestClient[Any],
    session: Session,
    renders: list[tuple[str, bool]],  # noqa: F811
) -> None:
    if role is not None:
        sign_in_as(client, session, role)
    client.cookies.set("lang", "en")
    renders.clear()
    page = client.get(path)
    assert page.status_code == 200, page.text[-400:]
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers
    assert '<html lang="en"' in page.text
    assert renders, "no template rendered"
    assert [name for name, on_loop in renders if on_loop] == []
    assert any(template in name for name, _ in renders), renders


def test_a_refused_form_keeps_its_status(
    client: TestClient[Any],
    settings: Settings,
    renders: list[tuple[str, bool]],  # noqa: F811
) -> None:
    """A page returned with 400 stays 400 (the status the handler gave, not 200)."""
    client.cookies.set("lang", "zh_CN")
    renders.clear()
    answer = client.post("/track", data={"ref": "", "phone": "", "csrf_token": csrf_for(client, settings)})
    assert answer.status_code == 400 and 'name="ref"' in answer.text and 'lang="zh' in answer.text
    assert renders and [name for name, on_loop in renders if on_loop] == []
