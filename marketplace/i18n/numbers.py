"""Numbers as the reader's locale writes them ("12,345"), for the templates and for sentences built in Python."""

from typing import Any

from babel import Locale
from babel.numbers import format_decimal

from marketplace.i18n import current_locale, ngettext

# Babel parses a locale given by name again on every call (about 0.14 ms, more than the formatting
# itself); a page formats hundreds of values, so each locale is parsed once and its object kept.
_BABEL_LOCALES: dict[str, Locale] = {}

# The placeholders that hold a count: ``num`` (ngettext's own), ``count`` (what ``{% trans count=… %}`` blocks
# pass) and ``total``. Other numbers (a year, an hour) are left as they are given.
COUNT_PLACEHOLDERS = ("num", "count", "total")


def babel_locale() -> Locale:
    name = current_locale.get()
    locale = _BABEL_LOCALES.get(name)
    if locale is None:
        locale = _BABEL_LOCALES[name] = Locale.parse(name)
    return locale


def format_number(value: float | int) -> str:
    """3200 → "3,200"; 12.5 → "12.5"."""
    return format_decimal(value, format="#,##0.##", locale=babel_locale())


def with_counts_formatted(
    translated: str, variables: dict[str, Any], names: tuple[str, ...] = COUNT_PLACEHOLDERS
) -> str:
    """``translated % variables``, each whole count (``names``) written as the locale writes it."""
    for name in names:
        value = variables.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            translated = translated.replace(f"%({name})d", f"%({name})s")
            variables[name] = format_number(value)
    return translated % variables


def counted(singular: str, plural: str, n: int, *, also_counts: tuple[str, ...] = (), **variables: Any) -> str:
    """``ngettext`` with its count filled in and written as the reader's locale writes it: "12,345 rows read."
    where ``ngettext(...) % {"count": n}`` would say "12345 rows read." (the templates' ``ngettext`` does the
    same, ``web.counted_ngettext``). ``also_counts`` names further placeholders that hold a count ("at most
    %(limit)d reports"), written the same way."""
    variables.setdefault("num", n)
    return with_counts_formatted(ngettext(singular, plural, n), variables, COUNT_PLACEHOLDERS + also_counts)
