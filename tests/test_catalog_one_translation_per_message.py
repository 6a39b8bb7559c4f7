"""Each message has one translation: the per-topic catalogs are merged with the first file holding a message
winning (``i18n.merged_catalog``), so a second file translating it otherwise is dead text at best and, when it
sorts first, silently changes what every other page says (api_codes.po's 此项必填。 replaced the forms'
此项为必填项。 everywhere)."""

from babel.messages.pofile import read_po

from marketplace.i18n import LOCALES_DIR, catalog_files


def test_no_message_is_translated_two_ways_across_the_catalog_files() -> None:
    for folder in sorted(LOCALES_DIR.glob("*/LC_MESSAGES")):
        first: dict[tuple[object, object], tuple[str, object]] = {}
        twice = []
        for path in catalog_files(folder):
            with path.open("rb") as handle:
                for message in read_po(handle):
                    if not message.id:
                        continue
                    key = (message.id if isinstance(message.id, str) else tuple(message.id), message.context)
                    said = message.string if isinstance(message.string, str) else tuple(message.string)
                    if key in first and first[key][1] != said:
                        twice.append((key[0], first[key], (path.name, said)))
                    first.setdefault(key, (path.name, said))
        assert twice == [], f"{folder.parent.name}: translated two ways (the first file wins): {twice}"
