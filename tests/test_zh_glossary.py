"""One Chinese term per concept: the domain's words read as one product in every zh_CN catalog.

A partner is a 合伙人 (the street's "red partners", 红色合伙人, and their organizations 合伙人单位), never a
共建单位 on one page and a 合作单位 on the next; a resource line is a 资源项, a shift a 班次, and so on. The
glossary is small on purpose: the domain's nouns and the admin's two decisions. For each entry, every message
whose English says the term must not say it in Chinese with one of the words the catalogs used to drift to
(``drifted``), and where ``required`` is given, must say the glossary's word. How the organization addressed,
the two approvals and a round are said, and the files' headers: test_zh_glossary_one_word.py.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from marketplace.i18n import LOCALES_DIR


@dataclass(frozen=True)
class Term:
    english: str  # a regular expression over the msgid, matched case-insensitively at word boundaries
    chinese: str
    drifted: tuple[str, ...]
    required: bool = False


GLOSSARY = (
    Term(r"partners?", "合伙人", ("共建单位", "合作单位", "合伙单位", "合作伙伴", "合作方"), required=True),
    Term(r"organi[sz]ations?", "单位", ("共建单位", "合作单位", "合伙单位", "机构")),
    Term(r"needs?", "需求", ("诉求",)),
    Term(r"offers?", "资源", ("供给方",)),
    Term(r"shifts?", "班次", ("岗位", "值班")),
    Term(r"resource lines?", "资源项", ("资源需求项", "资源明细", "资源行", "资源条目"), required=True),
    Term(r"(matching )?rounds?", "一轮匹配", ("撮合", "批次", "一次匹配", "智能匹配")),
    Term(r"volunteers?", "志愿者", ("义工",)),
    Term(r"streets?", "街道", ("街区",)),
    Term(r"communit(y|ies)", "社区", ("小区",)),
    Term(r"grids?", "网格", ("格网", "片区")),
    Term(r"approve[sd]?", "批准", ("核准", "审批")),
    Term(r"reject(s|ed)?", "驳回", ("拒绝", "否决")),
)

# Where the English word is not the domain's concept (a placeholder name, a proper noun, a code).
NOT_THE_CONCEPT = re.compile(r"%\([a-z_]+\)s|/api/\S+|\b[a-z_]+\.[a-z_]+\b|e\.g\. organization")


def _messages() -> list[tuple[str, str, str]]:
    """(file, msgid, msgstr) of every translated message, plural forms joined."""
    found = []
    for path in sorted((LOCALES_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            found.append((path.name, " ".join(ids), " ".join(s for s in strings if s)))
    return found


MESSAGES = _messages()


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda term: term.english)
def test_a_glossary_term_is_said_with_the_glossarys_chinese_word(term: Term) -> None:
    pattern = re.compile(rf"\b{term.english}\b", re.IGNORECASE)
    wrong = []
    for filename, msgid, msgstr in MESSAGES:
        if not msgstr or not pattern.search(NOT_THE_CONCEPT.sub(" ", msgid)):
            continue
        drifted = [word for word in term.drifted if word in msgstr]
        if drifted or (term.required and term.chinese not in msgstr):
            wrong.append(f"{filename}: {msgid!r} -> {msgstr!r} (say {term.chinese})")
    assert not wrong, "\n".join(wrong)


def test_the_glossary_is_small_and_its_words_are_not_drift() -> None:
    assert len(GLOSSARY) <= 15
    for term in GLOSSARY:
        assert term.chinese not in term.drifted


def test_the_catalogs_are_where_the_glossary_reads_them() -> None:
    assert any(Path(LOCALES_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")) and len(MESSAGES) > 1000
