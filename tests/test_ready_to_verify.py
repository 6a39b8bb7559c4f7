"""Ready to verify (待验收): one rule says a need waits for nothing any more, and staff find such needs without
opening them one by one.

The rule (``matches.services.ready_to_verify``) is an SQL condition: a status ``verify_need`` accepts and no
verification blocker. It agrees with ``delivery.verification_blockers`` on needs in every situation: a line
short or closed as enough, a shift not over, over with places unfilled or cancelled, an approved claim not
delivered, a whole-project claim approved or delivered. The need list (page and API) filters and counts by
it, each row says it, the need page's verification section says plainly that nothing is left to wait for,
and the staff home counts it with a link to the filter.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches import services as matches_services
from marketplace.matches.delivery import verification_blockers
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import fetch, make_grid, post_form, reading, sign_in_as

READY_SENTENCE = "Everything is delivered and every shift is over: you can verify this project now."
READY_SENTENCE_ZH = "已全部交付，所有班次均已结束：您现在就可以验收这个项目。"


class Parts:
    """What the situations attach to a need: a partner's organization and offer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.partner = mf.partner(session)
        self.offer = mf.offer_of(session, self.partner.user, remaining="1000")

    def match(self, need: Need, kind: MatchKind, status: MatchStatus, **fields: Any) -> None:
        values: dict[str, Any] = {
            "need_id": need.id,
            "kind": kind,
            "source": MatchSource.PARTNER_CLAIM,
            "organization_id": self.partner.user.organization_id,
            "status": status,
        }
        if kind is MatchKind.OFFER_LINE:
            values |= {"offer_id": self.offer.id, "quantity": Decimal(5)}
        self.session.add(Match(**(values | fields)))
        self.session.flush()


def _past(hours: float) -> Any:
    return utcnow() - timedelta(hours=hours)


def _nothing(session: Session, parts: Parts, need: Need) -> None:
    """No line, no shift: nothing to wait for."""


def _line_delivered(session: Session, parts: Parts, need: Need) -> None:
    line = factories.add_resource_line(session, need, "10", still_needed="0")
    parts.match(need, MatchKind.OFFER_LINE, MatchStatus.FULFILLED, resource_line_id=line.id)


def _line_short(session: Session, parts: Parts, need: Need) -> None:
    factories.add_resource_line(session, need, "10", still_needed="4")


def _line_closed_as_enough(session: Session, parts: Parts, need: Need) -> None:
    # Closed by hand as tests/test_openings.py does: what it still needed is not waited for.
    factories.add_resource_line(session, need, "10", still_needed="4", closed_at=_past(1), closed_reason="够了")


def _shift_not_over(session: Session, parts: Parts, need: Need) -> None:
    factories.add_shift(session, need, slots=2, confirmed=2, starts_at=utcnow() + timedelta(hours=2))


def _shift_started_not_over(session: Session, parts: Parts, need: Need) -> None:
    factories.add_shift(session, need, slots=2, confirmed=2, starts_at=_past(1))  # ends in two hours


def _shift_over_places_unfilled(session: Session, parts: Parts, need: Need) -> None:
    factories.add_shift(session, need, slots=4, confirmed=1, starts_at=_past(5))


def _shift_over_approved_signup_left(session: Session, parts: Parts, need: Need) -> None:
    """The volunteer never checked out: an approved sign-up of an ended shift waits for nothing."""
    shift = factories.add_shift(session, need, slots=4, confirmed=1, starts_at=_past(5))
    _person, profile = mf.volunteer(session, session.get(Grid, need.grid_id))  # type: ignore[arg-type]
    parts.match(
        need,
        MatchKind.VOLUNTEER_SHIFT,
        MatchStatus.APPROVED,
        source=MatchSource.VOLUNTEER_SIGNUP,
        organization_id=None,
        shift_id=shift.id,
        volunteer_id=profile.id,
    )


def _shift_cancelled(session: Session, parts: Parts, need: Need) -> None:
    factories.add_shift(
        session, need, starts_at=utcnow() + timedelta(days=1), cancelled_at=_past(1), cancel_reason="下雨"
    )


def _line_claim_approved(session: Session, parts: Parts, need: Need) -> None:
    """The line's quantity is reserved (nothing still needed) but the partner has not delivered it."""
    line = factories.add_resource_line(session, need, "5", still_needed="0")
    parts.match(need, MatchKind.OFFER_LINE, MatchStatus.APPROVED, resource_line_id=line.id)


def _whole_claim_approved(session: Session, parts: Parts, need: Need) -> None:
    factories.add_resource_line(session, need, "10")
    parts.match(need, MatchKind.WHOLE_NEED, MatchStatus.APPROVED)


def _whole_claim_delivered(session: Session, parts: Parts, need: Need) -> None:
    factories.add_resource_line(session, need, "10", still_needed="0")
    parts.match(need, MatchKind.WHOLE_NEED, MatchStatus.FULFILLED)


def _everything_done(session: Session, parts: Parts, need: Need) -> None:
    _line_delivered(session, parts, need)
    _line_closed_as_enough(session, parts, need)
    _shift_over_places_unfilled(session, parts, need)
    _shift_cancelled(session, parts, need)


def _one_shift_left(session: Session, parts: Parts, need: Need) -> None:
    _everything_done(session, parts, need)
    _shift_not_over(session, parts, need)


Situation = Callable[[Session, Parts, Need], None]
# Each situation, and whether it leaves anything to wait for.
SITUATIONS: dict[str, tuple[Situation, bool]] = {
    "nothing asked": (_nothing, True),
    "line delivered": (_line_delivered, True),
    "line short": (_line_short, False),
    "line closed as enough": (_line_closed_as_enough, True),
    "shift not over": (_shift_not_over, False),
    "shift started, not over": (_shift_started_not_over, False),
    "shift over with places unfilled": (_shift_over_places_unfilled, True),
    "shift over, sign-up not checked out": (_shift_over_approved_signup_left, True),
    "shift cancelled": (_shift_cancelled, True),
    "approved line claim not delivered": (_line_claim_approved, False),
    "whole-project claim approved": (_whole_claim_approved, False),
    "whole-project claim delivered": (_whole_claim_delivered, True),
    "everything done": (_everything_done, True),
    "everything done but one shift": (_one_shift_left, False),
}
VERIFIES = {NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.COMPLETED}


def _build(session: Session, grid: Grid, status: NeedStatus, situation: str, parts: Parts) -> Need:
    need = factories.make_need(session, grid, status, title=f"{situation} · {status.value}")
    SITUATIONS[situation][0](session, parts, need)
    return need


def test_the_sql_rule_agrees_with_the_verification_blockers_in_every_situation_and_status(session: Session) -> None:
    grid = make_grid(session)
    parts = Parts(session)
    needs = {
        (situation, status): _build(session, grid, status, situation, parts)
        for situation in SITUATIONS
        for status in NeedStatus
    }
    session.commit()
    assert set(matches_services.VERIFIABLE) == VERIFIES
    with reading(session) as db:
        by_sql = set(db.execute(sa.select(Need.id).where(matches_services.ready_to_verify())).scalars())
        by_blockers = {
            need.id
            for (_situation, status), need in needs.items()
            if status in matches_services.VERIFIABLE and not verification_blockers(db, need.id or 0)
        }
        expected = {
            need.id for (situation, status), need in needs.items() if SITUATIONS[situation][1] and status in VERIFIES
        }
        assert by_sql == by_blockers == expected
        for (situation, status), need in needs.items():
            assert matches_services.is_ready_to_verify(db, need.id or 0) is (need.id in expected), (situation, status)


def test_a_shift_that_ends_makes_the_need_ready_at_that_moment(session: Session) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.IN_PROGRESS)
    shift = factories.add_shift(session, need, slots=3, confirmed=1, starts_at=utcnow() + timedelta(hours=1))
    session.commit()
    with reading(session) as db:
        assert not matches_services.is_ready_to_verify(db, need.id or 0)
        assert matches_services.is_ready_to_verify(db, need.id or 0, now=shift.ends_at)
        assert not matches_services.is_ready_to_verify(db, need.id or 0, now=shift.ends_at - timedelta(seconds=1))


# --- the staff's need list ------------------------------------------------------------------------------


def _staff_of(client: TestClient[Any], session: Session, grid: Grid) -> Any:
    return sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)


def _mine(session: Session) -> tuple[Grid, dict[str, Need]]:
    """A grid with a need ready to verify in each way, one that waits, one only published; and another
    community's ready need."""
    grid = make_grid(session)
    parts = Parts(session)
    needs = {
        "unfilled": _build(session, grid, NeedStatus.IN_PROGRESS, "shift over with places unfilled", parts),
        "partial": _build(session, grid, NeedStatus.PARTIALLY_MATCHED, "shift over, sign-up not checked out", parts),
        "completed": _build(session, grid, NeedStatus.COMPLETED, "everything done", parts),
        "waits": _build(session, grid, NeedStatus.IN_PROGRESS, "everything done but one shift", parts),
        "published": _build(session, grid, NeedStatus.PUBLISHED, "nothing asked", parts),
        "verified": _build(session, grid, NeedStatus.VERIFIED, "everything done", parts),
        "elsewhere": _build(session, make_grid(session), NeedStatus.COMPLETED, "everything done", parts),
    }
    session.commit()
    return grid, needs


READY = ("unfilled", "partial", "completed")


def test_the_list_filters_ready_to_verify_and_counts_them_in_both_languages(
    client: TestClient[Any], session: Session
) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    listed = client.get("/needs?ready_to_verify=true")
    assert listed.status_code == 200
    for key, need in needs.items():
        assert (f'href="/needs/{need.id}"' in listed.text) is (key in READY), key
    text = " ".join(listed.text.split())
    assert "Ready to verify (3)</a>" in text and "3 needs" in text
    assert 'name="ready_to_verify" value="true"' in text  # the filter form keeps the tab
    assert "everything is delivered and every shift is over" in text
    # The whole list: each ready row says so, and the tab counts the same three.
    everything = " ".join(client.get("/needs").text.split())
    assert everything.count('class="badge badge-ready"') == 3 and "Ready to verify (3)</a>" in everything
    client.cookies.set("lang", "zh_CN")
    chinese = " ".join(client.get("/needs?ready_to_verify=true").text.split())
    assert "待验收（3）</a>" in chinese and "全部交付，所有班次均已结束" in chinese


def test_the_api_list_filters_ready_to_verify_and_says_it_of_every_item(
    client: TestClient[Any], session: Session
) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    ready = client.get("/api/v1/needs?ready_to_verify=true")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["total"] == 3
    assert {item["id"] for item in body["items"]} == {needs[key].id for key in READY}
    assert all(item["ready_to_verify"] for item in body["items"])
    every = client.get("/api/v1/needs?page_size=100").json()["items"]
    assert {item["id"] for item in every if item["ready_to_verify"]} == {needs[key].id for key in READY}
    assert needs["elsewhere"].id not in {item["id"] for item in every}
    combined = client.get("/api/v1/needs?ready_to_verify=true&status=completed").json()
    assert [item["id"] for item in combined["items"]] == [needs["completed"].id]
    bad = client.get("/api/v1/needs?ready_to_verify=perhaps")
    assert bad.status_code == 400 and "ready_to_verify" in bad.text


def test_a_verified_need_leaves_the_filter(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    done = post_form(client, settings, f"/needs/{needs['unfilled'].id}/verify", {"satisfaction": "5"})
    assert done.status_code == 303, done.text[:500]
    assert fetch(session, Need, needs["unfilled"].id).status is NeedStatus.VERIFIED
    assert client.get("/api/v1/needs?ready_to_verify=true").json()["total"] == 2


# --- the need page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", READY)
def test_the_need_page_says_it_can_be_verified_now(client: TestClient[Any], session: Session, key: str) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{needs[key].id}").text
    assert READY_SENTENCE in page and "Before it can be verified:" not in page
    assert f'action="/needs/{needs[key].id}/verify"' in page
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{needs[key].id}").text
    assert READY_SENTENCE_ZH in page and "验收前还需：" not in page


def test_the_need_page_keeps_listing_what_it_waits_for(client: TestClient[Any], session: Session) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{needs['waits'].id}").text
    assert "Before it can be verified:" in page and "is not over yet." in page
    assert READY_SENTENCE not in page
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{needs['waits'].id}").text
    assert "验收前还需：" in page and READY_SENTENCE_ZH not in page
    for key in ("published", "verified"):
        assert READY_SENTENCE_ZH not in client.get(f"/needs/{needs[key].id}").text, key


# --- the staff home ----------------------------------------------------------------------------------------


def test_the_staff_home_counts_ready_to_verify_and_links_to_the_filter(
    client: TestClient[Any], session: Session
) -> None:
    grid, _needs = _mine(session)
    _staff_of(client, session, grid)
    home = client.get("/api/v1/me/home").json()
    cards = {card["key"]: card for section in home["sections"] for card in section["cards"]}
    assert cards["needs_to_verify"]["number"] == 3
    assert cards["needs_to_verify"]["href"] == "/needs?ready_to_verify=true"
    client.cookies.set("lang", "zh_CN")
    page = client.get("/home").text
    assert 'href="/needs?ready_to_verify=true"' in page and "待验收" in page


def test_the_api_s_need_says_whether_it_is_ready(client: TestClient[Any], session: Session) -> None:
    grid, needs = _mine(session)
    _staff_of(client, session, grid)
    for key, need in needs.items():
        if key == "elsewhere":
            continue
        body = client.get(f"/api/v1/needs/{need.id}").json()
        assert body["ready_to_verify"] is (key in READY), key
