"""Exports neutralise the look-alikes of formula signs too: a full-width ＝＋－＠ (typed with East Asian input),
the small and super/subscript forms and the minus sign are read as formulas by some spreadsheets, so such a
cell gets the same leading apostrophe as an ASCII = + - @, in CSV and in .xlsx."""

import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.exchange.writers import neutralise
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_grid, sign_in_as

LOOKALIKES = [
    '＝HYPERLINK("http://x")',  # full-width equals U+FF1D
    "＋1+cmd",  # full-width plus U+FF0B
    "－2+3",  # full-width hyphen-minus U+FF0D
    "＠SUM(A1)",  # full-width commercial at U+FF20
    "﹦1+1",  # small equals U+FE66
    "﹢1",  # small plus U+FE62
    "﹣1",  # small hyphen-minus U+FE63
    "﹫x",  # small commercial at U+FE6B
    "⁼1",  # superscript equals U+207C
    "−3",  # minus sign U+2212
    "　＝1+1",  # an ideographic space, then a full-width equals
    " =1+1",  # a space, then an equals sign
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_a_lookalike_formula_start_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["透水砖 3200 平方米", "（一）楼道灯", "100%", "a=b", "老旧小区－改造", "", "'quoted"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_csv_and_xlsx_exports_neutralise_full_width_formula_starts(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    header = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"
    rows = "".join(
        f'material,renovation,"{text.replace(chr(34), chr(34) * 2)}",说明,{n + 1},袋,,,,{grid.code}\n'
        for n, text in enumerate(LOOKALIKES[:4])
    )
    response = client.post(
        "/api/v1/offers/import",
        files={"file": ("offers.csv", (header + rows).encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 4

    text = client.get("/offers/export?format=csv").content.decode("utf-8-sig")
    for title in LOOKALIKES[:4]:
        assert f"'{title}" in text.replace('""', '"'), title

    sheet = load_workbook(io.BytesIO(client.get("/offers/export?format=xlsx").content)).worksheets[0]
    titles = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row if cell.column == 4}
    assert titles == {"'" + title for title in LOOKALIKES[:4]}
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
