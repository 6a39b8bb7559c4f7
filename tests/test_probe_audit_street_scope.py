"""A street admin's audit log leaves out failed sign-ins naming another street's accounts (found by a live
probe of `marketplace serve`).

A failed sign-in has no actor, and events without one were shown to every street admin: street B's
admin read each failed sign-in for street A's staff, with the address it came from. Now an event about
an account the admin does not manage is left out like any other street's object; the admin of the
account's street and the city admin still read it, and street B's own failures stay in B's log. A failed
sign-in naming no account belongs to no street: only the city admin reads it.
"""

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts import services
from marketplace.accounts.models import User
from marketplace.settings import Settings
from tests.security_world import session_identity, use
from tests.street_fixtures import TwoStreets
from tests.test_admin_street_of_accounts import world_and_web  # noqa: F401  (fixture)

ADDRESS = "198.51.100.77"


def _fail_sign_in(factory: sessionmaker[Session], settings: Settings, user: User) -> None:
    with pytest.raises(services.LoginFailed):
        services.authenticate(
            factory, factory, settings, user.username, "wrong guess", client_address=ADDRESS, user_agent="tests"
        )


def _failures_seen(
    web: TestClient[Litestar], factory: sessionmaker[Session], settings: Settings, admin: User
) -> set[int]:
    use(web, session_identity(factory, settings, admin))
    response = web.get("/api/v1/audit", params={"action": "auth.login_failed", "page_size": 100})
    assert response.status_code == 200
    return {event["object_id"] for event in response.json()["events"]}


def test_failed_sign_ins_reach_only_the_accounts_street_and_the_city(
    world_and_web: tuple[TwoStreets, sessionmaker[Session], TestClient[Litestar], Settings],  # noqa: F811
) -> None:
    world, factory, web, settings = world_and_web
    _fail_sign_in(factory, settings, world.a.staff)
    _fail_sign_in(factory, settings, world.b.staff)
    staff_a, staff_b = world.a.staff.id, world.b.staff.id
    assert _failures_seen(web, factory, settings, world.b.admin) == {staff_b}
    assert _failures_seen(web, factory, settings, world.a.admin) == {staff_a}
    assert _failures_seen(web, factory, settings, world.city_admin) == {staff_a, staff_b}
    use(web, session_identity(factory, settings, world.b.admin))
    page = web.get("/admin/audit", params={"action": "auth.login_failed"})
    assert page.status_code == 200
    assert ADDRESS in page.text  # B's own failure, with its address
    assert world.a.staff.username not in page.text


def test_a_failed_sign_in_naming_no_account_is_the_city_admins(
    world_and_web: tuple[TwoStreets, sessionmaker[Session], TestClient[Litestar], Settings],  # noqa: F811
) -> None:
    world, factory, web, settings = world_and_web
    with pytest.raises(services.LoginFailed):
        services.authenticate(
            factory, factory, settings, "no-such-person", "guess", client_address=ADDRESS, user_agent="tests"
        )
    assert None not in _failures_seen(web, factory, settings, world.b.admin)
    assert None in _failures_seen(web, factory, settings, world.city_admin)
