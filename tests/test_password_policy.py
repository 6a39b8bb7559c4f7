"""The password policy: 8 to 128 characters, NFKC, common passwords, not the user's own name, no composition rules."""

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.accounts.password_policy import (
    COMMON_PASSWORDS,
    LIKE_NAME,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    PasswordProblem,
    check_password,
)
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form, sign_in_as


def problem(password: str, **names: str) -> str:
    with pytest.raises(PasswordProblem) as caught:
        check_password(password, **names)
    assert caught.value.field == "password"
    return caught.value.message


@pytest.mark.parametrize("password", ["aaaaaaa", "short", "1234567", "七个汉字不够长"])
def test_too_short(password: str) -> None:
    assert problem(password) == TOO_SHORT


@pytest.mark.parametrize("length", [8, 64, 128])
def test_lengths_accepted(length: int) -> None:
    password = ("river-stone-lamp-" * 10)[:length]
    assert check_password(password) == password


def test_too_long() -> None:
    assert problem("river-stone-lamp-" * 8) == TOO_LONG  # 136 characters


def test_no_composition_rules() -> None:
    # All lower case, no digits, no symbols: fine as long as it is long and uncommon.
    assert check_password("correct horse battery staple")
    assert check_password("春眠不觉晓处处闻啼鸟")  # Chinese characters count as characters


@pytest.mark.parametrize(
    "password",
    ["5201314520", "woaini1314", "1qaz2wsx", "88888888", "a1234567", "password", "12345678", "qwerty123", "Woaini1314"],
)
def test_common_passwords_refused(password: str) -> None:
    assert problem(password) == TOO_COMMON


def test_list_has_the_chinese_favourites() -> None:
    assert {"5201314", "woaini1314", "1qaz2wsx", "88888888", "a1234567"} <= COMMON_PASSWORDS


def test_nfkc_normalisation() -> None:
    # Full-width characters from a phone keyboard are the same password as their ASCII forms.
    full_width = "ｃｏｒｒｅｃｔ　ｈｏｒｓｅ"
    assert check_password(full_width) == "correct horse"
    assert problem("８８８８８８８８") == TOO_COMMON


def test_not_the_users_name() -> None:
    assert problem("zhangsan", username="zhangsan") == LIKE_NAME
    assert problem("zhangsan2026", username="zhangsan") == LIKE_NAME
    assert problem("Wang Xiaoming", display_name="wang xiaoming") == LIKE_NAME
    assert check_password("zhangsan loves long walks by the sea", username="zhangsan")


def test_messages_in_both_languages() -> None:
    token = current_locale.set("zh_CN")
    try:
        assert _(TOO_SHORT) % {"min": 8} == "密码至少需要8个字符。"
        assert "常见" in _(TOO_COMMON)
    finally:
        current_locale.reset(token)
    token = current_locale.set("en")
    try:
        assert _(TOO_SHORT) % {"min": 8} == "The password must have at least 8 characters."
    finally:
        current_locale.reset(token)


def test_change_password_form_names_the_field_and_reason(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.VOLUNTEER, username="xiaoli")
    form = {"current_password": DEFAULT_PASSWORD, "confirm_password": "woaini1314", "new_password": "woaini1314"}
    page = post_form(client, settings, "/account/password", form)
    assert page.status_code == 400
    assert 'id="new_password-error"' in page.text and "这是最常见的密码之一" in page.text
    client.cookies.set("lang", "en", domain="testserver.local")
    short = post_form(client, settings, "/account/password", form | {"new_password": "abc", "confirm_password": "abc"})
    assert "The password must have at least 8 characters." in short.text
    mismatch = post_form(client, settings, "/account/password", form | {"new_password": "a long passphrase"})
    assert 'id="confirm_password-error"' in mismatch.text
    # Normalisation applies at login too: the full-width form of the new password signs in.
    ok = post_form(
        client,
        settings,
        "/account/password",
        form | {"new_password": "long passphrase", "confirm_password": "long passphrase"},
    )
    assert ok.status_code == 303
    client.cookies.clear()
    assert login(client, "xiaoli", "ｌｏｎｇ　ｐａｓｓｐｈｒａｓｅ").status_code == 303
