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

from babel.messages.catalog import Catalog
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


def catalog_files(directory: Path) -> list[Path]:
    """``messages.po`` first, then the per-domain catalogs beside it, in name order."""
    main = directory / f"{DOMAIN}.po"
    others = sorted(path for path in directory.glob("*.po") if path != main)
    return ([main] if main.exists() else []) + others


def merged_catalog(paths: list[Path], locale: str) -> Catalog:
    """One catalog from several ``.po`` files; the first file holding a message wins."""
    merged = Catalog(locale=locale, fuzzy=False)
    for path in paths:
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and (message.id, message.context) not in merged:
                    merged[message.id] = message
    return merged


@cache
def translations_for(locale: str) -> _gettext_module.NullTranslations:
    """Compile the locale's ``.po`` sources in memory (no binary catalog is ever committed)."""
    paths = catalog_files(LOCALES_DIR / locale / "LC_MESSAGES")
    if not paths:
        return _gettext_module.NullTranslations()
    catalog = merged_catalog(paths, locale)
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
