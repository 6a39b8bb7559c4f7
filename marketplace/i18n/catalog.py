"""Keep the translation catalogs in step with the sources: extract, update, check.

The same extraction as ``pybabel extract -F babel.cfg``: every ``marketplace/**.py`` and
``templates/**.html``. ``update`` merges new messages into each locale's ``.po`` (untranslated,
never fuzzy-guessed) and drops vanished ones; translating them is then a matter of editing the
``.po``. ``check`` lists what is untranslated or fuzzy, what the sources hold and no catalog does, and what a
catalog holds that no source uses any more (a stale entry a reworded message left behind, in any of the topic
files), and a message two catalog files translate two ways (the application loads the first file's and says
nothing), so a test and CI can refuse it.

    python -m marketplace.i18n.catalog update   # then translate the new empty msgstr entries
    python -m marketplace.i18n.catalog check    # exit status 1 while anything is untranslated
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from marketplace.i18n import DEFAULT_LOCALE, DOMAIN, LOCALES_DIR, catalog_files, merged_catalog

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAPPING_FILE = PROJECT_ROOT / "babel.cfg"
# Locales with a catalog to maintain; English is the source language (the msgids).
TRANSLATED_LOCALES: tuple[str, ...] = (DEFAULT_LOCALE,)
PROJECT_NAME = "red-partners-marketplace"


def po_path(locale: str) -> Path:
    """The main catalog, where ``update`` adds new messages."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def po_paths(locale: str) -> list[Path]:
    """The main catalog first, then any per-domain catalogs beside it (``accounts.po``, ...)."""
    return catalog_files(LOCALES_DIR / locale / "LC_MESSAGES")


# gettext's own keywords (``pgettext`` among them), ``numbers.counted`` (an ngettext whose count is written as the
# locale writes it) and ``NC_`` (a message marked with its context, translated where it is shown).
KEYWORDS = {**DEFAULT_KEYWORDS, "counted": (1, 2), "NC_": ((1, "c"), 2)}


def extract_messages(root: Path = PROJECT_ROOT, mapping_file: Path = MAPPING_FILE) -> Catalog:
    """Every translatable message in the sources, as a template catalog (what ``pybabel extract`` writes)."""
    with mapping_file.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename=str(mapping_file))
    template = Catalog(project=PROJECT_NAME, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(locale: str) -> Catalog:
    """Every catalog file of ``locale`` merged: what the application loads at start."""
    return merged_catalog(po_paths(locale), locale)


def _read_one(path: Path, locale: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def write_catalog(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # No source locations and a sorted catalog: parallel edits merge without churn.
        write_po(handle, catalog, width=120, no_location=True, sort_output=True, ignore_obsolete=True)


def message_key(message: Message) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return msgid, message.context


@dataclass
class CatalogReport:
    locale: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    # ``check``: messages a catalog file holds that no source uses, each as "file: msgid".
    unused: list[str] = field(default_factory=list)
    # ``check``: messages two catalog files translate differently, each as "msgid: file1 'msgstr' / file2 'msgstr'".
    translated_twice: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.untranslated and not self.fuzzy


def problems(catalog: Catalog) -> tuple[list[str], list[str]]:
    """Messages of ``catalog`` that are untranslated, and those marked fuzzy (which are not used)."""
    untranslated: list[str] = []
    fuzzy: list[str] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        key = message_key(message)[0]
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy:
            fuzzy.append(key)
        elif not all(strings):
            untranslated.append(key)
    return untranslated, fuzzy


def update(locale: str = DEFAULT_LOCALE, root: Path = PROJECT_ROOT) -> CatalogReport:
    """Merge the sources' messages into ``locale``'s catalog (creating it if needed) and report."""
    template = extract_messages(root)
    path = po_path(locale)
    # Messages a per-domain catalog already holds stay there; the main catalog takes the rest.
    elsewhere = {message_key(m) for other in po_paths(locale) if other != path for m in _read_one(other, locale)}
    for message in list(template):
        if message.id and message_key(message) in elsewhere:
            template.delete(message.id, message.context)
    catalog = _read_one(path, locale) if path.exists() else Catalog(locale=locale, project=PROJECT_NAME, fuzzy=False)
    before = {message_key(m) for m in catalog if m.id}
    # No fuzzy matching: a guessed translation of a similar message is worse than an honest gap.
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    after = {message_key(m) for m in catalog if m.id}
    write_catalog(catalog, locale)
    untranslated, fuzzy = problems(catalog)
    return CatalogReport(
        locale=locale,
        added=sorted(key[0] for key in after - before),
        removed=sorted(key[0] for key in before - after),
        untranslated=untranslated,
        fuzzy=fuzzy,
    )


def check(locale: str = DEFAULT_LOCALE, root: Path = PROJECT_ROOT, paths: list[Path] | None = None) -> CatalogReport:
    """What is missing from ``locale``'s catalog, untranslated, fuzzy or unused; the catalog is not changed.

    ``paths``: the catalog files to check (``po_paths(locale)`` unless given)."""
    paths = po_paths(locale) if paths is None else paths
    catalog = merged_catalog(paths, locale)
    known = {message_key(m) for m in catalog if m.id}
    used = {message_key(m) for m in extract_messages(root) if m.id}
    missing = sorted(key[0] for key in used - known)
    untranslated, fuzzy = problems(catalog)
    return CatalogReport(
        locale=locale,
        added=missing,
        untranslated=untranslated,
        fuzzy=fuzzy,
        unused=unused_messages(paths, locale, used),
        translated_twice=translated_twice(paths, locale),
    )


def unused_messages(paths: list[Path], locale: str, used: set[tuple[str, str | None]]) -> list[str]:
    """Each message of these catalog files that is not in ``used`` (the sources' messages), as "file: msgid"."""
    return [
        f"{path.name}: {message_key(message)[0]}"
        for path in paths
        for message in _read_one(path, locale)
        if message.id and message_key(message) not in used
    ]


def translated_twice(paths: list[Path], locale: str) -> list[str]:
    """Each message two of these files translate differently, naming both files and both translations (the
    application takes the first file's, ``merged_catalog``)."""
    first: dict[tuple[str, str | None], tuple[str, object]] = {}
    found = []
    for path in paths:
        for message in _read_one(path, locale):
            if not message.id:
                continue
            key = message_key(message)
            said = message.string if isinstance(message.string, str) else tuple(message.string)
            if key in first and first[key][1] != said:
                where = f" (context {key[1]!r})" if key[1] else ""
                found.append(f"{key[0]!r}{where}: {first[key][0]} {first[key][1]!r} / {path.name} {said!r}")
            first.setdefault(key, (path.name, said))
    return found


def _print_report(report: CatalogReport, added_label: str) -> None:
    print(
        f"{report.locale}: {len(report.added)} {added_label}, {len(report.removed)} removed, "
        f"{len(report.untranslated)} untranslated, {len(report.fuzzy)} fuzzy, {len(report.unused)} unused, "
        f"{len(report.translated_twice)} translated two ways"
    )
    listed = ((added_label, report.added), ("untranslated", report.untranslated), ("fuzzy", report.fuzzy))
    for title, keys in (*listed, ("used nowhere (remove it)", report.unused)):
        for key in keys:
            print(f"  {title}: {key!r}")
    for said in report.translated_twice:
        print(f"  translated two ways (the first file wins; keep one): {said}")


def main(argv: list[str], *, locales_dir: Path | None = None, root: Path = PROJECT_ROOT) -> int:
    """The command line; ``locales_dir`` and ``root``: another catalog folder and sources to check (a test's)."""
    command = argv[0] if argv else "check"
    if command not in ("update", "check"):
        print("usage: python -m marketplace.i18n.catalog [update|check]", file=sys.stderr)
        return 2
    ok = True
    for locale in TRANSLATED_LOCALES:
        if command == "update":
            report = update(locale)
        else:
            folder = None if locales_dir is None else catalog_files(locales_dir / locale / "LC_MESSAGES")
            report = check(locale, root=root, paths=folder)
        _print_report(report, "added" if command == "update" else "missing from the catalog")
        ok = (
            ok
            and report.complete
            and (command == "update" or not (report.added or report.unused or report.translated_twice))
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
