"""After withdrawing an offer, the partner reads how many claims and proposals ended with it, each count in its own
plural form, in both languages: "资源已撤回。" alone (a newcomer's walk) did not say that two claims the street was
about to review, and a proposal, had just ended. An approved claim stays and is not counted."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.offers.pages import withdrawn_notice
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form


def _claim(client: TestClient[Any], partner: mf.Person, need_id: int, line_id: int, offer_id: int) -> int:
    body = {"kind": "line", "resource_line_id": line_id, "offer_id": offer_id, "quantity": "2"}
    made = client.post(f"/api/v1/projects/{need_id}/claims", json=body, headers=partner.headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _notice(client: TestClient[Any], location: str, locale: str) -> str:
    client.cookies.set("lang", locale)
    page = client.get(location)
    assert page.status_code == 200, page.text
    return page.text


def _withdraw(client: TestClient[Any], settings: Settings, partner: mf.Person, offer_id: int) -> str:
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    done = post_form(client, settings, f"/offers/{offer_id}/withdraw")
    assert done.status_code == 303, done.text
    return done.headers["location"]


def test_the_list_counts_the_claims_and_proposals_a_withdrawal_ended(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="楼道照明改造")
    lines = [mf.line(session, need, "100") for _ in range(4)]
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="20", title="LED灯泡捐赠")
    boss = mf.admin(session)
    _claim(client, partner, need.id, lines[0].id, offer.id)
    _claim(client, partner, need.id, lines[1].id, offer.id)
    approved = _claim(client, partner, need.id, lines[2].id, offer.id)
    decided = client.post(f"/api/v1/matches/{approved}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    body = {"kind": "offers", "part_id": lines[3].id, "candidate_id": offer.id, "shown_rank": 1}
    assert client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=boss.headers).status_code == 201

    location = _withdraw(client, settings, partner, offer.id)
    english = _notice(client, location, "en")
    assert "The offer was withdrawn. 2 claims and 1 proposal waiting on it ended with it." in english
    chinese = _notice(client, location, "zh_CN")
    assert "资源已撤回。仍在等待的2项认领和1项推荐随之结束。" in chinese


def test_a_withdrawal_that_ended_nothing_says_so(client: TestClient[Any], session: Session, settings: Settings) -> None:
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="20")
    location = _withdraw(client, settings, partner, offer.id)
    assert "The offer was withdrawn. No claim or proposal was waiting on it." in _notice(client, location, "en")
    assert "资源已撤回。没有认领或推荐在等待这项资源。" in _notice(client, location, "zh_CN")


@pytest.mark.parametrize(
    ("claims", "proposals", "english"),
    [
        (1, 0, "The offer was withdrawn. 1 claim waiting on it ended with it."),
        (3, 0, "The offer was withdrawn. 3 claims waiting on it ended with it."),
        (0, 1, "The offer was withdrawn. 1 proposal waiting on it ended with it."),
        (1, 2, "The offer was withdrawn. 1 claim and 2 proposals waiting on it ended with it."),
        (None, None, "The offer was withdrawn."),  # an older link without the counts
    ],
)
def test_each_count_takes_its_own_plural_form(claims: int | None, proposals: int | None, english: str) -> None:
    from marketplace.i18n import current_locale

    token = current_locale.set("en")
    try:
        assert withdrawn_notice(claims, proposals) == english
    finally:
        current_locale.reset(token)


def test_a_count_that_is_not_a_number_is_refused_naming_it(client: TestClient[Any], session: Session) -> None:
    partner = mf.partner(session)
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    refused = client.get("/offers?done=withdrawn&claims=two&proposals=0")
    assert refused.status_code == 400
    assert "claims" in refused.text
