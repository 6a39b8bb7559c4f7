"""Every message is translated into Simplified Chinese, and pages speak the reader's language.

When a test here fails because of a new message, run ``python -m marketplace.i18n.catalog update``
and translate the new empty ``msgstr`` entries in marketplace/i18n/locales/zh_CN/LC_MESSAGES/messages.po.
"""

import pytest
from babel.messages.catalog import Catalog
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.i18n import SUPPORTED_LOCALES, InContext, translations_for
from marketplace.i18n.catalog import TRANSLATED_LOCALES, extract_messages, message_key, problems, read_catalog
from marketplace.vocabulary import _LABELS
from tests.factories import StreetScenario, build_street

UPDATE_HINT = "run `python -m marketplace.i18n.catalog update` and translate the new entries"


@pytest.fixture(scope="module")
def source_messages() -> Catalog:
    return extract_messages()


@pytest.fixture
def street(session_factory: sessionmaker[Session]) -> StreetScenario:
    with session_factory() as session:
        return build_street(session)


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_catalog_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    untranslated, fuzzy = problems(read_catalog(locale))
    assert untranslated == [], f"untranslated in {locale}: {untranslated}"
    assert fuzzy == [], f"fuzzy (ignored at run time) in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_message_in_the_sources_is_in_the_catalog(locale: str, source_messages: Catalog) -> None:
    known = {message_key(message) for message in read_catalog(locale) if message.id}
    missing = sorted(message_key(m)[0] for m in source_messages if m.id and message_key(m) not in known)
    assert missing == [], f"not in the {locale} catalog ({UPDATE_HINT}): {missing}"


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    errors = [(message.id, [str(e) for e in errs]) for message, errs in read_catalog(locale).check() if errs]
    assert errors == []


def test_the_sources_are_actually_extracted(source_messages: Catalog) -> None:
    """Guard the guard: Python labels, templates and plural forms all reach the extractor."""
    ids = {message_key(message)[0] for message in source_messages if message.id}
    assert {"Old residential area renovation", "Verified", "Party organization"} <= ids  # vocabulary and models
    assert {"Project board", "Our street in figures", "Page not found"} <= ids  # templates
    assert "%(num)d volunteer" in ids  # ngettext in a template
    assert "no grid with this id" in ids  # Python gettext


def test_every_enum_label_is_translated() -> None:
    translations = translations_for("zh_CN")
    # A label with a context (NC_: an organization's "Approved" 审核通过, a match's 已批准) is read in its context.
    untranslated = [
        label
        for labels in _LABELS.values()
        for label in labels.values()
        if (
            translations.pgettext(label.context, label.message) == label.message
            if isinstance(label, InContext)
            else translations.gettext(label) == label
        )
    ]
    assert untranslated == []


def test_chinese_is_the_default(client: TestClient[Litestar], street: StreetScenario) -> None:
    html = client.get("/").text
    assert '<html lang="zh-CN">' in html
    assert "<h1>项目清单</h1>" in html
    assert "老旧小区改造" in html
    assert "Project board" not in html


def test_the_lang_cookie_chooses_english(client: TestClient[Litestar], street: StreetScenario) -> None:
    client.cookies.set("lang", "en")
    html = client.get("/").text
    assert '<html lang="en">' in html
    assert "<h1>Project board</h1>" in html
    assert "Old residential area renovation" in html
    assert "Hudao Grid 1" in html  # localized place names
    assert "项目清单" not in html


def test_accept_language_chooses_english(client: TestClient[Litestar], street: StreetScenario) -> None:
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="en">' in html
    assert "Project board" in html


def test_the_cookie_wins_over_accept_language(client: TestClient[Litestar], street: StreetScenario) -> None:
    client.cookies.set("lang", "zh_CN")
    html = client.get("/figures", headers={"Accept-Language": "en"}).text
    assert '<html lang="zh-CN">' in html


def test_language_switch_sets_the_cookie_and_comes_back(client: TestClient[Litestar], street: StreetScenario) -> None:
    response = client.get("/lang/en?next=/figures", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/figures"
    assert "lang=en" in response.headers["set-cookie"]
    following = client.get(response.headers["location"])
    assert '<html lang="en">' in following.text
    assert "Our street in figures" in following.text


def test_every_page_links_to_the_other_language_coming_back_to_itself(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    html = client.get("/?category=renovation&page=1").text
    assert 'href="/lang/en?next=/%3Fcategory%3Drenovation%26page%3D1"' in html
    client.cookies.set("lang", "en")
    english = client.get(f"/projects/{street.needs['bricks'].id}").text
    assert f'href="/lang/zh_CN?next=/projects/{street.needs["bricks"].id}"' in english


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_page_shows_an_untranslated_status_code_name(
    client: TestClient[Litestar], street: StreetScenario, locale: str
) -> None:
    """Enum values (``partially_matched``) never stand in for their labels on a page."""
    client.cookies.set("lang", locale)
    pages = [client.get("/").text, client.get("/figures").text]
    pages += [client.get(f"/projects/{need.id}").text for need in street.public_needs]
    for html in pages:
        visible = html.split("<body", 1)[1]  # <body> carries attributes (hx-headers)
        for value in (">partially_matched<", ">in_progress<", ">elderly_care<", ">grid_walk<"):
            assert value not in visible
