"""The needs and projects files name each need's grid beside its code (网格 HD-01, 网格名称 湖岛社区第1网格; Grid
name in English, with the grid's English name), so a reader does not look codes up. The column sits right
after the code; the importer ignores it (a needs file exported and imported again reads as before)."""

import csv
import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.exchange import need_columns
from marketplace.needs.models import NeedStatus
from tests import factories
from tests.security_helpers import default_street, make_community, make_grid, sign_in_as

HEADERS = {"zh_CN": ("网格", "网格名称"), "en": ("Grid", "Grid name")}


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(content: bytes) -> list[dict[str, Any]]:
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def _files(client: TestClient[Any], csv_url: str, xlsx_url: str) -> list[list[dict[str, Any]]]:
    got = []
    for url, read in ((csv_url, _csv), (xlsx_url, _xlsx)):
        response = client.get(url)
        assert response.status_code == 200, response.text[-2000:]
        got.append(read(response.content))
    return got


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_needs_and_projects_files_name_the_grid_beside_its_code(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session, make_community(session, default_street(session)))
    code, name = grid.code, (grid.name_en if lang == "en" else grid.name)
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED)
    factories.add_resource_line(session, need)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    code_header, name_header = HEADERS[lang]
    files = [
        *_files(client, "/needs/export.csv", "/needs/export.xlsx"),
        *_files(client, "/projects/export?format=csv", "/projects/export?format=xlsx"),
    ]
    for rows in files:
        assert rows and all(row[code_header] == code and row[name_header] == name for row in rows), rows
        headers = list(rows[0])
        assert headers.index(name_header) == headers.index(code_header) + 1


def test_the_importer_does_not_read_the_grid_name() -> None:
    imported = {column.name for column in need_columns.import_columns()}
    exported = [column.name for column in need_columns.export_columns("en")]
    assert "grid_name" in exported and "grid_name" not in imported
