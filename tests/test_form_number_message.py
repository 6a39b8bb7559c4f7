"""A form's number field given text that is no number says so in the reader's language, never pydantic's
English "Input should be a valid decimal": a quantity, hours or a rate typed as "abc", "１" or "1e3"."""

from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import BaseModel

from marketplace.forms import validate
from marketplace.i18n import current_locale
from marketplace.validation import TYPED_DECIMAL, TYPED_FLOAT


class _Amounts(BaseModel):
    quantity: Annotated[Decimal, TYPED_DECIMAL]
    rate: Annotated[float, TYPED_FLOAT]
    plain: Decimal


@pytest.mark.parametrize("typed", ["abc", "１", "1e3", "3_000", "٣"])
def test_text_that_is_no_number_asks_for_a_number_in_both_languages(typed: str) -> None:
    values = {"quantity": typed, "rate": typed, "plain": "many"}
    _, errors = validate(_Amounts, values)  # Chinese, the default language
    assert set(errors) == {"quantity", "rate", "plain"}
    assert all(message == "请填写数字，如 12 或 3.5。" for message in errors.values()), errors
    token = current_locale.set("en")
    try:
        _, errors = validate(_Amounts, values)
    finally:
        current_locale.reset(token)
    assert all(message == "Enter a number, such as 12 or 3.5." for message in errors.values()), errors


def test_a_number_still_passes() -> None:
    amounts, errors = validate(_Amounts, {"quantity": "2.5", "rate": "0.9", "plain": "3"})
    assert errors == {}
    assert amounts.quantity == Decimal("2.5") and amounts.rate == 0.9
