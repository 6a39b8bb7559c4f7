"""Each role's home (/home and GET /api/v1/me/home): its numbers match the data, and each number's link
opens a list showing exactly those items, within the viewer's scope (staff their grids, a street admin
their street, a city admin every street).

The world is tests/street_fixtures.py's two streets, A and B: every row of A carries ALFAMARK, of B
BRAVOMARK, so a count or a list that takes in the other street's rows is found by text.
"""

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Escalation, EscalationLevel, NeedStatus
from marketplace.settings import Settings
from marketplace.street_clock import day_start, street_today
from tests import factories
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings, app: Litestar) -> TwoStreets:
    world = build_two_streets(session, session_factory, settings)
    for side in (world.a, world.b):
        # In the staff's grid: a shift starting now (today on the street's clock) and an overdue need.
        factories.add_shift(session, side.project, starts_at=utcnow(), title=f"{side.mark}今日值守")
        factories.make_need(
            session, side.grids[0], NeedStatus.PUBLISHED, title=f"{side.mark}逾期需求",
            due_date=street_today() - timedelta(days=2),
        )  # fmt: skip
        # In the street's other community: neither the staff's shift nor their need.
        other = factories.make_need(session, side.grids[1], NeedStatus.PUBLISHED, title=f"{side.mark}另一社区项目")
        factories.add_shift(session, other, starts_at=utcnow(), title=f"{side.mark}另一社区值守")
    session.commit()
    return world


def _home(client: TestClient[Litestar], world: TwoStreets, role: str) -> dict[str, Any]:
    use(client, world.identities[role])
    response = client.get("/api/v1/me/home")
    assert response.status_code == 200, response.text
    return response.json()


def _cards(home: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {card["key"]: card for section in home["sections"] for card in section["cards"]}


def _section(home: dict[str, Any], key: str) -> dict[str, Any]:
    return next(section for section in home["sections"] if section["key"] == key)


def _page(client: TestClient[Litestar], href: str) -> str:
    response = client.get(href)
    assert response.status_code == 200, (href, response.status_code)
    return response.text


def _table_rows(html: str) -> int:
    """Rows of a list's table (the head row left out)."""
    return html.count("<tr>") - 1


def test_anonymous_is_sent_to_sign_in_and_comes_back(client: TestClient[Litestar]) -> None:
    response = client.get("/home", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fhome"
    assert client.get("/api/v1/me/home").status_code == 401


def test_sign_in_without_next_goes_home_and_with_next_goes_there(
    client: TestClient[Litestar], session: Session
) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    session.commit()
    assert 'name="next" value=""' in client.get("/login").text
    response = login(client, "xiaoli", DEFAULT_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/home"
    client.cookies.clear()
    response = login(client, "xiaoli", DEFAULT_PASSWORD, next_url="/account")
    assert response.headers["location"] == "/account"


def test_staff_counts_only_their_grids_and_each_link_shows_those_needs(
    client: TestClient[Litestar], world: TwoStreets
) -> None:
    home = _home(client, world, "staff A")
    cards = _cards(home)
    # Their community's grid holds the submitted need; the under-review one lies in the other community.
    assert cards["needs_to_review"]["number"] == 1
    listed = _page(client, cards["needs_to_review"]["href"])
    assert _table_rows(listed) == 1 and "ALFAMARK需求submitted" in listed and "ALFAMARK需求under_review" not in listed
    assert cards["needs_overdue"]["number"] == 1
    listed = _page(client, cards["needs_overdue"]["href"])
    assert _table_rows(listed) == 1 and "ALFAMARK逾期需求" in listed
    # Ready to verify: the matched and the completed need of their grid wait for nothing (no line, no shift).
    assert cards["needs_to_verify"]["number"] == 2
    listed = _page(client, cards["needs_to_verify"]["href"])
    assert _table_rows(listed) == 2 and "ALFAMARK需求completed" in listed and "ALFAMARK需求matched" in listed
    # The project's community step, and the grid step the overdue sweep opened for the overdue need.
    assert cards["escalations_waiting"]["number"] == 2
    listed = _page(client, cards["escalations_waiting"]["href"])
    assert listed.count('class="escalation-item') == 2 and "BRAVOMARK" not in listed
    assert cards["escalations_open"]["number"] == 2
    # Today's shifts: only the one in their grid, listed on the page itself.
    assert cards["shifts_today"]["number"] == 1
    shifts = _section(home, "shifts_today")["items"]
    assert [item["title"] for item in shifts] == [f"ALFAMARK今日值守 · {world.a.project.title}"]
    assert shifts[0]["href"] == f"/needs/{world.a.project.id}"
    assert "BRAVOMARK" not in str(home)


def test_a_street_admin_counts_their_street_only_and_the_links_agree(
    client: TestClient[Litestar], world: TwoStreets
) -> None:
    home = _home(client, world, "admin A")
    cards = _cards(home)
    assert cards["needs_to_review"]["number"] == 2  # submitted and under review, both communities
    listed = _page(client, cards["needs_to_review"]["href"])
    assert _table_rows(listed) == 2 and "BRAVOMARK" not in listed
    assert cards["organizations_pending"]["number"] == 1
    listed = _page(client, cards["organizations_pending"]["href"])
    assert _table_rows(listed) == 1 and "ALFAMARK待审企业" in listed
    # The review queue: partner A's and the both-street partner's line claims, two sign-ups on A's shift.
    assert cards["queue_offer_line"]["number"] == 2
    total = cards["queue_total"]["number"]
    kinds = ("queue_whole_need", "queue_offer_line", "queue_volunteer_shift")
    assert total == sum(cards[key]["number"] for key in kinds)
    for key in ("queue_total", *kinds, "queue_today", "queue_recent", "queue_older"):
        listed = _page(client, cards[key]["href"])
        assert listed.count(" data-card ") == cards[key]["number"], key
        assert "BRAVOMARK" not in listed, key
    assert cards["queue_today"]["number"] == total  # everything came in today
    # The last round is street A's own, and the escalations only A's.
    round_items = _section(home, "last_round")["items"]
    assert round_items[0]["href"] == f"/rounds/{world.a.round.id}"
    assert cards["escalations_waiting"]["number"] == 2
    escalation_cards = ("escalations_waiting", "escalations_overdue", "escalations_open", "escalations_today")
    for key in (*escalation_cards, "escalations_recent", "escalations_older"):
        listed = _page(client, cards[key]["href"])
        assert listed.count('class="escalation-item') == cards[key]["number"], key
        assert "BRAVOMARK" not in listed, key
    assert "BRAVOMARK" not in str(home)
    assert "city" not in {section["key"] for section in home["sections"]}


def test_the_queue_by_age_puts_each_item_in_its_bucket(
    client: TestClient[Litestar], world: TwoStreets, session: Session
) -> None:
    now = utcnow()
    for days, title in ((2, "recent"), (10, "older")):
        need = factories.make_need(session, world.a.grids[0], NeedStatus.PUBLISHED, title=f"ALFAMARK整体{title}")
        session.add(
            Match(
                kind=MatchKind.WHOLE_NEED,
                source=MatchSource.PARTNER_CLAIM,
                status=MatchStatus.PROPOSED,
                need_id=need.id or 0,
                organization_id=world.a.organization.id,
                created_at=now - timedelta(days=days),
            )
        )
        # An escalation step of the same age, acknowledged in time (so the sweep leaves it be).
        opened = now - timedelta(days=days)
        session.add(
            Escalation(
                need_id=need.id or 0,
                level=EscalationLevel.GRID,
                reason=f"ALFAMARK吹哨{title}",
                opened_at=opened,
                deadline_at=opened + timedelta(days=1),
                acknowledged_at=opened + timedelta(hours=1),
            )
        )
    session.commit()
    cards = _cards(_home(client, world, "admin A"))
    assert cards["escalations_recent"]["number"] == 1 and cards["escalations_older"]["number"] == 1
    older = _page(client, cards["escalations_older"]["href"])
    assert older.count('class="escalation-item') == 1 and "ALFAMARK吹哨older" in older
    assert cards["queue_whole_need"]["number"] == 2
    assert cards["queue_recent"]["number"] == 1 and cards["queue_older"]["number"] == 1
    recent = _page(client, cards["queue_recent"]["href"])
    assert recent.count(" data-card ") == 1 and "ALFAMARK整体recent" in recent
    older = _page(client, cards["queue_older"]["href"])
    assert older.count(" data-card ") == 1 and "ALFAMARK整体older" in older


def test_the_city_admin_counts_every_street_and_is_offered_the_city_page(
    client: TestClient[Litestar], world: TwoStreets
) -> None:
    street_a = _cards(_home(client, world, "admin A"))
    street_b = _cards(_home(client, world, "admin B"))
    home = _home(client, world, "city admin")
    cards = _cards(home)
    for key in ("needs_to_review", "organizations_pending", "escalations_waiting"):
        assert cards[key]["number"] == street_a[key]["number"] + street_b[key]["number"], key
    # The both-street partner's claims lie in both streets: each street's queue holds one of them.
    assert cards["queue_total"]["number"] == street_a["queue_total"]["number"] + street_b["queue_total"]["number"]
    assert home["sections"][0]["key"] == "city"
    assert home["sections"][0]["links"][0]["href"] == "/admin/city"


def test_partner_sees_their_offers_claims_and_contribution(
    client: TestClient[Litestar], world: TwoStreets, session: Session
) -> None:
    cards = _cards(_home(client, world, "partner A"))
    assert cards["offers_active"]["number"] == 1
    listed = _page(client, cards["offers_active"]["href"])
    assert _table_rows(listed) == 1 and "ALFAMARK捐赠" in listed
    assert cards["claims_waiting"]["number"] == 1
    assert f'id="claim-{world.a.claim_id}"' in _page(client, cards["claims_waiting"]["href"])
    assert cards["claims_to_deliver"]["number"] == 0
    assert cards["claims_fulfilled"]["number"] == 0
    # Delivered: the claim counts as contributed, with its quantity in the offer's unit.
    match = session.get(Match, world.a.claim_id)
    assert match is not None
    match.status, match.fulfilled_at = MatchStatus.FULFILLED, utcnow()
    session.commit()
    home = _home(client, world, "partner A")
    cards = _cards(home)
    assert cards["claims_fulfilled"]["number"] == 1
    assert cards["claims_fulfilled_this_year"]["number"] == 1
    assert cards["projects_served"]["number"] == 1
    assert [item["title"] for item in _section(home, "contributed")["items"]] == [f"{Decimal(5)} m²"]
    assert "BRAVOMARK" not in str(home)


def _claims_listed(client: TestClient[Litestar], href: str) -> tuple[list[int], str]:
    """The claims a link to My claims shows (their card ids), checked against its JSON twin's list."""
    assert href.startswith("/claims?"), href  # a filtered list, never all claims
    page = _page(client, href)
    shown = [int(match_id) for match_id in re.findall(r'<li class="take-part-card" id="claim-(\d+)"', page)]
    api = client.get("/api/v1" + href)
    assert api.status_code == 200, (href, api.text)
    assert sorted(item["id"] for item in api.json()["items"]) == sorted(shown), href
    assert api.json()["total"] == len(shown)
    return shown, page


def test_each_partner_number_is_the_count_of_the_claims_it_links_to(
    client: TestClient[Litestar], world: TwoStreets, session: Session
) -> None:
    side = world.a
    other = factories.make_need(session, side.grids[0], NeedStatus.PUBLISHED, title="ALFAMARK另一项目")
    other_line = factories.add_resource_line(session, other, "50")
    this_year = utcnow()
    last_year = day_start(date(street_today().year - 1, 6, 1))

    def claim(line: Any, status: MatchStatus, fulfilled_at: Any = None, **fields: Any) -> int:
        row = Match(
            need_id=line.need_id,
            kind=MatchKind.OFFER_LINE,
            source=fields.pop("source", MatchSource.PARTNER_CLAIM),
            resource_line_id=line.id,
            offer_id=side.offer.id,
            quantity=Decimal(2),
            organization_id=side.organization.id,
            status=status,
            fulfilled_at=fulfilled_at,
            **fields,
        )
        session.add(row)
        session.commit()
        return row.id or 0

    approved = [claim(side.line, MatchStatus.APPROVED) for _ in range(2)]
    delivered_now = [claim(side.line, MatchStatus.FULFILLED, this_year) for _ in range(2)]
    delivered_now.append(claim(other_line, MatchStatus.FULFILLED, this_year))
    delivered_before = claim(other_line, MatchStatus.FULFILLED, last_year)
    claim(side.line, MatchStatus.REJECTED, decision_reason="重复认领")
    claim(side.line, MatchStatus.CANCELLED, decision_reason="不再需要")
    # A round's proposal not accepted yet is no claim: counted nowhere, listed under "Proposed to you".
    claim(side.line, MatchStatus.PROPOSED, source=MatchSource.MATCHING_ROUND)

    cards = _cards(_home(client, world, "partner A"))
    expected = {
        "claims_waiting": [side.claim_id],
        "claims_to_deliver": approved,
        "claims_fulfilled": [*delivered_now, delivered_before],
        "claims_fulfilled_this_year": delivered_now,
    }
    for key, ids in expected.items():
        shown, page = _claims_listed(client, cards[key]["href"])
        assert cards[key]["number"] == len(shown) == len(ids), key
        assert sorted(shown) == sorted(ids), key
        assert "BRAVOMARK" not in page and 'id="proposals-heading"' not in page
    # Projects served: the delivered claims' page says on how many projects they are.
    assert cards["projects_served"]["number"] == 2
    client.cookies.set("lang", "en")
    page = _page(client, cards["projects_served"]["href"])
    assert "4 claims · on 2 projects" in " ".join(page.split())
    this_year_page = " ".join(_page(client, cards["claims_fulfilled_this_year"]["href"]).split())
    assert f"3 claims delivered in {street_today().year}" in this_year_page
    # The whole list still has every claim and the proposals waiting for an answer.
    everything = _page(client, "/claims")
    assert everything.count('<li class="take-part-card" id="claim-') == 9 and 'id="proposals-heading"' in everything


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("status=", "status"),
        ("delivered_in=soon", "delivered_in"),
        ("delivered_in=99999999999999999999", "delivered_in"),
        ("delivered_in=1999", "delivered_in"),
    ],
)
def test_a_bad_claims_filter_is_a_400_naming_the_field(
    client: TestClient[Litestar], world: TwoStreets, query: str, field: str
) -> None:
    use(client, world.identities["partner A"])
    client.cookies.set("lang", "en")
    page = client.get(f"/claims?{query}")
    assert page.status_code == 400 and f"Parameter “{field}”" in page.text, (query, page.status_code)
    api = client.get(f"/api/v1/claims?{query}")
    assert api.status_code == 400, (query, api.status_code, api.text)
    assert [problem["key"] for problem in api.json()["extra"]] == [field]


def test_a_new_partner_with_nothing_yet_reads_well(
    client: TestClient[Litestar], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    street = factories.make_street(session)
    organization = factories.make_organization(session, street)
    user = make_user(session, Role.PARTNER, username="newpartner", organization_id=organization.id)
    session.commit()
    assert login(client, user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    page = _page(client, "/home")
    assert "No active offer." in page
    assert "Nothing delivered yet." in page
    assert "Proposals to accept or decline" in page
    client.cookies.set("lang", "zh_CN")
    page = _page(client, "/home")
    assert "我的工作台" in page and "暂无有效资源" in page


def test_volunteer_sees_next_shifts_and_hours(client: TestClient[Litestar], world: TwoStreets) -> None:
    home = _home(client, world, "volunteer A")
    cards = _cards(home)
    assert cards["shifts_upcoming"]["number"] == 1
    assert "ALFAMARK值守" in _page(client, cards["shifts_upcoming"]["href"])
    assert cards["hours_this_year"]["number"] == 0 and cards["hours_all_time"]["number"] == 0
    links = {link["href"] for section in home["sections"] for link in section["links"]}
    assert {"/volunteer/calendar", "/volunteer/certificates", "/volunteer/hours", "/recommended"} <= links
    for item in _section(home, "recommended")["items"]:
        assert item["href"].startswith("/projects/") and "BRAVOMARK" not in item["title"]


def test_the_page_shows_the_same_numbers_and_links_as_the_api(client: TestClient[Litestar], world: TwoStreets) -> None:
    for role in ("staff A", "admin A", "partner A", "volunteer A", "city admin"):
        cards = _cards(_home(client, world, role))
        page = _page(client, "/home")
        shown = {
            key: (html.unescape(href), number)
            for href, key, number in re.findall(
                r'href="([^"]+)" data-key="([a-z_]+)">\s*<span class="home-number">([0-9.]+)</span>', page
            )
        }
        expected = {key: (card["href"], str(card["number"])) for key, card in cards.items()}
        assert shown == expected, role
        assert '<a href="/home" aria-current="page">' in page


def test_grid_staff_count_their_grid_only(client: TestClient[Litestar], session: Session) -> None:
    street = factories.make_street(session)
    community = factories.make_community(session, street)
    grid_a, grid_b = factories.make_grid(session, community, 1), factories.make_grid(session, community, 2)
    factories.make_need(session, grid_a, NeedStatus.SUBMITTED, title="A网格待审")
    factories.make_need(session, grid_b, NeedStatus.SUBMITTED, title="B网格待审")
    factories.make_need(session, grid_b, NeedStatus.UNDER_REVIEW, title="B网格审核中")
    b_project = factories.make_need(session, grid_b, NeedStatus.PUBLISHED, title="B网格项目")
    factories.add_shift(session, b_project, starts_at=utcnow(), title="B网格值守")
    user = make_user(session, Role.STAFF, username="gridstaff", grid_ids=[grid_a.id or 0])
    session.commit()
    assert login(client, user.username, DEFAULT_PASSWORD).status_code == 303
    home = client.get("/api/v1/me/home").json()
    cards = _cards(home)
    assert cards["needs_to_review"]["number"] == 1
    listed = _page(client, cards["needs_to_review"]["href"])
    assert "A网格待审" in listed and "B网格" not in listed
    assert cards["shifts_today"]["number"] == 0
    assert "B网格" not in str(home)
