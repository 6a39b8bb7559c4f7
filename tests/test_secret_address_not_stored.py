"""A page whose address carries a secret (a password reset link) is never stored by a cache, even when it is
opened by someone not signed in: the person who opens the link on a street office's computer leaves nothing
for the next user, and a shared proxy keeps no copy (marketplace/security/headers.py, ``SECRET_IN_PATH``)."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.security.headers import SECRET_IN_PATH
from marketplace.settings import Settings
from tests.security_helpers import csrf_from, make_user, post_form, sign_in_as


def _issue(admin: TestClient[Litestar], settings: Settings, user_id: int) -> str:
    issued = post_form(admin, settings, f"/admin/users/{user_id}/reset-link")
    assert issued.status_code == 303
    page = admin.get(issued.headers["location"])
    start = page.text.index("/reset/")
    return page.text[start : page.text.index("<", start)]


def test_a_reset_link_page_and_its_answers_are_not_stored(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.VOLUNTEER, username="zhou")
    path = _issue(client, settings, user.id)
    with TestClient(app=app, base_url="http://testserver.local") as anonymous:
        form = anonymous.get(path)
        assert form.status_code == 200
        assert form.headers["cache-control"] == "no-store"
        refused = anonymous.post(
            path, data={"csrf_token": csrf_from(form.text), "new_password": "short", "confirm_password": "other"}
        )
        assert refused.status_code == 400
        assert refused.headers["cache-control"] == "no-store"
        unknown = anonymous.get("/reset/not-a-real-link")
        assert unknown.headers["cache-control"] == "no-store"
        # A public page without a secret in its address keeps the ordinary policy.
        assert anonymous.get("/login").headers.get("cache-control") != "no-store"


def test_only_the_reset_link_routes_declare_a_secret_address(app: Litestar) -> None:
    declared = sorted(
        (route.path, handler.handler_name)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if handler.opt.get(SECRET_IN_PATH)
    )
    assert declared == [("/reset/{token:str}", "reset_page"), ("/reset/{token:str}", "reset_submit")]
