"""One English word said two ways by what it is about: an organization's status "Approved" is 审核通过 (the
street vetted its registration), a match's is 已批准 (an admin approved it). They were one msgid, so every page
said 已通过 for both. Messages carry a context (``msgctxt``): ``i18n.NC_`` / ``pgettext`` in Python,
``pgettext`` in templates; the catalogs keep a message with a context beside the same words without one."""

from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import current_locale, merged_catalog, pgettext, translations_for
from marketplace.web import build_jinja_environment
from tests.security_helpers import make_org, sign_in_as

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: zh_CN\\n"\n\n'


def test_a_message_with_a_context_is_kept_beside_the_same_words_without_one(tmp_path: Path) -> None:
    first, second = tmp_path / "messages.po", tmp_path / "status_words.po"
    first.write_text(HEADER + 'msgid "Approved"\nmsgstr "已通过"\n', encoding="utf-8")
    second.write_text(
        HEADER + 'msgctxt "match status"\nmsgid "Approved"\nmsgstr "已批准"\n\n'
        'msgctxt "organization status"\nmsgid "Approved"\nmsgstr "审核通过"\n',
        encoding="utf-8",
    )
    catalog = merged_catalog([first, second], "zh_CN")
    said = {(m.context, m.id): m.string for m in catalog if m.id}
    assert said == {(None, "Approved"): "已通过", ("match status", "Approved"): "已批准",
                    ("organization status", "Approved"): "审核通过"}  # fmt: skip


def test_python_and_templates_say_each_kinds_word(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text('{{ pgettext("organization status", "Approved") }}|'
                                        '{{ pgettext("match status", "Approved") }}')  # fmt: skip
    template = build_jinja_environment(tmp_path).get_template("page.html")
    for locale, words in (("zh_CN", "审核通过|已批准"), ("en", "Approved|Approved")):
        token = current_locale.set(locale)
        try:
            assert template.render() == words
            assert pgettext("match status", "Approved") == words.split("|")[1]
        finally:
            current_locale.reset(token)
    assert translations_for("zh_CN").pgettext("no such context", "Approved") == "Approved"


def test_the_organization_pages_say_shenhe_tongguo(client: TestClient[Any], session: Session) -> None:
    org = make_org(session, name="湖岛红茶馆")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    listing = client.get("/admin/organizations?status=approved").text
    assert ">审核通过</span>" in listing and "已通过<" not in listing
    client.cookies.set("lang", "en")
    assert ">Approved</span>" in client.get("/admin/organizations?status=approved").text
    client.cookies.set("lang", "zh_CN")
    detail = client.get(f"/admin/organizations/{org.id}").text
    assert "审核通过" in detail and "已通过<" not in detail


def test_a_partners_claims_say_pizhun(client: TestClient[Any], session: Session) -> None:
    org = make_org(session)
    session.commit()
    sign_in_as(client, session, Role.PARTNER, organization_id=org.id)
    client.cookies.set("lang", "zh_CN")
    claims = client.get("/claims").text
    assert ">已批准</a>" in claims and "已通过<" not in claims
    banner = client.get("/organization").text
    assert "<strong>审核通过</strong>" in banner
