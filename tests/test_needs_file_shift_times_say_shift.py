"""The needs file says whose times they are: the shift's start and end are 班次开始时间 / 班次结束时间, beside
班次 / 班次地点 / 班次数 (before, a bare 开始时间 / 结束时间 could be read as the need's own dates). A file
staff already hold with the former headers still imports, and the import page names the former header beside
the new one."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Shift
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_grid, reading, sign_in_as

ROW = "独居老人助餐,elderly_care,{grid},door_visit,送餐上门,2030-01-05 11:00,2030-01-05 13:00,2\n"


def _import(client: TestClient[Any], settings: Settings, data: str) -> None:
    response = client.post(
        "/needs/import",
        files={"file": ("needs.csv", data.encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert response.status_code == 200, response.text


def test_the_export_heads_the_shifts_times_as_the_shifts(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    header = client.get("/needs/export.csv").content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "班次开始时间" in header and "班次结束时间" in header
    assert "开始时间" not in header and "结束时间" not in header
    assert header.index("班次开始时间") == header.index("班次地点") + 1
    client.cookies.set("lang", "en")
    english = client.get("/needs/export.csv").content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "Shift starts" in english and "Shift ends" in english


def test_a_file_with_the_former_time_headers_still_imports_its_shift(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    _import(
        client, settings, "标题,类别,网格,来源渠道,班次,开始时间,结束时间,志愿者人数\n" + ROW.format(grid=grid.code)
    )
    _import(
        client,
        settings,
        "标题,类别,网格,来源渠道,班次,班次开始时间,班次结束时间,志愿者人数\n" + ROW.format(grid=grid.code),
    )
    with reading(session) as fresh:
        shifts = fresh.execute(sa.select(Shift)).scalars().all()
    assert len(shifts) == 2
    assert [(s.title, s.slots) for s in shifts] == [("送餐上门", 2), ("送餐上门", 2)]
    assert shifts[0].starts_at == shifts[1].starts_at and shifts[0].ends_at == shifts[1].ends_at  # read the same


def test_the_import_page_names_the_former_time_headers(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/needs/import").text
    assert "班次开始时间 / Shift starts" in page and "原表头仍可识别：开始时间" in page
    assert "班次结束时间 / Shift ends" in page and "原表头仍可识别：结束时间" in page
