"""Withdrawing an offer ends the claims and proposals still waiting on it: the street could never approve them
(approval reserves from an active offer only), so they waited in the review queue and on the need for good.

Found walking the demo as a partner: after "Withdraw offer", My claims still read "Waiting for the street's
review" under the claims made from it, and a round's proposal from it could still be accepted. Now each ends
(cancelled, reason "the offer was withdrawn", audited), in the page, the API and the migration for rows left
by earlier withdrawals; an approved claim stays the partner's to deliver or cancel."""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.db.migrate import upgrade
from marketplace.matches.models import Match, MatchStatus
from marketplace.matches.reasons import OFFER_WITHDRAWN
from marketplace.needs.models import ResourceLine
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form, reading
from tests.test_constraints import World
from tests.test_migrations import fresh_database_url  # noqa: F401  (the fixture)


def _claim(client: TestClient[Any], partner: mf.Person, need_id: int, line_id: int, offer_id: int) -> int:
    body = {"kind": "line", "resource_line_id": line_id, "offer_id": offer_id, "quantity": "2"}
    made = client.post(f"/api/v1/projects/{need_id}/claims", json=body, headers=partner.headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _match(session: Session, match_id: int) -> Match:
    with reading(session) as db:
        row = db.get(Match, match_id)
        assert row is not None
        return row


def test_withdrawing_an_offer_ends_what_waits_on_it_and_keeps_what_was_approved(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="楼道照明改造")
    waiting_line, approved_line, proposed_line = (mf.line(session, need, "100") for _ in range(3))
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="10", title="LED灯泡捐赠")
    boss = mf.admin(session)
    waiting = _claim(client, partner, need.id, waiting_line.id, offer.id)
    approved = _claim(client, partner, need.id, approved_line.id, offer.id)
    decided = client.post(f"/api/v1/matches/{approved}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    body = {"kind": "offers", "part_id": proposed_line.id, "candidate_id": offer.id, "shown_rank": 1}
    proposed = client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=boss.headers)
    assert proposed.status_code == 201, proposed.text
    proposal = int(proposed.json()["id"])

    writer = {"Authorization": f"Bearer {token_for(session, partner.user, ['offers:write'])}"}
    withdrawn = client.post(f"/api/v1/offers/{offer.id}/withdraw", headers=writer)
    assert withdrawn.status_code == 200, withdrawn.text

    for match_id in (waiting, proposal):
        row = _match(session, match_id)
        assert (row.status, row.decision_reason) == (MatchStatus.CANCELLED, OFFER_WITHDRAWN)
        assert row.decided_at is not None
    kept = _match(session, approved)
    assert kept.status is MatchStatus.APPROVED and kept.quantity == Decimal(2)
    with reading(session) as db:
        # The approved claim still holds its 2; the ended ones held nothing and give nothing back.
        assert db.get(ResourceLine, approved_line.id).still_needed == Decimal(98)  # type: ignore[union-attr]
        assert db.get(ResourceLine, waiting_line.id).still_needed == Decimal(100)  # type: ignore[union-attr]
        cancels = db.execute(
            sa.select(AuditEvent.object_id).where(AuditEvent.action == "match.cancel").order_by(AuditEvent.object_id)
        ).scalars()
        assert list(cancels) == sorted([waiting, proposal])
        event = db.execute(sa.select(AuditEvent).where(AuditEvent.action == "offer.withdraw")).scalar_one()
        assert event.after is not None and event.after["claims_ended"] == 2

    # Nothing is left for the street to decide on; an approval arriving late is refused, not applied.
    late = client.post(f"/api/v1/matches/{waiting}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert late.status_code == 409, late.text
    assert _match(session, waiting).status is MatchStatus.CANCELLED

    # The partner reads why, in both languages.
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    page = client.get("/claims").text
    assert "Ended when your organization withdrew the offer." in page
    assert "Waiting for the street's review" not in page
    client.cookies.set("lang", "zh_CN")
    assert "本单位撤回了该资源，这项认领随之结束。" in client.get("/claims").text


def test_the_offer_page_says_what_withdrawing_ends_and_the_form_does_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="10")
    waiting = _claim(client, partner, need.id, line.id, offer.id)
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    assert "Withdrawing cancels 1 pending claim." in client.get(f"/offers/{offer.id}").text
    assert post_form(client, settings, f"/offers/{offer.id}/withdraw").status_code == 303
    assert _match(session, waiting).status is MatchStatus.CANCELLED


def test_an_upgrade_ends_claims_left_waiting_on_offers_withdrawn_before(fresh_database_url: str) -> None:  # noqa: F811
    upgrade(fresh_database_url, "f6a7b8c9d0e1")
    engine = sa.create_engine(fresh_database_url)
    try:
        world = World(engine)
        for table in ("street", "community", "party_branch", "grid", "organization", "need"):
            world.ids[table] = world.insert(table)
        gone = world.insert("offer", status="withdrawn")
        active = world.ids["offer"] = world.insert("offer")
        world.ids["resource_line"] = world.insert("resource_line")
        left, live, delivered = (
            world.insert("match", offer_id=offer_id, resource_line_id=world.insert("resource_line"), status=status)
            for offer_id, status in ((gone, "proposed"), (active, "proposed"), (gone, "approved"))
        )
        upgrade(fresh_database_url)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, status, decision_reason FROM match")).all()
    finally:
        engine.dispose()
    states = {row.id: (row.status, row.decision_reason) for row in rows}
    assert states[left] == ("cancelled", OFFER_WITHDRAWN)
    assert states[live][0] == "proposed" and states[delivered][0] == "approved"
