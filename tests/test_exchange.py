"""Import and export of the resource list: row-by-row reports, all or nothing, GBK, xlsx round trip, formulas."""

import io
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.exchange.columns import ColumnSpec, decimal, text
from marketplace.exchange.importer import check_table
from marketplace.exchange.readers import MAX_ROWS, TableProblem, read_table
from marketplace.exchange.writers import neutralise, write_csv
from marketplace.i18n import current_locale
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_grid, reading, sign_in_as

HEADER = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"


def five_rows(grid_code: str) -> str:
    """3 good rows (2, 4, 6) and 2 bad ones (3: quantity not a number; 5: unknown grid)."""
    return HEADER + (
        f"material,renovation,透水砖,老旧小区改造,3200,平方米,,,,{grid_code}\n"
        f"service,renovation,维修亭子,,两处,处,,,,{grid_code}\n"
        f"服务,环境卫生,垃圾分类宣传,,10,人次,,2026-01-01,2031-12-31,{grid_code}\n"
        "material,renovation,水泥,,5,袋,,,,NOPE\n"
        f"expertise,mediation,法律咨询,=cmd|' /C calc'!A0,20,小时,,,,{grid_code}\n"
    )


def upload(client: TestClient[Any], settings: Settings, path: str, name: str, data: bytes, **form: str) -> Any:
    return client.post(
        path,
        files={"file": (name, data, "application/octet-stream")},
        data={"csrf_token": csrf_for(client, settings), **form},
    )


def offer_count(session: Session) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(Offer)).scalar_one())


def test_a_bad_row_stops_the_whole_import_and_the_report_names_rows_3_and_5(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    data = five_rows(grid.code).encode("utf-8")
    response = upload(client, settings, "/api/v1/offers/import", "offers.csv", data)
    assert response.status_code == 400, response.text
    report = response.json()
    assert report["invalid_rows"] == [3, 5] and report["imported"] == 0 and report["total_rows"] == 5
    problems = {(p["row"], p["column"]) for p in report["problems"]}
    assert problems == {(3, "数量"), (5, "服务网格")}
    assert offer_count(session) == 0

    page = upload(client, settings, "/offers/import", "offers.csv", data)
    assert page.status_code == 400 and "两处" in page.text and "NOPE" in page.text
    assert offer_count(session) == 0

    only_valid = upload(client, settings, "/api/v1/offers/import", "offers.csv", data, only_valid="1")
    assert only_valid.status_code == 200, only_valid.text
    assert only_valid.json()["imported"] == 3
    assert offer_count(session) == 3
    with reading(session) as fresh:
        events = list(fresh.execute(sa.select(AuditEvent).where(AuditEvent.action == "offer.import")).scalars())
    assert len(events) == 1
    after = events[0].after or {}
    assert after["imported"] == 3 and after["skipped_rows"] == [3, 5] and len(after["offer_ids"]) == 3


def test_gbk_csv_from_excel_is_read(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    data = (HEADER + f"物资,老旧小区改造,透水砖,,3200,平方米,,,,{grid.name}\n").encode("gbk")
    client.cookies.set("lang", "en")  # Chinese labels are understood whatever the user's language
    response = upload(client, settings, "/api/v1/offers/import", "offers.csv", data)
    assert response.status_code == 200, response.text
    with reading(session) as fresh:
        offer = fresh.execute(sa.select(Offer)).scalar_one()
    assert offer.title == "透水砖" and offer.unit == "m²"  # 平方米 as the unit table spells it


def test_xlsx_round_trip_and_formula_neutralisation(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    data = five_rows(grid.code).encode("utf-8")
    assert upload(client, settings, "/api/v1/offers/import", "o.csv", data, only_valid="1").status_code == 200

    csv_file = client.get("/offers/export?format=csv")
    assert csv_file.status_code == 200 and csv_file.content.startswith(b"\xef\xbb\xbf")
    assert "'=cmd|' /C calc'!A0" in csv_file.content.decode("utf-8-sig")

    xlsx = client.get("/api/v1/offers/export?format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    dangerous = [cell for cell in cells if isinstance(cell.value, str) and "cmd|" in cell.value]
    assert len(dangerous) == 1 and dangerous[0].value == "'=cmd|' /C calc'!A0" and dangerous[0].data_type == "s"
    assert not any(cell.data_type == "f" for cell in cells)

    filtered = client.get("/offers/export?format=xlsx&kind=material")
    material_rows = list(load_workbook(io.BytesIO(filtered.content)).worksheets[0].iter_rows(values_only=True))
    assert len(material_rows) == 2  # header + 透水砖

    again = upload(client, settings, "/api/v1/offers/import", "export.xlsx", xlsx.content)
    assert again.status_code == 200, again.text
    assert again.json()["imported"] == 3
    with reading(session) as fresh:
        titles = sorted(fresh.execute(sa.select(Offer.title)).scalars())
        descriptions = set(fresh.execute(sa.select(Offer.description)).scalars())
    assert titles == sorted(["透水砖", "垃圾分类宣传", "法律咨询"] * 2)
    assert "'=cmd|' /C calc'!A0" in descriptions


def test_other_organizations_offers_are_not_exported(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    upload(client, settings, "/api/v1/offers/import", "o.csv", five_rows(grid.code).encode(), only_valid="1")
    client.cookies.clear()
    sign_in_as(client, session, Role.PARTNER)
    exported = client.get("/offers/export?format=csv").content.decode("utf-8-sig").strip().splitlines()
    assert len(exported) == 1  # the header only


def test_limits_and_unreadable_files(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    too_big = upload(client, settings, "/api/v1/offers/import", "big.csv", b"a" * (5 * 1024 * 1024 + 10))
    assert too_big.status_code == 400 and "file" in too_big.text
    many = HEADER + "".join(f"material,renovation,砖{n},,1,块,,,,{grid.code}\n" for n in range(MAX_ROWS + 1))
    response = upload(client, settings, "/api/v1/offers/import", "many.csv", many.encode())
    assert response.status_code == 400 and str(MAX_ROWS) in response.text
    not_xlsx = upload(client, settings, "/api/v1/offers/import", "x.xlsx", b"PK not really")
    assert not_xlsx.status_code == 400
    wrong_type = upload(client, settings, "/offers/import", "x.pdf", b"%PDF")
    assert wrong_type.status_code == 400 and "csv" in wrong_type.text
    missing = upload(client, settings, "/api/v1/offers/import", "m.csv", "标题\n砖\n".encode())
    assert missing.status_code == 400 and "类型" in missing.text
    assert offer_count(session) == 0


def test_framework_pieces() -> None:
    assert neutralise("=1+1") == "'=1+1" and neutralise("-3") == "'-3" and neutralise("\tx") == "'\tx"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("ok") == "ok" and neutralise(-3) == -3
    columns = [
        ColumnSpec("name", "名称", "Name", text(5), lambda r: r["name"], required=True),
        ColumnSpec("n", "数量", "Count", decimal(), lambda r: r["n"]),
    ]
    table = read_table("t.csv", "\ufeffName,Count\nabc,1\nabcdefg,x\n,2\n".encode())
    checked = check_table(table, columns)
    assert [number for number, _v in checked.valid] == [2]
    assert [(p.row, p.column) for p in checked.problems] == [(3, "名称"), (3, "数量"), (4, "名称")]
    token = current_locale.set("en")
    try:  # an English reader's report names the English headers
        assert [p.column for p in check_table(table, columns).problems] == ["Name", "Count", "Name"]
    finally:
        current_locale.reset(token)
    written = write_csv(columns, [{"name": "=x", "n": 2}], "en")
    assert written == "\ufeffName,Count\r\n'=x,2\r\n".encode()
    semicolons = read_table("s.csv", "名称;数量\n甲;1\n".encode("gbk"))
    assert semicolons.headers == ["名称", "数量"] and semicolons.rows == [(2, ["甲", "1"])]
    try:
        read_table("e.csv", b"")
    except TableProblem:
        pass
    else:
        raise AssertionError("an empty file was accepted")
