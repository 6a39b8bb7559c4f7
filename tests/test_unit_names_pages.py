"""English pages name units in English ("60 barrels", "12 lamps"); Chinese pages show them as the street writes
them, exactly as before ("60桶", "5 / 60 桶"); the take-part form says how much the chosen offer can give."""

import html
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests import matches_factories as mf
from tests.factories import add_resource_line
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form, sign_in_as


def _as(client: TestClient[Any], person: mf.Person, lang: str) -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _line_form(page: str, line_id: int | None) -> str:
    return page.split(f'id="line-{line_id}"')[1].split("</li>")[0]


def test_the_offers_list_and_an_offer_name_units_in_the_readers_language(
    client: TestClient[Any], session: Session
) -> None:
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="5", quantity="60", title="防汛沙袋", unit="桶")
    lamp = mf.offer_of(session, person.user, remaining="1", quantity="1", title="太阳能路灯", unit="盏")
    _as(client, person, "en")
    listing = client.get("/offers").text
    assert "5 / 60 barrels" in listing and "1 / 1 lamp" in listing and "桶" not in listing
    page = client.get(f"/offers/{offer.id}").text
    assert "60 barrels" in page and "5 barrels" in page
    assert "1 lamp<" in client.get(f"/offers/{lamp.id}").text
    client.cookies.set("lang", "zh_CN")
    listing = client.get("/offers").text
    assert "5 / 60 桶" in listing and "1 / 1 盏" in listing and "barrel" not in listing
    page = client.get(f"/offers/{offer.id}").text
    assert "60 桶" in page and "5 桶" in page


def test_a_projects_page_names_units_in_the_readers_language(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    add_resource_line(session, need, "60", still_needed="12", unit="桶", description="防汛沙袋")
    add_resource_line(session, need, "300", unit="平方米", description="透水砖")
    add_resource_line(session, need, "4", still_needed="1", unit="小时", kind="service", description="法律咨询")
    add_resource_line(session, need, "7", unit="捆", description="稻草")  # a unit the table does not know
    session.commit()
    client.cookies.set("lang", "en")
    english = html.unescape(client.get(f"/projects/{need.id}").text)
    assert "60 barrels" in english and "12 barrels" in english and "桶" not in english
    assert "300 m²" in english and "4 hours" in english and "1 hour" in english
    assert "7捆" in english  # shown as stored
    client.cookies.set("lang", "zh_CN")
    chinese = html.unescape(client.get(f"/projects/{need.id}").text)
    assert "60桶" in chinese and "12桶" in chinese and "4小时" in chinese and "7捆" in chinese
    assert "barrel" not in chinese and "hour" not in chinese


def test_the_staff_need_page_names_units_in_english(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    add_resource_line(session, need, "12", still_needed="12", unit="盏", description="太阳能路灯")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    english = client.get(f"/needs/{need.id}").text
    assert "12 lamps" in english and "0 lamps" in english
    client.cookies.set("lang", "zh_CN")
    chinese = client.get(f"/needs/{need.id}").text
    assert "12 盏" in chinese and "0 盏" in chinese and "lamp" not in chinese


def test_the_take_part_hint_says_what_the_chosen_offer_can_give(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = add_resource_line(session, need, "60", still_needed="50", unit="桶", description="防汛沙袋")
    session.commit()
    person = mf.partner(session)
    small = mf.offer_of(session, person.user, remaining="8", quantity="20", title="A 沙袋", unit="桶")
    large = mf.offer_of(session, person.user, remaining="80", title="B 沙袋", unit="桶")
    _as(client, person, "en")
    form = html.unescape(_line_form(client.get(f"/projects/{need.id}/take-part").text, line.id))
    # The first offer is chosen: it has 8 left of the 50 the line still needs.
    assert 'placeholder="8"' in form
    assert "Up to 8 barrels: the line still needs 50 barrels, “A 沙袋” has 8 barrels left." in form
    assert "Quantity (barrels)" in form and f'aria-describedby="line-{line.id}-quantity-hint"' in form
    # Each offer carries what it can give, for the page's script to show when another is chosen.
    assert f'<option value="{large.id}" data-most="50" data-hint="Up to 50 barrels:' in form
    assert f'<option value="{small.id}" selected data-most="8"' in form
    client.cookies.set("lang", "zh_CN")
    form = html.unescape(_line_form(client.get(f"/projects/{need.id}/take-part").text, line.id))
    assert 'placeholder="8"' in form and "最多可提供8桶：此资源项尚缺50桶，“A 沙袋”剩余8桶。" in form
    assert "数量（桶）" in form or "(桶)" in form


def test_a_refused_claim_keeps_the_chosen_offer_in_the_hint(
    client: TestClient[Any], session: Session, settings: Any
) -> None:
    need = mf.project(session)
    line = add_resource_line(session, need, "3", unit="盏", description="太阳能路灯")
    session.commit()
    person = mf.partner(session)
    mf.offer_of(session, person.user, remaining="2", title="A 路灯", unit="盏")
    large = mf.offer_of(session, person.user, remaining="10", title="B 路灯", unit="盏")
    _as(client, person, "en")
    data = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(large.id), "quantity": "9"}
    refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert refused.status_code == 400
    form = html.unescape(_line_form(refused.text, line.id))
    assert (
        'placeholder="3"' in form and "Up to 3 lamps: the line still needs 3 lamps, “B 路灯” has 10 lamps left." in form
    )
    assert f'aria-describedby="line-{line.id}-quantity-hint line-{line.id}-quantity-error"' in form


def test_a_line_no_offer_can_serve_names_the_unit_to_publish_in(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = add_resource_line(session, need, "5", unit="条", description="长椅")
    session.commit()
    person = mf.partner(session)
    mf.offer_of(session, person.user, remaining="5", title="电动车充电桩", unit="个")  # not a bench
    _as(client, person, "en")
    page = client.get(f"/projects/{need.id}/take-part").text
    form = html.unescape(page.split(f'id="line-{line.id}"')[1].split('<li class="take-part-line"')[0])
    # Each unfit offer with the rule's own reason (units named as an English page names them), then what to do.
    assert "电动车充电桩</a> (5 pieces left): the offer is counted in pieces (个), this line needs pieces (条)" in form
    assert "counted in pieces (条), named like “长椅”" in form and "Publish an offer for this line" in form
