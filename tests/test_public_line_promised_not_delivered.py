"""What the public project page says of a resource line follows what was delivered, not only what was promised.

Found on a walk of every claim path to a closed need: a partner's claim of all 100 m² was approved, nothing was
delivered yet, and the public page said "All 100 m² provided" / "已全部到位" while the staff page's "Delivered"
column said 0. An approved claim is a promise: the page now says "100 m² promised, 0 m² delivered" (已承诺…，
已交付…) and its bar shows what was delivered, until the partner marks it delivered. A line the street closed as
enough says the same state word on both pages ("Closed as enough" / 已部分办结), with what was promised and
delivered.
"""

import html
import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need
from marketplace.places.models import Grid
from tests import matches_factories as mf
from tests.needs_helpers import staff_with_token
from tests.security_helpers import fetch, reading, sign_in_as

SAID = {
    "en": {
        "promised": "100 m² promised, 0 m² delivered",
        "all": "All 100 m² provided",
        "closed": "Closed as enough",
        "closed_figures": "60 m² promised, 0 m² delivered",
    },
    "zh-CN": {
        "promised": "已承诺100 m²，已交付0 m²",
        "all": "已全部到位（100 m²）",
        "closed": "已部分办结",
        "closed_figures": "已承诺60 m²，已交付0 m²",
    },
}


def _figures(client: TestClient[Any], need_id: int, lang: str) -> str:
    client.cookies.set("lang", lang)
    page = client.get(f"/projects/{need_id}")
    assert page.status_code == 200, page.text[:300]
    found = re.findall(r'<p class="resource-figures">(.*?)</p>', page.text, re.DOTALL)
    return " ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()) for text in found)


def _approved(client: TestClient[Any], session: Session, quantity: str) -> tuple[Need, Any, mf.Person, dict[str, Any]]:
    need = mf.project(session, title="老旧小区改造")
    line = mf.line(session, need, "100")
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "100")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": quantity},
        headers=partner.headers,
    )
    assert made.status_code == 201, made.text
    decided = client.post(
        f"/api/v1/matches/{made.json()['id']}/decision", json={"decision": "approve"}, headers=boss.headers
    )
    assert decided.status_code == 200, decided.text
    return need, line, partner, made.json()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_an_approved_claim_is_promised_not_provided_until_delivered(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    need, _line, partner, claim = _approved(client, session, "100")
    said = _figures(client, need.id, lang)
    assert SAID[lang]["promised"] in said, said
    assert SAID[lang]["all"] not in said, said
    assert 'max="100.0" value="0.0"' in client.get(f"/projects/{need.id}").text  # the bar: nothing delivered
    assert client.post(f"/api/v1/claims/{claim['id']}/delivered", headers=partner.headers).status_code == 200
    said = _figures(client, need.id, lang)
    assert SAID[lang]["all"] in said and SAID[lang]["promised"] not in said, said


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_line_closed_as_enough_says_one_word_on_the_public_and_the_staff_page(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    need, line, _partner, _claim = _approved(client, session, "60")
    with reading(session) as fresh:
        grid = fresh.get(Grid, need.grid_id)
        assert grid is not None
    staff = staff_with_token(session, grid)
    closed = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": int(fetch(session, Need, need.id).version), "reason": "够用了"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    said = _figures(client, need.id, lang)
    assert said.startswith(SAID[lang]["closed"]) and SAID[lang]["closed_figures"] in said, said
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", lang)
    staff_page = html.unescape(client.get(f"/needs/{need.id}").text)
    assert f'<span class="need-state need-state-done">{SAID[lang]["closed"]}</span>' in staff_page
