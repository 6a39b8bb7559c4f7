"""Translations: gettext catalogs compiled from the ``.po`` sources when the process starts.

Message ids are English; Simplified Chinese (``zh_CN``) is the default locale. The locale of the
request being served lives in a context variable set by ``LocaleMiddleware``, so code and
templates translate with plain ``gettext`` calls.
"""

import gettext as _gettext_module
from contextvars import ContextVar
from dataclasses import dataclass
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


@dataclass(frozen=True)
class InContext:
    """A message marked with its context (``msgctxt``): one English word said two ways in Chinese, by what it is
    about ("Approved": an organization's status 审核通过, a match's 已批准)."""

    context: str
    message: str

    def __str__(self) -> str:
        return pgettext(self.context, self.message)


def NC_(context: str, message: str) -> InContext:
    """Mark a message with its context for extraction; it is translated where it is shown (``translate``)."""
    return InContext(context, message)


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
                # ``(id, context) in merged`` would look up the id alone: a message with a context beside the
                # same id without one would be dropped.
                if message.id and merged.get(message.id, message.context) is None:
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


def pgettext(context: str, message: str) -> str:
    """The message as translated in this context (``msgctxt``); the message itself where it is not."""
    return translations_for(current_locale.get()).pgettext(context, message)


def translate(message: "str | InContext") -> str:
    """A message marked with ``N_`` or ``NC_``, translated in the current language."""
    return pgettext(message.context, message.message) if isinstance(message, InContext) else gettext(message)


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
