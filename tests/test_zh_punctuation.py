"""Chinese pages use Chinese punctuation: asides in full-width brackets ("待审核（3）", "地址（选填）"), and no space
between a sentence and a link or an emphasised figure that continues it ("还没有账号？注册").

Found on a newcomer's walk: "待审核 (3)", "居民住址 (选填)", "郭涛 (org00026)", "已经注册？ 登录". The cause was
templates writing " (" and ")" (or a plain space) around translated words, and a few sentences built in Python;
they now go through ``marketplace.i18n.punctuation`` (the ``bracketed`` filter, ``word_gap()``).

The class is held three ways: every zh_CN msgstr, every template's literal text, and the rendered Chinese pages
of each role's walk (the demo's main pages, forms, a detail page of each list and an error page).
"""

import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from marketplace.i18n.catalog import read_catalog
from seeds.demo_accounts import DEMO_PASSWORD
from tests.live_server import LiveServer
from tests.page_survey import PAGES

ROOT = Path(__file__).resolve().parents[1]
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
# An ASCII bracket with a Chinese character (or full-width punctuation) beside it, spaces between allowed.
ASCII_BRACKET_BY_CJK = re.compile(rf"[{CJK}]\s*[()]|[()]\s*[{CJK}]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
# Text a Chinese page may keep in ASCII brackets, each with its reason. None needed now.
ALLOWED: dict[str, str] = {
    "(UTC+8)": "a time zone as programs write it",
}
INLINE = "a|strong|em|b|code|time"
# A sentence (ending in a Chinese character or full-width punctuation) and, after a space, a link or emphasis.
GAP_BEFORE = re.compile(rf"([{CJK}])[ \t\r\n]+<({INLINE})\b([^>]*)>")
GAP_AFTER = re.compile(rf"</({INLINE})>[ \t\r\n]+([{CJK}])")


def _without_allowed(text: str) -> str:
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    return text


def _bracket_problems(text: str) -> list[str]:
    text = _without_allowed(text)
    return [
        re.sub(r"\s+", " ", text[max(0, m.start() - 12) : m.end() + 12]) for m in ASCII_BRACKET_BY_CJK.finditer(text)
    ]


def test_no_chinese_translation_puts_an_ascii_bracket_beside_chinese_words() -> None:
    problems = []
    for message in read_catalog("zh_CN"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for text in strings:
            # A placeholder's own brackets ("%(name)s") are code; what it stands for is checked on the pages.
            for found in _bracket_problems(PLACEHOLDER.sub("X", text or "")):
                problems.append(f"{message.id!r}: …{found}…")
    assert not problems, "ASCII brackets beside Chinese in zh_CN msgstrs:\n" + "\n".join(problems)


def _template_text(source: str) -> str:
    """A template's literal text: what it writes around its tags and expressions (attributes and code removed),
    line breaks kept so a problem names its line."""

    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    text = re.sub(r"<(script|style)\b.*?</\1>", blank, source, flags=re.S)
    text = re.sub(r"\{#.*?#\}", blank, text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "X", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", blank, text, flags=re.S)
    return re.sub(r"<[^>]*>", blank, text, flags=re.S)


def test_no_template_writes_brackets_around_translated_words() -> None:
    """A literal "(" in a template's text is the same in both languages: brackets go through ``bracketed``."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(_template_text(path.read_text(encoding="utf-8")).split("\n"), 1):
            if "(" in _without_allowed(line) or ")" in _without_allowed(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "literal brackets in templates (use the bracketed filter):\n" + "\n".join(problems)


def test_the_bracketed_filter_and_word_gap_follow_the_page_language() -> None:
    from marketplace.i18n import current_locale
    from marketplace.i18n.punctuation import bracketed, bracketed_markup, word_gap

    token = current_locale.set("zh_CN")
    try:
        assert (bracketed(3), str(bracketed_markup("<b>")), word_gap()) == ("（3）", "（&lt;b&gt;）", "")
    finally:
        current_locale.reset(token)
    token = current_locale.set("en")
    try:
        assert (bracketed(3), bracketed(3, spaced=False), word_gap()) == (" (3)", "(3)", " ")
    finally:
        current_locale.reset(token)


# --- the rendered walk --------------------------------------------------------------------------------------


def _visible(html: str) -> tuple[str, list[str]]:
    """The page's text as read (tags removed, so a bracket in one element and a word in the next are adjacent),
    and the attribute texts people read (titles, labels, placeholders)."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", html, flags=re.S)
    attributes = [unescape(value) for value in re.findall(r'\s(?:title|aria-label|placeholder|alt)="([^"]*)"', html)]
    return unescape(re.sub(r"<[^>]+>", "", html)), attributes


def _gap_problems(html: str) -> list[str]:
    html = re.sub(r"<(script|style|textarea|pre)\b.*?</\1>", " ", html, flags=re.S)
    found = [m for m in GAP_BEFORE.finditer(html) if "button" not in m.group(3)]
    found += list(GAP_AFTER.finditer(html))
    return [re.sub(r"\s+", " ", html[max(0, m.start() - 30) : m.end() + 30]) for m in found]


def _signed_in(base: str, username: str | None) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=60)
    client.cookies.set("lang", "zh_CN")
    if username is not None:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=data).status_code == 200
        client.cookies.set("lang", "zh_CN")
    return client


def _first(client: httpx.Client, listing: str, pattern: str) -> str | None:
    found = re.search(pattern, client.get(listing).text)
    return found.group(0) if found else None


EXTRA = {
    None: ["/", "/figures", "/submit", "/login", "/register", "/no-such-page"],
    "admin": ["/needs/new", "/admin/tokens"],
    "staff": ["/needs/new"],
    "partner": ["/offers/new"],
    "volunteer": [],
    "city": [],
}
DETAILS = {  # a detail page of each list the role reads: (list, link pattern)
    "admin": [
        ("/admin/organizations", r"/admin/organizations/\d+"),
        ("/offers", r"/offers/\d+"),
        ("/rounds", r"/rounds/\d+"),
    ],
    "staff": [("/needs", r"/needs/\d+")],
    "partner": [("/claims", r"/projects/\d+"), ("/offers", r"/offers/\d+")],
    "volunteer": [("/signups", r"/projects/\d+")],
}


@pytest.mark.xdist_group("demo_server")
@pytest.mark.slow
@pytest.mark.parametrize("role", [None, "admin", "staff", "partner", "volunteer", "city"])
def test_the_chinese_pages_of_each_role_use_chinese_brackets_and_no_space_before_a_link(
    demo_server: LiveServer, role: str | None
) -> None:
    base = demo_server.base_url
    client = _signed_in(base, role)  # opened by the sign-in, closed below
    try:
        need = _first(client, "/", r"/projects/\d+")
        need_id = need.rsplit("/", 1)[1] if need else "1"
        paths = [path.replace("{need}", need_id) for path in PAGES.get(role or "", [])] + EXTRA[role or None]
        for listing, pattern in DETAILS.get(role or "", []):
            if (detail := _first(client, listing, pattern)) is not None:
                paths.append(detail)
        if role in ("admin", "staff"):
            own = _first(client, "/needs", r"/needs/\d+")
            paths += [own, f"{own}/edit"] if own else []
        problems: list[str] = []
        for path in dict.fromkeys(paths):
            answer = client.get(path)
            if "text/html" not in answer.headers.get("content-type", ""):
                continue
            text, attributes = _visible(answer.text)
            problems += [f"{path}: …{found}…" for found in _bracket_problems(text)]
            problems += [f"{path} (attribute): {value}" for value in attributes if _bracket_problems(value)]
            problems += [f"{path} (space before a link): {found}" for found in _gap_problems(answer.text)]
    finally:
        client.close()
    assert not problems, f"{role or 'anonymous'}, zh_CN:\n" + "\n".join(dict.fromkeys(problems))
