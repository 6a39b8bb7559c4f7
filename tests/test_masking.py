"""marketplace.masking: the one rule for masked names, phones and addresses, on ordinary and odd values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.masking import mask_address, mask_name, mask_phone

MASKERS = [mask_name, mask_phone, mask_address]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("0532-82861234", "0532-****1234"),
        ("053282861234", "0532-****1234"),
        ("010-12345678", "010-****5678"),
        ("021 8765 4321", "021-****4321"),
        ("12345678", "****5678"),  # a number of no known shape keeps its last four digits only
        ("96110123456789", "****6789"),
        ("12345", "****"),  # too short to show four digits of it
        ("1", "****"),
        ("not a phone", "****"),
        ("１３８００１３８０００", "****"),  # full-width digits are not read as digits: hidden whole
        (" 13800138000 ", "138****8000"),
        ("", ""),
        ("   ", ""),
        (None, None),
    ],
)
def test_phones_are_masked(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧**"),
        ("李", "李*"),
        ("Li Wei", "L**"),
        (" 王五 ", "王*"),
        ("", ""),
        (None, None),
    ],
)
def test_names_are_masked(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("胡道街道幸福里12号楼3单元501", "胡道街道幸福***"),
        ("秘密路99号3单元", "秘密路9***"),
        ("3号", "3***"),
        ("A", "A***"),
        ("", ""),
        (None, None),
    ],
)
def test_addresses_are_masked(address: str | None, masked: str | None) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 138 0013 8000", "0532-82861234", "010-12345678", "12345678", "123", "abc"]
)
def test_a_masked_phone_masks_to_itself(phone: str) -> None:
    once = mask_phone(phone)
    assert mask_phone(once) == once


def test_a_typed_star_does_not_let_a_whole_number_through() -> None:
    assert mask_phone("*13800138000") == "138****8000"


@given(st.sampled_from(MASKERS), st.one_of(st.none(), st.text(max_size=40)))
def test_every_masker_is_idempotent_on_any_text(masker: object, value: str | None) -> None:
    once = masker(value)  # type: ignore[operator]
    assert masker(once) == once  # type: ignore[operator]


@given(st.text(alphabet="0123456789 -+()", min_size=7, max_size=20))
def test_a_masked_phone_never_shows_more_than_eight_digits(phone: str) -> None:
    masked = mask_phone(phone) or ""
    assert sum(ch.isdigit() for ch in masked) <= 8
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 7:
        assert "*" in masked


@given(st.text(min_size=1, max_size=60))
def test_a_masked_name_or_address_shows_at_most_half_and_at_most_six_characters(text: str) -> None:
    stripped = text.strip()
    name, address = mask_name(text) or "", mask_address(text) or ""
    if stripped:
        assert name[0] == stripped[0] and set(name[1:]) == {"*"}
        if not stripped.endswith("***"):
            shown = address.removesuffix("***")
            assert len(shown) <= max(1, min(6, len(stripped) // 2))
