"""A suspended organization's member, signed in again after the suspension ended their sessions, can neither
mark an approved claim delivered (which would close the need on their word) nor accept a proposal: 403 with the
organization's standing, the match unchanged. Declining a proposal stays open (it only lets the line go), and a
decline reason holding a direction override is refused like every text field's (fifth probe's leftovers)."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from tests.security_helpers import fetch, make_user
from tests.test_contact_consent import _bearer, _claim, _need


def _suspend(session: Session, partner: User) -> None:
    session.execute(
        sa.update(Organization)
        .where(Organization.id == partner.organization_id)  # type: ignore[arg-type]
        .values(status=OrganizationStatus.SUSPENDED, status_reason="投诉核查中")
    )
    session.commit()


def _proposal(session: Session, need: Need, partner: User) -> Match:
    row = Match(
        need_id=need.id or 0,
        kind=MatchKind.WHOLE_NEED,
        source=MatchSource.STAFF,
        organization_id=partner.organization_id,
        status=MatchStatus.PROPOSED,
    )
    session.add(row)
    session.commit()
    return row


def test_a_suspended_organization_cannot_mark_a_claim_delivered(client: TestClient[Any], session: Session) -> None:
    need = _need(session)
    partner = make_user(session, Role.PARTNER)
    claim = _claim(session, need, partner)
    _suspend(session, partner)
    token = _bearer(session, partner, "matches:read", "matches:write")
    client.headers["Accept-Language"] = "en"
    refused = client.post(f"/api/v1/claims/{claim.id}/delivered", headers=token)
    assert refused.status_code == 403, refused.text
    assert "suspended" in refused.json()["detail"]
    assert fetch(session, Match, claim.id).status is MatchStatus.APPROVED
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


def test_a_suspended_organization_cannot_accept_a_proposal_but_may_decline_it(
    client: TestClient[Any], session: Session
) -> None:
    need = _need(session)
    partner = make_user(session, Role.PARTNER)
    first, second = _proposal(session, need, partner), _proposal(session, _need(session), partner)
    _suspend(session, partner)
    token = _bearer(session, partner, "matches:read", "matches:write")
    client.headers["Accept-Language"] = "zh-CN"
    refused = client.post(f"/api/v1/proposals/{first.id}/accept", headers=token)
    assert refused.status_code == 403, refused.text
    assert "暂停" in refused.json()["detail"]
    assert fetch(session, Match, first.id).accepted_at is None
    bad_reason = client.post(f"/api/v1/proposals/{second.id}/decline", headers=token, json={"reason": "不\u202e要"})
    assert bad_reason.status_code == 400 and "reason" in bad_reason.text
    declined = client.post(f"/api/v1/proposals/{second.id}/decline", headers=token, json={"reason": "暂不参与"})
    assert declined.status_code == 200, declined.text
    assert fetch(session, Match, second.id).status is MatchStatus.CANCELLED
