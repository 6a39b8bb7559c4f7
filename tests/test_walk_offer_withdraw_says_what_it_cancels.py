"""Before a partner confirms withdrawing an offer, its page says what the withdrawal will cancel, counted, in both
languages ("Withdrawing cancels 1 pending claim and 2 pending proposals." / "撤回将取消1项待审核的认领和2项待定的
推荐。"), and withdrawing is a second, deliberate step. Found walking the demo as a new partner: the page said only
"Withdrawing ends the claims and proposals still waiting on this offer" and withdrew on the first click, so the
partner learnt only afterwards that two proposals the street had just made were gone.

The API says the same numbers: ``GET /api/v1/offers/{id}`` has ``waiting``, the withdrawal's answer ``ended``, both
from the one rule the withdrawal applies (``matches.services.waiting_on_offer`` / ``end_waiting_on_offer``). An
approved claim is not counted: it stays the partner's to deliver.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, login


def _claim(client: TestClient[Any], partner: mf.Person, need_id: int, line_id: int, offer_id: int) -> int:
    body = {"kind": "line", "resource_line_id": line_id, "offer_id": offer_id, "quantity": "2"}
    made = client.post(f"/api/v1/projects/{need_id}/claims", json=body, headers=partner.headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _propose(client: TestClient[Any], boss: mf.Person, need_id: int, line_id: int, offer_id: int) -> None:
    body = {"kind": "offers", "part_id": line_id, "candidate_id": offer_id, "shown_rank": 1}
    made = client.post(f"/api/v1/needs/{need_id}/proposals", json=body, headers=boss.headers)
    assert made.status_code == 201, made.text


def _offers_api(session: Session, partner: mf.Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, partner.user, ['offers:read', 'offers:write'])}"}


def _offer_page(client: TestClient[Any], offer_id: int, locale: str) -> str:
    client.cookies.set("lang", locale)
    page = client.get(f"/offers/{offer_id}")
    assert page.status_code == 200, page.text
    return page.text


def test_the_offer_page_counts_what_withdrawing_cancels_before_the_partner_confirms(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="楼道照明改造")
    lines = [mf.line(session, need, "100") for _ in range(4)]
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="20", title="LED灯泡捐赠")
    boss = mf.admin(session)
    _claim(client, partner, need.id, lines[0].id, offer.id)
    approved = _claim(client, partner, need.id, lines[1].id, offer.id)
    decided = client.post(f"/api/v1/matches/{approved}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    _propose(client, boss, need.id, lines[2].id, offer.id)
    _propose(client, boss, need.id, lines[3].id, offer.id)

    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    english = _offer_page(client, offer.id, "en")
    assert "Withdrawing cancels 1 pending claim and 2 pending proposals." in english
    # The withdrawal is confirmed inside the disclosure that says it, not by the first click.
    assert english.index("<details>") < english.index("Withdrawing cancels") < english.index("/withdraw")
    assert "Withdraw the offer" in english
    chinese = _offer_page(client, offer.id, "zh_CN")
    assert "撤回将取消1项待审核的认领和2项待定的推荐。" in chinese

    client.cookies.clear()
    api = _offers_api(session, partner)
    read = client.get(f"/api/v1/offers/{offer.id}", headers=api)
    assert read.status_code == 200, read.text
    assert read.json()["waiting"] == {"claims": 1, "proposals": 2}

    done = client.post(f"/api/v1/offers/{offer.id}/withdraw", headers=api)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "withdrawn"
    assert done.json()["ended"] == {"claims": 1, "proposals": 2}
    session.expire_all()
    assert session.get(Match, approved).status is MatchStatus.APPROVED  # not counted, not cancelled
    after = client.get(f"/api/v1/offers/{offer.id}", headers=api).json()
    assert after["waiting"] == {"claims": 0, "proposals": 0}


def test_an_offer_nothing_waits_on_says_withdrawing_cancels_nothing_else(
    client: TestClient[Any], session: Session
) -> None:
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="5")
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    english = _offer_page(client, offer.id, "en")
    assert "No claim or proposal is waiting on this offer: withdrawing it cancels nothing else." in english
    chinese = _offer_page(client, offer.id, "zh_CN")
    assert "没有认领或推荐在等待这项资源：撤回不会取消其他事项。" in chinese
    client.cookies.clear()
    done = client.post(f"/api/v1/offers/{offer.id}/withdraw", headers=_offers_api(session, partner))
    assert done.status_code == 200 and done.json()["ended"] == {"claims": 0, "proposals": 0}
