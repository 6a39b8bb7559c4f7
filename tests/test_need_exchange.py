"""Import and export of the need list: row-by-row reports, all or nothing, valid rows only, GBK and .xlsx,
the API's creation rules (intake channel, scope, duplicates, audit), masked exports, formulas, access."""

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedIntake, ResourceLine, Shift
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.vocabulary import IntakeChannel
from tests.security_helpers import audit_events, csrf_for, make_grid, reading, sign_in_as

HEADER = (
    "标题,说明,类别,网格,来源渠道,紧急程度,期限,联系人,联系电话,"
    "资源类型,资源数量,资源单位,开始时间,结束时间,志愿者人数\n"
)
DUE = (date.today() + timedelta(days=30)).isoformat()


def good_rows(grid: Grid) -> str:
    return (
        f"楼道灯损坏,3号楼2单元,renovation,{grid.code},hotline_12345,high,{DUE},张三,13812348000,material,6,个,,,\n"
        f"独居老人助餐,每天午餐,助老助残,{grid.name},入户走访,,,李四,,,,,2030-01-05 11:00,2030-01-05 13:00,2\n"
    )


def five_rows(grid: Grid) -> str:
    """Rows 2, 4 and 6 are good; row 3 has an unknown category, row 5 a shift that ends before it starts."""
    return HEADER + (
        f"楼道灯损坏,,renovation,{grid.code},hotline_12345,,,,,material,6,个,,,\n"
        f"路面积水,,下水道,{grid.code},grid_walk,,,,,,,,,,\n"
        f"健身器材破损,,culture_sports,{grid.code},e_home,,,,,,,,,,\n"
        f"清扫楼道,,sanitation,{grid.code},door_visit,,,,,,,,2030-01-05 11:00,2030-01-05 09:00,3\n"
        f'调解邻里纠纷,=HYPERLINK("http://x"),mediation,{grid.code},red_tea_house,,,,,,,,,,\n'
    )


def upload(client: TestClient[Any], settings: Settings, name: str, data: bytes, **form: str) -> Any:
    return client.post(
        "/needs/import",
        files={"file": (name, data, "application/octet-stream")},
        data={"csrf_token": csrf_for(client, settings), **form},
    )


def needs_in(session: Session) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need).order_by(Need.id)).scalars())


def staff_of(client: TestClient[Any], session: Session, grid: Grid) -> Any:
    return sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)


def test_a_good_file_is_imported_through_the_creation_service(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    response = upload(client, settings, "needs.csv", (HEADER + good_rows(grid)).encode("utf-8"))
    assert response.status_code == 200, response.text
    assert "2" in response.text and "楼道灯损坏" in response.text
    needs = needs_in(session)
    assert [need.title for need in needs] == ["楼道灯损坏", "独居老人助餐"]
    lamp, meals = needs
    assert lamp.channel is IntakeChannel.HOTLINE_12345 and lamp.beneficiary_phone == "13812348000"
    assert meals.channel is IntakeChannel.DOOR_VISIT and meals.category.value == "elderly_care"
    assert lamp.due_date == date.fromisoformat(DUE)
    with reading(session) as fresh:
        intakes = {row.need_id: row.channel for row in fresh.execute(sa.select(NeedIntake)).scalars()}
        line = fresh.execute(sa.select(ResourceLine)).scalar_one()
        shift = fresh.execute(sa.select(Shift)).scalar_one()
    assert intakes == {lamp.id: IntakeChannel.HOTLINE_12345, meals.id: IntakeChannel.DOOR_VISIT}
    assert (line.need_id, line.quantity, line.still_needed, line.unit) == (lamp.id, Decimal(6), Decimal(6), "个")
    assert line.category.value == "renovation"  # the need's own category when the row names none
    assert shift.need_id == meals.id and shift.slots == 2 and shift.title == "独居老人助餐"
    assert shift.starts_at.isoformat() == "2030-01-05T03:00:00+00:00"  # 11:00 Beijing time
    assert [event.object_id for event in audit_events(session, "need.create")] == [lamp.id, meals.id]
    (summary,) = audit_events(session, "need.import")
    assert summary.after is not None and summary.after["need_ids"] == [lamp.id, meals.id]


def test_any_bad_row_stops_the_import_and_the_report_names_row_and_column(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    response = upload(client, settings, "needs.csv", five_rows(grid).encode("utf-8"))
    assert response.status_code == 400
    assert "下水道" in response.text and "2 / 5" not in response.text
    rows = _report_rows(response.text)
    assert ("3", "类别", "下水道") in rows
    assert any(row[0] == "5" and row[1] == "班次结束时间" for row in rows), rows
    assert needs_in(session) == [] and audit_events(session, "need.import") == []


def test_valid_rows_only_imports_the_others_and_reports_the_skipped(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    response = upload(client, settings, "needs.csv", five_rows(grid).encode("utf-8"), only_valid="1")
    assert response.status_code == 200, response.text
    assert sorted(need.title for need in needs_in(session)) == ["健身器材破损", "楼道灯损坏", "调解邻里纠纷"]
    (summary,) = audit_events(session, "need.import")
    assert summary.after is not None
    assert summary.after["imported"] == 3 and summary.after["skipped_rows"] == [3, 5]


def test_gbk_csv_and_xlsx_are_read(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    gbk = upload(client, settings, "needs.csv", (HEADER + good_rows(grid)).encode("gbk"))
    assert gbk.status_code == 200, gbk.text
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Category", "Grid", "Intake channel", "Shift starts", "Shift ends", "Volunteer slots"])
    sheet.append(["Broken bench", "Culture and sports", grid.name_en, "Walk-in", None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = upload(client, settings, "needs.xlsx", buffer.getvalue())
    assert xlsx.status_code == 200, xlsx.text
    assert [need.title for need in needs_in(session)] == ["楼道灯损坏", "独居老人助餐", "Broken bench"]
    assert needs_in(session)[-1].channel is IntakeChannel.WALK_IN


def test_a_grid_outside_the_staff_members_scope_is_a_row_problem(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    mine, elsewhere = make_grid(session), make_grid(session)
    staff_of(client, session, mine)
    data = HEADER + f"楼道灯损坏,,renovation,{elsewhere.code},hotline_12345,,,,,,,,,,\n"
    response = upload(client, settings, "needs.csv", data.encode("utf-8"))
    assert response.status_code == 400
    assert ("2", "网格", elsewhere.code) in _report_rows(response.text)
    assert needs_in(session) == []


def test_likely_duplicates_are_flagged_next_to_their_row(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    data = HEADER + (
        f"3号楼楼道灯损坏,晚上很黑,renovation,{grid.code},hotline_12345,,,,,,,,,,\n"
        f"3号楼楼道灯坏了,晚上很黑,renovation,{grid.code},door_visit,,,,,,,,,,\n"
    )
    response = upload(client, settings, "needs.csv", data.encode("utf-8"))
    assert response.status_code == 200, response.text
    first, _second = needs_in(session)
    assert f'href="/needs/{first.id}"' in response.text.split("3号楼楼道灯坏了", 1)[1]
    (summary,) = audit_events(session, "need.import")
    assert summary.after is not None and summary.after["likely_duplicates"] == {"3": [first.id]}


def test_batch_flags_score_like_the_duplicates_service(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    # The import scores a whole file at once; its last row sees what the service sees for it afterwards.
    grid = make_grid(session)
    staff_of(client, session, grid)
    earlier = HEADER + f"小区路灯不亮,晚上很黑,renovation,{grid.code},hotline_12345,,,,,,,,,,\n"
    assert upload(client, settings, "a.csv", earlier.encode()).status_code == 200
    rows = HEADER + (
        f"小区路灯坏了,晚上很黑,renovation,{grid.code},door_visit,,,,,,,,,,\n"
        f"健身器材破损,,culture_sports,{grid.code},e_home,,,,,,,,,,\n"
        f"小区路灯不亮了,晚上黑,renovation,{grid.code},grid_walk,,,,,,,,,,\n"
    )
    assert upload(client, settings, "b.csv", rows.encode()).status_code == 200
    last = needs_in(session)[-1]
    service = client.get(f"/api/v1/needs/{last.id}/duplicates")
    assert service.status_code == 200, service.text
    expected = {item["need"]["id"]: round(item["score"], 2) for item in service.json()}
    summary = audit_events(session, "need.import")[-1].after or {}
    assert len(expected) == 2 and summary["likely_duplicates"]["4"] == list(expected)


def test_export_round_trip_masks_contacts_and_neutralises_formulas(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    assert upload(client, settings, "n.csv", (HEADER + good_rows(grid)).encode()).status_code == 200
    formula = HEADER + f'调解纠纷,=HYPERLINK("http://x"),mediation,{grid.code},red_tea_house,,,,,,,,,,\n'
    assert upload(client, settings, "f.csv", formula.encode()).status_code == 200

    csv_file = client.get("/needs/export.csv")
    assert csv_file.status_code == 200 and csv_file.content.startswith(b"\xef\xbb\xbf")
    assert csv_file.headers["content-disposition"].startswith('attachment; filename="needs-')
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_file.headers["cache-control"] == "no-store"  # residents' (masked) data stays out of shared caches
    text = csv_file.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "13812348000" not in text and "张三" not in text  # contacts only masked
    assert "138****8000" in text and "张*" in text

    xlsx = client.get("/needs/export.xlsx")
    assert xlsx.status_code == 200
    cells = [cell for row in load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert '\'=HYPERLINK("http://x")' in [cell.value for cell in cells]

    again = upload(client, settings, "export.xlsx", xlsx.content)
    assert again.status_code == 200, again.text
    needs = needs_in(session)
    assert sorted(n.title for n in needs) == sorted(["楼道灯损坏", "独居老人助餐", "调解纠纷"] * 2)
    copies = needs[3:]
    assert all(copy.beneficiary_name is None and copy.beneficiary_phone is None for copy in copies)
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(ResourceLine)).scalar_one() == 2
        starts = list(fresh.execute(sa.select(Shift.starts_at)).scalars())
    assert len(starts) == 2 and starts[0] == starts[1]  # the shift's time survives the round trip


def test_export_follows_the_staff_list_filters_and_scope(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    mine, elsewhere = make_grid(session), make_grid(session)
    admin = sign_in_as(client, session, Role.ADMIN)
    rows = (
        f"楼道灯损坏,,renovation,{mine.code},hotline_12345,,,,,,,,,,\n"
        f"独居老人助餐,,elderly_care,{mine.code},door_visit,,,,,,,,,,\n"
        f"路面破损,,renovation,{elsewhere.code},grid_walk,,,,,,,,,,\n"
    )
    assert upload(client, settings, "n.csv", (HEADER + rows).encode()).status_code == 200
    assert admin.id is not None

    def titles(query: str) -> list[str]:
        response = client.get(f"/needs/export.xlsx{query}")
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
        return sorted(str(row[1]) for row in rows[1:])

    assert titles("") == sorted(["独居老人助餐", "楼道灯损坏", "路面破损"])
    assert titles("?category=renovation") == sorted(["楼道灯损坏", "路面破损"])
    assert titles(f"?category=renovation&grid={mine.id}") == ["楼道灯损坏"]
    assert titles("?channel=door_visit") == ["独居老人助餐"]
    client.cookies.clear()
    staff_of(client, session, mine)
    assert titles("") == sorted(["独居老人助餐", "楼道灯损坏"])  # staff export their own community's needs only
    assert client.get("/needs/export.csv?status=nonsense").status_code == 400


def test_english_headers_for_english_readers(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    header = client.get("/needs/export.csv").content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("ID,Title,Description,Category,Grid,Grid name,Intake channel")
    page = client.get("/needs/import")
    assert page.status_code == 200 and "Import needs" in page.text


def test_unreadable_files_are_refused_with_a_reason(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    assert upload(client, settings, "needs.pdf", b"%PDF-1.4").status_code == 400
    assert upload(client, settings, "needs.xlsx", b"not a zip").status_code == 400
    missing = upload(client, settings, "needs.csv", "标题,类别\n楼道灯,renovation\n".encode())
    assert missing.status_code == 400 and "网格" in missing.text and "来源渠道" in missing.text
    no_file = client.post("/needs/import", data={"csrf_token": csrf_for(client, settings)})
    assert no_file.status_code == 400
    assert needs_in(session) == []


def test_the_form_carries_a_csrf_token_and_a_post_without_it_is_refused(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    staff_of(client, session, grid)
    page = client.get("/needs/import")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    refused = client.post("/needs/import", files={"file": ("n.csv", (HEADER + good_rows(grid)).encode(), "text/csv")})
    assert refused.status_code == 403
    assert needs_in(session) == []


@pytest.mark.parametrize("role", [Role.PARTNER, Role.VOLUNTEER, None])
def test_only_staff_and_admins_may_import_or_export(
    client: TestClient[Any], session: Session, settings: Settings, role: Role | None
) -> None:
    grid = make_grid(session)
    session.commit()  # the test's session must not hold SQLite's write lock while the app works
    if role is not None:
        sign_in_as(client, session, role)
    for path in ("/needs/import", "/needs/export.csv", "/needs/export.xlsx"):
        response = client.get(path, follow_redirects=False)
        if role is None:  # a stranger is sent to sign in first
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        else:
            assert response.status_code == 403, (path, response.status_code)
    data = (HEADER + good_rows(grid)).encode()
    attempt = client.post(
        "/needs/import",
        files={"file": ("n.csv", data, "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
        follow_redirects=False,
    )
    assert attempt.status_code in (303, 403), attempt.status_code
    assert needs_in(session) == []


def _report_rows(html: str) -> list[tuple[str, str, str]]:
    """(row, column, value) of each line of the row-by-row report."""
    import re

    body = html.split("import-report", 1)[1].split("</table>", 1)[0]
    cells = re.findall(
        r"<tr><td>(\d+)</td><td>([^<]*)</td><td class=\"reason\">(?:<code class=\"value\">([^<]*)</code>)?", body
    )
    return [(row, column, value) for row, column, value in cells]


def test_shift_times_are_read_as_beijing_time_in_the_usual_spellings() -> None:
    from marketplace.exchange.columns import CellProblem
    from marketplace.exchange.need_columns import moment

    for spelling in ("2026-12-05 09:00", "2026/12/5 9:00", "2026-12-05T09:00:00", "2026.12.05 09:00"):
        assert moment(spelling).isoformat() == "2026-12-05T01:00:00+00:00", spelling
    assert moment("2026-12-05").isoformat() == "2026-12-04T16:00:00+00:00"  # an Excel cell at midnight
    for wrong in ("2026-12-05 25:00", "next Monday", "2026-13-05 09:00"):
        with pytest.raises(CellProblem):
            moment(wrong)


def test_the_staff_list_links_import_and_the_exports_with_its_filters(
    client: TestClient[Any], session: Session
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    page = client.get("/needs", params={"status": "published", "category": "renovation"}).text
    assert 'href="/needs/import"' in page
    assert 'href="/needs/export.csv?status=published&amp;category=renovation"' in page
    assert 'href="/needs/export.xlsx?status=published&amp;category=renovation"' in page
