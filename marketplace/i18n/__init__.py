"""Translations: gettext catalogs compiled from the ``.po`` sources when the process starts.

Message ids are English; Simplified Chinese (``zh_CN``) is the default locale. The locale of the
request being served lives in a context variable set by ``LocaleMiddleware``, so code and
templates translate with plain ``gettext`` calls.
"""

import gettext as _gettext_module
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@cache
def translations_for(locale: str) -> _gettext_module.NullTranslations:
    """Compile the locale's ``.po`` source in memory (no binary catalog is ever committed)."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext_module.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext_module.GNUTranslations(buffer)


def gettext(message: str) -> str:
    return translations_for(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(current_locale.get()).ngettext(singular, plural, n)


_ = gettext


def normalise_locale(value: str | None) -> str | None:
    """Map what a browser or a user sends (``zh-CN``, ``zh``, ``en-US``) to a supported locale."""
    if not value:
        return None
    value = value.strip().replace("-", "_")
    for locale in SUPPORTED_LOCALES:
        if value.lower() == locale.lower() or value.lower().split("_")[0] == locale.lower().split("_")[0]:
            return locale
    return None
