"""One submit of an item tells every problem at once: a field that fails its own check (no units, a bad key) and
the vocabulary's rules on the fields that are valid (a synonym another item has, an excluded phrase that would
never exclude anything), each next to its field on the page in both languages, all in one 400 from the API, each
naming its field; nothing is saved (both databases)."""

import html
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.items.services import ItemInputError, install_curated
from marketplace.settings import Settings
from matching.vocabulary import ItemEntry
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests.needs_helpers import token_for
from tests.security_helpers import make_user, reading
from tests.security_world import session_identity, use

# "节能灯" is a synonym of light_bulb (renovation, material); "flower pots" holds none of this item's names.
MIXED_FORM = {
    "key": "ceiling_lamp",
    "category": "renovation",
    "kind": "material",
    "name_zh": "吸顶灯",
    "name_en": "ceiling lamps",
    "synonyms": "节能灯\n吸顶灯具",
    "exclusions": "flower pots",
    "units": "",
}
SAID = {
    "zh-CN": {
        "units": "此项为必填项",
        "synonyms": "“节能灯”已是物品 light_bulb 的名称或同义词",
        "exclusions": "“flower pots”不含此物品的任何名称或同义词，不会排除任何内容",
    },
    "en": {
        "units": "This field is required.",
        "synonyms": "“节能灯” already names the item light_bulb",
        "exclusions": "“flower pots” contains none of this item's names, so it would never exclude anything",
    },
}


@pytest.fixture
def curated(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def _signed_in_admin(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> str:
    admin = make_user(session, Role.ADMIN, username="every-problem-admin")
    session.commit()
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    return identity.csrf


def _saved(session: Session) -> tuple[int, list[str]]:
    with reading(session) as fresh:
        items = fresh.execute(sa.select(sa.func.count()).select_from(ItemTerm)).scalar_one()
        actions = fresh.execute(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("item.%"))  # type: ignore[attr-defined]
        ).scalars()
        return int(items), list(actions)


def _field_error(page: str, field: str) -> str:
    marker = f'id="{field}-error">'
    start = page.index(marker) + len(marker)
    return page[start : page.index("</p>", start)]


def _text(value: str) -> str:
    return html.unescape(value)


def test_the_add_form_shows_a_field_error_and_the_rules_errors_together_in_both_languages(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    csrf = _signed_in_admin(client, session, session_factory, settings)
    before = _saved(session)
    for language, said in SAID.items():
        client.cookies.set("lang", "en" if language == "en" else "zh_CN")
        page = client.post("/admin/items", data=MIXED_FORM | {"csrf_token": csrf})
        assert page.status_code == 400, page.text
        for field, message in said.items():
            assert message in _text(_field_error(page.text, field)), (language, field, page.text)
            assert f'href="#item-{field}"' in page.text  # listed above the form, linking to the field
        assert 'id="name_zh-error"' not in page.text  # a valid field has no message
    assert _saved(session) == before


def test_the_edit_form_shows_a_field_error_and_a_rule_error_together(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    csrf = _signed_in_admin(client, session, session_factory, settings)
    with reading(session) as fresh:
        term = fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "light_bulb")).scalar_one()
    form = {
        "csrf_token": csrf,
        "version": str(term.version),
        "name_zh": term.name_zh,
        "name_en": term.name_en,
        "category": term.category.value,
        "kind": term.kind.value,
        "synonyms": "\n".join(term.synonyms),
        "units": "",  # a field error
        "exclusions": "flower pots",  # a rule error
    }
    client.cookies.set("lang", "en")
    page = client.post("/admin/items/light_bulb", data=form)
    assert page.status_code == 400, page.text
    assert "This field is required." in _text(_field_error(page.text, "units"))
    assert "never exclude anything" in _text(_field_error(page.text, "exclusions"))
    with reading(session) as fresh:
        after = fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "light_bulb")).scalar_one()
    assert (after.version, after.units, after.exclusions) == (term.version, term.units, term.exclusions)


def _api(client: TestClient[Any], token: str, method: str, address: str, body: Any, language: str) -> Any:
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    return client.request(method, address, json=body, headers=headers)


def test_the_api_answers_field_and_rule_problems_in_one_400_each_naming_its_field(
    client: TestClient[Any], session: Session, curated: None
) -> None:
    token = token_for(session, make_user(session, Role.ADMIN), ("items:read", "items:write"))
    session.commit()
    before = _saved(session)
    body = {
        "key": "Ceiling Lamp",  # a field error
        "category": "renovation",
        "kind": "material",
        "name_zh": "吸顶灯",
        "name_en": "ceiling lamps",
        "synonyms": ["节能灯"],  # a rule error: light_bulb's synonym
        "exclusions": ["flower pots"],  # a rule error: it would never exclude anything
        "units": [],  # a field error
    }
    for language, said in SAID.items():
        answer = _api(client, token, "POST", "/api/v1/items", body, language)
        assert answer.status_code == 400, answer.text
        problems = {item["key"]: item for item in answer.json()["extra"]}
        assert set(problems) == {"key", "units", "synonyms", "exclusions"}, answer.text
        assert all(item["source"] == "body" and item["message"] for item in problems.values())
        assert problems["synonyms"]["message"] == said["synonyms"]
        assert problems["exclusions"]["message"] == said["exclusions"]
    # An edit: no units and an exclusion that excludes nothing, in one answer (a rule reading a field that fails
    # its own check waits for it: a bad name would leave the exclusion rule nothing sure to read).
    with reading(session) as fresh:
        version = fresh.execute(sa.select(ItemTerm.version).where(ItemTerm.key == "light_bulb")).scalar_one()
    edit = {"version": version, "units": [], "exclusions": ["flower pots"]}
    answer = _api(client, token, "PATCH", "/api/v1/items/light_bulb", edit, "en")
    assert answer.status_code == 400, answer.text
    assert {item["key"] for item in answer.json()["extra"]} == {"units", "exclusions"}, answer.text
    assert _saved(session) == before
    # A body that is no JSON object is a 400 too, never a 500.
    assert _api(client, token, "POST", "/api/v1/items", ["key"], "en").status_code == 400


def test_the_curated_list_is_held_to_the_same_rules_and_installs_nothing_that_breaks_them(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()
    # A spelling light_bulb has, and a phrase holding none of the item's names: both said, nothing added.
    clash = ItemEntry(
        "ceiling_lamp", "renovation", "material", "吸顶灯", "ceiling lamps", ("节能灯",), ("盏",), ("花盆",)
    )
    with pytest.raises(ItemInputError) as refused:
        install_curated(session, [clash])
    said = {(problem.field, problem.message) for problem in refused.value.problems}
    assert {field for field, _ in said} == {"synonyms", "exclusions"}, said
    session.rollback()
    with reading(session) as fresh:
        assert fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == "ceiling_lamp")).first() is None
