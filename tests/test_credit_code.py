"""The unified social credit code validator (GB 32100-2015), checked against real published codes."""

import random

import pytest

from marketplace.organizations.credit_code import (
    CATEGORIES,
    CHARSET,
    CreditCodeError,
    credit_code_check_digit,
    is_valid_credit_code,
    organization_code_check_digit,
    validate_credit_code,
)

# Published on the companies' business licences; each passes both check digits.
PUBLISHED = {
    "9144030071526726XG": "Shenzhen Tencent Computer Systems",
    "91330100716105852F": "Alibaba (China)",
    "914403001922038216": "Huawei Technologies",
    "91110108551385082Q": "Xiaomi Technology",
}


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", PUBLISHED)
def test_check_digits_reproduce_published_codes(code: str) -> None:
    assert credit_code_check_digit(code[:17]) == code[17]
    assert organization_code_check_digit(code[8:16]) == code[16]


def test_input_is_stripped_and_upper_cased() -> None:
    assert validate_credit_code("  9144030071526726xg\n") == "9144030071526726XG"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9144030071526726X", "18 characters, got 17"),
        ("9144030071526726XGG", "18 characters, got 19"),
        ("", "18 characters, got 0"),
        ("914403007152672OXG", "illegal character 'O' at position 16"),
        ("9144030071526726XI", "illegal character 'I' at position 18"),
        ("S144030071526726XG", "illegal character 'S' at position 1"),
        ("91440300715267-6XG", "illegal character '-' at position 15"),
        ("9１44030071526726XG", "illegal character '１' at position 2"),
        ("B144030071526726XG", "bad registration authority code 'B'"),
        ("9944030071526726XG", "bad organization category '9' at position 2 for authority '9'"),
        ("Y244030071526726XG", "bad organization category '2' at position 2 for authority 'Y'"),
        ("91A4030071526726XG", "administrative division"),
        ("9144030071526727XG", "bad organization code check digit at position 17"),
        ("9144030071526726XH", "bad check digit at position 18"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(CreditCodeError, match=reason.replace("(", r"\(")):
        validate_credit_code(code)
    assert not is_valid_credit_code(code)


def test_credit_code_error_is_a_value_error() -> None:
    assert issubclass(CreditCodeError, ValueError)


@pytest.mark.parametrize(("authority", "categories"), CATEGORIES.items())
def test_every_authority_and_category_is_accepted(authority: str, categories: str) -> None:
    for category in categories:
        assert is_valid_credit_code(_make(authority + category + "370203" + "MA3C4K5L"))


def test_organization_code_check_digit_uses_x_and_0() -> None:
    # 11 - sum % 11 == 10 → 'X' and == 11 → '0' (the rest are the digit itself).
    seen = {organization_code_check_digit(f"{n:08d}") for n in range(0, 2000)}
    assert {"X", "0"} <= seen
    assert seen <= set("0123456789X")


def test_organization_code_letters_count_by_alphabet_not_by_charset() -> None:
    # GB 11714 gives M the value 22 (its place in A-Z), not 20 (its index in CHARSET).
    assert organization_code_check_digit("MA1FL1MM") == "X"


def test_check_digit_wants_exactly_17_characters() -> None:
    with pytest.raises(CreditCodeError):
        credit_code_check_digit("91440300")


def test_generated_codes_validate() -> None:
    rng = random.Random(20211)
    for _ in range(500):
        authority = rng.choice(list(CATEGORIES))
        head = authority + rng.choice(CATEGORIES[authority]) + f"{rng.randrange(110000, 660000)}"
        body = "".join(rng.choice(CHARSET) for _ in range(8))
        assert is_valid_credit_code(_make(head + body))


@pytest.mark.parametrize("code", ["9144030071526726XG", "914403001922038216"])
def test_every_single_substitution_fails_the_check_digit(code: str) -> None:
    for position in range(18):
        for char in CHARSET:
            if char == code[position]:
                continue
            corrupted = code[:position] + char + code[position + 1 :]
            # The final check digit alone catches it (31 is prime, every weight is non-zero mod 31) ...
            assert credit_code_check_digit(corrupted[:17]) != corrupted[17], corrupted
            # ... and so does the whole validator.
            assert not is_valid_credit_code(corrupted), corrupted


@pytest.mark.parametrize("code", list(PUBLISHED))
def test_every_adjacent_transposition_fails_the_check_digit(code: str) -> None:
    for position in range(17):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        # Neighbouring weights differ mod 31 (3 is a primitive root of 31), so every swap is caught.
        assert credit_code_check_digit(swapped[:17]) != swapped[17], swapped
        assert not is_valid_credit_code(swapped), swapped


def _make(first16: str) -> str:
    """A valid code from its first 16 characters: add both check digits."""
    first17 = first16 + organization_code_check_digit(first16[8:16])
    return first17 + credit_code_check_digit(first17)


def test_credit_code_check_digits_match_the_standards_example() -> None:
    # The sample code printed in GB 32100-2015; its organization code M000100Y4 follows GB 11714.
    assert organization_code_check_digit("M000100Y") == "4"
    assert credit_code_check_digit("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")
    assert not is_valid_credit_code("91350100M000100I43")  # I is not in the alphabet
