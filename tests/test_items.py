"""The item vocabulary in the app: admin pages and API (others refused), audit, and offers' and lines'
item keys resolved when they are saved and again when admins change the vocabulary."""

import re
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.items.services import install_curated
from marketplace.needs.models import ResourceLine
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import matches_factories as mf
from tests.needs_helpers import need_body, staff_with_token, token_for
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user, reading
from tests.security_world import session_identity, use


def _curated(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def _bearer(session: Session, role: Role, *scopes: str, **fields: Any) -> dict[str, str]:
    user = make_user(session, role, **fields)
    return {"Authorization": f"Bearer {token_for(session, user, scopes)}"}


def _admin_page(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> str:
    """Sign ``client`` in as an admin with a browser session; the CSRF token for its forms."""
    admin = make_user(session, Role.ADMIN, username="vocab-admin")
    session.commit()
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    return identity.csrf


def _term(session: Session, key: str) -> ItemTerm:
    with reading(session) as fresh:
        return fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == key)).scalar_one()


def _audit(session: Session, action: str) -> list[AuditEvent]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


LAMP = {
    "key": "garden_led_lamp",
    "category": "travel_safety",
    "kind": "material",
    "name_zh": "LED庭院灯",
    "name_en": "LED garden lamps",
    "synonyms": ["LED草坪灯", "LED景观灯"],
    "units": ["盏", "个"],
}


def test_signed_in_users_read_and_resolve_the_vocabulary_only_admins_change_it(
    client: TestClient[Any], session: Session
) -> None:
    _curated(session)
    volunteer = _bearer(session, Role.VOLUNTEER, "items:read", "items:write")
    listed = client.get("/api/v1/items", params={"q": "路灯"}, headers=volunteer)
    assert listed.status_code == 200
    keys = {item["key"] for item in listed.json()["items"]}
    assert {"street_lamp", "solar_street_lamp", "led_street_lamp"} <= keys and "brick" not in keys
    resolved = client.get(
        "/api/v1/items/resolve", params={"text": "LED 路灯 20盏", "category": "travel_safety"}, headers=volunteer
    ).json()
    assert resolved == {
        "key": "led_street_lamp",
        "name_zh": "LED路灯",
        "name_en": "LED street lamps",
        "synonym": "led路灯",
        "excluded": [],  # no phrase of the text is one an item excludes
    }
    assert client.get("/api/v1/items/resolve", params={"text": "社区篮球赛"}, headers=volunteer).json()["key"] is None
    assert client.get("/api/v1/items/brick", headers=volunteer).json()["units"] == ["块", "个", "m²"]
    assert client.get("/api/v1/items/no_such_item", headers=volunteer).status_code == 404
    assert client.get("/api/v1/items/bad%00key", headers=volunteer).status_code == 404  # never reaches PostgreSQL

    # A volunteer, staff member or partner holding every scope still may not change it.
    for role in (Role.VOLUNTEER, Role.STAFF, Role.PARTNER):
        headers = volunteer if role is Role.VOLUNTEER else _bearer(session, role, "items:read", "items:write")
        assert client.post("/api/v1/items", json=LAMP, headers=headers).status_code == 403
        assert client.post("/api/v1/items/brick/retire", headers=headers).status_code == 403
    # An admin's token needs the write scope.
    reader = _bearer(session, Role.ADMIN, "items:read")
    assert client.post("/api/v1/items", json=LAMP, headers=reader).status_code == 403
    assert client.get("/api/v1/items", headers=_bearer(session, Role.ADMIN, "offers:read")).status_code == 403
    assert _audit(session, "item.create") == []


def test_admins_add_edit_retire_and_restore_items_every_change_audited(
    client: TestClient[Any], session: Session
) -> None:
    _curated(session)
    admin = _bearer(session, Role.ADMIN, "items:read", "items:write")
    created = client.post("/api/v1/items", json=LAMP, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["reresolved"]["offers_seen"] == 0
    [event] = _audit(session, "item.create")
    assert event.after is not None and event.after["key"] == "garden_led_lamp"

    edited = client.patch(
        "/api/v1/items/garden_led_lamp", json={"version": 1, "synonyms": ["LED草坪灯"]}, headers=admin
    )
    assert edited.status_code == 200 and edited.json()["synonyms"] == ["LED草坪灯"]
    [update] = _audit(session, "item.update")
    assert update.before == {"synonyms": ["LED草坪灯", "LED景观灯"], "version": 1}
    assert update.after is not None and update.after["synonyms"] == ["LED草坪灯"]
    stale = client.patch("/api/v1/items/garden_led_lamp", json={"version": 1, "name_en": "x"}, headers=admin)
    assert stale.status_code == 409

    assert client.post("/api/v1/items/garden_led_lamp/retire", headers=admin).json()["retired"] is True
    assert client.post("/api/v1/items/garden_led_lamp/retire", headers=admin).status_code == 409
    live = client.get("/api/v1/items", params={"q": "garden_led"}, headers=admin).json()
    assert live["total"] == 0
    everything = client.get("/api/v1/items", params={"q": "garden_led", "retired": True}, headers=admin).json()
    assert everything["total"] == 1
    assert client.post("/api/v1/items/garden_led_lamp/restore", headers=admin).json()["retired"] is False
    assert [len(_audit(session, a)) for a in ("item.retire", "item.restore", "item.reresolve")] == [1, 1, 4]


def test_bad_input_is_refused_naming_the_field(client: TestClient[Any], session: Session) -> None:
    _curated(session)
    admin = _bearer(session, Role.ADMIN, "items:read", "items:write")
    cases = [
        ({"key": "LED Lamp"}, "key"),
        ({"key": "brick"}, "key"),  # taken
        ({"category": "lamps"}, "category"),
        ({"kind": "gadget"}, "kind"),
        ({"name_zh": ""}, "name_zh"),
        ({"name_en": "x" * 101}, "name_en"),
        ({"units": []}, "units"),
        ({"synonyms": ["路灯\u0000"]}, "synonyms.0"),
        ({"synonyms": ["!!", "路灯x"]}, "synonyms"),
        # 太阳能路灯 already names another travel-safety material: the resolver could not tell them apart.
        ({"synonyms": ["太阳能路灯"]}, "synonyms"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/items", json=LAMP | change, headers=admin)
        assert response.status_code == 400, (change, response.text)
        named = {item["key"] for item in response.json()["extra"]}
        assert field in named or any(key.startswith(field + ".") for key in named), (change, response.json())
    bad_edit = client.patch("/api/v1/items/brick", json={"version": 1, "units": []}, headers=admin)
    assert bad_edit.status_code == 400 and bad_edit.json()["extra"][0]["key"] == "units"
    assert _audit(session, "item.create") == [] and _audit(session, "item.update") == []


def test_offers_and_lines_get_their_item_key_when_saved_and_again_when_the_vocabulary_changes(
    client: TestClient[Any], session: Session
) -> None:
    _curated(session)
    grid = make_grid(session)
    partner = _bearer(session, Role.PARTNER, "offers:read", "offers:write")
    offer_body = {
        "kind": "material",
        "category": "travel_safety",
        "title": "LED 路灯 捐赠",
        "quantity": "20",
        "unit": "盏",
        "grid_ids": [grid.id],
    }
    offer = client.post("/api/v1/offers", json=offer_body, headers=partner)
    assert offer.status_code in (200, 201), offer.text
    offer_id = offer.json()["id"]

    def offer_key() -> str | None:
        with reading(session) as fresh:
            return fresh.get(Offer, offer_id).item_key  # type: ignore[union-attr]

    assert offer_key() == "led_street_lamp" and offer.json()["item_key"] == "led_street_lamp"
    # An edit of the title resolves again; an edit of the quantity leaves it.
    edit = {"version": 1, "title": "太阳能路灯", "description": "含灯杆"}
    assert client.patch(f"/api/v1/offers/{offer_id}", json=edit, headers=partner).status_code == 200
    assert offer_key() == "solar_street_lamp"
    unrelated = client.patch(f"/api/v1/offers/{offer_id}", json={"version": 2, "title": "爱心捐赠"}, headers=partner)
    assert unrelated.status_code == 200 and offer_key() is None
    # The description names the item when the title does not.
    client.patch(f"/api/v1/offers/{offer_id}", json={"version": 3, "description": "一批太阳能路灯"}, headers=partner)
    assert offer_key() == "solar_street_lamp"

    staff = staff_with_token(session, grid)
    lines = [
        {"kind": "material", "category": "renovation", "quantity": "300", "unit": "m²", "description": "透水砖"},
        {"kind": "material", "category": "travel_safety", "quantity": "6", "unit": "盏", "description": "砖红色路灯"},
        {"kind": "service", "category": "elderly_care", "quantity": "30", "unit": "份", "description": "午餐"},
    ]
    need = client.post("/api/v1/needs", json=need_body(grid.id, resource_lines=lines), headers=staff.headers)
    assert need.status_code == 201, need.text
    with reading(session) as fresh:
        stored = [row.item_key for row in fresh.execute(sa.select(ResourceLine).order_by(ResourceLine.id)).scalars()]
    assert stored == ["permeable_brick", "street_lamp", None]
    assert [line["item_key"] for line in need.json()["resource_lines"]] == stored

    # An admin adds 午餐 as a synonym of meal delivery: the line resolves at once, the others stay.
    admin = _bearer(session, Role.ADMIN, "items:read", "items:write")
    version = client.get("/api/v1/items/meal_delivery", headers=admin).json()["version"]
    synonyms = client.get("/api/v1/items/meal_delivery", headers=admin).json()["synonyms"] + ["午餐"]
    edited = client.patch("/api/v1/items/meal_delivery", json={"version": version, "synonyms": synonyms}, headers=admin)
    assert edited.json()["reresolved"] == {"offers_seen": 1, "offers_changed": 0, "lines_seen": 3, "lines_changed": 1}
    # Retiring the solar lamp: the offer that named it now names the generic street lamp it also contains.
    retired = client.post("/api/v1/items/solar_street_lamp/retire", headers=admin).json()
    assert retired["reresolved"]["offers_changed"] == 1 and offer_key() == "street_lamp"
    with reading(session) as fresh:
        stored = [row.item_key for row in fresh.execute(sa.select(ResourceLine).order_by(ResourceLine.id)).scalars()]
    assert stored == ["permeable_brick", "street_lamp", "meal_delivery"]


def test_the_admin_pages_list_search_add_edit_and_retire_and_refuse_everyone_else(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _curated(session)
    for role in (Role.VOLUNTEER, Role.STAFF, Role.PARTNER):
        other = make_user(session, role)
        session.commit()
        use(client, session_identity(session_factory, settings, other))
        assert client.get("/admin/items").status_code == 403
        assert client.get("/admin/items/brick").status_code == 403
    client.cookies.clear()
    assert client.get("/admin/items", follow_redirects=False).status_code in (302, 303, 401)
    # A token, even an admin's with every items scope, does not open the pages.
    token = _bearer(session, Role.ADMIN, "items:read", "items:write", "admin")
    assert client.get("/admin/items", headers=token).status_code == 403

    csrf = _admin_page(client, session, session_factory, settings)
    # The search form sends its empty selects as "": all categories and kinds; an unknown one is a 400.
    page = client.get("/admin/items", params={"q": "路灯", "category": "", "kind": ""})
    assert client.get("/admin/items", params={"category": "lamps"}).status_code == 400
    assert page.status_code == 200
    assert "太阳能路灯" in page.text and "solar_street_lamp" in page.text and "透水砖" not in page.text
    assert client.get("/admin/items").text.count('href="/admin/items/') == len(CURATED_ITEMS)

    form = {"csrf_token": csrf, **LAMP, "synonyms": "LED草坪灯\nLED景观灯", "units": "盏、个"}
    refused = client.post("/admin/items", data=form | {"key": "Bad Key", "units": ""})
    assert refused.status_code == 400
    assert 'id="key-error"' in refused.text and 'id="units-error"' in refused.text
    added = client.post("/admin/items", data=form, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith(
        "/admin/items/garden_led_lamp?done=created"
    )
    shown = client.get(added.headers["location"])
    assert "LED庭院灯" in shown.text and "LED景观灯" in shown.text
    # What changed is said with each count's own plural form, in both languages.
    counted = client.get("/admin/items/garden_led_lamp", params={"done": "saved", "offers": 1, "lines": 3})
    assert "1 条资源、3 条资源项有变化" in counted.text
    client.cookies.set("lang", "en")
    counted = client.get("/admin/items/garden_led_lamp", params={"done": "saved", "offers": 1, "lines": 3})
    assert "Item keys resolved again: 1 offer and 3 resource lines changed." in counted.text
    none = client.get("/admin/items/garden_led_lamp", params={"done": "saved", "offers": 0, "lines": 1})
    assert "0 offers and 1 resource line changed." in none.text
    client.cookies.set("lang", "zh_CN")

    version = re.search(r'name="version" value="(\d+)"', shown.text)
    assert version is not None
    edit = form | {"version": version.group(1), "synonyms": "LED草坪灯", "name_zh": "LED庭院灯具"}
    saved = client.post("/admin/items/garden_led_lamp", data=edit, follow_redirects=False)
    assert saved.status_code == 303
    assert _term(session, "garden_led_lamp").name_zh == "LED庭院灯具"
    assert client.post("/admin/items/garden_led_lamp", data=edit).status_code == 409  # the version moved on
    retired = client.post("/admin/items/garden_led_lamp/retire", data={"csrf_token": csrf}, follow_redirects=False)
    assert retired.status_code == 303 and _term(session, "garden_led_lamp").retired_at is not None
    assert [len(_audit(session, a)) for a in ("item.create", "item.update", "item.retire")] == [1, 1, 1]
    assert all(e.actor_role == "admin" for e in _audit(session, "item.update"))


def test_offer_and_need_pages_name_the_item_in_both_languages(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _curated(session)
    grid = make_grid(session)
    partner = make_user(session, Role.PARTNER)
    staff = staff_with_token(session, grid)
    session.commit()
    partner_headers = {"Authorization": f"Bearer {token_for(session, partner, ('offers:write',))}"}
    offer_body = {"kind": "material", "category": "travel_safety", "title": "LED路灯", "quantity": "20", "unit": "盏"}
    offer = client.post("/api/v1/offers", json=offer_body | {"grid_ids": [grid.id]}, headers=partner_headers)
    lines = [
        {"kind": "material", "category": "renovation", "quantity": "300", "unit": "m²", "description": "再生透水砖"}
    ]
    need = client.post("/api/v1/needs", json=need_body(grid.id, resource_lines=lines), headers=staff.headers)
    assert offer.status_code in (200, 201) and need.status_code == 201

    use(client, session_identity(session_factory, settings, partner))
    page = client.get(f"/offers/{offer.json()['id']}")
    assert "物品" in page.text and "LED路灯" in page.text and "LED street lamps" not in page.text
    client.cookies.set("lang", "en")
    english = client.get(f"/offers/{offer.json()['id']}").text
    assert 'class="item-key">LED street lamps</dd>' in english

    use(client, session_identity(session_factory, settings, staff.user))
    staff_page = client.get(f"/needs/{need.json()['id']}")
    assert staff_page.status_code == 200
    assert "物品：透水砖<" in staff_page.text and "permeable bricks" not in staff_page.text


def test_the_public_project_page_and_the_take_part_form_name_the_item_and_offer_the_same_item_first(
    client: TestClient[Any], session: Session
) -> None:
    _curated(session)
    need = mf.project(session, title="透水铺装")
    line = mf.line(session, need, "100")
    session.execute(sa.update(ResourceLine).where(ResourceLine.id == line.id).values(item_key="permeable_brick"))  # type: ignore[arg-type]
    session.commit()
    public = client.get(f"/projects/{need.id}")
    assert public.status_code == 200 and "物品：透水砖<" in public.text and "permeable bricks" not in public.text
    client.cookies.set("lang", "en")
    assert "Item: permeable bricks<" in client.get(f"/projects/{need.id}").text

    person = mf.partner(session)
    # Both fit the line (m², renovation); the plain bricks come first by title, the line's own item wins.
    bricks = mf.offer_of(session, person.user, remaining="50", title="A 水泥砖", item_key="brick")
    paving = mf.offer_of(session, person.user, remaining="50", title="B 再生透水砖", item_key="permeable_brick")
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    form = client.get(f"/projects/{need.id}/take-part")
    assert form.status_code == 200 and "物品：透水砖<" in form.text and "permeable bricks" not in form.text
    options = re.findall(r'<option value="(\d+)"', form.text)
    assert options.index(str(paving.id)) < options.index(str(bricks.id)), options
