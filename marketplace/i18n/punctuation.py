"""Punctuation that differs between the page's languages: brackets and the space between words.

A Chinese page puts an aside in full-width brackets, glued to the words before it ("待审核（3）", "地址（选填）");
an English page in ASCII brackets after a space ("Pending (3)", "Address (optional)"). Chinese puts no space
between a sentence and a link or a bold figure that continues it ("还没有账号？注册"); English does. Templates and
code say it once, here, instead of writing " (" and ")" or a literal space around translated words
(tests/test_zh_punctuation.py holds the catalogs and the rendered pages to it).
"""

from markupsafe import Markup, escape

from marketplace.i18n import current_locale


def _english() -> bool:
    return current_locale.get().startswith("en")


def bracketed(value: object, *, spaced: bool = True) -> str:
    """``value`` in the page's brackets: "（3）" in Chinese, " (3)" in English (the space English puts before a
    bracket included, unless ``spaced`` is false)."""
    if _english():
        return f"{' ' if spaced else ''}({value})"
    return f"（{value}）"


def bracketed_markup(value: object, spaced: bool = True) -> Markup:
    """The Jinja filter: ``bracketed`` with ``value`` escaped unless it is already markup."""
    if _english():
        return Markup(" (" if spaced else "(") + escape(value) + Markup(")")
    return Markup("（") + escape(value) + Markup("）")


def word_gap() -> str:
    """The space between a sentence and a link or an emphasised word that continues it: " " in English, none in
    Chinese."""
    return " " if _english() else ""


def label_colon() -> str:
    """After a label that a value follows: "：" in Chinese (用户名：admin), ": " in English (User name: admin)."""
    return ": " if _english() else "："
