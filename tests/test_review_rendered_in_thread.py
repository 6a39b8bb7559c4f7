"""The review queue is rendered in its handler's thread, never on the event loop, and reads as before: its
items, one CSRF token per form, an HTML page with the security headers every page has."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.render_spy import renders  # noqa: F401 (fixture)
from tests.security_helpers import sign_in_as
from tests.test_review_pages import _line_claims


def test_the_review_queue_is_rendered_off_the_event_loop(
    client: TestClient[Any],
    session: Session,
    renders: list[tuple[str, bool]],  # noqa: F811
) -> None:
    ids, _offer, title = _line_claims(client, session, 2, "10")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    renders.clear()
    page = client.get("/review")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers
    assert title in page.text
    for match_id in ids:
        assert f'action="/review/{match_id}/approve"' in page.text
    assert page.text.count('name="csrf_token"') >= 1 + 2 * len(ids) + 1  # sign-out, per item, bulk
    assert ("review/queue.html", False) in renders
    assert not [name for name, on_loop in renders if on_loop and name == "review/queue.html"]
