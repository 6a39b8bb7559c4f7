"""Fourth probe: an owner locked out by someone's guessing gets back in with the reset link an admin hands them.

Before: fifty wrong passwords spread over two workers let exactly ten through (the count is shared in the
database) and then answered 429 to everyone at that address, the owner with the right password included.
The owner asked an admin for a reset link and set a new password, and sign-in still answered 429 for up to
five minutes: the guesses at the old password held the new one back (marketplace/security/throttle.py,
``forget_account_failures``).
"""

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, csrf_from, login, make_user, post_form, sign_in_as

NEW_PASSWORD = "a fresh passphrase of the owner"


def test_a_used_reset_link_lets_the_locked_out_owner_sign_in_at_once(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    owner = make_user(session, Role.STAFF, username="grid-worker")
    with TestClient(app=app, base_url="http://testserver.local") as device:
        for attempt in range(settings.login_failure_limit):
            assert login(device, "grid-worker", f"guess {attempt}").status_code == 401
        locked = login(device, "grid-worker", DEFAULT_PASSWORD)
        assert locked.status_code == 429 and "登录" in locked.text  # 从此网络地址登录或登录此账号失败的次数过多

        issued = post_form(client, settings, f"/admin/users/{owner.id}/reset-link")
        page = client.get(issued.headers["location"]).text
        start = page.index("/reset/")
        link = page[start : page.index("<", start)]
        form = device.get(link)
        data = {"csrf_token": csrf_from(form.text), "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        assert device.post(link, data=data, follow_redirects=False).status_code == 303

        assert login(device, "grid-worker", NEW_PASSWORD).status_code == 303
    session.expire_all()
    reset = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "auth.password_reset")).scalar_one()
    assert (reset.after or {})["failed_sign_ins_forgotten"] == settings.login_failure_limit
    session.rollback()


def test_the_reset_forgets_only_the_owners_guesses_not_the_addresss_others(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    owner = make_user(session, Role.VOLUNTEER, username="owner")
    for n in range(settings.login_failure_limit):
        make_user(session, Role.VOLUNTEER, username=f"sprayed{n}")
    with TestClient(app=app, base_url="http://testserver.local") as sprayer:
        for n in range(settings.login_failure_limit):
            assert login(sprayer, f"sprayed{n}", "guess").status_code == 401
        issued = post_form(client, settings, f"/admin/users/{owner.id}/reset-link")
        page = client.get(issued.headers["location"]).text
        start = page.index("/reset/")
        link = page[start : page.index("<", start)]
        form = sprayer.get(link)
        data = {"csrf_token": csrf_from(form.text), "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        assert sprayer.post(link, data=data, follow_redirects=False).status_code == 303
        # The spraying address is still held back (its failures were on other accounts).
        assert login(sprayer, "sprayed0", DEFAULT_PASSWORD).status_code == 429
