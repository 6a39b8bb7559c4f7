"""The street's staff read a partner's reasonless cancellation in their language, as the partner's act.

A partner cancelling a claim without a reason stores the API's words "cancelled by the partner"; the partner's
claims page translated them, but the need's staff page showed them raw, in English on Chinese pages. One rule
(``matches.reasons.reason_shown``) now serves both: "本单位已取消" to the partner, "合伙人已取消" to staff.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login
from tests.test_need_cancel_walk import staff_of
from tests.test_take_part_offer_pages import cancelled_without_a_reason


def test_staff_read_a_reasonless_cancellation_as_the_partners(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = cancelled_without_a_reason(client, session, settings)
    client.cookies.clear()
    assert login(client, staff_of(session, need).user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "zh_CN")
    chinese = client.get(f"/needs/{need.id}").text
    assert "合伙人已取消，未填写理由。" in chinese and "cancelled by the partner" not in chinese
    client.cookies.set("lang", "en")
    english = client.get(f"/needs/{need.id}").text
    assert "Cancelled by the partner, without a reason." in english
