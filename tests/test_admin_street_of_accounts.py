"""Which street an admin account belongs to is decided where accounts are made and changed, never
left to chance: a street admin makes only admins of their own street (a new admin, or someone whose
role they change to admin), and a city admin says which street, or the whole city, explicitly.

Before, an admin made by a city admin, or a volunteer whose role a street admin changed to admin,
kept no street, and an admin without a street is a city admin: a street admin could make a city admin.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.app import create_app
from marketplace.db.engine import make_session_factory
from marketplace.settings import DatabaseSettings, Settings
from tests.conftest import empty_all_tables
from tests.security_helpers import DEFAULT_PASSWORD
from tests.security_world import session_identity, use
from tests.street_fixtures import TwoStreets, build_two_streets

NEW_PASSWORD = "Correct-Horse-7-Battery"


@pytest.fixture
def world_and_web(
    database_url: str, engine: sa.Engine, tmp_path: Any
) -> Iterator[tuple[TwoStreets, sessionmaker[Session], TestClient[Litestar], Settings]]:
    settings = Settings(
        database=DatabaseSettings(url=database_url),
        secret_key="test-secret-key-not-for-production",
        var_dir=tmp_path,
        allowed_hosts=("testserver.local", "127.0.0.1", "localhost"),
    )
    empty_all_tables(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        world = build_two_streets(session, factory, settings)
    with TestClient(app=create_app(settings)) as web:
        yield world, factory, web, settings
    empty_all_tables(engine)


def _as(web: TestClient[Litestar], factory: sessionmaker[Session], settings: Settings, user: User) -> str:
    identity = session_identity(factory, settings, user)
    use(web, identity)
    return identity.csrf


def _user(factory: sessionmaker[Session], user_id: int) -> User:
    with factory() as db:
        user = db.get(User, user_id)
        assert user is not None
        db.expunge(user)
        return user


def _create(web: TestClient[Litestar], csrf: str, username: str, **fields: str) -> Any:
    form = {"username": username, "display_name": "新管理员", "role": "admin", "password": NEW_PASSWORD, **fields}
    return web.post("/admin/users/new", data=form, headers={"X-CSRF-Token": csrf}, follow_redirects=False)


def _created(factory: sessionmaker[Session], username: str) -> User | None:
    with factory() as db:
        user = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is not None:
            db.expunge(user)
        return user


def test_a_street_admin_s_new_admin_belongs_to_that_street(world_and_web: Any) -> None:
    world, factory, web, settings = world_and_web
    csrf = _as(web, factory, settings, world.a.admin)
    assert _create(web, csrf, "street-a-second").status_code == 303
    made = _created(factory, "street-a-second")
    assert made is not None and made.street_id == world.a.street.id
    # Another street, or the whole city, is refused and nothing is written.
    other = _create(web, csrf, "street-a-third", street_id=str(world.b.street.id))
    assert other.status_code == 400 and "您只能为本街道设立管理员" in other.text
    city = _create(web, csrf, "street-a-fourth", street_id="city")
    assert city.status_code == 400 and "您只能为本街道设立管理员" in city.text
    assert _created(factory, "street-a-third") is None and _created(factory, "street-a-fourth") is None


def test_a_city_admin_names_the_street_or_the_whole_city(world_and_web: Any) -> None:
    world, factory, web, settings = world_and_web
    csrf = _as(web, factory, settings, world.city_admin)
    page = web.get("/admin/users/new")
    assert page.status_code == 200 and 'name="street_id"' in page.text
    unnamed = _create(web, csrf, "city-unnamed")
    assert unnamed.status_code == 400 and "请选择该管理员所属的街道" in unnamed.text
    assert _created(factory, "city-unnamed") is None
    assert _create(web, csrf, "city-street-b", street_id=str(world.b.street.id)).status_code == 303
    made = _created(factory, "city-street-b")
    assert made is not None and made.street_id == world.b.street.id
    assert _create(web, csrf, "city-second", street_id="city").status_code == 303
    city = _created(factory, "city-second")
    assert city is not None and city.street_id is None and city.role == Role.ADMIN
    assert _create(web, csrf, "city-nowhere", street_id="999999").status_code == 400


@pytest.mark.parametrize("who", ["volunteer A", "staff A"])
def test_a_street_admin_who_makes_someone_an_admin_makes_an_admin_of_their_street(world_and_web: Any, who: str) -> None:
    world, factory, web, settings = world_and_web
    person = world.user_of(who)
    if who == "volunteer A":
        # As registration leaves a volunteer: no street of their own (they serve streets through their profile).
        with factory() as db:
            db.execute(sa.update(User).where(User.id == person.id).values(street_id=None))  # type: ignore[arg-type]
            db.commit()
    csrf = _as(web, factory, settings, world.a.admin)
    answer = web.post(
        f"/admin/users/{person.id}/role", data={"role": "admin"}, headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    changed = _user(factory, person.id or 0)
    assert changed.role == Role.ADMIN and changed.street_id == world.a.street.id


def test_a_city_admin_who_makes_someone_an_admin_names_the_street(world_and_web: Any) -> None:
    world, factory, web, settings = world_and_web
    person = world.user_of("volunteer A")
    csrf = _as(web, factory, settings, world.city_admin)
    address = f"/admin/users/{person.id}/role"
    unnamed = web.post(address, data={"role": "admin"}, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert unnamed.status_code == 400 and "请选择该管理员所属的街道" in unnamed.text
    assert _user(factory, person.id or 0).role == Role.VOLUNTEER
    named = web.post(
        address,
        data={"role": "admin", "street_id": str(world.b.street.id)},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert named.status_code == 303
    changed = _user(factory, person.id or 0)
    assert changed.role == Role.ADMIN and changed.street_id == world.b.street.id


def test_staff_moved_to_a_community_of_another_street_follow_it(world_and_web: Any) -> None:
    """A city admin who gives staff a community of street B moves them to street B (their figures and lists)."""
    world, factory, web, settings = world_and_web
    person = world.user_of("staff A")
    csrf = _as(web, factory, settings, world.city_admin)
    answer = web.post(
        f"/admin/users/{person.id}/role",
        data={"role": "staff", "community_id": str(world.b.communities[0].id)},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert _user(factory, person.id or 0).street_id == world.b.street.id


assert DEFAULT_PASSWORD  # the world's accounts sign in with it
