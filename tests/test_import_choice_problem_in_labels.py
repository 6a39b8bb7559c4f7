"""An import's row report names the accepted values of a list column by their labels in the importer's language.

Found walking the demo: a need-list file with the category “不存在的类别” was reported in Chinese as
“无法识别，请使用以下之一：renovation, sanitation, elderly_care, …”, the stored codes, though the same file's
“出行安全” (a label) was read without complaint. The report now lists 老旧小区改造、环境卫生… (renovation, sanitation
… in words, "Old residential area renovation, Sanitation, …", in English); the codes are still accepted.
"""

import pytest

from marketplace.exchange.columns import CellProblem, choice
from marketplace.i18n import current_locale
from marketplace.needs.models import Category, Urgency


def _problem(parse: object, value: str, locale: str) -> str:
    token = current_locale.set(locale)
    try:
        with pytest.raises(CellProblem) as refused:
            parse(value)  # type: ignore[operator]
        return refused.value.message()
    finally:
        current_locale.reset(token)


def test_the_report_lists_the_labels_in_chinese() -> None:
    message = _problem(choice(Category.choices), "不存在的类别", "zh_CN")
    assert "老旧小区改造、环境卫生、助老助残" in message, message
    assert "renovation" not in message and "elderly_care" not in message, message
    assert "一般" in _problem(choice(Urgency.choices), "超级", "zh_CN")


def test_the_report_lists_the_labels_in_english() -> None:
    message = _problem(choice(Urgency.choices), "超级", "en")
    assert "Unknown value; use one of: " in message and "Normal" in message, message
    assert "normal," not in message and "、" not in message, message


@pytest.mark.parametrize("value", ["renovation", "老旧小区改造", "Sanitation"])
def test_codes_and_labels_in_either_language_are_still_read(value: str) -> None:
    token = current_locale.set("zh_CN")
    try:
        assert choice(Category.choices)(value) in {"renovation", "sanitation"}
    finally:
        current_locale.reset(token)
