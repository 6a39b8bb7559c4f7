"""Unified social credit codes (统一社会信用代码, GB 32100-2015) with valid check digits.

Layout of the 18 characters: registration department (1), organization type (1), administrative
division (6), organization code (9: eight characters and a GB 11714 check digit), check digit (1).
"""

import random

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714 organization codes: letters count A=10 ... Z=35; check = 11 - (sum mod 11), 10 -> X, 11 -> 0.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

SHIBEI_DISTRICT = "370203"

# Registration department and organization type per kind of partner.
ENTERPRISE = "91"  # market regulation, enterprise
INSTITUTION = "12"  # establishment administration, public institution
SOCIAL_ORGANIZATION = "52"  # civil affairs, private non-enterprise unit
SOCIAL_GROUP = "51"  # civil affairs, social group (association)
PARTY_ORGANIZATION = "11"  # establishment administration, organ


def credit_check_digit(first17: str) -> str:
    """The 18th character of a unified social credit code."""
    if len(first17) != 17 or any(char not in _VALUES for char in first17):
        raise ValueError(f"not 17 characters of the code alphabet: {first17!r}")
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organization_check_digit(body8: str) -> str:
    """The 9th character of a GB 11714 organization code."""
    if len(body8) != 8 or not body8.isalnum() or not body8.isascii():
        raise ValueError(f"not 8 letters or digits: {body8!r}")
    total = sum(int(char, 36) * weight for char, weight in zip(body8.upper(), _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` has 18 characters of the alphabet and a correct check digit."""
    if len(code) != 18 or any(char not in _VALUES for char in code):
        return False
    return credit_check_digit(code[:17]) == code[17]


def make_credit_code(prefix: str, division: str, body8: str) -> str:
    """Assemble a valid code from the department/type ``prefix``, a 6-digit division and an 8-char body."""
    organization_code = body8 + organization_check_digit(body8)
    first17 = prefix + division + organization_code
    return first17 + credit_check_digit(first17)


def random_credit_code(rng: random.Random, prefix: str, division: str = SHIBEI_DISTRICT) -> str:
    """A plausible code: enterprises registered since 2015 have organization codes starting ``MA``."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if prefix == ENTERPRISE:
        body = "MA" + "".join(rng.choice(alphabet) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return make_credit_code(prefix, division, body)
