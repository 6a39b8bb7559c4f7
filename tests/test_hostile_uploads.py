"""An upload can never exhaust the server: every hostile file class is refused fast with a 4xx naming the
problem and nothing imported; a normal file still imports; a real server still answers afterwards."""

import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.exchange.readers import MAX_ROWS, TableProblem, read_table
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from tests import hostile_files
from tests.live_server import start_demo
from tests.security_helpers import csrf_for, csrf_from, login, make_grid, reading, sign_in_as

# (file name, builder, words the refusal names)
HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("formatted.xlsx", hostile_files.formatted_empty_rows_xlsx, f"more than {MAX_ROWS} rows"),
    ("bomb.xlsx", hostile_files.zip_bomb_xlsx, "unpacks to"),
    ("far.xlsx", hostile_files.far_row_xlsx, f"more than {MAX_ROWS} rows"),
    ("wide.xlsx", hostile_files.wide_xlsx, "columns"),
    ("strings.xlsx", hostile_files.shared_strings_bomb_xlsx, "shared strings"),
    ("lines.csv", hostile_files.empty_lines_csv, f"more than {MAX_ROWS} rows"),
    ("cell.csv", hostile_files.enormous_cell_csv, "longer than"),
]


def upload(client: TestClient[Any], settings: Settings, path: str, name: str, data: bytes) -> Any:
    return client.post(
        path,
        files={"file": (name, data, "application/octet-stream")},
        data={"csrf_token": csrf_for(client, settings)},
    )


def count(session: Session, model: type) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


@pytest.mark.parametrize(("name", "build", "words"), HOSTILE, ids=[name for name, _b, _w in HOSTILE])
def test_each_hostile_file_is_refused_by_the_api_naming_the_problem(
    client: TestClient[Any], session: Session, settings: Settings, name: str, build: Callable[[], bytes], words: str
) -> None:
    make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    client.cookies.set("lang", "en")
    response = upload(client, settings, "/api/v1/offers/import", name, build())
    assert response.status_code == 400, response.text[:300]
    message = response.json()["extra"][0]["message"]
    assert words in message and name in message
    assert count(session, Offer) == 0


def test_the_need_import_page_refuses_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    chinese = upload(client, settings, "/needs/import", "lines.csv", hostile_files.empty_lines_csv())
    refusal = f"lines.csv 超过 {MAX_ROWS} 行（空行也计算在内）"
    assert chinese.status_code == 400 and refusal in html.unescape(chinese.text)
    client.cookies.set("lang", "en")
    english = upload(client, settings, "/needs/import", "bomb.xlsx", hostile_files.zip_bomb_xlsx())
    assert english.status_code == 400 and "bomb.xlsx is refused: it unpacks to" in html.unescape(english.text)
    assert count(session, Need) == 0


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    api = upload(client, settings, "/api/v1/offers/import", "big.csv", hostile_files.oversized_body())
    assert api.status_code == 413 and api.json()["extra"][0]["key"] == "file" and "5 MB" in api.json()["detail"]
    page = upload(client, settings, "/offers/import", "big.csv", hostile_files.oversized_body())
    assert page.status_code == 413 and "上传的内容超过 5 MB" in page.text
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "en")
    needs = upload(client, settings, "/needs/import", "big.csv", hostile_files.oversized_body())
    assert needs.status_code == 413 and "The upload is larger than 5 MB" in needs.text
    assert count(session, Offer) == 0 and count(session, Need) == 0


def test_the_row_limit_counts_empty_rows() -> None:
    rows = "标题\n砖\n" + "\n" * MAX_ROWS
    with pytest.raises(TableProblem, match=str(MAX_ROWS)):
        read_table("empty-rows.csv", rows.encode())
    assert len(read_table("fits.csv", ("标题\n砖\n" + "\n" * (MAX_ROWS - 2)).encode()).rows) == 1
    workbook = Workbook()
    workbook.active.append(["标题"])
    workbook.active.append(["砖"])
    workbook.active.cell(row=MAX_ROWS + 2, column=1).number_format = "0.00"  # formatted, no value
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(TableProblem, match=str(MAX_ROWS)):
        read_table("formatted.xlsx", buffer.getvalue())


def test_a_normal_file_still_imports(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    workbook = Workbook()
    workbook.active.append(hostile_files.OFFER_HEADER.split(","))
    for n in range(3):
        workbook.active.append(["material", "renovation", f"透水砖{n}", "", 10, "块", "", "", "", grid.code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, settings, "/api/v1/offers/import", "offers.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.text[:300]
    assert response.json()["imported"] == 3 and count(session, Offer) == 3
    csv = f"{hostile_files.OFFER_HEADER}\nservice,renovation,维修,,2,处,,,,{grid.code}\n"
    assert upload(client, settings, "/api/v1/offers/import", "o.csv", csv.encode()).status_code == 200
    assert count(session, Offer) == 4


@pytest.mark.slow
@pytest.mark.xdist_group("hostile_live_server")
def test_a_live_server_still_answers_after_the_hostile_uploads(tmp_path: Path) -> None:
    server = start_demo(tmp_path)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert login(client, "partner", "hudao-demo-2026").status_code in (302, 303)  # type: ignore[arg-type]
            token = csrf_from(client.get("/offers/import").text)
            for name, build, _words in HOSTILE:
                files = {"file": (name, build(), "application/octet-stream")}
                response = client.post("/offers/import", files=files, data={"csrf_token": token})
                assert response.status_code == 400, (name, response.status_code)
            files = {"file": ("big.csv", hostile_files.oversized_body(), "application/octet-stream")}
            assert client.post("/offers/import", files=files, data={"csrf_token": token}).status_code == 413
            assert client.get("/").status_code == 200
    finally:
        server.stop()
