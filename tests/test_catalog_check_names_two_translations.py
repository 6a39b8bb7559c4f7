"""``python -m marketplace.i18n.catalog check`` names a message two catalog files translate two ways.

The application merges the topic catalogs with the first file holding a message winning
(``i18n.merged_catalog``): a second file's other translation is dead text, or, when it sorts first, silently
changes what every page says. The check lists such a message with both files and both translations and exits
1, as it does for a missing, untranslated or unused message, so the person adding the second one hears of it.
"""

from pathlib import Path

import pytest

from marketplace.i18n.catalog import check, main

SAVED = 'msgid "Saved"\nmsgstr "已保存"\n\n'
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: zh_CN\\n"\n\n'


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "marketplace").mkdir()
    (tmp_path / "marketplace" / "page.py").write_text(
        'from marketplace.i18n import gettext as _\n_("This field is required.")\n_("Saved")\n'
    )
    folder = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_text(HEADER + body, encoding="utf-8")
    return folder


def test_a_message_translated_two_ways_is_named_with_both_files_and_both_translations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(
        tmp_path,
        {
            "messages.po": SAVED + 'msgid "This field is required."\nmsgstr "此项为必填项。"\n',
            "api_codes.po": 'msgid "This field is required."\nmsgstr "此项必填。"\n',
        },
    )

    report = check("zh_CN", root=tmp_path, paths=sorted(folder.glob("*.po")))
    assert report.translated_twice == [
        "'This field is required.': api_codes.po '此项必填。' / messages.po '此项为必填项。'"
    ]

    status = main(["check"], locales_dir=tmp_path / "locales", root=tmp_path)
    said = capsys.readouterr().out
    assert status == 1
    assert "1 translated two ways" in said
    assert "messages.po '此项为必填项。' / api_codes.po '此项必填。'" in said  # messages.po is read first


def test_the_same_translation_in_two_files_is_not_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(
        tmp_path,
        {
            "messages.po": SAVED + 'msgid "This field is required."\nmsgstr "此项为必填项。"\n',
            "api_codes.po": 'msgid "This field is required."\nmsgstr "此项为必填项。"\n',
        },
    )
    assert main(["check"], locales_dir=tmp_path / "locales", root=tmp_path) == 0
    assert "0 translated two ways" in capsys.readouterr().out
