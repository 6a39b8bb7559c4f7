"""Exports write every vocabulary value as its label, never its stored code, in both languages, and the cells
written by type look-up (``writers.Cells``, built for the export's CPU) are exactly those of the generic
``_value``/``_text``: the same files, byte for byte, as before."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import pytest

import marketplace.models  # noqa: F401 (every table and its enums)
from marketplace.exchange import writers
from marketplace.exchange.writers import Cells, Rate, _text, _value, enum_labels, reading_language
from marketplace.vocabulary import LabelledEnum


def _every(kind: type) -> list[type]:
    found = []
    for sub in kind.__subclasses__():
        found.append(sub)
        found.extend(_every(sub))
    return found


LABELLED = _every(LabelledEnum)


def test_the_exported_vocabularies_are_all_found() -> None:
    names = {kind.__name__ for kind in LABELLED}
    expected = {"Category", "ResourceKind", "IntakeChannel", "Urgency", "NeedStatus", "OfferStatus"}
    assert expected | {"VolunteerSegment", "OrganizationKind", "OrganizationStatus"} <= names


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", LABELLED, ids=lambda kind: kind.__name__)
def test_every_member_of_every_vocabulary_is_written_as_its_label(kind: type[Enum], language: str) -> None:
    with reading_language(language):
        labels = enum_labels(kind)
        cells = Cells()
        assert set(labels) == set(kind)  # a new member is in the map: built from the enum itself
        for member in kind:
            label = labels[member]
            assert label and label != member.value, (kind.__name__, member)  # never the raw code
            if language == "zh":
                assert any(ord(char) > 0x2E80 for char in label), (kind.__name__, member, label)
            assert cells.text(member) == label == _text(member)
            assert cells.value(member) == label == _value(member)


def test_labels_follow_the_files_language() -> None:
    from marketplace.vocabulary import Category

    with reading_language("en"):
        english = Cells().text(Category.RENOVATION)
    with reading_language("zh"):
        chinese = Cells().text(Category.RENOVATION)
    assert english != chinese and english == "Old residential area renovation"


SAMPLES = [
    None,
    True,
    False,
    0,
    -3,
    12345678901234,
    1.5,
    0.1 + 0.2,
    2.0,
    Decimal("3"),
    Decimal("3.50"),
    Decimal("0.01"),
    Decimal("1E+3"),
    Rate(0.925),
    Rate(1.0),
    date(2026, 12, 6),
    datetime(2026, 12, 6, 9, 30),
    datetime(2026, 12, 6, 20, 0, tzinfo=UTC),
    "",
    "plain",
    "=1+1",
    "-3",
    "@SUM(A1)",
    "\tx",
    " \u3000=x",
    "＝1",
    "\u2212 minus",
    "张三",
    " leading space",
]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_cells_by_type_are_those_of_the_generic_path(language: str) -> None:
    with reading_language(language):
        cells = Cells()
        for sample in SAMPLES:
            assert cells.text(sample) == _text(sample), repr(sample)
            fast, slow = cells.value(sample), _value(sample)
            assert fast == slow and type(fast) is type(slow), repr(sample)


def test_a_formula_start_is_decided_per_first_sign_as_before() -> None:
    for text in ["=x", " =x", "\u00a0+x", "\u3000-x", "﹦x", "⁺x", "₋x", "\u2795x", "x=", "  ", "", "a"]:
        head = text.lstrip(writers.LEADING_SPACES)[:1]
        slow = text.startswith(writers.FORMULA_STARTS) or (bool(head) and writers._formula_head(head))
        assert writers.starts_formula(text) == slow, repr(text)
