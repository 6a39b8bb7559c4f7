"""A partner on a project's take-part page learns why each offer cannot serve a line, and publishes one that
can from a form filled in from the line, landing back at the line to claim it (in-process, both databases).

The case from a newcomer walk: a line of 楼道灯 counted in 个 and an offer in 个 of another item (LED bulbs;
the walk's "LED stairwell lamps" are the same item, and fit since the vocabulary reads English plurals:
tests/test_english_offer_fits_line.py). The page said "counted in pieces (个), your offers … in pieces
(个)", which contradicts itself; the rule (one generic 个 pairs only for the same item,
matching.units.can_serve) refused it for another reason.
"""

import html
import re
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine
from marketplace.offers.models import Offer
from marketplace.places.models import Community, Grid, Street
from marketplace.settings import Settings
from marketplace.vocabulary import Category, ResourceKind
from matching.explain import distance_sentences, skill_sentences
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, reading


def _as(client: TestClient[Any], person: mf.Person, lang: str) -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _lamps(session: Session, need: Need, quantity: str = "30", still: str = "24") -> ResourceLine:
    row = factories.add_resource_line(
        session, need, quantity, still, kind=ResourceKind.MATERIAL, description="楼道灯", unit="个"
    )
    session.commit()
    return row


def _section(page: str, line: ResourceLine) -> str:
    """The text of the line's part of the take-part page."""
    start = page.index(f'id="line-{line.id}"')
    end = page.find('<li class="take-part-line"', start + 1)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : end if end > 0 else None])))


def _case(session: Session) -> tuple[Need, ResourceLine, mf.Person, Offer]:
    need = mf.project(session, title="湖岛新村楼道灯更换", category=Category.RENOVATION)
    line = _lamps(session, need)
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="20", title="LED bulbs", unit="个")
    return need, line, person, offer


def test_an_offer_in_pieces_naming_another_item_is_refused_for_the_item_in_both_languages(
    client: TestClient[Any], session: Session
) -> None:
    need, line, person, offer = _case(session)
    _as(client, person, "en")
    english = _section(client.get(f"/projects/{need.id}/take-part").text, line)
    assert "LED bulbs" in english
    assert "is not the item this line needs (楼道灯)" in english and "pieces do not say what is counted" in english
    assert "your offers of this kind in" not in english  # the old sentence that contradicted itself
    assert "Publish an offer for this line" in english and "counted in pieces (个)" in english
    assert f'href="/offers/new?line={line.id}"' in client.get(f"/projects/{need.id}/take-part").text

    _as(client, person, "zh_CN")
    chinese = _section(client.get(f"/projects/{need.id}/take-part").text, line)
    assert "无法满足此资源项" in chinese
    assert "“LED bulbs”与此资源项“楼道灯”不是同一种物品" in chinese and "“个”不说明数的是什么" in chinese
    assert "为此资源项发布资源" in chinese
    assert offer.id is not None


def test_the_publish_link_fills_the_form_from_the_line(client: TestClient[Any], session: Session) -> None:
    need, line, person, _offer = _case(session)
    _as(client, person, "en")
    page = client.get(f"/offers/new?line={line.id}")
    assert page.status_code == 200
    text = page.text
    assert '<option value="material" selected>' in text and '<option value="renovation" selected>' in text
    assert re.search(r'name="title"[^>]*value="楼道灯"', text) or re.search(r'value="楼道灯"[^>]*name="title"', text)
    assert re.search(r'name="unit"[^>]*value="个"', text) or re.search(r'value="个"[^>]*name="unit"', text)
    assert re.search(r'name="quantity"[^>]*value="24"', text) or re.search(r'value="24"[^>]*name="quantity"', text)
    assert f'name="grid_ids" value="{need.grid_id}" checked' in text  # the need's grid: the street is served
    assert f'<input type="hidden" name="line" value="{line.id}">' in text
    assert "湖岛新村楼道灯更换" in html.unescape(text) and "24 lamps still needed" not in text
    assert f'href="/projects/{need.id}/take-part#line-{line.id}"' in text  # Cancel goes back to the line

    _as(client, person, "zh_CN")
    chinese = html.unescape(client.get(f"/offers/new?line={line.id}").text)
    assert "用于项目“湖岛新村楼道灯更换”的资源项“楼道灯”（仍需24个）" in chinese


def test_publishing_for_a_line_goes_back_to_it_and_the_offer_is_chosen_to_claim(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need, line, person, _offer = _case(session)
    _as(client, person, "en")
    form = {
        "line": str(line.id),
        "kind": "material",
        "category": "renovation",
        "title": "楼道灯",
        "quantity": "20",
        "unit": "个",
        "grid_ids": str(need.grid_id),
    }
    sent = post_form(client, settings, "/offers/new", form)
    assert sent.status_code == 303
    with reading(session) as fresh:
        published = fresh.exec(select(Offer).where(Offer.title == "楼道灯")).one()
    back = f"/projects/{need.id}/take-part?done=offer_published&offer={published.id}#line-{line.id}"
    assert sent.headers["location"] == back
    page = client.get(back.split("#")[0])
    assert "Your offer is published and can now be claimed for this line" in page.text
    assert f'<option value="{published.id}" selected' in page.text
    assert "The offer you have just published is chosen" in _section(page.text, line)  # seen at #line-<id>
    claim = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(published.id), "quantity": "20"}
    claimed = post_form(client, settings, f"/projects/{need.id}/claim", claim)
    assert claimed.status_code == 303 and claimed.headers["location"] == "/claims?done=claimed"
    with reading(session) as fresh:
        [match] = fresh.exec(select(Match).where(Match.need_id == need.id)).all()
    assert (match.offer_id, match.quantity, match.status) == (published.id, Decimal(20), MatchStatus.PROPOSED)


def test_an_offer_published_for_a_line_it_cannot_serve_says_so_back_at_the_line(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need, line, person, _offer = _case(session)
    _as(client, person, "zh_CN")
    form = {"line": str(line.id), "kind": "material", "category": "renovation", "title": "充电桩", "quantity": "5"}
    sent = post_form(client, settings, "/offers/new", form | {"unit": "个", "grid_ids": str(need.grid_id)})
    assert sent.status_code == 303 and "done=offer_published_unfit" in sent.headers["location"]
    page = html.unescape(client.get(sent.headers["location"].split("#")[0]).text)
    assert "资源已发布，但无法满足此资源项" in page and "“充电桩”与此资源项“楼道灯”不是同一种物品" in page


def test_a_refused_publish_for_a_line_keeps_the_line(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need, line, person, _offer = _case(session)
    _as(client, person, "en")
    form = {"line": str(line.id), "kind": "material", "category": "renovation", "title": "楼道灯", "unit": "个"}
    refused = post_form(client, settings, "/offers/new", form | {"quantity": "abc", "grid_ids": str(need.grid_id)})
    assert refused.status_code == 400
    assert f'<input type="hidden" name="line" value="{line.id}">' in refused.text
    assert "Enter a number" in refused.text


def _other_street_line(session: Session) -> ResourceLine:
    street = Street(code="H6-OTHER", name="别的街道", name_en="Other Street", district="市北区", city="青岛市")
    session.add(street)
    session.flush()
    community = Community(street_id=street.id or 0, name="别的社区", name_en="Other Community")
    session.add(community)
    session.flush()
    grid = Grid(
        code="H6-OG1",
        community_id=community.id or 0,
        number=1,
        name="别的网格",
        name_en="Other grid",
        latitude=36.2,
        longitude=120.4,
    )
    session.add(grid)
    session.flush()
    need = mf.project(session, grid=grid, title="别的街道的秘密项目")
    return _lamps(session, need)


def test_a_line_the_partner_may_not_see_gives_the_blank_form_and_leaks_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = mf.partner(session)
    hidden = mf.project(session, status=NeedStatus.UNDER_REVIEW, title="尚未发布的项目")
    unpublished, elsewhere = _lamps(session, hidden), _other_street_line(session)
    _as(client, person, "zh_CN")
    for line_id in (str(unpublished.id), str(elsewhere.id), "abc", "0", "99999999999", "-1", "１２"):
        page = client.get(f"/offers/new?line={line_id}")
        assert page.status_code == 200, line_id
        text = html.unescape(page.text)
        assert "尚未发布的项目" not in text and "别的街道的秘密项目" not in text and 'name="line"' not in text
        assert 'value="楼道灯"' not in text
    form = {"kind": "material", "category": "renovation", "title": "楼道灯", "quantity": "3", "unit": "个"}
    grid = make_grid(session).id  # a grid of the street the partner serves
    session.commit()
    sent = post_form(client, settings, "/offers/new", form | {"line": str(elsewhere.id), "grid_ids": str(grid)})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=created")
    assert "take-part" not in sent.headers["location"]


def cancelled_without_a_reason(client: TestClient[Any], session: Session, settings: Settings) -> Need:
    """A partner (signed in on ``client``, Chinese) claims part of a line and cancels it giving no reason."""
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="30", title="再生透水砖")
    _as(client, person, "zh_CN")
    claim = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "5"}
    assert post_form(client, settings, f"/projects/{need.id}/claim", claim).status_code == 303
    with reading(session) as fresh:
        [match] = fresh.exec(select(Match).where(Match.need_id == need.id)).all()
    assert post_form(client, settings, f"/claims/{match.id}/cancel", {"reason": ""}).status_code == 303
    return need


def test_a_claim_cancelled_without_a_reason_says_so_in_the_pages_language(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    cancelled_without_a_reason(client, session, settings)
    chinese = client.get("/claims").text
    assert "本单位已取消，未填写理由。" in chinese and "cancelled by the partner" not in chinese
    client.cookies.set("lang", "en")
    assert "Cancelled by your organization, without a reason." in client.get("/claims").text


def test_skill_and_distance_reasons_read_well_in_both_languages() -> None:
    assert skill_sentences(1, 1) == ("具备所需的1项技能", "has the 1 required skill")
    assert skill_sentences(3, 3) == ("具备全部3项所需技能", "has all 3 required skills")
    assert skill_sentences(1, 2) == ("具备所需2项技能中的1项", "has 1 of the 2 required skills")
    assert skill_sentences(0, 1)[1] == "has none of the 1 required skill"
    assert distance_sentences(0.0) == ("就在项目网格内", "in the need's grid")
    assert distance_sentences(0.03) == ("距项目网格不到0.1公里", "under 0.1 km from the grid")
    assert distance_sentences(2.06) == ("距项目网格2.1公里", "2.1 km from the grid")


def test_stored_distance_explanations_read_well_in_both_languages() -> None:
    from marketplace.i18n import current_locale
    from marketplace.matches.explanations import reasons_of

    parts = [{"feature": "distance_km", "value": 0.0}, {"feature": "distance_km", "value": 0.02}]
    token = current_locale.set("zh_CN")
    try:
        assert reasons_of(parts) == ["就在项目网格内", "距项目网格不到0.1公里"]
        current_locale.set("en")
        assert reasons_of(parts) == ["in the need's grid", "under 0.1 km from the grid"]
    finally:
        current_locale.reset(token)
