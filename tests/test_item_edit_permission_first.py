"""Who may change the item vocabulary is asked first, by one rule the pages and the API share
(``items.services.vocabulary_editors``): in a city of several streets a street admin's change is a 403 with
the reason, in their language, whatever the form or the body holds; it used to be a 400 about a field of the
form (the page checked the fields first), while the API said 403 for the same action. A city admin's form
with a problem in it is still a 400 naming the field."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.items.models import ItemTerm
from marketplace.items.services import install_curated
from marketplace.settings import Settings
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import factories
from tests.needs_helpers import token_for
from tests.security_helpers import make_user, reading
from tests.security_world import session_identity, use

SHARED = {"en": "Every street of the city shares the item vocabulary", "zh_CN": "全市各街道共用同一份物品词表"}
# Forms as a person could send them: with problems of their own, and one without.
BAD_FORM = {"name_zh": "", "units": "", "category": "nonsense"}


def _admin(session: Session, *, city: bool) -> User:
    user = make_user(session, Role.ADMIN)
    if city:
        session.execute(sa.update(User).where(User.id == user.id).values(street_id=None))  # type: ignore[arg-type]
        session.commit()
    return user


def _brick(session: Session) -> ItemTerm:
    with reading(session) as fresh:
        return fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "brick")).scalar_one()


@pytest.fixture
def city(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def _second_street(session: Session) -> None:
    factories.make_street(session, code="badaguan", name="八大关街道", name_en="Badaguan Street")
    session.commit()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_street_admins_change_on_the_pages_is_a_403_with_the_reason_whatever_the_form(
    locale: str,
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    city: None,
) -> None:
    identity = session_identity(session_factory, settings, _admin(session, city=False))
    _second_street(session)
    use(client, identity)
    client.cookies.set("lang", locale)
    brick = _brick(session)
    csrf = {"csrf_token": identity.csrf}
    good_edit = {
        "version": str(brick.version),
        "category": brick.category.value,
        "kind": brick.kind.value,
        "name_zh": brick.name_zh,
        "name_en": brick.name_en,
        "units": "、".join(brick.units),
    }
    posts = {
        "add, a form with problems": ("/admin/items", BAD_FORM),
        "edit, a form with problems": ("/admin/items/brick", BAD_FORM),
        "edit, a good form": ("/admin/items/brick", good_edit),
        "retire": ("/admin/items/brick/retire", {}),
        "restore": ("/admin/items/brick/restore", {}),
    }
    for label, (path, form) in posts.items():
        answer = client.post(path, data=csrf | form, follow_redirects=False)
        assert answer.status_code == 403, (label, answer.status_code)
        assert SHARED[locale] in answer.text, label
        assert "text/html" in answer.headers["content-type"], label
    assert _brick(session).version == brick.version


def test_the_api_answers_the_same_403_before_reading_the_body(
    client: TestClient[Any], session: Session, city: None
) -> None:
    bearer = {"Authorization": f"Bearer {token_for(session, _admin(session, city=False), ['items:write'])}"}
    _second_street(session)
    for method, path, body in (
        ("POST", "/api/v1/items", {"key": "Not A Key"}),
        ("PATCH", "/api/v1/items/brick", {"synonyms": "x"}),
        ("POST", "/api/v1/items/brick/retire", None),
    ):
        answer = client.request(method, path, json=body, headers=bearer)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["detail"].startswith(SHARED["zh_CN"])


def test_a_city_admins_form_with_a_problem_is_still_a_400_naming_the_field(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    city: None,
) -> None:
    identity = session_identity(session_factory, settings, _admin(session, city=True))
    _second_street(session)
    use(client, identity)
    client.cookies.set("lang", "en")
    answer = client.post("/admin/items/brick", data={"csrf_token": identity.csrf} | BAD_FORM)
    assert answer.status_code == 400 and 'id="category-error"' in answer.text
