"""One Chinese word per concept wherever a user reads it, beyond the catalogs' glossary (test_zh_glossary.py):

- the files: the needs file said 志愿岗位 / 岗位地点 / 岗位数 for a shift the app calls a 班次; its headers are
  now 班次 / 班次地点 / 班次数, and the former headers still import (the files staff already hold);
- the organization addressed is a 单位 (合伙人单位): 贵单位 to its people, 本单位 for its own things, never
  贵机构, 您单位, 我们的单位 or 本组织;
- approving is two acts with two words: the street vets an organization's registration (审核, 审核通过, the
  button 通过), and an admin approves a match, that is a claim, a sign-up or an accepted proposal (批准);
  neither says 审批 or 核准, and a match is never 审核通过 nor an organization 批准;
- a round is said 一轮匹配 in a sentence (开始一轮匹配, 第 3 轮匹配, 本轮匹配) and 匹配轮次 as a heading's noun
  (匹配轮次, 以往匹配轮次): every 轮 is one of these two;
- an organization's name is shown in the page's language where it has an English name (the other in
  secondary text); without one it is shown as entered, a proper name not translated.
"""

import re
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

import marketplace.app  # noqa: F401  (every model and label registered)
from marketplace.accounts.models import Role
from marketplace.exchange import need_columns, offers, organizations, projects, volunteer_import, volunteers
from marketplace.needs.models import Shift
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_grid, make_org, reading, sign_in_as
from tests.test_zh_glossary import GLOSSARY, MESSAGES, NOT_THE_CONCEPT

# --- the files ----------------------------------------------------------------------------------------------

FILE_COLUMNS = {
    "offers": lambda: offers.offer_columns(),
    "needs (export)": lambda: need_columns.export_columns(),
    "needs (import)": lambda: need_columns.import_columns(),
    "projects": lambda: projects.project_columns(),
    "organizations": lambda: organizations.organization_columns("zh"),
    "volunteers": lambda: volunteers.volunteer_columns("zh"),
    "volunteers (import)": lambda: volunteer_import.volunteer_import_columns(),
}


@pytest.mark.parametrize("name", FILE_COLUMNS)
def test_a_files_chinese_headers_say_the_glossarys_words(name: str) -> None:
    wrong = []
    for column in FILE_COLUMNS[name]():
        for term in GLOSSARY:
            if re.search(rf"\b{term.english}\b", column.header_en, re.IGNORECASE):
                wrong += [
                    f"{column.header_en}: {column.header_zh}" for word in term.drifted if word in column.header_zh
                ]
    assert wrong == []


def test_the_needs_file_says_banci_and_still_reads_the_former_headers() -> None:
    exported = {column.name: column.header_zh for column in need_columns.export_columns()}
    assert (exported["shift_title"], exported["shift_location"], exported["shift_count"]) == (
        "班次",
        "班次地点",
        "班次数",
    )
    assert exported["line_count"] == "资源项数"
    imported = {column.name: column for column in need_columns.import_columns()}
    assert "志愿岗位" in imported["shift_title"].headers() and "班次" in imported["shift_title"].headers()
    assert "岗位地点" in imported["shift_location"].headers() and "班次地点" in imported["shift_location"].headers()


@pytest.mark.parametrize("header", ["志愿岗位,岗位地点", "班次,班次地点"])
def test_a_needs_file_with_the_former_or_the_new_shift_headers_imports_its_shift(
    client: TestClient[Any], session: Session, settings: Settings, header: str
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    data = (
        f"标题,类别,网格,来源渠道,{header},开始时间,结束时间,志愿者人数\n"
        f"独居老人助餐,elderly_care,{grid.code},door_visit,送餐上门,3号楼,2030-01-05 11:00,2030-01-05 13:00,2\n"
    )
    response = client.post(
        "/needs/import",
        files={"file": ("needs.csv", data.encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert response.status_code == 200, response.text
    with reading(session) as fresh:
        shift = fresh.execute(sa.select(Shift)).scalar_one()
    assert (shift.title, shift.location, shift.slots) == ("送餐上门", "3号楼", 2)


def test_the_import_page_names_the_former_header_beside_the_new(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/needs/import")
    assert page.status_code == 200
    assert "班次 / Shift" in page.text and "原表头仍可识别：志愿岗位" in page.text
    assert "原表头仍可识别：岗位地点" in page.text


# --- the catalogs -------------------------------------------------------------------------------------------

# The organization addressed: 单位, as in 合伙人单位.
ORGANIZATION_DRIFT = ("贵机构", "您单位", "您的单位", "我们单位", "我们的单位", "本组织")
ORGANIZATION_KINDS = re.compile(r"社会组织|党组织")  # kinds of organization, proper words of their own


def test_the_organization_addressed_is_a_danwei() -> None:
    wrong = [
        f"{f}: {msgid!r} -> {msgstr!r}" for f, msgid, msgstr in MESSAGES if any(w in msgstr for w in ORGANIZATION_DRIFT)
    ]
    assert wrong == [], "\n".join(wrong)


def test_an_organization_is_never_a_jigou_or_a_zuzhi() -> None:
    wrong = []
    for filename, msgid, msgstr in MESSAGES:
        if re.search(r"\borgani[sz]ations?\b", NOT_THE_CONCEPT.sub(" ", msgid), re.IGNORECASE):
            said = ORGANIZATION_KINDS.sub("", msgstr)
            if "机构" in said or "组织" in said:
                wrong.append(f"{filename}: {msgid!r} -> {msgstr!r}")
    assert wrong == [], "\n".join(wrong)


# Approving: an organization's registration is vetted (审核通过), a match approved (批准).
APPROVE = re.compile(r"\bapprov(e|es|ed|al|ing)\b", re.IGNORECASE)
ABOUT_A_MATCH = re.compile(r"\b(claims?|proposals?|sign-ups?|match(es)?|items?|review queue)\b", re.IGNORECASE)
# "publish offers": what an approved organization may do, said beside "claim projects" (not a match's claim)
ABOUT_AN_ORGANIZATION = re.compile(r"\b(organi[sz]ations?|registrations?|publish offers)\b", re.IGNORECASE)
NEITHER_APPROVAL = ("审批", "核准")


def _approvals() -> list[tuple[str, str, str, str]]:
    """(what is approved: match, organization or either, file, msgid, msgstr) of every message saying approve."""
    found = []
    for filename, msgid, msgstr in MESSAGES:
        if not msgstr or not APPROVE.search(msgid):
            continue
        match, organization = ABOUT_A_MATCH.search(msgid), ABOUT_AN_ORGANIZATION.search(msgid)
        kind = "match" if match and not organization else "organization" if organization and not match else "either"
        found.append((kind, filename, msgid, msgstr))
    return found


def test_approving_a_match_is_pizhun_and_vetting_an_organization_is_shenhe_tongguo() -> None:
    wrong = []
    for kind, filename, msgid, msgstr in _approvals():
        drifted = [w for w in NEITHER_APPROVAL if w in msgstr]
        if kind == "match":
            drifted += [w for w in ("审核通过", "通过审核") if w in msgstr]
        if kind == "organization":
            drifted += [w for w in ("批准",) if w in msgstr]
        if drifted:
            wrong.append(f"{kind}: {filename}: {msgid!r} -> {msgstr!r} ({'、'.join(drifted)})")
    assert wrong == [], "\n".join(wrong)


def test_the_two_approvals_are_both_said() -> None:
    kinds = {kind for kind, *_ in _approvals()}
    assert {"match", "organization"} <= kinds
    labels = {msgid: msgstr for _f, msgid, msgstr in MESSAGES}
    assert labels["Approved an organization"] == "审核通过单位" and labels["Approved a match"] == "批准匹配"


# A round: 一轮匹配 in a sentence, 匹配轮次 as a noun.
ROUND = re.compile(r"\brounds?\b", re.IGNORECASE)
ROUND_WORD = re.compile(r"匹配轮次|轮匹配")


def test_a_round_is_yilun_pipei_or_pipei_lunci() -> None:
    wrong = []
    for filename, msgid, msgstr in MESSAGES:
        said_round = bool(ROUND.search(NOT_THE_CONCEPT.sub(" ", msgid)))
        stray = "轮" in ROUND_WORD.sub("", msgstr)
        if (said_round and msgstr and "轮" not in msgstr) or stray:
            wrong.append(f"{filename}: {msgid!r} -> {msgstr!r}")
    assert wrong == [], "\n".join(wrong)


# --- an organization's name --------------------------------------------------------------------------------


def test_an_organizations_heading_is_in_the_pages_language_with_the_other_name_beside(
    client: TestClient[Any], session: Session
) -> None:
    named = make_org(session, name="青岛绿帆再生建材有限公司")
    named.name_en = "Qingdao Lvfan Recycled Building Materials"
    plain = make_org(session, name="湖岛红茶馆")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)

    client.cookies.set("lang", "en")
    english = client.get(f"/admin/organizations/{named.id}").text
    assert "<h1>Qingdao Lvfan Recycled Building Materials</h1>" in english
    assert 'lang="zh-CN">青岛绿帆再生建材有限公司</p>' in english
    assert "<h1>湖岛红茶馆</h1>" in client.get(f"/admin/organizations/{plain.id}").text  # as entered
    listing = client.get("/admin/organizations").text
    assert ">Qingdao Lvfan Recycled Building Materials</a>" in listing
    assert '<span class="field-hint" lang="zh-CN">青岛绿帆再生建材有限公司</span>' in listing

    client.cookies.set("lang", "zh_CN")
    chinese = client.get(f"/admin/organizations/{named.id}").text
    assert "<h1>青岛绿帆再生建材有限公司</h1>" in chinese
    assert 'lang="en">Qingdao Lvfan Recycled Building Materials</p>' in chinese
    assert 'class="field-hint page-other-name"' not in client.get(f"/admin/organizations/{plain.id}").text


# A status label said of two kinds: "Approved" was one msgid for an organization's status and a match's, so one
# Chinese word (已通过) for both, neither the glossary's. A label that says approve carries its kind as context
# (i18n.NC_), and each kind's label says its own word.
def test_a_status_label_that_says_approve_is_not_shared_by_two_kinds() -> None:
    from marketplace.i18n import InContext, current_locale
    from marketplace.matches.models import MatchStatus
    from marketplace.organizations.models import OrganizationStatus
    from marketplace.vocabulary import _LABELS

    plain: dict[str, list[str]] = {}
    for enum_name, labels in _LABELS.items():
        for label in labels.values():
            if not isinstance(label, InContext) and APPROVE.search(label):
                plain.setdefault(label, []).append(enum_name)
    assert {msgid: kinds for msgid, kinds in plain.items() if len(kinds) > 1} == {}

    token = current_locale.set("zh_CN")
    try:
        assert "审核通过" in OrganizationStatus.APPROVED.label and "批准" not in OrganizationStatus.APPROVED.label
        assert "批准" in MatchStatus.APPROVED.label and "审核" not in MatchStatus.APPROVED.label
    finally:
        current_locale.reset(token)


def test_a_message_with_a_context_says_its_kinds_word() -> None:
    from babel.messages.pofile import read_po

    from marketplace.i18n import LOCALES_DIR

    wrong, kinds = [], set()
    for path in sorted((LOCALES_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="zh_CN"):
                if not message.context or not isinstance(message.id, str) or not APPROVE.search(message.id):
                    continue
                kind = "match" if "match" in message.context else "organization" if "organi" in message.context else ""
                kinds.add(kind)
                word = {"match": "批准", "organization": "审核通过"}.get(kind)
                if word is None or word not in message.string:
                    wrong.append(f"{path.name}: {message.context!r} {message.id!r} -> {message.string!r}")
    assert wrong == [], "\n".join(wrong)
    assert {"match", "organization"} <= kinds
