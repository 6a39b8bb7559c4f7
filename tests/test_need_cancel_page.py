"""The staff need page's "Cancel this need" form, in process: what it says will end, errors next to the field
with the typed reason kept, a stale page refused, and the page after cancelling (staff, and the partner whose
claim ended), in Chinese and English."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, csrf_for, fetch, login, make_user, sign_in_as
from tests.test_need_cancel_walk import approve, claim

REASON = "居民已搬走，楼道由物业统一粉刷"


def test_staff_cancel_a_need_from_its_page_with_errors_beside_the_fields(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="楼道粉刷")
    line = mf.line(session, need, "10")
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "6")
    approved_id = claim(client, partner, need, line, offer, "6")
    approve(client, boss, approved_id)
    sign_in_as(client, session, Role.STAFF, grid_ids=[need.grid_id])
    client.get("/lang/en?next=/")
    page = client.get(f"/needs/{need.id}").text
    assert f'action="/needs/{need.id}/cancel"' in page and "Cancel this need" in page
    assert "1 claim of a partner ends" in page
    token = csrf_for(client, settings)
    version = str(fetch(session, Need, need.id).version)
    path = f"/needs/{need.id}/cancel"

    empty = client.post(path, data={"csrf_token": token, "version": version, "reason": " "})
    assert empty.status_code == 400
    assert 'id="cancel-reason-error"' in empty.text and 'id="cancel-confirm-error"' in empty.text
    assert "<details open>" in empty.text  # the form is open where the errors are
    unconfirmed = client.post(path, data={"csrf_token": token, "version": version, "reason": REASON})
    assert unconfirmed.status_code == 400 and 'id="cancel-confirm-error"' in unconfirmed.text
    assert 'id="cancel-reason-error"' not in unconfirmed.text and f">{REASON}</textarea>" in unconfirmed.text
    too_long = client.post(path, data={"csrf_token": token, "version": version, "reason": "长" * 501, "confirm": "yes"})
    assert too_long.status_code == 400 and 'id="cancel-reason-error"' in too_long.text
    assert 'name="confirm" value="yes" checked' in too_long.text  # the tick is kept too
    stale = client.post(path, data={"csrf_token": token, "version": "99", "reason": REASON, "confirm": "yes"})
    assert (
        stale.status_code == 409 and "changed by someone else" in stale.text and f">{REASON}</textarea>" in stale.text
    )
    assert fetch(session, Need, need.id).status is NeedStatus.PARTIALLY_MATCHED  # nothing of it was kept

    done = client.post(
        path, data={"csrf_token": token, "version": version, "reason": REASON, "confirm": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/needs/{need.id}?done=cancelled"
    after = client.get(done.headers["location"]).text
    assert "The need is cancelled" in after and REASON in after
    assert f'action="/needs/{need.id}/cancel"' not in after  # nothing left to cancel
    assert fetch(session, Match, approved_id).status is MatchStatus.CANCELLED
    again = client.post(
        path, data={"csrf_token": token, "version": str(int(version) + 1), "reason": "x", "confirm": "yes"}
    )
    assert again.status_code == 409 and "can no longer be cancelled" in again.text

    client.get("/lang/zh_CN?next=/")
    chinese = client.get(f"/needs/{need.id}").text
    assert "已取消" in chinese and REASON in chinese


def test_the_partner_sees_the_claim_cancelled_with_the_reason(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="路面修补")
    line = mf.line(session, need, "10")
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "3")
    approve(client, boss, claim(client, partner, need, line, offer, "3"))
    staff = make_user(session, Role.STAFF, grid_ids=[need.grid_id])
    headers = {"Authorization": f"Bearer {token_for(session, staff)}"}
    version = fetch(session, Need, need.id).version
    answer = client.post(
        f"/api/v1/needs/{need.id}/cancel", json={"reason": REASON, "version": version}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code in (200, 302, 303)
    client.get("/lang/en?next=/")
    claims = client.get("/claims").text
    assert "路面修补" in claims and "Cancelled" in claims and REASON in claims
    news = client.get("/notifications").text
    assert "The street cancelled" in news and "路面修补" in news
