"""The phrases that are not an item are data admins edit, per item, like synonyms (item_term.exclusions).

An admin adds "ornamental bulbs" (flower bulbs: tulips, lilies) under 灯泡 (light bulbs): the head-noun rule reads
"ornamental" as an adjective and took such an offer for light bulbs, so it could be claimed for a line of 灯泡
in 个. After the edit the offer's stored key is resolved again, its claim is refused through the API claim path,
and removing the phrase restores both. A phrase that is one of the item's own names or synonyms, or no phrase at
all, is a 400 naming ``exclusions`` (API and page); a street admin of a city gets 403 and changes nothing; each
change writes audit rows; the resolve API says which phrase kept a text from naming an item (both databases).
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.items.services import install_curated, with_item_key
from marketplace.needs.models import ResourceLine
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from marketplace.vocabulary import Category, ResourceKind
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import factories
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import csrf_for, make_user, reading
from tests.security_world import session_identity, use
from tests.test_english_offer_fits_line import _as

PHRASES = ["flower bulbs", "ornamental bulbs"]


def _bearer(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, user, ('items:read', 'items:write'))}"}


def _admin(session: Session, *, city: bool = False) -> User:
    user = make_user(session, Role.ADMIN)
    if city:
        session.execute(sa.update(User).where(User.id == user.id).values(street_id=None))  # type: ignore[arg-type]
        session.commit()
    return user


def _term(session: Session, key: str = "light_bulb") -> ItemTerm:
    with reading(session) as fresh:
        return fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == key)).scalar_one()


def _offer_key(session: Session, offer_id: int) -> str | None:
    with reading(session) as fresh:
        return fresh.execute(sa.select(Offer.item_key).where(Offer.id == offer_id)).scalar_one()  # type: ignore[arg-type,return-value]


def _audits(session: Session, action: str) -> list[AuditEvent]:
    with reading(session) as fresh:
        query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)  # type: ignore[arg-type]
        return list(fresh.execute(query).scalars())


@pytest.fixture
def curated(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def _patch(client: TestClient[Any], headers: dict[str, str], session: Session, exclusions: Any) -> Any:
    """The admin's edit with a bearer token (without the partner's browser cookies the client may hold)."""
    body = {"version": _term(session).version, "exclusions": exclusions}
    cookies = list(client.cookies.jar)
    client.cookies.clear()
    try:
        return client.patch("/api/v1/items/light_bulb", json=body, headers=headers)
    finally:
        for cookie in cookies:
            client.cookies.jar.set_cookie(cookie)


def _form(csrf: str, term: ItemTerm, exclusions: str) -> dict[str, str]:
    """The edit page's form as the browser posts it: the item as it is, with these excluded phrases."""
    return {
        "csrf_token": csrf,
        "version": str(term.version),
        "name_zh": term.name_zh,
        "name_en": term.name_en,
        "category": term.category.value,
        "kind": term.kind.value,
        "synonyms": "\n".join(term.synonyms),
        "units": "、".join(term.units),
        "exclusions": exclusions,
    }


def test_an_admin_excludes_a_phrase_and_an_offer_so_named_stops_being_claimable_until_it_is_removed(
    client: TestClient[Any], session: Session, settings: Settings, curated: None
) -> None:
    need = mf.project(session, title="湖岛新村楼道灯泡更换", category=Category.RENOVATION)
    line = factories.add_resource_line(
        session, need, "30", "30", kind=ResourceKind.MATERIAL, description="灯泡", unit="个"
    )
    with_item_key(session, line)
    person = mf.partner(session)
    admin = _bearer(session, _admin(session))
    session.commit()
    assert line.item_key == "light_bulb"

    _as(client, person, "en")
    body = {"kind": "material", "category": "renovation", "title": "ornamental bulbs", "quantity": "20", "unit": "个"}
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    created = client.post("/api/v1/offers", json=body | {"grid_ids": [need.grid_id]}, headers=headers)
    assert created.status_code == 201, created.text
    offer_id = created.json()["id"]
    assert created.json()["item_key"] == "light_bulb"  # "ornamental" passes for an adjective: a light bulb

    added = _patch(client, admin, session, PHRASES)
    assert added.status_code == 200, added.text
    assert added.json()["exclusions"] == PHRASES
    assert added.json()["reresolved"]["offers_changed"] == 1  # the one offer the change affects
    assert _offer_key(session, offer_id) is None

    claim = {"kind": "line", "resource_line_id": line.id, "quantity": "10", "offer_id": offer_id}
    refused = client.post(f"/api/v1/projects/{need.id}/claims", json=claim, headers=headers)
    assert refused.status_code in (400, 409, 422), refused.text
    assert "is not the item" in refused.text or "does not say what is counted" in refused.text, refused.text

    removed = _patch(client, admin, session, [])
    assert removed.status_code == 200 and removed.json()["exclusions"] == []
    assert removed.json()["reresolved"]["offers_changed"] == 1
    assert _offer_key(session, offer_id) == "light_bulb"
    claimed = client.post(f"/api/v1/projects/{need.id}/claims", json=claim, headers=headers)
    assert claimed.status_code == 201, claimed.text

    updates = _audits(session, "item.update")
    assert [(u.before or {}).get("exclusions") for u in updates] == [[], PHRASES]
    assert [(u.after or {}).get("exclusions") for u in updates] == [PHRASES, []]
    assert [a.after["offers_changed"] for a in _audits(session, "item.reresolve")] == [1, 1]  # type: ignore[index]


def test_a_line_so_named_is_resolved_again_too(client: TestClient[Any], session: Session, curated: None) -> None:
    need = mf.project(session, title="社区花坛", category=Category.RENOVATION)
    line = factories.add_resource_line(
        session, need, "30", "30", kind=ResourceKind.MATERIAL, description="ornamental bulbs", unit="个"
    )
    with_item_key(session, line)
    admin = _bearer(session, _admin(session))
    session.commit()
    assert line.item_key == "light_bulb"
    answer = _patch(client, admin, session, ["Ornamental Bulb"])  # one spelling, as the resolver reads it
    assert answer.status_code == 200 and answer.json()["reresolved"]["lines_changed"] == 1
    with reading(session) as fresh:
        assert fresh.execute(sa.select(ResourceLine.item_key).where(ResourceLine.id == line.id)).scalar_one() is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exclusions", "said"),
    [
        (["LED bulbs"], "LED bulbs"),  # an own synonym (plural of "LED bulb"): it would exclude the item itself
        (["灯泡"], "灯泡"),  # the Chinese name
        ([""], ""),
        (["!!"], "letters"),
        ("flower bulbs", ""),  # a list, not a string
        (None, "null"),
    ],
)
def test_bad_exclusions_are_a_400_naming_the_field_and_change_nothing(
    exclusions: Any, said: str, client: TestClient[Any], session: Session, curated: None
) -> None:
    admin = _bearer(session, _admin(session))
    before = _term(session)
    answer = _patch(client, admin, session, exclusions)
    if isinstance(exclusions, str):  # the API takes the list a form's textarea gives, split like synonyms
        assert answer.status_code == 200 and answer.json()["exclusions"] == ["flower bulbs"]
        return
    assert answer.status_code == 400, answer.text
    assert any(extra["key"].startswith("exclusions") for extra in answer.json()["extra"]), answer.text
    assert said in answer.text
    after = _term(session)
    assert (after.version, after.exclusions) == (before.version, before.exclusions)
    assert _audits(session, "item.update") == []


def test_the_admin_page_adds_and_removes_a_phrase_and_names_the_field_on_bad_input(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    identity = session_identity(session_factory, settings, _admin(session))
    use(client, identity)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/admin/items/light_bulb")
    assert page.status_code == 200 and 'name="exclusions"' in page.text and "不是此物品的说法" in page.text

    def save(exclusions: str) -> Any:
        form = _form(identity.csrf, _term(session), exclusions)
        return client.post("/admin/items/light_bulb", data=form, follow_redirects=False)

    assert save("flower bulbs\n灯泡糖").status_code == 303
    assert _term(session).exclusions == ["flower bulbs", "灯泡糖"]
    listing = client.get("/admin/items?q=灯泡")
    assert "不是此物品：flower bulbs、灯泡糖" in listing.text

    refused = save("flower bulbs\nLED灯泡")
    assert refused.status_code == 400
    assert 'id="exclusions-error"' in refused.text and "“LED灯泡”是此物品的名称或同义词" in refused.text
    assert _term(session).exclusions == ["flower bulbs", "灯泡糖"]

    assert save("灯泡糖").status_code == 303  # a line deleted: the phrase removed
    assert _term(session).exclusions == ["灯泡糖"]
    assert save("").status_code == 303
    assert _term(session).exclusions == []


def test_in_a_city_a_street_admin_cannot_change_the_phrases(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    street_admin = _admin(session)
    factories.make_street(session, code="badaguan", name="八大关街道", name_en="Badaguan Street")
    session.commit()
    before = _term(session)
    answer = _patch(client, _bearer(session, street_admin), session, PHRASES)
    assert answer.status_code == 403, answer.text
    identity = session_identity(session_factory, settings, street_admin)
    use(client, identity)
    page = client.get("/admin/items/light_bulb")
    assert page.status_code == 200 and 'name="exclusions"' not in page.text  # read without forms
    form = _form(identity.csrf, before, "flower bulbs")
    assert client.post("/admin/items/light_bulb", data=form, follow_redirects=False).status_code == 403
    after = _term(session)
    assert (after.version, after.exclusions) == (before.version, [])
    assert _audits(session, "item.update") == []


def test_the_resolve_api_says_which_phrase_kept_a_text_from_naming_an_item(
    client: TestClient[Any], session: Session, curated: None
) -> None:
    reader = {"Authorization": f"Bearer {token_for(session, make_user(session, Role.STAFF), ('items:read',))}"}
    answer = client.get("/api/v1/items/resolve", params={"text": "拳击手套 20双", "kind": "material"}, headers=reader)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["key"] is None
    assert [(e["key"], e["phrase"]) for e in found["excluded"]] == [("work_gloves", "拳击手套")]
    assert (
        found["excluded"][0]["reason_en"]
        == "“拳击手套” is not the item work gloves (listed as a phrase that is not it)"
    )
    plain = client.get("/api/v1/items/resolve", params={"text": "劳保手套"}, headers=reader).json()
    assert plain["key"] == "work_gloves" and plain["excluded"] == []
    item = client.get("/api/v1/items/work_gloves", headers=reader).json()
    assert item["exclusions"] == ["拳击手套", "滑雪手套", "棒球手套"]


def test_the_openapi_schema_documents_the_exclusions(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    for name in ("ItemTermCreate", "ItemTermUpdate"):
        assert "exclusions" in schema["components"]["schemas"][name]["properties"], name
    assert "exclusions" in schema["paths"]["/api/v1/items/{key}"]["patch"]["description"]
