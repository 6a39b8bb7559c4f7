"""The Chinese pages address their reader one way, politely (您), as the street's notices do: a newcomer found the
registration form saying 你 in one hint and 您 everywhere else. Every zh_CN translation is read."""

from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "marketplace" / "i18n" / "locales" / "zh_CN" / "LC_MESSAGES"


def test_no_translation_says_ni_where_the_rest_say_nin() -> None:
    informal = []
    for path in sorted(LOCALES.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                texts = message.string if isinstance(message.string, tuple) else (message.string,)
                informal += [f"{path.name}: {text}" for text in texts if text and "你" in text]
    assert informal == []
