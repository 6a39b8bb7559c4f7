"""The password policy (NIST SP 800-63B): length, a list of common passwords, not the user's own name.

No composition rules (they make passwords harder to remember, not harder to guess). The text is
NFKC-normalised before it is checked and hashed, so the same password typed on a phone's
full-width keyboard or a desktop one is the same password.
"""

import unicodedata
from dataclasses import dataclass

from marketplace.i18n import N_

MIN_LENGTH = 8
# NIST asks to accept at least 64; 128 bounds the cost of hashing what an attacker sends.
MAX_LENGTH = 128

# The most used passwords of public breach corpora, plus the favourites of Chinese users
# (5201314 "I love you for life", keyboard walks like 1qaz2wsx, lucky eights).
_COMMON_PASSWORD_LIST = """
    123456 123456789 12345678 password qwerty123 qwerty 1q2w3e4r 111111 1234567890 1234567 12345 123123
    000000 iloveyou 1234 abc123 password1 password123 qwertyuiop 654321 555555 lovely 7777777 welcome 888888
    princess dragon 123qwe sunshine 666666 football monkey master 121212 shadow baseball superman
    trustno1 letmein admin admin123 administrator root toor passw0rd p@ssw0rd p@ssword qwe123 zxcvbnm
    asdfghjkl 1qaz2wsx 1q2w3e4r5t 1qazxsw2 zaq12wsx qazwsx123 qazwsxedc 123qweasd qweasdzxc 1234qwer
    qwer1234 abcd1234 abcd12345 a12345678 a1234567 a123456789 aa123456 aa12345678 abc12345 abc123456
    5201314 52013140 5201314520 woaini woaini1314 woaini520 woaini123 iloveyou1 1314520 13145200
    woaiwojia woshishui wangyang wang1234 zhang123 li123456 88888888 66666666 11111111 00000000
    12341234 11223344 123456789a 123456aa 147258369 147258 159357 159753 741852963 987654321 9876543210
    11112222 12344321 123654789 110110110 520520520 147852369 112233 123321 1122334455 aaaaaaaa
    asdf1234 asd123456 qq123456 qq5201314 woaini5201314 iloveyou520 password1! changeme welcome1
    sunshine1 football1 whatever freedom michael jennifer 1234abcd computer internet starwars
    hello123 hello1234 test1234 test123456 guest guest123 demo1234 default secret 12qwaszx
"""
COMMON_PASSWORDS: frozenset[str] = frozenset(_COMMON_PASSWORD_LIST.split())


@dataclass
class PasswordProblem(ValueError):
    """Why a password is refused; ``message`` is an untranslated msgid, ``params`` its values."""

    field: str
    message: str
    params: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return self.message % dict(self.params) if self.params else self.message


TOO_SHORT = N_("The password must have at least %(min)d characters.")
TOO_LONG = N_("The password must have at most %(max)d characters.")
TOO_COMMON = N_("This password is one of the most common passwords; choose one that is harder to guess.")
LIKE_NAME = N_("The password must not be your user name or display name.")


def normalise_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _squash(value: str) -> str:
    return "".join(value.casefold().split())


def check_password(password: str, *, username: str = "", display_name: str = "", field: str = "password") -> str:
    """The normalised password, or PasswordProblem naming the field and the reason."""
    normalised = normalise_password(password)
    if len(normalised) < MIN_LENGTH:
        raise PasswordProblem(field, TOO_SHORT, (("min", MIN_LENGTH),))
    if len(normalised) > MAX_LENGTH:
        raise PasswordProblem(field, TOO_LONG, (("max", MAX_LENGTH),))
    squashed = _squash(normalised)
    if squashed in COMMON_PASSWORDS or squashed.rstrip("!.1") in COMMON_PASSWORDS or len(set(squashed)) <= 2:
        raise PasswordProblem(field, TOO_COMMON)
    for name in (username, display_name):
        name = _squash(normalise_password(name or ""))
        if len(name) >= 3 and (name in squashed and len(squashed) - len(name) <= 4):
            raise PasswordProblem(field, LIKE_NAME)
    return normalised
