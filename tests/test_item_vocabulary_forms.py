"""The item vocabulary's forms (/admin/items): a form that comes back lists its problems, each linking to its
field, with the selects' shared "choose one" wording; and an excluded phrase that holds none of the item's names
or synonyms, which would never exclude anything, is refused (page and API, both languages, nothing saved), while
a phrase that holds one is kept, however the resolver would read the phrase alone (both databases).
"""

import html
import re
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.items.services import ItemInputError, check_exclusions, install_curated, vocabulary
from marketplace.settings import Settings
from matching.vocabulary import ItemEntry, ItemVocabulary
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests.needs_helpers import token_for
from tests.security_helpers import make_user, reading
from tests.security_world import session_identity, use

NEVER_ZH = "“flower pots”不含此物品的任何名称或同义词，不会排除任何内容"
NEVER_EN = "“flower pots” contains none of this item's names, so it would never exclude anything"
NEW_ITEM = {
    "key": "garden_led_lamp",
    "category": "travel_safety",
    "kind": "material",
    "name_zh": "LED庭院灯",
    "name_en": "LED garden lamps",
    "synonyms": ["LED草坪灯", "LED景观灯"],
    "units": ["盏"],
}
NEW_ITEM_FORM = NEW_ITEM | {"synonyms": "LED草坪灯\nLED景观灯", "units": "盏"}


@pytest.fixture
def curated(session: Session) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()


def _term(session: Session, key: str = "light_bulb") -> ItemTerm:
    with reading(session) as fresh:
        return fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == key)).scalar_one()


def _changes(session: Session) -> list[str]:
    with reading(session) as fresh:
        query = sa.select(AuditEvent.action).where(AuditEvent.action.like("item.%"))  # type: ignore[attr-defined]
        return list(fresh.execute(query).scalars())


def _signed_in_admin(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> str:
    """``client`` signed in as an admin with a browser session; the CSRF token of its forms."""
    admin = make_user(session, Role.ADMIN, username="forms-admin")
    session.commit()
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    return identity.csrf


def _edit_form(csrf: str, term: ItemTerm, **changes: str) -> dict[str, str]:
    """The edit page's form as the browser posts it: the item as it is, with these changes."""
    form = {
        "csrf_token": csrf,
        "version": str(term.version),
        "name_zh": term.name_zh,
        "name_en": term.name_en,
        "category": term.category.value,
        "kind": term.kind.value,
        "synonyms": "\n".join(term.synonyms),
        "units": "、".join(term.units),
        "exclusions": "\n".join(term.exclusions),
    }
    return form | changes


def _problems(page: str) -> list[str]:
    """The problem list's items, as read (tags dropped)."""
    start = page.index("need-error-summary")
    block = page[start : page.index("</div>", start)]
    items = [part.split("</li>")[0] for part in block.split("<li>")[1:]]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def _api(client: TestClient[Any], token: str, method: str, address: str, body: Any, language: str) -> Any:
    client.cookies.clear()  # a bearer token, without the browser's cookies (else CSRF)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    return client.request(method, address, json=body, headers=headers)


# --- the problem list ------------------------------------------------------------------------------------


def test_the_add_form_lists_each_problem_linking_to_its_field_in_both_languages(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    csrf = _signed_in_admin(client, session, session_factory, settings)
    form = {"csrf_token": csrf, "key": "Bad Key", "name_zh": "LED庭院灯", "name_en": "", "units": ""}
    client.cookies.set("lang", "zh_CN")
    refused = client.post("/admin/items", data=form)
    assert refused.status_code == 400
    text = refused.text
    assert "请修改下面标出的内容。" in text
    for field, label in (
        ("item-key", "编码"),
        ("item-name-en", "英文名称"),
        ("item-category", "类别"),
        ("item-kind", "类型"),
        ("item-units", "计量单位"),
    ):
        assert f'<a href="#{field}">{label}</a>：' in text, field
        assert f'id="{field}"' in text  # the link lands on the field
    assert 'href="#item-name-zh"' not in text  # no problem, no line
    problems = _problems(text)
    assert problems[0].startswith("编码：小写字母") and len(problems) == 5
    # The selects' first option is the shared wording, not a bare "Choose…".
    assert "请选择类别" in text and "请选择类型" in text and "请选择…" not in text
    assert 'id="units-error"' in text  # the field's own message stays under it

    client.cookies.set("lang", "en")
    english = client.post("/admin/items", data=form)
    assert english.status_code == 400
    assert "Please correct the fields marked below." in english.text
    assert '<a href="#item-key">Key</a>: ' in english.text and '<a href="#item-units">Units</a>: ' in english.text
    assert "Choose a category" in english.text and "Choose a kind" in english.text and "Choose…" not in english.text
    assert _changes(session) == []


def test_the_edit_form_and_a_refused_restore_list_their_problems_linking_to_the_field(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    csrf = _signed_in_admin(client, session, session_factory, settings)
    client.cookies.set("lang", "zh_CN")
    refused = client.post("/admin/items/light_bulb", data=_edit_form(csrf, _term(session), units="", name_en=""))
    assert refused.status_code == 400
    assert [p.split("：")[0] for p in _problems(refused.text)] == ["英文名称", "计量单位"]
    assert '<a href="#item-units">计量单位</a>' in refused.text

    # Retired, then its synonym "节能灯" taken by a new item: restoring it names the field, with a link.
    assert client.post("/admin/items/light_bulb/retire", data={"csrf_token": csrf}).status_code == 200
    taker = NEW_ITEM_FORM | {"key": "saving_lamp", "category": "renovation", "synonyms": "节能灯", "units": "个"}
    assert client.post("/admin/items", data={"csrf_token": csrf, **taker}, follow_redirects=False).status_code == 303
    restore = client.post("/admin/items/light_bulb/restore", data={"csrf_token": csrf})
    assert restore.status_code == 409
    assert '<a href="#item-synonyms">同义词</a>：“节能灯”' in restore.text
    assert _term(session).retired_at is not None


# --- the phrase that would never exclude anything ---------------------------------------------------------


def test_a_phrase_holding_none_of_the_items_names_is_refused_on_the_page_in_both_languages_and_nothing_saved(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    csrf = _signed_in_admin(client, session, session_factory, settings)
    before = _term(session)
    for language, said, label in (("zh_CN", NEVER_ZH, "不是此物品的说法"), ("en", NEVER_EN, "Not this item")):
        client.cookies.set("lang", language)
        form = _edit_form(csrf, _term(session), exclusions="flower bulbs\nflower pots")
        refused = client.post("/admin/items/light_bulb", data=form)
        assert refused.status_code == 400, language
        text = html.unescape(refused.text)
        assert f'<a href="#item-exclusions">{label}</a>' in text and said in text, language
        assert 'aria-invalid="true" aria-describedby="exclusions-error"' in refused.text
        assert "flower bulbs\nflower pots" in text  # what the admin typed is kept to correct
        added = client.post("/admin/items", data={"csrf_token": csrf, **NEW_ITEM_FORM, "exclusions": "flower pots"})
        assert added.status_code == 400, language
        assert f'<a href="#item-exclusions">{label}</a>' in html.unescape(added.text) and said in html.unescape(
            added.text
        )
    after = _term(session)
    assert (after.version, after.exclusions) == (before.version, before.exclusions)
    with reading(session) as fresh:
        assert fresh.execute(sa.select(ItemTerm).where(ItemTerm.key == NEW_ITEM["key"])).first() is None
    assert _changes(session) == []


def test_a_phrase_holding_none_of_the_items_names_is_refused_by_the_api_in_both_languages_and_nothing_saved(
    client: TestClient[Any], session: Session, curated: None
) -> None:
    token = token_for(session, make_user(session, Role.ADMIN), ("items:read", "items:write"))
    session.commit()
    before = _term(session)
    for language, said in (("zh-CN", NEVER_ZH), ("en", NEVER_EN)):
        body = {"version": before.version, "exclusions": ["flower bulbs", "flower pots"]}
        refused = _api(client, token, "PATCH", "/api/v1/items/light_bulb", body, language)
        assert refused.status_code == 400, refused.text
        answer = refused.json()
        assert [extra["key"] for extra in answer["extra"]] == ["exclusions"]
        assert answer["extra"][0]["message"] == said
        created = _api(client, token, "POST", "/api/v1/items", NEW_ITEM | {"exclusions": ["flower pots"]}, language)
        assert created.status_code == 400 and created.json()["extra"][0]["key"] == "exclusions", created.text
        assert "flower pots" in created.json()["extra"][0]["message"]
    after = _term(session)
    assert (after.version, after.exclusions) == (before.version, before.exclusions)
    assert _changes(session) == []
    # An edit of the synonyms alone is held to the same rule: dropping "bulb" leaves "flower bulbs" acting on
    # nothing, so the edit is refused too (the page says which phrase, the admin removes it or keeps "bulb").
    kept = {"version": before.version, "exclusions": ["flower bulbs"]}
    phrases = _api(client, token, "PATCH", "/api/v1/items/light_bulb", kept, "en")
    assert phrases.status_code == 200, phrases.text
    synonyms = [s for s in _term(session).synonyms if s != "bulb"]
    edit = {"version": _term(session).version, "synonyms": synonyms}
    dropped = _api(client, token, "PATCH", "/api/v1/items/light_bulb", edit, "en")
    assert dropped.status_code == 400 and "“flower bulbs” contains none" in dropped.text, dropped.text
    assert "bulb" in _term(session).synonyms


def test_a_phrase_holding_a_name_is_accepted_and_excludes_it(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    curated: None,
) -> None:
    token = token_for(session, make_user(session, Role.ADMIN), ("items:read", "items:write"))
    session.commit()
    # Plural and case as the resolver reads them; a Chinese name inside a longer Chinese phrase.
    body = {"version": _term(session).version, "exclusions": ["Ornamental Bulbs", "灯泡糖"]}
    accepted = _api(client, token, "PATCH", "/api/v1/items/light_bulb", body, "en")
    assert accepted.status_code == 200, accepted.text
    assert _term(session).exclusions == ["Ornamental Bulbs", "灯泡糖"]
    assert vocabulary(session).key_of("ornamental bulbs", kind="material") == ""

    csrf = _signed_in_admin(client, session, session_factory, settings)
    form = _edit_form(csrf, _term(session, "work_gloves"), exclusions="拳击手套\nboxing gloves\ngarden gloves")
    saved = client.post("/admin/items/work_gloves", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert _term(session, "work_gloves").exclusions == ["拳击手套", "boxing gloves", "garden gloves"]
    assert _changes(session).count("item.update") == 2


def test_every_curated_phrase_holds_a_name_of_its_item_and_the_curated_list_installs(session: Session) -> None:
    for entry in CURATED_ITEMS:
        check_exclusions(entry)  # raises on a phrase that would never act
    assert install_curated(session, CURATED_ITEMS) == len(CURATED_ITEMS)
    session.commit()
    assert _term(session, "brick").exclusions == ["gold brick", "金砖", "砖茶"]
    # "gold brick" alone names no brick ("gold" reads as a noun before it), yet a text around it can make it one
    # ("GOLD bricks": a word in capitals is a brand): the phrase acts, so the rule asks for a name, not a hit.
    assert vocabulary(session).key_of("GOLD bricks", kind="material") == ""
    brick = next(entry for entry in CURATED_ITEMS if entry.key == "brick")
    bare = ItemVocabulary([replace(brick, exclusions=())])
    assert bare.key_of("GOLD bricks", kind="material") == "brick" and bare.key_of("gold bricks") == ""


def test_a_curated_list_with_a_phrase_that_would_never_act_does_not_install(session: Session) -> None:
    bad = ItemEntry("tea_set", "culture_sports", "material", "茶具", "tea set", ("茶杯",), ("套",), ("砖茶",))
    with pytest.raises(ItemInputError) as refused:
        install_curated(session, [bad])
    assert refused.value.field == "exclusions" and "砖茶" in refused.value.message
    session.rollback()
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(ItemTerm)).scalar_one() == 0


def test_the_library_finds_names_as_the_resolver_finds_synonyms() -> None:
    gloves = ItemEntry("work_gloves", "sanitation", "material", "劳保手套", "work gloves", ("手套", "gloves", "paint"))
    assert gloves.names_in("拳击手套") == ("手套",)
    assert gloves.names_in("BOXING GLOVE") == ("gloves",)  # case and number as the resolver reads them
    assert gloves.names_in("Boxing-Gloves") == ("gloves",)
    assert gloves.names_in("painting gloves") == ("gloves",)  # "paint" is no word of "painting"
    assert gloves.names_in("painting class") == ()
    assert gloves.names_in("手 套") == ("手套",)  # no space kept next to a Chinese character
    assert gloves.names_in("flower pots") == ()
