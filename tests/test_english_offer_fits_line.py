"""A partner who writes an offer's title in English, plural and all, sees it fit a line of the same item.

The finding: "LED stairwell lamps" (20 个) was told it cannot serve a line of 楼道灯 (个 says nothing of what
is counted, so the two must be one item, and the vocabulary had no "lamps"). Walked as a partner does it,
on whichever database the suite runs on: publish the offer on /offers/new, through the API or a file import,
then open the project's take-part page, where the offer is offered for the line (chosen, no reason against
it, in both languages), and claim it. Another item in 个 (LED bulbs) is still refused for the item.
"""

import html
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.items.services import install_curated, with_item_key
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.vocabulary import Category, ResourceKind
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, csrf_for, login, post_form, reading
from tests.test_take_part_offer_pages import _section

TITLE = "LED stairwell lamps"


def _as(client: TestClient[Any], person: mf.Person, lang: str) -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _line_of_stairwell_lights(session: Session) -> tuple[Need, ResourceLine]:
    """A published project with a line of 楼道灯 in 个, its key resolved as the services that create lines do."""
    install_curated(session, CURATED_ITEMS)  # the street's vocabulary, as the migration loads it
    need = mf.project(session, title="湖岛新村楼道灯更换", category=Category.RENOVATION)
    line = factories.add_resource_line(
        session, need, "30", "24", kind=ResourceKind.MATERIAL, description="楼道灯", unit="个"
    )
    with_item_key(session, line)
    session.commit()
    assert line.item_key == "stairwell_light"
    return need, line


Publish = Any  # (client, settings, need, grid code, title) -> None


def _publish_on_the_form(client: TestClient[Any], settings: Settings, need: Need, code: str, title: str) -> None:
    form = {"kind": "material", "category": "renovation", "title": title, "quantity": "20", "unit": "个"}
    sent = post_form(client, settings, "/offers/new", form | {"grid_ids": str(need.grid_id)})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=created"), sent.text


def _publish_through_the_api(client: TestClient[Any], settings: Settings, need: Need, code: str, title: str) -> None:
    body = {"kind": "material", "category": "renovation", "title": title, "quantity": "20", "unit": "个"}
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    created = client.post("/api/v1/offers", json=body | {"grid_ids": [need.grid_id]}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["item_key"] == ("stairwell_light" if title == TITLE else "light_bulb")


def _publish_by_import(client: TestClient[Any], settings: Settings, need: Need, code: str, title: str) -> None:
    header = "Kind,Category,Title,Description,Quantity,Unit,Remaining,Valid from,Valid until,Grids\n"
    row = f"material,renovation,{title},,20,个,,,,{code}\n"
    imported = client.post(
        "/api/v1/offers/import",
        files={"file": ("offers.csv", (header + row).encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert imported.status_code == 200, imported.text
    assert len(imported.json()["imported_ids"]) == 1


PATHS = pytest.mark.parametrize(
    "publish", [_publish_on_the_form, _publish_through_the_api, _publish_by_import], ids=["form", "api", "import"]
)


def _published(session: Session, title: str) -> Offer:
    with reading(session) as fresh:
        return fresh.exec(select(Offer).where(Offer.title == title)).one()


def _grid_code(session: Session, need: Need) -> str:
    grid = session.get(Grid, need.grid_id)
    assert grid is not None
    return grid.code


def _raw_section(page: str, line: ResourceLine) -> str:
    start = page.index(f'id="line-{line.id}"')
    end = page.find('<li class="take-part-line"', start + 1)
    return page[start : end if end > 0 else None]


def _published_for_a_line_of_stairwell_lights(
    client: TestClient[Any], session: Session, settings: Settings, publish: Publish, title: str
) -> tuple[Need, ResourceLine, Any, Offer]:
    """A 楼道灯 line, and a partner (signed in, English) who published an offer titled ``title`` for its grid."""
    need, line = _line_of_stairwell_lights(session)
    person = mf.partner(session)
    code = _grid_code(session, need)
    session.commit()  # no transaction left open on SQLite: the app writes next
    _as(client, person, "en")
    publish(client, settings, need, code, title)
    return need, line, person, _published(session, title)


@PATHS
def test_an_offer_of_led_stairwell_lamps_fits_a_line_of_stairwell_lights_and_is_claimed(
    client: TestClient[Any], session: Session, settings: Settings, publish: Publish
) -> None:
    need, line, person, offer = _published_for_a_line_of_stairwell_lights(client, session, settings, publish, TITLE)
    assert offer.item_key == line.item_key == "stairwell_light"

    page = client.get(f"/projects/{need.id}/take-part").text
    english = _section(page, line)
    assert TITLE in english and "is not the item" not in english and "does not say what is counted" not in english
    assert f'<option value="{offer.id}" selected' in _raw_section(page, line)  # offered, and chosen

    _as(client, person, "zh_CN")
    chinese = _section(client.get(f"/projects/{need.id}/take-part").text, line)
    assert TITLE in chinese and "不是同一种物品" not in chinese and "无法满足此资源项" not in chinese

    claim = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "20"}
    claimed = post_form(client, settings, f"/projects/{need.id}/claim", claim)
    assert claimed.status_code == 303 and claimed.headers["location"] == "/claims?done=claimed"
    with reading(session) as fresh:
        [match] = fresh.exec(select(Match).where(Match.need_id == need.id)).all()
    assert (match.offer_id, match.quantity, match.status) == (offer.id, Decimal(20), MatchStatus.PROPOSED)


@PATHS
def test_an_offer_of_another_item_in_pieces_is_still_refused_for_the_item(
    client: TestClient[Any], session: Session, settings: Settings, publish: Publish
) -> None:
    need, line, _person, offer = _published_for_a_line_of_stairwell_lights(
        client, session, settings, publish, "LED bulbs"
    )
    assert offer.item_key == "light_bulb"
    english = _section(client.get(f"/projects/{need.id}/take-part").text, line)
    assert "LED bulbs" in english and "is not the item this line needs (楼道灯)" in english
    claim = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "5"}
    refused = post_form(client, settings, f"/projects/{need.id}/claim", claim)
    assert refused.status_code == 400 and "is not the item this line needs" in html.unescape(refused.text)
