"""Erasure stays within the admin's street (found by a live probe of `marketplace serve`).

Before, the admin page's erasure took any user id: street B's admin erased street A's staff member
(an irreversible anonymisation: name, phone, password and sessions gone, tokens revoked), and the page
listed every street's pending requests with names and user names. Now another street's account is a
404 and the account is untouched; each admin lists only the requests of the people they manage, and a
street admin can still erase their own street's people.
"""

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.privacy import erasure
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD
from tests.street_fixtures import TwoStreets, actor
from tests.test_admin_street_of_accounts import _as, world_and_web  # noqa: F401  (fixture)


def _account(factory: sessionmaker[Session], user_id: int) -> tuple[str, str, bool]:
    with factory() as db:
        user = db.get(User, user_id)
        assert user is not None
        return user.username, user.display_name, user.is_active


def test_another_streets_admin_cannot_erase_an_account(
    world_and_web: tuple[TwoStreets, sessionmaker[Session], TestClient[Litestar], Settings],  # noqa: F811
) -> None:
    world, factory, web, settings = world_and_web
    staff_a = world.a.staff.id or 0
    before = _account(factory, staff_a)
    csrf = _as(web, factory, settings, world.b.admin)
    by_path = web.post(f"/admin/privacy/erasures/{staff_a}", data={"csrf_token": csrf, "confirm": "1"})
    assert by_path.status_code == 404
    by_form = web.post("/admin/privacy/erasures", data={"csrf_token": csrf, "confirm": "1", "user_id": str(staff_a)})
    assert by_form.status_code == 404
    assert _account(factory, staff_a) == before

    csrf = _as(web, factory, settings, world.a.admin)
    own = web.post(
        f"/admin/privacy/erasures/{staff_a}", data={"csrf_token": csrf, "confirm": "1"}, follow_redirects=False
    )
    assert own.status_code == 303
    username, _, active = _account(factory, staff_a)
    assert username != before[0] and not active


def test_pending_requests_are_listed_only_to_the_admins_who_manage_the_person(
    world_and_web: tuple[TwoStreets, sessionmaker[Session], TestClient[Litestar], Settings],  # noqa: F811
) -> None:
    world, factory, web, settings = world_and_web
    with factory() as db:
        erasure.request_erasure(db, actor(world.a.staff), DEFAULT_PASSWORD, True)
        db.commit()
    username = world.a.staff.username
    _as(web, factory, settings, world.b.admin)
    assert username not in web.get("/admin/privacy").text
    _as(web, factory, settings, world.a.admin)
    assert username in web.get("/admin/privacy").text
    _as(web, factory, settings, world.city_admin)
    assert username in web.get("/admin/privacy").text
