"""The public project board and a project's page: filters, order, pages, privacy, errors, htmx."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import NeedStatus
from marketplace.vocabulary import Category, Urgency
from tests.factories import (
    BENEFICIARY_ADDRESS,
    BENEFICIARY_NAME,
    BENEFICIARY_PHONE,
    StreetScenario,
    add_shift,
    build_street,
    make_need,
)

PRIVATE_STRINGS = (BENEFICIARY_NAME, BENEFICIARY_PHONE, BENEFICIARY_ADDRESS)


@pytest.fixture
def street(session_factory: sessionmaker[Session]) -> StreetScenario:
    with session_factory() as session:
        return build_street(session)


def card_titles(html: str) -> list[str]:
    """Project titles in board order."""
    return re.findall(r'<a class="stretched" href="/projects/\d+">([^<]+)</a>', html)


def test_projects_address_redirects_to_the_board_keeping_the_query(client: TestClient[Litestar]) -> None:
    response = client.get("/projects?category=renovation", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/?category=renovation"


def test_board_lists_public_projects_and_nothing_else(client: TestClient[Litestar], street: StreetScenario) -> None:
    html = client.get("/").text
    assert sorted(card_titles(html)) == sorted(need.title for need in street.public_needs)
    for need in street.private_needs:
        assert need.title not in html


def test_board_and_project_pages_never_show_beneficiary_data(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    pages = [client.get("/").text, client.get("/figures").text]
    pages += [client.get(f"/projects/{need.id}").text for need in street.public_needs]
    for html in pages:
        for private in PRIVATE_STRINGS:
            assert private not in html


def test_board_puts_open_projects_first_then_urgency_due_date_and_newest(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    titles = card_titles(client.get("/").text)
    needs = street.needs
    # Critical first, then high (due 1 June), then the normal ones newest first; solved ones last.
    assert titles[:2] == [needs["elderly"].title, needs["bricks"].title]
    assert titles[-2:] == [needs["vaccination"].title, needs["mediation"].title]
    assert titles.index(needs["pavilion"].title) < titles.index(needs["cleanup"].title)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "renovation"}, {"bricks", "pavilion"}),
        ({"status": "matched"}, {"elderly"}),
        ({"category": "renovation", "status": "published"}, {"bricks"}),
        ({"category": "elderly_care", "status": "published"}, set()),
    ],
)
def test_filters_by_category_and_status_combine(
    client: TestClient[Litestar], street: StreetScenario, query: dict[str, str], expected: set[str]
) -> None:
    titles = set(card_titles(client.get("/", params=query).text))
    assert titles == {street.needs[key].title for key in expected}


def test_filters_by_grid_and_by_community(client: TestClient[Litestar], street: StreetScenario) -> None:
    first_grid, _, south_grid, _ = street.grids
    by_grid = set(card_titles(client.get("/", params={"grid": first_grid.id}).text))
    assert by_grid == {street.needs["bricks"].title, street.needs["vaccination"].title}

    south = street.communities[1]
    by_community = set(card_titles(client.get("/", params={"community": south.id}).text))
    assert by_community == {street.needs[k].title for k in ("elderly", "cleanup", "mediation")}

    both = card_titles(client.get("/", params={"community": south.id, "grid": south_grid.id}).text)
    assert set(both) == {street.needs["elderly"].title, street.needs["mediation"].title}


def test_empty_form_fields_mean_any(client: TestClient[Litestar], street: StreetScenario) -> None:
    response = client.get("/?category=&community=&grid=&status=")
    assert response.status_code == 200
    assert len(card_titles(response.text)) == len(street.public_needs)


def test_grid_filter_offers_the_grids_grouped_by_community(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    html = client.get("/").text
    for community in street.communities:
        assert f'<optgroup label="{community.name}">' in html
    for grid in street.grids:
        assert f'<option value="{grid.id}">{grid.name}</option>' in html
    # Only public statuses are offered.
    assert 'value="submitted"' not in html
    assert 'value="verified"' in html


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("category=gardening", "category"),
        ("status=submitted", "status"),
        ("status=rejected", "status"),
        ("grid=abc", "grid"),
        ("grid=99999", "grid"),
        ("grid=99999999999999999999", "grid"),
        ("grid=١٢", "grid"),
        ("page=99999999999999999999", "page"),
        ("community=99999", "community"),
        ("page=0", "page"),
        ("page=x", "page"),
    ],
)
def test_invalid_filter_is_a_400_page_naming_the_parameter(
    client: TestClient[Litestar], street: StreetScenario, query: str, parameter: str
) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert f"参数“{parameter}”" in response.text


def test_pages_split_the_board_and_count_it(
    client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    with session_factory() as session:
        for number in range(20):
            make_need(session, street.grids[number % 4], title=f"分页测试{number:02d}")
        session.commit()
    total = len(street.public_needs) + 20

    first = client.get("/").text
    assert len(card_titles(first)) == 20
    assert f"共{total}个项目，当前显示第1–20个" in first
    assert 'href="/?page=2"' in first

    second = client.get("/?page=2").text
    assert len(card_titles(second)) == total - 20
    assert f"当前显示第21–{total}个" in second
    assert set(card_titles(first)).isdisjoint(card_titles(second))

    beyond = client.get("/?page=9")
    assert beyond.status_code == 200
    assert card_titles(beyond.text) == []
    assert "没有第9页" in beyond.text


def test_page_links_keep_the_filters(
    client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    with session_factory() as session:
        for number in range(25):
            make_need(session, street.grids[0], title=f"透水砖{number}", category=Category.SANITATION)
        session.commit()
    html = client.get("/?category=sanitation").text
    assert 'href="/?category=sanitation&amp;page=2"' in html


def test_htmx_filter_request_gets_only_the_results_and_a_fresh_language_link(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    response = client.get("/?category=renovation&community=&grid=&status=", headers={"HX-Request": "true"})
    assert response.status_code == 200
    # History gets the address without the form's empty fields.
    assert response.headers["hx-push-url"] == "/?category=renovation"
    assert "<html" not in response.text
    assert set(card_titles(response.text)) == {street.needs["bricks"].title, street.needs["pavilion"].title}
    assert 'hx-swap-oob="true"' in response.text
    assert "/lang/en?next=/%3Fcategory%3Drenovation" in response.text
    assert "HX-Request" in response.headers["vary"]


def test_htmx_history_restore_gets_the_whole_page(client: TestClient[Litestar], street: StreetScenario) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/", headers=headers).text


def test_board_queries_do_not_grow_with_the_page(
    app: Litestar, client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    def count_queries() -> int:
        # The test writes through its own engine, which the app's page cache does not watch: render afresh.
        app.state.page_cache.invalidate()
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        sa.event.listen(app.state.engine, "before_cursor_execute", record)
        try:
            assert client.get("/").status_code == 200
        finally:
            sa.event.remove(app.state.engine, "before_cursor_execute", record)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    few = count_queries()
    with session_factory() as session:
        for number in range(12):
            need = make_need(session, street.grids[number % 4], title=f"更多{number}")
            add_shift(session, need, skills=[street.skill] if street.skill else [])
        session.commit()
    assert count_queries() == few


def test_project_page_shows_everything_public(client: TestClient[Litestar], street: StreetScenario) -> None:
    bricks = street.needs["bricks"]
    html = client.get(f"/projects/{bricks.id}").text
    assert bricks.title in html
    assert bricks.description in html
    assert "老旧小区改造" in html  # category
    assert "网格巡查" in html  # intake channel
    assert "湖岛一网格服务站" in html and "杭州路12号" in html and "8:30–17:30" in html
    # 3,200 m² are spoken for and nothing is marked delivered yet: the bar shows what was delivered.
    assert '<progress class="bar" max="5000.0" value="0.0"' in html
    assert "已承诺3,200 m²，已交付0 m²，尚缺<strong>1,800 m²</strong>" in html
    assert "2026年6月1日" in html  # due date


def test_project_page_shows_shift_times_in_the_street_zone(
    client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    with session_factory() as session:
        need = make_need(session, street.grids[0], title="核酸检测点值守")
        # 23:30 UTC on 3 May is 07:30 on 4 May in Qingdao (a shift to come: one that is over has no places open).
        add_shift(
            session,
            need,
            slots=6,
            confirmed=2,
            skills=[street.skill] if street.skill else [],
            starts_at=datetime(2031, 5, 3, 23, 30, tzinfo=UTC),
        )
        session.commit()
    html = client.get(f"/projects/{need.id}").text
    assert "07:30–10:30" in html
    assert "5月4日" in html
    assert "6个名额，还剩4个" in html
    assert "助老陪护" in html  # required skill
    client.cookies.set("lang", "en")
    english = client.get(f"/projects/{need.id}").text
    assert "4 of 6 places open" in english
    assert "Elderly companionship" in english


def test_satisfaction_is_shown_only_once_verified(
    client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    verified = client.get(f"/projects/{street.needs['mediation'].id}").text
    assert "居民满意度" in verified and "5分（满分5分）" in verified
    with session_factory() as session:
        completed = make_need(session, street.grids[0], NeedStatus.COMPLETED, satisfaction=2)
        session.commit()
    assert "居民满意度" not in client.get(f"/projects/{completed.id}").text


@pytest.mark.parametrize("key", ["submitted", "review", "rejected", "cancelled"])
def test_non_public_project_is_a_404_page(client: TestClient[Litestar], street: StreetScenario, key: str) -> None:
    response = client.get(f"/projects/{street.needs[key].id}")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert street.needs[key].title not in response.text


def test_unknown_project_is_a_translated_404_page(client: TestClient[Litestar], street: StreetScenario) -> None:
    client.cookies.set("lang", "en")
    assert client.get("/projects/99999999999999999999").status_code == 404
    response = client.get("/projects/424242")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'lang="en"' in response.text


def test_urgency_levels_have_badges(client: TestClient[Litestar], street: StreetScenario) -> None:
    html = client.get("/").text
    assert f"urgency-{Urgency.CRITICAL}" in html
    assert f"urgency-{Urgency.HIGH}" in html


def test_empty_board_says_so(client: TestClient[Litestar]) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "没有符合筛选条件的项目" in response.text
