"""The item vocabulary is one for the whole deployment: in a city of several streets only a city admin changes
it (a street admin retiring 活动室 would change every other street's matching, as the security probe did); on
a one-street server its admins do. API and pages ask the same rule (``items.services.may_edit``); a refused
change writes nothing."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.items.services import install_curated, may_edit, set_retired
from marketplace.settings import Settings
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import factories
from tests.needs_helpers import token_for
from tests.security_helpers import make_user, reading
from tests.security_world import session_identity, use

LAMP = {
    "key": "garden_led_lamp",
    "category": "travel_safety",
    "kind": "material",
    "name_zh": "LED庭院灯",
    "name_en": "LED garden lamps",
    "synonyms": ["LED草坪灯"],
    "units": ["盏"],
}
SHARED = {"en": "Every street of the city shares the item vocabulary", "zh_CN": "全市各街道共用同一份物品词表"}


def _admin(session: Session, *, city: bool) -> User:
    user = make_user(session, Role.ADMIN)
    if city:
        session.execute(sa.update(User).where(User.id == user.id).values(street_id=None))  # type: ignore[arg-type]
        session.commit()
    return user


def _bearer(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, user, ['items:read', 'items:write'])}"}


def _second_street(session: Session) -> None:
    factories.make_street(session, code="badaguan", name="八大关街道", name_en="Badaguan Street")
    session.commit()


def _brick(session: Session) -> ItemTerm:
    with reading(session) as fresh:
        return fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "brick")).scalar_one()


def _item_audits(session: Session) -> int:
    with reading(session) as fresh:
        query = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action.startswith("item."))  # type: ignore[attr-defined]
        return int(fresh.execute(query).scalar_one())


@pytest.fixture
def curated(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def test_in_a_city_a_street_admin_reads_the_vocabulary_and_cannot_change_it(
    client: TestClient[Any], session: Session, curated: None
) -> None:
    street_admin = _bearer(session, _admin(session, city=False))
    _second_street(session)
    brick = _brick(session)
    assert client.get("/api/v1/items/brick", headers=street_admin).status_code == 200
    refused = [
        client.post("/api/v1/items", json=LAMP, headers=street_admin),
        client.patch("/api/v1/items/brick", json={"version": brick.version, "synonyms": []}, headers=street_admin),
        client.post("/api/v1/items/brick/retire", headers=street_admin),
        client.post("/api/v1/items/brick/restore", headers=street_admin),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"].startswith(SHARED["zh_CN"])  # the API answers in the default language
    after = _brick(session)
    assert (after.version, after.synonyms, after.retired_at) == (brick.version, brick.synonyms, None)
    with reading(session) as fresh:
        assert fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "garden_led_lamp")).first() is None
    assert _item_audits(session) == 0


def test_in_a_city_the_city_admin_changes_it(client: TestClient[Any], session: Session, curated: None) -> None:
    city_admin = _bearer(session, _admin(session, city=True))
    _second_street(session)
    assert client.post("/api/v1/items", json=LAMP, headers=city_admin).status_code == 201
    assert client.post("/api/v1/items/brick/retire", headers=city_admin).status_code == 200
    assert client.post("/api/v1/items/brick/restore", headers=city_admin).status_code == 200
    assert _item_audits(session) >= 3


def test_on_a_one_street_server_its_admin_changes_it_and_the_command_line_always_may(
    client: TestClient[Any], session: Session, curated: None
) -> None:
    admin = _admin(session, city=False)
    assert client.post("/api/v1/items", json=LAMP, headers=_bearer(session, admin)).status_code == 201
    _second_street(session)
    assert may_edit(session, None)  # `marketplace items` on the command line acts for the deployment
    set_retired(session, None, "brick", retired=True)
    session.commit()
    assert _brick(session).retired_at is not None


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_pages_show_a_street_admin_of_a_city_the_items_without_forms(
    locale: str,
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    identity = session_identity(session_factory, settings, _admin(session, city=False))
    _second_street(session)
    use(client, identity)
    client.cookies.set("lang", locale)
    listing = client.get("/admin/items")
    assert listing.status_code == 200 and SHARED[locale] in listing.text
    assert 'action="/admin/items"' in listing.text  # the search form stays
    assert 'method="post" action="/admin/items"' not in listing.text
    item = client.get("/admin/items/brick")
    assert item.status_code == 200 and SHARED[locale] in item.text
    assert "/admin/items/brick/retire" not in item.text and 'name="version"' not in item.text
    posted = client.post("/admin/items/brick/retire", data={"csrf_token": identity.csrf})
    assert posted.status_code == 403
    assert _brick(session).retired_at is None
