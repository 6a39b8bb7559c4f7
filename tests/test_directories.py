"""The volunteer and organization directories: search, filters and sort return exactly the people and
organizations built here; another street's staff see none of them; names and phones are masked; the export is
the filtered list, in the reader's language, numbers as numbers, dates as dates, header frozen and filterable."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.organizations.models import OrganizationGrid, OrganizationKind, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.settings import Settings
from marketplace.street_clock import street_day
from marketplace.vocabulary import Category
from marketplace.volunteers.directory import VolunteerFilters, search_volunteers, year_start
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)
from tests.factories import add_shift, make_need, make_offer, make_organization, make_skill
from tests.orgs_helpers import make_places, sign_in
from tests.security_helpers import make_user, reading


@dataclass
class World:
    street: Street
    communities: list[Community]
    grids: list[Grid]
    other_grid: Grid
    v: dict[str, int]  # volunteer profile ids by nickname
    o: dict[str, int]  # organization ids by nickname
    staff: User
    other_staff: User
    admin: User
    skills: dict[str, int]


def _volunteer(session: Session, grid: Grid, name: str, phone: str, **profile: Any) -> VolunteerProfile:
    active = profile.pop("is_active", True)
    user = User(username=f"u{name.encode().hex()[:20]}", display_name=name, phone=phone, role=Role.VOLUNTEER)
    user.is_active = active
    session.add(user)
    session.flush()
    values: dict[str, Any] = {"segment": VolunteerSegment.PARTY_MEMBER, "is_party_member": True} | profile
    row = VolunteerProfile(user_id=user.id, home_grid_id=grid.id, **values)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    return row


def _served(session: Session, grid: Grid, volunteer: VolunteerProfile, starts: datetime, hours: str) -> None:
    need = make_need(session, grid)
    shift = add_shift(session, need, starts_at=starts)
    session.add(
        ShiftSignup(
            shift_id=shift.id,  # type: ignore[arg-type]
            volunteer_id=volunteer.id,  # type: ignore[arg-type]
            status=SignupStatus.COMPLETED,
            checked_in_at=starts,
            checked_out_at=starts + timedelta(hours=3),
            hours_credited=Decimal(hours),
        )
    )
    session.flush()


def _fulfilled(session: Session, grid: Grid, organization_id: int, times: int) -> None:
    for _ in range(times):
        need = make_need(session, grid)
        session.add(
            Match(
                need_id=need.id,  # type: ignore[arg-type]
                kind=MatchKind.WHOLE_NEED,
                source=MatchSource.PARTNER_CLAIM,
                organization_id=organization_id,
                status=MatchStatus.FULFILLED,
            )
        )
    session.flush()


@pytest.fixture
def world(session: Session) -> World:
    street, communities, grids = make_places(session)
    other_street = Street(code="other", name="另一街道", name_en="Other Street", district="市北区", city="青岛市")
    session.add(other_street)
    session.flush()
    other_community = Community(street_id=other_street.id, name="外社区", name_en="Outer Community")  # type: ignore[arg-type]
    session.add(other_community)
    session.flush()
    other_grid = Grid(
        code="X001",
        community_id=other_community.id,
        number=1,
        name="外网格",
        name_en="Outer Grid",
        latitude=36.2,
        longitude=120.4,
    )  # type: ignore[arg-type]
    session.add(other_grid)
    session.flush()
    plumbing = make_skill(session, code="plumbing", group="repair", name="水电维修", name_en="Plumbing")
    first_aid = make_skill(session, code="first-aid", group="medical", name="急救", name_en="First aid")
    now = datetime.now(UTC)
    this_year = year_start(now) + timedelta(hours=12)

    zhang = _volunteer(
        session, grids[0], "张伟", "13911112222", hours_total=Decimal(10), fulfilled_count=4, no_show_count=1
    )
    li = _volunteer(
        session,
        grids[1],
        "李娜",
        "13933334444",
        reliability_rate=0.95,
        segment=VolunteerSegment.YOUTH,
        is_party_member=False,
    )
    wang = _volunteer(
        session,
        grids[0],
        "王100%",
        "13955556666",
        hours_total=Decimal(5),
        fulfilled_count=1,
        no_show_count=1,
        is_active=False,
    )
    zhao = _volunteer(session, grids[2], "赵敏", "13977778888", hours_total=Decimal(2))  # the other community
    far = _volunteer(session, other_grid, "钱多", "13999990000", hours_total=Decimal(7))  # the other street
    session.add_all(
        [
            VolunteerSkill(volunteer_id=zhang.id, skill_id=plumbing.id),  # type: ignore[arg-type]
            VolunteerSkill(volunteer_id=li.id, skill_id=first_aid.id),  # type: ignore[arg-type]
            VolunteerSkill(volunteer_id=far.id, skill_id=plumbing.id),  # type: ignore[arg-type]
            VolunteerInterest(volunteer_id=zhang.id, category=Category.ELDERLY_CARE),  # type: ignore[arg-type]
            VolunteerInterest(volunteer_id=li.id, category=Category.HEALTH),  # type: ignore[arg-type]
            AvailabilitySlot(volunteer_id=zhang.id, weekday=2, start_minute=480, end_minute=720),  # type: ignore[arg-type]
            AvailabilitySlot(volunteer_id=li.id, weekday=5, start_minute=780, end_minute=1020),  # type: ignore[arg-type]
        ]
    )
    session.flush()
    _served(session, grids[0], zhang, this_year, "3")
    _served(session, grids[0], wang, this_year - timedelta(days=40), "5")  # last year

    o1 = make_organization(session, street, name="青岛水务公司", credit_code="91370200MA00000011")
    o2 = make_organization(
        session, street, name="阳光社工站", kind=OrganizationKind.SOCIAL_ORGANIZATION, credit_code="91370200MA00000012"
    )
    o3 = make_organization(
        session, street, OrganizationStatus.PENDING, name="待审企业", credit_code="91370200MA00000013"
    )
    o4 = make_organization(session, other_street, name="外街企业", credit_code="91370200MA00000014")
    session.add_all(
        [
            OrganizationGrid(organization_id=o1.id, grid_id=grids[0].id),  # type: ignore[arg-type]
            OrganizationGrid(organization_id=o2.id, grid_id=grids[2].id),  # type: ignore[arg-type]
            OrganizationGrid(organization_id=o4.id, grid_id=other_grid.id),  # type: ignore[arg-type]
        ]
    )
    make_offer(session, o1, category=Category.RENOVATION)
    make_offer(session, o1, category=Category.HEALTH)
    make_offer(session, o4, category=Category.RENOVATION)
    _fulfilled(session, grids[0], o1.id, 1)  # type: ignore[arg-type]
    _fulfilled(session, grids[2], o2.id, 3)  # type: ignore[arg-type]
    session.commit()

    staff = make_user(session, Role.STAFF, community_id=communities[0].id)
    other_staff = make_user(session, Role.STAFF, community_id=other_community.id)
    other_staff.street_id = other_street.id
    session.commit()
    admin = make_user(session, Role.ADMIN)
    ids = {"zhang": zhang.id, "li": li.id, "wang": wang.id, "zhao": zhao.id, "far": far.id}
    orgs = {"o1": o1.id, "o2": o2.id, "o3": o3.id, "o4": o4.id}
    return World(
        street,
        communities,
        grids,
        other_grid,
        ids,  # type: ignore[arg-type]
        orgs,  # type: ignore[arg-type]
        staff,
        other_staff,
        admin,
        {"plumbing": plumbing.id, "first_aid": first_aid.id},  # type: ignore[dict-item]
    )


def _listed(html: str, prefix: str) -> list[int]:
    body = html[html.index("<tbody>") : html.index("</tbody>")] if "<tbody>" in html else ""
    return [int(found) for found in re.findall(rf'href="{prefix}(\d+)"', body)]


def test_volunteer_search_filters_and_sort_return_exactly_the_right_people(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    v = world.v
    sign_in(client, session, world.staff, settings)
    client.cookies.set("lang", "en")

    def ids(query: str) -> list[int]:
        response = client.get(f"/volunteers?{query}")
        assert response.status_code == 200, response.text
        return _listed(response.text, "/volunteers/")

    # Staff of community 1 see its three volunteers, by name (code point order: 张 < 李 < 王).
    assert ids("") == [v["zhang"], v["li"], v["wang"]]
    assert ids("q=%E6%B0%B4%E7%94%B5") == [v["zhang"]]  # 水电: a skill
    assert ids("q=plumb") == [v["zhang"]]
    assert ids("q=Health") == [v["li"]]  # a kind of work, by its label
    assert ids("q=%25") == [v["wang"]]  # a literal %, not a wildcard
    assert ids("q=_") == []  # a literal _, not a wildcard
    assert ids("q=100%25") == [v["wang"]]
    assert ids(f"grid={world.grids[1].id}") == [v["li"]]
    assert ids(f"community={world.communities[0].id}") == [v["zhang"], v["li"], v["wang"]]
    assert ids(f"community={world.communities[1].id}") == []  # not in the staff member's grids
    assert ids(f"skill={world.skills['first_aid']}") == [v["li"]]
    assert ids("interest=elderly_care") == [v["zhang"]]
    assert ids("day=5") == [v["li"]]
    assert ids("status=inactive") == [v["wang"]]
    assert ids("has_hours=yes") == [v["zhang"], v["wang"]]
    assert ids("has_hours=no") == [v["li"]]
    assert ids("has_hours=yes&status=active") == [v["zhang"]]
    assert ids("sort=hours") == [v["zhang"], v["li"], v["wang"]]  # 3 h this year, then 0 h by name
    assert ids("sort=last_service") == [v["zhang"], v["wang"], v["li"]]
    assert ids("sort=reliability") == [v["li"], v["zhang"], v["wang"]]  # 95%, 80%, 50%
    assert ids("sort=reliability&has_hours=yes&q=") == [v["zhang"], v["wang"]]
    # An admin of the street also sees the other community's volunteer; never the other street's.
    sign_in(client, session, world.admin, settings)
    assert set(ids("")) == {v["zhang"], v["li"], v["wang"], v["zhao"]}
    assert ids(f"community={world.communities[1].id}") == [v["zhao"]]


def test_names_and_phones_are_masked_and_figures_shown(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    sign_in(client, session, world.staff, settings)
    client.cookies.set("lang", "en")
    page = client.get("/volunteers?has_hours=yes").text
    assert "张伟" not in page and "139****2222" in page and "13911112222" not in page
    assert ">张*</a>" in page
    assert "2 volunteers" in page
    assert 'href="/volunteers/export?format=xlsx&amp;has_hours=yes"' in page


def test_bad_filter_or_sort_values_are_400_naming_the_parameter(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    sign_in(client, session, world.staff, settings)
    client.cookies.set("lang", "en")
    for query, name in (
        ("sort=age", "sort"),
        ("day=9", "day"),
        ("grid=abc", "grid"),
        ("interest=nope", "interest"),
        ("has_hours=maybe", "has_hours"),
        ("q=" + "x" * 101, "q"),
    ):
        response = client.get(f"/volunteers?{query}")
        assert response.status_code == 400 and name in response.text, query
        assert client.get(f"/volunteers/export?format=xlsx&{query}").status_code == 400
    for query in ("sort=age", "kind=nope", "status=gone", "community=x"):
        response = client.get(f"/directory/organizations?{query}")
        assert response.status_code == 400 and query.split("=")[0] in response.text, query


def test_staff_of_another_street_see_none_of_them(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    sign_in(client, session, world.other_staff, settings)
    client.cookies.set("lang", "en")
    assert _listed(client.get("/volunteers").text, "/volunteers/") == [world.v["far"]]  # their own street's
    exported = client.get("/volunteers/export?format=csv").content.decode("utf-8-sig").strip().splitlines()
    assert len(exported) == 2 and exported[1].startswith(f"{world.v['far']},")
    page = client.get("/directory/organizations").text
    assert "外街企业" in page
    assert all(name not in page for name in ("青岛水务公司", "阳光社工站", "待审企业"))


def _sheet(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content)).active


def test_volunteer_export_is_the_filtered_list_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    v = world.v
    sign_in(client, session, world.staff, settings)
    client.cookies.set("lang", "zh_CN")
    response = client.get("/volunteers/export?format=xlsx&has_hours=yes&sort=reliability")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    sheet = _sheet(response.content)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}3"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["编号", "姓名（已遮蔽）", "网格"]
    rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [row["编号"] for row in rows] == [v["zhang"], v["wang"]]
    zhang = rows[0]
    assert zhang["姓名（已遮蔽）"] == "张*" and zhang["电话（部分隐藏）"] == "139****2222"
    assert zhang["类别"] == "党员" and zhang["党员"] == "是" and zhang["意向服务类型"] == "助老助残"
    assert zhang["本年工时"] == 3 and zhang["累计工时"] == 10 and isinstance(zhang["履约率"], float)
    assert zhang["履约率"] == pytest.approx(0.8)
    assert isinstance(zhang["最近服务日期"], datetime)  # a date cell, read back as a datetime at midnight
    assert zhang["最近服务日期"].date() == date(street_day(datetime.now(UTC)).year, 1, 1)
    assert rows[1]["本年工时"] == 0 and rows[1]["账号可用"] == "否"
    assert sheet.column_dimensions["B"].width >= 8

    client.cookies.set("lang", "en")
    english = _sheet(client.get("/volunteers/export?format=xlsx&interest=health").content)
    header = [cell.value for cell in english[1]]
    assert header[:3] == ["ID", "Name (masked)", "Grid"]
    (row,) = [dict(zip(header, [cell.value for cell in r], strict=True)) for r in english.iter_rows(min_row=2)]
    assert row["ID"] == v["li"] and row["Group"] == "Youth" and row["Party member"] == "No"
    assert row["Work they want to do"] == "Health services" and row["Completion rate"] == pytest.approx(0.95)
    assert row["Hours this year"] == 0 and row["Last service"] is None

    lines = list(csv.DictReader(io.StringIO(client.get("/volunteers/export?format=csv&q=plumb").text.lstrip("\ufeff"))))
    assert [line["ID"] for line in lines] == [str(v["zhang"])]
    assert lines[0]["Completion rate"] == "80%" and lines[0]["Hours this year"] == "3"


def test_organization_directory_filters_sorts_and_exports(
    client: TestClient[Any], session: Session, settings: Settings, world: World
) -> None:
    o = world.o
    sign_in(client, session, world.admin, settings)
    client.cookies.set("lang", "en")

    def ids(query: str) -> list[int]:
        response = client.get(f"/directory/organizations?{query}")
        assert response.status_code == 200, response.text
        return _listed(response.text, "/admin/organizations/")

    # The street admin: every status, the street's organizations, never the other street's.
    assert set(ids("")) == {o["o1"], o["o2"], o["o3"]}
    assert ids("status=pending") == [o["o3"]]
    assert ids("kind=social_organization") == [o["o2"]]
    assert ids("category=health") == [o["o1"]]
    assert ids(f"community={world.communities[1].id}") == [o["o2"]]
    assert ids("q=%E6%B0%B4%E5%8A%A1") == [o["o1"]]  # 水务
    assert ids("q=MA00000012") == [o["o2"]]
    assert ids("q=%25") == []
    assert ids("sort=contributions")[:2] == [o["o2"], o["o1"]]
    assert ids("sort=open_offers")[0] == o["o1"]
    page = client.get("/directory/organizations").text
    assert "王**" in page and "138****0000" in page and "13800000000" not in page

    # Staff: approved organizations serving the street only.
    sign_in(client, session, world.staff, settings)
    staff_page = client.get("/directory/organizations?sort=contributions").text
    assert staff_page.index("阳光社工站") < staff_page.index("青岛水务公司") and "待审企业" not in staff_page
    client.cookies.set("lang", "zh_CN")
    sheet = _sheet(client.get("/directory/organizations/export?format=xlsx&sort=open_offers").content)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [row["编号"] for row in rows] == [o["o1"], o["o2"]]
    assert rows[0]["类型"] == "企业" and rows[0]["状态"] == "审核通过" and rows[0]["在供资源数"] == 2
    assert rows[1]["已完成对接"] == 3 and isinstance(rows[1]["登记日期"], datetime)
    assert rows[0]["联系人（已遮蔽）"] == "王**"


def test_pages_keep_the_filters(session: Session, world: World) -> None:
    with reading(session) as db:
        from marketplace.security.identity import load_current_user

        actor = load_current_user(db, world.admin.id)
        assert actor is not None
        first = search_volunteers(db, actor, VolunteerFilters(has_hours=True), page=1, page_size=1)
        second = search_volunteers(db, actor, VolunteerFilters(has_hours=True), page=2, page_size=1)
    assert (first.total, first.pages) == (3, 3)  # 张伟, 王100%, 赵敏 have hours
    assert first.rows[0].id != second.rows[0].id
    assert isinstance(first.rows[0].last_service, date | type(None))
