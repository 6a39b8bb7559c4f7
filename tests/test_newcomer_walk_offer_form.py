"""The offer form says what is wrong with a quantity, and lists every problem at the top with a link to its field.

Found walking the demo as a partner publishing an offer on a phone: a quantity of -5 was answered "Enter a number,
such as 12 or 3.5." (-5 is a number; the English rule was read from "Enter a number greater than 0." and replaced
it, while the Chinese page said 请输入大于0的数); 1.234 and a 14-digit number got the same sentence. And the banner
said only "Please correct the fields marked below." above a form three screens long, the grids' problem at the
bottom: the need forms list each problem with a link to its field, the offer form now does too.
"""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.security_helpers import make_grid, post_form, sign_in_as


def _problem_of(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page)
    assert found, f"no problem shown for {name}"
    return found.group(1)


@pytest.mark.parametrize(
    ("quantity", "english", "chinese"),
    [
        ("-5", "Enter a number greater than 0.", "请输入大于0的数。"),
        ("0", "Enter a number greater than 0.", "请输入大于0的数。"),
        ("1.234", "Use at most two decimal places.", "最多保留两位小数。"),
        ("99999999999999", "This number is too large.", "数字太大。"),
        ("three", "Enter a number, such as 12 or 3.5.", "请填写数字，如 12 或 3.5。"),
    ],
)
def test_a_wrong_quantity_is_answered_with_what_is_wrong_with_it(
    client: TestClient[Any], session: Session, settings: Settings, quantity: str, english: str, chinese: str
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    body = {"kind": "material", "category": "renovation", "title": "透水砖", "unit": "m²", "grid_ids": [grid.id]}
    for lang, expected in (("en", english), ("zh_CN", chinese)):
        client.cookies.set("lang", lang)
        page = post_form(client, settings, "/offers/new", body | {"quantity": quantity})
        assert page.status_code == 400
        assert _problem_of(page.text, "quantity") == expected, lang


def test_the_summary_lists_each_problem_with_a_link_to_its_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.PARTNER)
    client.cookies.set("lang", "en")
    page = post_form(client, settings, "/offers/new", {"title": "Towels", "quantity": "-5"}).text
    summary = re.search(r'<div class="banner banner-problem need-error-summary".*?</ul></div>', page, re.S)
    assert summary, "no list of problems above the form"
    items = [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]
    assert items == [
        "Kind: This field is required.",
        "Category: This field is required.",
        "Quantity: Enter a number greater than 0.",
        "Unit: This field is required.",
        "Service area: Choose at least one grid the offer serves.",
    ]
    for name in ("kind", "category", "quantity", "unit", "grid_ids"):
        assert f'href="#f-{name}"' in summary.group(0) and f'id="f-{name}"' in page, name
    assert 'value="Towels"' in page  # what was typed is kept

    client.cookies.set("lang", "zh_CN")
    page = post_form(client, settings, "/offers/new", {"title": "毛巾", "quantity": "-5"}).text
    assert re.search(r'<li><a href="#f-quantity">数量</a>：请输入大于0的数。</li>', page)
