"""An offer serves a resource line only when kind, unit and item agree, everywhere the app pairs them: claims (400
naming offer_id), approvals (409, the item stays proposed and the queue flags it), rounds, recommendations, the
take-part form; units are stored as the unit table spells them, and the demo's data uses them consistently."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import make_session_factory
from marketplace.matches import compatibility
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer, OfferGrid
from marketplace.places.models import Grid
from marketplace.recommend import services as recommend_service
from marketplace.rounds import services as rounds_service
from marketplace.rounds import worker
from marketplace.rounds.models import MatchRound, RoundMethod, RoundStatus
from marketplace.settings import Settings
from marketplace.vocabulary import Category, ResourceKind
from matching.units import Side, can_serve, canonical
from seeds.data.needs import NEED_TEMPLATES
from seeds.data.offers import OFFER_TEMPLATES
from tests import matches_factories as mf
from tests.factories import add_resource_line, make_offer
from tests.security_helpers import csrf_for, make_grid, make_org, post_form, reading, sign_in_as


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    # Each test builds a new database that may reuse the previous one's address and ids.
    recommend_service.forget()
    yield
    worker.wait(timeout=60)
    recommend_service.forget()


def _led_line(session: Session, need: Need, quantity: str = "10") -> ResourceLine:
    row = add_resource_line(session, need, quantity, description="LED声控灯", unit="个")
    session.commit()
    return row


def _claim(client: TestClient[Any], person: mf.Person, need_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/projects/{need_id}/claims", json=body, headers=person.headers)


def _fresh(session: Session, model: Any, row_id: int | None) -> Any:
    with reading(session) as fresh:
        return fresh.get(model, row_id)


def test_a_claim_of_bricks_for_lamps_is_400_naming_offer_id_and_why(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    lamps = _led_line(session, need)
    person = mf.partner(session)
    bricks = mf.offer_of(session, person.user, "3200", title="再生透水砖")  # m²
    refused = _claim(client, person, need.id, kind="line", resource_line_id=lamps.id, offer_id=bricks.id, quantity="2")
    assert refused.status_code == 400, refused.text
    [problem] = refused.json()["extra"]
    assert problem["key"] == "offer_id" and problem["code"] == "incompatible"
    assert "该资源不能满足此资源项：该资源按“m²”计，此资源项需要“个”" in problem["message"]  # the reader's language
    assert problem["reason_code"] and "the offer is counted in m², this line needs" in problem["reason_en"]
    assert "该资源按“m²”计，此资源项需要“个”" in problem["reason_zh"]
    with reading(session) as fresh:
        assert fresh.execute(sa.select(Match)).first() is None
    # The same lamps counted in 盏 serve the line; bricks stored as 平方米 before the table serve a line in m².
    same_lamps = mf.offer_of(session, person.user, "20", title="LED声控楼道灯", unit="盏")
    accepted = _claim(
        client, person, need.id, kind="line", resource_line_id=lamps.id, offer_id=same_lamps.id, quantity="2"
    )
    assert accepted.status_code == 201, accepted.text
    legacy = mf.offer_of(session, person.user, "50", title="透水砖", unit="平方米")
    bricks_line = mf.line(session, need, "100")
    spelt = _claim(
        client, person, need.id, kind="line", resource_line_id=bricks_line.id, offer_id=legacy.id, quantity="5"
    )
    assert spelt.status_code == 201, spelt.text


def test_another_kind_or_a_converted_unit_is_refused_too(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    rice = add_resource_line(session, need, "500", description="大米", unit="公斤", category=Category.LIVELIHOOD)
    session.commit()
    person = mf.partner(session)
    tons = mf.offer_of(session, person.user, "2", title="大米", unit="吨", category=Category.LIVELIHOOD)
    service = mf.offer_of(session, person.user, "9", title="大米配送", unit="公斤", kind=ResourceKind.SERVICE)
    for offer, why in ((tons, "1 吨 = 1000 公斤"), (service, "the offer is a service, this line needs material")):
        refused = _claim(
            client, person, need.id, kind="line", resource_line_id=rice.id, offer_id=offer.id, quantity="1"
        )
        assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "offer_id"
        assert why in refused.text


def _pending_incompatible_claim(session: Session) -> tuple[Match, Offer, ResourceLine]:
    """A claim of bricks for lamps as the app took it before the rule: proposed, waiting for review."""
    need = mf.project(session, title="楼道声控灯更换")
    lamps = _led_line(session, need)
    organization = make_org(session, name="绿帆建材")
    bricks = make_offer(session, organization, title="再生透水砖")
    session.commit()
    match = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=lamps.id,
        offer_id=bricks.id,
        quantity=Decimal(2),
        organization_id=organization.id,
        status=MatchStatus.PROPOSED,
    )
    session.add(match)
    session.commit()
    return match, bricks, lamps


def test_an_existing_incompatible_claim_is_flagged_and_its_approval_is_409(
    client: TestClient[Any], session: Session
) -> None:
    match, bricks, lamps = _pending_incompatible_claim(session)
    boss = mf.admin(session)
    client.cookies.set("lang", "en")
    queue = client.get("/api/v1/review", headers=boss.headers)
    assert queue.status_code == 200, queue.text
    [item] = [item for item in queue.json()["items"] if item["id"] == match.id]
    [note] = [note for note in item["conflicts"] if note["code"] == "incompatible"]
    assert note["message"] == compatibility.CANNOT_SERVE
    assert "the offer is counted in m², this line needs 个" in note["detail"]

    # The queue filters and counts on it, like the conflicts SQL can tell.
    flagged = client.get("/api/v1/review", params={"conflict": "incompatible"}, headers=boss.headers).json()
    assert [item["id"] for item in flagged["items"]] == [match.id]
    assert flagged["counts"]["conflict"]["incompatible"] == 1 and flagged["counts"]["conflict"]["any"] == 1

    decided = client.post(f"/api/v1/matches/{match.id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 409, decided.text
    assert "cannot serve this resource line" in decided.text and "m²" in decided.text
    assert _fresh(session, Match, match.id).status is MatchStatus.PROPOSED  # nothing changed: it can be rejected
    assert _fresh(session, Offer, bricks.id).remaining_quantity == bricks.remaining_quantity
    assert _fresh(session, ResourceLine, lamps.id).still_needed == lamps.still_needed
    rejected = client.post(
        f"/api/v1/matches/{match.id}/decision",
        json={"decision": "reject", "reason": "砖不能当灯用"},
        headers=boss.headers,
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_a_street_s_inbox_judges_its_own_street_s_claims_only(session: Session) -> None:
    """A street admin's inbox read and judged every pending claim of the city; now only its street's."""
    from marketplace.places.services import street_of_grid

    match, _bricks, _lamps = _pending_incompatible_claim(session)
    need = _fresh(session, Need, match.need_id)
    here = street_of_grid(session, need.grid_id)
    assert here is not None
    assert match.id in compatibility.incompatible_pending(session)
    assert match.id in compatibility.incompatible_pending(session, frozenset({here}))
    assert match.id not in compatibility.incompatible_pending(session, frozenset({here + 1}))


def test_the_review_page_warns_in_the_readers_language(client: TestClient[Any], session: Session) -> None:
    _pending_incompatible_claim(session)
    sign_in_as(client, session, Role.ADMIN)
    page = client.get("/review")
    assert page.status_code == 200
    assert "该资源无法满足此资源项" in page.text and "该资源按“m²”计，此资源项需要“个”" in page.text
    assert "LED声控灯" in page.text  # the card names the line the offer is claimed for
    client.cookies.set("lang", "en")
    assert "The offer cannot serve this resource line" in client.get("/review").text
    filtered = client.get("/review", params={"conflict": "incompatible"}).text
    assert "LED声控灯" in filtered and "1 item pending" in filtered


def _street(session: Session) -> dict[str, Any]:
    """A grid with a bricks line and a lamps line; the fitting offers and others that read closer but cannot serve."""
    grid = make_grid(session)
    need = mf.project(session, grid, title="老旧小区改造 透水砖 LED声控灯")
    bricks_line = mf.line(session, need, "500")
    lamps_line = _led_line(session, need, "20")
    organization = make_org(session, name="湖岛伙伴")

    def offer(title: str, unit: str, remaining: int, **fields: Any) -> Offer:
        row = make_offer(
            session,
            organization,
            title=title,
            description=title,
            unit=unit,
            quantity=Decimal(remaining),
            remaining_quantity=Decimal(remaining),
            **fields,
        )
        session.add(OfferGrid(offer_id=row.id or 0, grid_id=grid.id or 0))
        return row

    found = {
        "bricks": offer("再生透水砖", "m²", 2990),
        "lamps": offer("LED声控楼道灯", "盏", 8),
        # They read like the needs but count something else, or another item.
        "printing": offer("老旧小区改造透水砖LED声控灯宣传册印制", "份", 5000),
        "handrails": offer("老旧小区改造 LED声控灯 透水砖 扶手", "米", 300),
        "chargers": offer("老旧小区改造 LED声控灯 充电桩", "个", 50, category=Category.TRAVEL_SAFETY),
    }
    session.commit()
    return {"grid": grid, "need": need, "bricks_line": bricks_line, "lamps_line": lamps_line, **found}


def _run_round(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as db:
        row = rounds_service.start(db, method=RoundMethod.OPTIMAL, k=20, started_by_id=None, actor_role="test")
        db.commit()
        round_id = row.id or 0
    engine = session_factory.kw["bind"]
    worker.run_with_heartbeat(round_id, session_factory, make_session_factory(engine, readonly=True))
    return round_id


def test_a_round_proposes_only_offers_that_can_serve_their_lines(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    street = _street(session)
    round_id = _run_round(session_factory)
    with reading(session) as fresh:
        assert fresh.get(MatchRound, round_id).status is RoundStatus.FINISHED
        rows = fresh.execute(
            sa.select(Match, ResourceLine, Offer)
            .join(ResourceLine, ResourceLine.id == Match.resource_line_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(Match.kind == MatchKind.OFFER_LINE)
        ).all()
    assert rows
    assert all(compatibility.serves(offer, line) for _, line, offer in rows)
    proposed = {(line.id, offer.id): match.quantity for match, line, offer in rows}
    assert proposed == {
        (street["bricks_line"].id, street["bricks"].id): Decimal(500),
        (street["lamps_line"].id, street["lamps"].id): Decimal(8),
    }


def test_recommendations_never_list_an_offer_that_cannot_serve_the_line(
    client: TestClient[Any], session: Session
) -> None:
    street = _street(session)
    sign_in_as(client, session, Role.ADMIN)
    response = client.get(f"/api/v1/needs/{street['need'].id}/recommendations", params={"kind": "offers", "k": 50})
    assert response.status_code == 200, response.text
    listed = {part["part_id"]: [row["id"] for row in part["candidates"]] for part in response.json()["parts"]}
    assert listed == {street["bricks_line"].id: [street["bricks"].id], street["lamps_line"].id: [street["lamps"].id]}


def test_the_take_part_form_offers_only_what_fits_each_line(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    lamps = _led_line(session, need)
    kits_line = add_resource_line(session, need, "5", description="清洁工具", unit="套")
    session.commit()
    person = mf.partner(session)
    bricks = mf.offer_of(session, person.user, "3200", title="再生透水砖")
    lights = mf.offer_of(session, person.user, "30", title="LED声控楼道灯", unit="盏")
    sign_in_as(client, session, Role.PARTNER, organization_id=person.user.organization_id)
    client.cookies.set("lang", "en")
    page = client.get(f"/projects/{need.id}/take-part")
    assert page.status_code == 200
    lamps_form = page.text.split(f'id="line-{lamps.id}"')[1].split("</li>")[0]
    assert f'<option value="{lights.id}"' in lamps_form and f'<option value="{bricks.id}"' not in lamps_form
    kits_form = page.text.split(f'id="line-{kits_line.id}"')[1].split('<li class="take-part-line"')[0]
    assert "<select" not in kits_form
    # An English page names the units in English, and as stored where an offer must be published in them;
    # each unfit offer says the rule's reason.
    assert "None of your organization's active offers can serve this line" in kits_form
    assert "the offer is counted in lamps, this line needs sets" in kits_form and "counted in sets (套)" in kits_form
    assert "the offer is counted in m², this line needs sets" in kits_form
    # A claim of the bricks for the lamps posted anyway is refused next to the offer, saying why.
    data = {"kind": "line", "resource_line_id": str(lamps.id), "offer_id": str(bricks.id), "quantity": "2"}
    refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert refused.status_code == 400
    assert f'id="line-{lamps.id}-offer-error"' in refused.text
    assert "the offer is counted in m², this line needs pieces" in refused.text  # units named in English
    client.cookies.set("lang", "zh_CN")
    refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert "该资源按“m²”计，此资源项需要“个”" in refused.text


def test_forms_the_api_and_imports_store_units_as_the_table_spells_them(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid: Grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    body = {"kind": "material", "category": "renovation", "title": "透水砖", "quantity": "3200", "grid_ids": [grid.id]}
    created = client.post("/api/v1/offers", json=body | {"unit": " 平方米 "}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["unit"] == "m²"
    empty = client.post("/api/v1/offers", json=body | {"unit": "  "}, headers=headers)
    assert empty.status_code == 400 and "unit" in empty.text
    unknown = client.post("/api/v1/offers", json=body | {"unit": "垛"}, headers=headers)
    assert unknown.status_code == 201 and unknown.json()["unit"] == "垛"  # kept as written
    header = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"
    rows = f"material,renovation,透水砖,,800,㎡,,,,{grid.code}\nmaterial,renovation,大米,,20,KG,,,,{grid.code}\n"
    imported = client.post(
        "/api/v1/offers/import",
        files={"file": ("offers.csv", (header + rows).encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert imported.status_code == 200, imported.text
    with reading(session) as fresh:
        units = [fresh.get(Offer, offer_id).unit for offer_id in imported.json()["imported_ids"]]
    assert units == ["m²", "公斤"]


def test_a_need_imported_with_an_alias_gets_the_tables_spelling(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    header = "标题,说明,类别,网格,来源渠道,紧急程度,期限,联系人,联系电话,资源类型,资源数量,资源单位\n"
    row = f"人行道铺设透水砖,,renovation,{grid.code},grid_walk,,,,,material,200,平方米\n"
    response = client.post(
        "/needs/import",
        files={"file": ("needs.csv", (header + row).encode("utf-8"), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert response.status_code == 200, response.text
    with reading(session) as fresh:
        assert [line.unit for line in fresh.execute(sa.select(ResourceLine)).scalars()] == ["m²"]


def test_the_demo_data_spells_units_as_the_table_and_every_line_has_a_fitting_offer() -> None:
    offers = [Side(o.kind.value, o.category.value, o.unit, o.title) for o in OFFER_TEMPLATES]
    for template in NEED_TEMPLATES:
        for line in template.lines:
            assert canonical(line.unit) == line.unit, line
            side = Side(line.kind.value, line.category.value, line.unit, line.item)
            fitting = [offer for offer in offers if can_serve(offer, side).ok]
            # Manhole covers (井盖) are the one item no partner of the demo offers.
            assert fitting or line.item == "井盖", line
    assert all(canonical(o.unit) == o.unit for o in OFFER_TEMPLATES)
