"""The review inbox an admin can clear in minutes: filters with counts, search, "due today" first, select all
on the filter, bulk approve and bulk reject with one reason, a bounded number of queries per page, and
two admins deciding overlapping sets at once deciding each item once."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.matches import claims, signups
from marketplace.matches.claims import ClaimRequest
from marketplace.matches.inbox import PAGE_SIZE
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.review_pages import QUEUE_PAGE_SIZE
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.needs.submissions import reference_number
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization
from marketplace.places.models import Community, Grid
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from tests import matches_factories as mf
from tests.busy_street import actor_of, finished_round, volunteer_profile
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import fetch, make_community, make_grid, make_user, post_form, reading, sign_in_as
from tests.test_query_counts import statements_of_page

# --- a street with pending items of every kind ---------------------------------------------------------


@dataclass
class Inbox:
    """Two communities, partners with offers, volunteers, and helpers that add pending items."""

    session: Session
    north: Grid
    south: Grid
    partner: mf.Person
    builder: mf.Person  # a second partner, named so a search can find it
    admin: mf.Person
    offers: dict[int, Offer] = field(default_factory=dict)

    def need(self, grid: Grid | None = None, **fields: Any) -> Need:
        return mf.project(self.session, grid or self.north, **fields)

    def line_claim(
        self, need: Need, person: mf.Person | None = None, quantity: str = "2", *, line: ResourceLine | None = None
    ) -> Match:
        person = person or self.partner
        line = line or mf.line(self.session, need, "1000")
        offer = self._offer(person)
        request = ClaimRequest("line", line.id, offer.id, Decimal(quantity))
        row = claims.claim(self.session, actor_of(person.user), need.id or 0, request)
        self.session.commit()
        return row

    def whole_claim(self, need: Need, person: mf.Person | None = None) -> Match:
        person = person or self.builder
        row = claims.claim(self.session, actor_of(person.user), need.id or 0, ClaimRequest("whole"))
        self.session.commit()
        return row

    def signup(self, need: Need, *, starts_in_hours: float = 48, name: str | None = None) -> Match:
        """A pending sign-up (the shift needs approval) of a new volunteer."""
        shift = mf.shift(self.session, need, starts_in_hours=starts_in_hours, requires_approval=True)
        user = make_user(self.session, Role.VOLUNTEER, display_name=name)
        volunteer_profile(self.session, user, self.north)
        self.session.commit()
        signup, _created = signups.sign_up(self.session, actor_of(user), shift.id or 0)
        self.session.commit()
        return fetch(self.session, Match, signup.match_id)

    def round_proposal(self, need: Need, round_id: int, *, accepted: bool, score: float = 0.8) -> Match:
        """A matching round's line proposal, as rounds/proposals.py writes it."""
        line = mf.line(self.session, need, "1000")
        offer = self._offer(self.partner)
        row = Match(
            need_id=need.id or 0,
            kind=MatchKind.OFFER_LINE,
            source=MatchSource.MATCHING_ROUND,
            resource_line_id=line.id,
            offer_id=offer.id,
            organization_id=offer.organization_id,
            quantity=Decimal(3),
            score=score,
            round_id=round_id,
            accepted_at=datetime.now(UTC) if accepted else None,
        )
        self.session.add(row)
        self.session.commit()
        return row

    def _offer(self, person: mf.Person) -> Offer:
        key = person.user.id or 0
        if key not in self.offers:
            self.offers[key] = mf.offer_of(self.session, person.user, remaining="100000", title="再生透水砖")
        return self.offers[key]

    def age(self, rows: list[Match], days: float) -> None:
        """Proposed ``days`` ago (the inbox sorts and filters by when an item was proposed)."""
        when = datetime.now(UTC) - timedelta(days=days)
        for row in rows:
            row.created_at = when
            self.session.add(row)
        self.session.commit()


@pytest.fixture
def inbox(session: Session) -> Inbox:
    north = make_grid(session, make_community(session))
    south = make_grid(session, make_community(session))
    session.commit()
    return Inbox(
        session=session,
        north=north,
        south=south,
        partner=mf.partner(session),
        builder=mf.with_token(session, make_user(session, Role.PARTNER, display_name="建工")),
        admin=mf.admin(session),
    )


def _rename_organization(session: Session, user: User, name: str) -> None:
    organization = session.get(Organization, user.organization_id)
    assert organization is not None
    organization.name = name
    session.add(organization)
    session.commit()


def _queue(client: TestClient[Litestar], inbox: Inbox, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/review", params=params, headers=inbox.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


# --- filters, counts, search ------------------------------------------------------------------------------


def test_filters_narrow_the_inbox_and_the_counts_say_what_each_value_would_show(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    north_need = inbox.need(inbox.north, title="楼道照明改造")
    south_need = inbox.need(inbox.south, title="南区凉亭修缮")
    lines = [inbox.line_claim(north_need) for _ in range(3)]
    whole = inbox.whole_claim(south_need)
    signup = inbox.signup(north_need)
    match_round = finished_round(session, inbox.admin.user)
    waiting = inbox.round_proposal(south_need, match_round.id or 0, accepted=False, score=0.9)
    accepted = inbox.round_proposal(south_need, match_round.id or 0, accepted=True, score=0.4)
    inbox.age(lines[:1], days=10)

    everything = _queue(client, inbox)
    assert everything["total"] == 7 and everything["page"] == 1 and everything["pages"] == 1
    counts = everything["counts"]
    assert counts["kind"] == {"offer_line": 5, "volunteer_shift": 1, "whole_need": 1}
    assert counts["answer"] == {"awaiting": 1, "accepted": 1}
    assert counts["source"]["partner_claim"] == 4 and counts["source"]["matching_round"] == 2
    north_community, south_community = inbox.north.community_id, inbox.south.community_id
    assert {row["id"]: row["count"] for row in counts["community"]} == {north_community: 4, south_community: 3}
    assert counts["round"] == [{"id": match_round.id, "count": 2}]

    # One filter: the items narrow; its own counts still show every value, the others' counts follow it.
    lines_only = _queue(client, inbox, kind="offer_line")
    assert sorted(_ids(lines_only)) == sorted([*(m.id for m in lines), waiting.id, accepted.id])
    assert lines_only["counts"]["kind"] == counts["kind"]
    assert {row["id"]: row["count"] for row in lines_only["counts"]["community"]} == {
        north_community: 3,
        south_community: 2,
    }
    assert set(_ids(_queue(client, inbox, community=south_community))) == {whole.id, waiting.id, accepted.id}
    assert set(_ids(_queue(client, inbox, grid=inbox.north.id))) == {*(m.id for m in lines), signup.id}
    assert set(_ids(_queue(client, inbox, need=south_need.id, kind="whole_need"))) == {whole.id}
    assert set(_ids(_queue(client, inbox, round=match_round.id))) == {waiting.id, accepted.id}
    assert _ids(_queue(client, inbox, answer="awaiting")) == [waiting.id]
    assert _ids(_queue(client, inbox, answer="accepted")) == [accepted.id]
    assert set(_ids(_queue(client, inbox, source="volunteer_signup"))) == {signup.id}
    assert _ids(_queue(client, inbox, score="0.5")) == [waiting.id]
    today = datetime.now(UTC).date().isoformat()
    old_day = (datetime.now(UTC) - timedelta(days=10)).date()
    assert _ids(_queue(client, inbox, to=(old_day + timedelta(days=1)).isoformat())) == [lines[0].id]
    assert lines[0].id not in _ids(_queue(client, inbox, **{"from": today}))


def test_conflicts_the_database_can_tell_are_filters_with_counts(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    need = inbox.need()
    short = inbox.line_claim(need, quantity="5")
    fine = inbox.line_claim(need, quantity="5", line=mf.line(session, need, "1000"))
    line = session.get(ResourceLine, short.resource_line_id)
    assert line is not None
    line.still_needed = Decimal(4)  # staff lowered it: the claim asks for more than the line needs now
    session.add(line)
    signup = inbox.signup(need, starts_in_hours=30)
    shift = session.get(Shift, signup.shift_id)
    assert shift is not None
    shift.slots, shift.confirmed_count = 1, 1  # full
    session.add(shift)
    session.commit()

    body = _queue(client, inbox, conflict="any")
    assert set(_ids(body)) == {short.id, signup.id} and fine.id not in _ids(body)
    assert body["counts"]["conflict"]["line_short"] == 1 and body["counts"]["conflict"]["shift_full"] == 1
    assert body["counts"]["conflict"]["any"] == 2
    assert _ids(_queue(client, inbox, conflict="shift_full")) == [signup.id]
    notes = {item["id"]: [c["code"] for c in item["conflicts"]] for item in _queue(client, inbox)["items"]}
    assert notes[short.id] == ["line_short"] and notes[signup.id] == ["shift_full"] and notes[fine.id] == []


def test_search_finds_a_need_by_reference_number_title_and_names(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    lamps = inbox.need(title="楼道声控灯更换")
    pavilion = inbox.need(title="凉亭修缮")
    lamp_claim = inbox.line_claim(lamps)
    pavilion_claim = inbox.whole_claim(pavilion)
    _rename_organization(session, inbox.builder.user, "青岛建工集团")
    volunteer_item = inbox.signup(inbox.need(title="敬老院探访"), name="李秀英")

    assert _ids(_queue(client, inbox, q=reference_number(lamps.id or 0))) == [lamp_claim.id]
    assert _ids(_queue(client, inbox, q=f"xq{lamps.id}")) == [lamp_claim.id]
    assert _ids(_queue(client, inbox, q="声控灯")) == [lamp_claim.id]
    assert _ids(_queue(client, inbox, q="建工集团")) == [pavilion_claim.id]
    assert _ids(_queue(client, inbox, q="秀英")) == [volunteer_item.id]
    assert _ids(_queue(client, inbox, q="透水砖")) == [lamp_claim.id]  # the offer's title
    assert _ids(_queue(client, inbox, q="100%")) == []  # a wildcard is text, not "everything"
    sign_in_as(client, session, Role.ADMIN)
    page = client.get("/review", params={"q": reference_number(pavilion.id or 0)}).text
    assert f'name="ids" value="{pavilion_claim.id}"' in page and f'name="ids" value="{lamp_claim.id}"' not in page
    assert reference_number(pavilion.id or 0) in page


def test_a_sign_up_for_a_shift_starting_in_25_minutes_is_on_page_one_among_200_older_items(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    need = inbox.need()
    line = mf.line(session, need, "100000")
    older = [inbox.line_claim(need, line=line) for _ in range(190)]
    older += [inbox.signup(need, starts_in_hours=48 + hour) for hour in range(10)]
    inbox.age(older, days=3)
    soon = inbox.signup(need, starts_in_hours=25 / 60)  # proposed last, starts first

    body = _queue(client, inbox)
    assert body["total"] == 201 and body["pages"] == 5
    assert body["items"][0]["id"] == soon.id and body["items"][0]["due_today"] in (True, False)
    assert body["counts"]["due_today"] >= 1 or body["items"][0]["due_today"] is False  # near midnight: tomorrow
    oldest = _queue(client, inbox, sort="oldest", page=5)
    assert _ids(oldest) == [soon.id]
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get("/review").text
    assert page.count('name="ids" value=') == QUEUE_PAGE_SIZE and f"Page 1 of {-(-201 // QUEUE_PAGE_SIZE)}" in page
    first_card = page.index('name="ids" value=')
    assert page[first_card:].startswith(f'name="ids" value="{soon.id}"')


def test_a_need_due_today_and_a_critical_one_come_before_older_items(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    plain = inbox.line_claim(inbox.need())
    inbox.age([plain], days=5)
    due = inbox.line_claim(inbox.need(due_date=datetime.now(UTC).date() - timedelta(days=1)))
    critical = inbox.line_claim(inbox.need(urgency=Urgency.CRITICAL))
    body = _queue(client, inbox)
    assert _ids(body) == [critical.id, due.id, plain.id]
    assert [item["due_today"] for item in body["items"]] == [True, True, False]
    assert _ids(_queue(client, inbox, due="today")) == [critical.id, due.id]
    assert _ids(_queue(client, inbox, sort="newest"))[-1] == plain.id


# --- bulk decisions -----------------------------------------------------------------------------------------


def _decisions(session: Session, match_ids: list[int]) -> Counter[str]:
    with reading(session) as fresh:
        rows = fresh.execute(
            sa.select(AuditEvent.action).where(
                AuditEvent.object_type == "match",
                sa.cast(AuditEvent.object_id, sa.String).in_([str(i) for i in match_ids]),
                AuditEvent.action.in_(["match.approve", "match.reject"]),  # type: ignore[attr-defined]
            )
        ).scalars()
        return Counter(rows)


def _statuses(session: Session, match_ids: list[int]) -> dict[int, MatchStatus]:
    with reading(session) as fresh:
        rows = fresh.execute(sa.select(Match.id, Match.status).where(Match.id.in_(match_ids))).all()  # type: ignore[union-attr]
        return {match_id: status for match_id, status in rows}


def test_bulk_reject_of_everything_matching_the_filter_from_the_page(
    client: TestClient[Litestar], session: Session, settings: Settings, inbox: Inbox
) -> None:
    north, south = inbox.need(inbox.north), inbox.need(inbox.south)
    chosen = [inbox.line_claim(north) for _ in range(PAGE_SIZE + 5)]  # more than one page
    kept = [inbox.line_claim(south), inbox.signup(north)]
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    view = client.get("/review", params={"community": inbox.north.community_id, "kind": "offer_line"}).text
    assert f"all {PAGE_SIZE + 5} matching the filter" in view
    upto = view.split('name="upto" value="')[1].split('"')[0]
    late = inbox.line_claim(north)  # arrives after the admin looked: not part of what they chose

    fields = {"community": str(inbox.north.community_id), "kind": "offer_line", "scope": "filter", "upto": upto}
    missing = post_form(client, settings, "/review/bulk-reject", fields)
    assert missing.status_code == 400 and "Give a reason" in missing.text
    result = post_form(client, settings, "/review/bulk-reject", fields | {"reason": "物资已由政府统一采购"})
    assert result.status_code == 200, result.text
    assert "Bulk rejection" in result.text and f'Rejected<span class="review-count"> ({len(chosen)})' in result.text
    assert "物资已由政府统一采购" in result.text
    assert f"/review?kind=offer_line&amp;community={inbox.north.community_id}" in result.text
    statuses = _statuses(session, [m.id or 0 for m in [*chosen, *kept, late]])
    assert all(statuses[m.id or 0] is MatchStatus.REJECTED for m in chosen)
    assert all(statuses[m.id or 0] is MatchStatus.PROPOSED for m in [*kept, late])
    assert _decisions(session, [m.id or 0 for m in chosen]) == {"match.reject": len(chosen)}
    with reading(session) as fresh:
        told = fresh.execute(
            sa.select(sa.func.count()).where(Notification.user_id == inbox.partner.user.id)  # type: ignore[arg-type]
        ).scalar_one()
        reasons = set(
            fresh.execute(sa.select(Match.decision_reason).where(Match.id.in_([m.id for m in chosen]))).scalars()  # type: ignore[union-attr]
        )
    assert told >= len(chosen) and reasons == {"物资已由政府统一采购"}


def test_bulk_approve_of_the_page_and_of_ticked_items_reports_what_failed_and_why(
    client: TestClient[Litestar], session: Session, settings: Settings, inbox: Inbox
) -> None:
    need = inbox.need()
    line = mf.line(session, need, "4")
    claims_ = [inbox.line_claim(need, quantity="2", line=line) for _ in range(3)]  # only two fit
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page_ids = [str(m.id) for m in claims_]
    result = post_form(client, settings, "/review/bulk-approve", {"scope": "page", "page_ids": page_ids})
    assert result.status_code == 200
    assert 'Approved<span class="review-count"> (2)' in result.text and "Not approved" in result.text
    assert "the resource line needs less" in result.text or "Not enough left" in result.text
    assert _decisions(session, [m.id or 0 for m in claims_]) == {"match.approve": 2}
    nothing = post_form(client, settings, "/review/bulk-approve", {"scope": "selected"})
    assert nothing.status_code == 400 and "Select at least one item." in nothing.text


def test_bulk_api_takes_ids_or_a_filter_and_names_bad_fields(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    north, south = inbox.need(inbox.north), inbox.need(inbox.south)
    north_items = [inbox.line_claim(north) for _ in range(3)]
    south_items = [inbox.line_claim(south) for _ in range(2)]
    headers = inbox.admin.headers
    approve = client.post(
        "/api/v1/matches/bulk-approve",
        json={"filter": {"community": inbox.south.community_id, "kind": "offer_line"}},
        headers=headers,
    )
    assert approve.status_code == 200, approve.text
    assert approve.json() == {
        "approved": sorted(m.id for m in south_items),
        "failed": [],
        "matched": 2,
        "remaining": 0,
    }
    reject = client.post(
        "/api/v1/matches/bulk-reject",
        json={"ids": [north_items[0].id, south_items[0].id], "reason": "重复认领"},
        headers=headers,
    )
    assert reject.status_code == 200, reject.text
    assert reject.json()["rejected"] == [north_items[0].id]
    assert [f["id"] for f in reject.json()["failed"]] == [south_items[0].id]
    assert reject.json()["failed"][0]["code"] == "match_decided"

    def refused(path: str, body: Any, name: str) -> None:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 400, response.text
        assert name in response.text, response.text

    refused("/api/v1/matches/bulk-approve", {"ids": [0]}, "ids")
    refused("/api/v1/matches/bulk-approve", {"ids": [2**31]}, "ids")
    refused("/api/v1/matches/bulk-approve", {}, "ids")
    refused("/api/v1/matches/bulk-approve", {"ids": [1], "filter": {}}, "ids")
    refused("/api/v1/matches/bulk-approve", {"filter": {"comunity": 1}}, "comunity")
    refused("/api/v1/matches/bulk-approve", {"filter": {"community": 0}}, "community")
    refused("/api/v1/matches/bulk-reject", {"filter": {"kind": "offer_line"}}, "reason")
    refused("/api/v1/matches/bulk-reject", {"filter": {"from": "2026-05-02", "to": "2026-05-01"}, "reason": "x"}, "to")
    assert _statuses(session, [m.id or 0 for m in north_items[1:]]) == {
        m.id: MatchStatus.PROPOSED for m in north_items[1:]
    }
    for params, name in [
        ({"community": "0"}, "community"),
        ({"page_size": "1000"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"sort": "cheapest"}, "sort"),
        ({"conflict": "nothing"}, "conflict"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"q": "x" * 101}, "q"),
    ]:
        response = client.get("/api/v1/review", params=params, headers=headers)
        assert response.status_code == 400 and name in response.text, (params, response.text)
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/matches/bulk-reject" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/review"]["get"]["parameters"]}
    assert {"kind", "community", "grid", "need", "round", "source", "from", "to", "score"} <= parameters
    assert {"conflict", "answer", "due", "q", "sort", "page", "page_size"} <= parameters


def test_the_page_keeps_its_filters_across_decisions_and_pages_and_names_a_bad_one(
    client: TestClient[Litestar], session: Session, settings: Settings, inbox: Inbox
) -> None:
    need = inbox.need(inbox.north)
    items = [inbox.line_claim(need) for _ in range(PAGE_SIZE + 2)]
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    view = f"community={inbox.north.community_id}&kind=offer_line&sort=oldest"
    first = client.get(f"/review?{view}").text
    assert (
        f'href="/review?kind=offer_line&amp;community={inbox.north.community_id}&amp;sort=oldest&amp;page=2"' in first
    )
    fields = {"community": str(inbox.north.community_id), "kind": "offer_line", "sort": "oldest", "page": "2"}
    decided = post_form(client, settings, f"/review/{items[-1].id}/approve", fields)
    assert decided.status_code == 303
    assert decided.headers["location"] == (
        f"/review?done=approved&id={items[-1].id}&kind=offer_line&community={inbox.north.community_id}"
        "&sort=oldest&page=2"
    )
    rejected = post_form(client, settings, f"/review/{items[0].id}/reject", fields | {"reason": "重复"})
    assert rejected.headers["location"].startswith(f"/review?done=rejected&id={items[0].id}&kind=offer_line")
    bad = client.get("/review?community=abc")
    assert bad.status_code == 400 and "community" in bad.text
    assert client.get("/review?score=lots").status_code == 400
    assert client.get("/review?kind=&community=&q=&due=").status_code == 200  # an empty form is no filter


# --- the cost of one page -------------------------------------------------------------------------------


def _grow(inbox: Inbox, units: int) -> None:
    for n in range(units):
        north, south = inbox.need(inbox.north, title=f"北区项目{n}"), inbox.need(inbox.south)
        inbox.line_claim(north)
        inbox.line_claim(south, inbox.builder)
        inbox.whole_claim(north)
        inbox.signup(south, starts_in_hours=24 + n)


@pytest.mark.parametrize(
    "path",
    [
        "/review",
        "/review?kind=volunteer_shift&sort=shift",
        "/review?q=北区&conflict=any&due=today&sort=score",
        "/review?community={community}&round=1&answer=awaiting&from=2026-01-01&score=0.1",
    ],
)
def test_a_page_of_the_inbox_sends_the_same_few_statements_however_many_items_wait(
    app: Litestar, client: TestClient[Litestar], session: Session, inbox: Inbox, path: str
) -> None:
    path = path.format(community=inbox.north.community_id)
    _grow(inbox, 2)
    sign_in_as(client, session, Role.ADMIN)
    small = statements_of_page(app, client, path)
    _grow(inbox, 18)
    large = statements_of_page(app, client, path)
    assert len(large) == len(small), "\n".join(large)
    # The page is two statements (its ids, then its rows by id), so the street's condition meets the index.
    assert len(large) <= 11, "\n".join(" ".join(s.split())[:160] for s in large)


# --- two admins at once ---------------------------------------------------------------------------------


def test_two_admins_bulk_deciding_overlapping_sets_at_once_decide_each_item_once(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    line = mf.line(session, need, "100000")
    partners = [mf.partner(session) for _ in range(4)]
    offers = [mf.offer_of(session, p.user, remaining="1000") for p in partners]
    ids: list[int] = []
    for n in range(40):
        partner, offer = partners[n % 4], offers[n % 4]
        row = claims.claim(
            session, actor_of(partner.user), need.id or 0, ClaimRequest("line", line.id, offer.id, Decimal(1))
        )
        session.commit()
        ids.append(row.id or 0)
    admins = [mf.admin(session) for _ in range(4)]
    calls = [
        ("/api/v1/matches/bulk-approve", {"ids": list(reversed(ids[:30]))}),
        ("/api/v1/matches/bulk-reject", {"ids": ids[10:], "reason": "重复"}),
        ("/api/v1/matches/bulk-approve", {"filter": {"need": need.id}}),
        ("/api/v1/matches/bulk-reject", {"filter": {"kind": "offer_line"}, "reason": "已满足"}),
    ]
    barrier = threading.Barrier(len(calls))

    def send(index: int) -> httpx.Response:
        path, body = calls[index]
        with live_app.client(token=admins[index].token) as http:
            barrier.wait(timeout=30)
            return http.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        responses = list(pool.map(send, range(len(calls))))
    assert [r.status_code for r in responses] == [200] * 4, [r.text[:300] for r in responses]
    assert "database is locked" not in live_app.log() and "Traceback" not in live_app.log()
    decided: Counter[int] = Counter()
    for response in responses:
        body = response.json()
        decided.update(body.get("approved", []) + body.get("rejected", []))
    assert set(decided) == set(ids) and set(decided.values()) == {1}, decided
    assert sum(_decisions(session, ids).values()) == len(ids)
    statuses = _statuses(session, ids)
    approved = [i for i in ids if statuses[i] is MatchStatus.APPROVED]
    assert all(statuses[i] in (MatchStatus.APPROVED, MatchStatus.REJECTED) for i in ids)
    with reading(session) as fresh:
        taken = sum(1000 - fetch(fresh, Offer, offer.id).remaining_quantity for offer in offers)
        still = fetch(fresh, ResourceLine, line.id).still_needed
    assert taken == len(approved) and still == 100000 - len(approved)
    print(f"\n[two admins, overlapping bulk decisions] approved {len(approved)}, rejected {len(ids) - len(approved)}")


def test_community_and_grid_names_are_offered_as_filters(
    client: TestClient[Litestar], session: Session, inbox: Inbox
) -> None:
    inbox.line_claim(inbox.need(inbox.north))
    community = session.get(Community, inbox.north.community_id)
    assert community is not None
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get("/review").text
    assert f'<option value="{community.id}">{community.name_en} (1)</option>' in page
    assert f'<option value="{inbox.north.id}">{inbox.north.name_en}</option>' in page
    assert 'name="scope" value="filter"' in page and 'formaction="/review/bulk-reject"' in page
    assert '<script src="/static/js/review_inbox.js" defer></script>' in page
    assert client.get("/static/js/review_inbox.js").status_code == 200
