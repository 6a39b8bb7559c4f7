"""The project board as a file: the same projects as the board, its filters, no personal data, no formulas."""

import csv
import io

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import NeedStatus
from marketplace.vocabulary import Category
from tests.factories import BENEFICIARY_NAME, BENEFICIARY_PHONE, build_street, make_need


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def test_export_follows_the_board_and_its_filters(
    client: TestClient[Litestar], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        street = build_street(session)
        make_need(session, street.grids[0], NeedStatus.PUBLISHED, title='=HYPERLINK("x")', category=Category.HEALTH)
        session.commit()
    board = client.get("/api/v1/projects?page_size=100").json()
    response = client.get("/projects/export")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = _rows(response.content)
    assert rows[0][:3] == ["编号", "项目名称", "类别"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(item["id"] for item in board["items"])
    assert BENEFICIARY_NAME not in response.text and BENEFICIARY_PHONE not in response.text
    assert '\'=HYPERLINK("x")' in [row[1] for row in rows]

    health = _rows(client.get("/api/v1/projects/export?category=health").content)
    assert [row[2] for row in health[1:]] == ["健康服务"]  # the reader's label, not the code

    client.cookies.set("lang", "en")
    workbook = load_workbook(io.BytesIO(client.get("/projects/export?format=xlsx").content))
    sheet = workbook.active
    assert sheet is not None
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:2] == ["ID", "Title"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_bad_filter_names_the_parameter(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/projects/export?category=nope")
    assert response.status_code == 400 and response.json()["extra"][0]["key"] == "category"
    assert client.get("/projects/export?format=pdf").status_code == 400
