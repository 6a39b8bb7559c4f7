"""Generated unified social credit codes (统一社会信用代码) that pass the application's validator.

Layout of the 18 characters: registration department (1), organization type (1), administrative
division (6), organization code (9: eight characters and a GB 11714 check digit), check digit (1).
The check digits come from ``marketplace.organizations.credit_code``, the one implementation.
"""

import random

from marketplace.organizations.credit_code import CHARSET, credit_code_check_digit, organization_code_check_digit

SHIBEI_DISTRICT = "370203"

# Registration department and organization type per kind of partner.
ENTERPRISE = "91"  # market regulation, enterprise
INSTITUTION = "12"  # establishment administration, public institution
SOCIAL_ORGANIZATION = "52"  # civil affairs, private non-enterprise unit
SOCIAL_GROUP = "51"  # civil affairs, social group (association)
PARTY_ORGANIZATION = "11"  # establishment administration, organ


def make_credit_code(prefix: str, division: str, body8: str) -> str:
    """Assemble a valid code from the department/type ``prefix``, a 6-digit division and an 8-char body."""
    first17 = prefix + division + body8 + organization_code_check_digit(body8)
    return first17 + credit_code_check_digit(first17)


def random_credit_code(rng: random.Random, prefix: str, division: str = SHIBEI_DISTRICT) -> str:
    """A plausible code: enterprises registered since 2015 have organization codes starting ``MA``."""
    if prefix == ENTERPRISE:
        body = "MA" + "".join(rng.choice(CHARSET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return make_credit_code(prefix, division, body)
