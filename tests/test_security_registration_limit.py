"""Found by probing a live server: every public registration form answered "this username is taken" to
anyone, as often as asked (12 sign-ups in a row from one address, no limit), while the sign-in page hides
which names exist and is throttled. Each registration form now counts every attempt per client address
(valid or not) and answers 429 past the limit, so neither account creation nor name probing runs at speed.

The forms are enumerated from the application: a registration form added later is held to the same rule.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.registration_limit import REGISTRATION_LIMIT, count_registration
from marketplace.settings import Settings
from tests.orgs_helpers import form_post
from tests.security_helpers import make_user
from tests.security_world import app_routes

TAKEN = "taken-name"


def registration_forms(app: Litestar) -> list[str]:
    """Every public POST under /register/ (an account is made there without signing in)."""
    paths = [r.path for r in app_routes(app) if r.method == "POST" and r.path.startswith("/register/") and r.is_public]
    assert len(paths) >= 2, paths  # the volunteer and the organization forms at least
    return paths


def _users(session: Session) -> int:
    session.rollback()
    return int(session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one())


@pytest.mark.parametrize("which", [0, 1])
def test_each_registration_form_refuses_past_the_limit_per_address(
    which: int, app: Litestar, client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_user(session, Role.VOLUNTEER, username=TAKEN)
    session.commit()
    path = registration_forms(app)[which]
    form = {"username": TAKEN, "display_name": "探测", "password": "a long enough password 26", "phone": "13912345678"}
    answers = [form_post(client, settings, path, form) for _ in range(REGISTRATION_LIMIT)]
    # Within the limit the form answers (the name is taken, or another field is wrong): a 400, never a 5xx.
    assert {a.status_code for a in answers} == {400}, [a.status_code for a in answers]
    refused = form_post(client, settings, path, form)
    assert refused.status_code == 429, refused.text[-500:]
    assert int(refused.headers["retry-after"]) > 0
    # Refused before anything is looked up: the answer no longer says whether the name exists.
    assert TAKEN not in refused.text and "taken" not in refused.text.lower() and "已被" not in refused.text
    assert _users(session) == 1


def test_the_limit_is_one_count_over_every_form(app: Litestar, client: TestClient[Any], settings: Settings) -> None:
    """Switching forms does not reset the allowance: both count against the same address."""
    paths = registration_forms(app)
    statuses = [form_post(client, settings, paths[i % len(paths)], {}).status_code for i in range(REGISTRATION_LIMIT)]
    assert 429 not in statuses
    assert all(form_post(client, settings, path, {}).status_code == 429 for path in paths)


def test_another_address_keeps_its_allowance(session: Session) -> None:
    for _ in range(REGISTRATION_LIMIT):
        count_registration(session, "203.0.113.7")
    with pytest.raises(Exception) as refused:
        count_registration(session, "203.0.113.7")
    assert getattr(refused.value, "status_code", None) == 429
    count_registration(session, "198.51.100.9")  # a different address is not held back
    session.rollback()
