"""A resident's contact reaches those who deliver only with the resident's consent, and every showing is audited.

Staff record and withdraw the consent (page and API); a partner with an approved claim and a volunteer confirmed
on a shift then show the contact on /claims, /signups and through the API; without consent they learn where the
street office is. Staff see the phone masked on the edit form and the API's single need, and reveal it through
the audited action; a masked phone sent back unchanged keeps the stored number.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedConsent, NeedStatus
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile, VolunteerSegment
from tests import factories
from tests.factories import BENEFICIARY_ADDRESS, BENEFICIARY_NAME, BENEFICIARY_PHONE
from tests.matches_factories import soon
from tests.needs_helpers import token_for
from tests.security_helpers import audit_events, fetch, make_grid, make_user, post_form, reading, sign_in_as

MASKED = "139****1234"
STATION_ADDRESS = "杭州路12号"


def _need(session: Session, grid: Grid | None = None, status: NeedStatus = NeedStatus.PUBLISHED) -> Need:
    grid = grid or make_grid(session)
    need = factories.make_need(session, grid, status)
    session.commit()
    return need


def _grid_with_station(session: Session) -> Grid:
    grid = make_grid(session)
    factories.make_station(session, grid)
    session.commit()
    return grid


def _consent(session: Session, need: Need) -> NeedConsent:
    row = NeedConsent(need_id=need.id or 0, method="oral")  # type: ignore[arg-type]
    session.add(row)
    session.commit()
    return row


def _claim(session: Session, need: Need, partner: User, status: MatchStatus = MatchStatus.APPROVED) -> Match:
    row = Match(
        need_id=need.id or 0,
        kind=MatchKind.WHOLE_NEED,
        source=MatchSource.PARTNER_CLAIM,
        organization_id=partner.organization_id,
        status=status,
        decision_reason="不再需要" if status in (MatchStatus.CANCELLED, MatchStatus.REJECTED) else None,
    )
    session.add(row)
    session.commit()
    return row


def _signup(session: Session, need: Need, volunteer: User, status: SignupStatus = SignupStatus.CONFIRMED) -> int:
    shift = factories.add_shift(session, need, 4, starts_at=soon(48))
    profile = VolunteerProfile(user_id=volunteer.id or 0, home_grid_id=need.grid_id, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    row = ShiftSignup(shift_id=shift.id or 0, volunteer_id=profile.id or 0, status=status)
    session.add(row)
    session.commit()
    return row.id or 0


def _bearer(session: Session, user: User, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, user, scopes)}"}


def _staff_of(client: TestClient[Any], session: Session, need: Need) -> User:
    grid = session.get(Grid, need.grid_id)
    assert grid is not None
    return sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)


# --- staff record and withdraw the consent --------------------------------------------------------------


def test_staff_record_the_consent_on_the_need_page_and_withdraw_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    staff = _staff_of(client, session, need)
    assert f'action="/needs/{need.id}/consent"' in client.get(f"/needs/{need.id}").text

    recorded = post_form(client, settings, f"/needs/{need.id}/consent", {"method": "written", "note": "女儿代签"})
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/needs/{need.id}?done=consent_recorded"
    page = client.get(f"/needs/{need.id}").text
    assert "书面" in page and "女儿代签" in page and staff.display_name in page
    assert f'action="/needs/{need.id}/consent/withdraw"' in page
    (event,) = audit_events(session, "need.consent_recorded")
    assert (event.actor_id, event.object_id, (event.after or {})["method"]) == (staff.id, need.id, "written")
    assert "女儿代签" not in str(event.after)  # free text stays in the consent row

    withdrawn = post_form(client, settings, f"/needs/{need.id}/consent/withdraw", {"reason": "居民改变主意"})
    assert withdrawn.status_code == 303
    page = client.get(f"/needs/{need.id}").text
    assert f'action="/needs/{need.id}/consent"' in page and "居民改变主意" in page  # history, and a new form
    assert len(audit_events(session, "need.consent_withdrawn")) == 1
    with reading(session) as fresh:
        (row,) = fresh.exec(select(NeedConsent)).all()
    assert row.withdrawn_by_id == staff.id and row.withdrawn_at is not None and row.withdrawn_reason == "居民改变主意"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "consent-method-error"),
        ({"method": "email"}, "consent-method-error"),
        ({"method": "oral", "note": "x" * 501}, "consent-note-error"),
    ],
)
def test_a_consent_without_a_known_method_or_with_a_long_note_is_refused_naming_the_field(
    client: TestClient[Any], session: Session, settings: Settings, form: dict[str, str], field: str
) -> None:
    need = _need(session)
    _staff_of(client, session, need)
    response = post_form(client, settings, f"/needs/{need.id}/consent", form)
    assert response.status_code == 400 and f'id="{field}"' in response.text
    assert audit_events(session, "need.consent_recorded") == []


def test_recording_twice_or_withdrawing_nothing_is_a_conflict(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    _staff_of(client, session, need)
    assert post_form(client, settings, f"/needs/{need.id}/consent/withdraw").status_code == 409
    assert post_form(client, settings, f"/needs/{need.id}/consent", {"method": "oral"}).status_code == 303
    assert post_form(client, settings, f"/needs/{need.id}/consent", {"method": "phone"}).status_code == 409
    assert len(audit_events(session, "need.consent_recorded")) == 1


def test_the_consent_forms_need_the_csrf_token(client: TestClient[Any], session: Session) -> None:
    need = _need(session)
    _staff_of(client, session, need)
    for path in (f"/needs/{need.id}/consent", f"/needs/{need.id}/consent/withdraw"):
        response = client.post(path, data={"method": "oral", "csrf_token": "forged"}, follow_redirects=False)
        assert response.status_code == 403
    assert audit_events(session, "need.consent_recorded") == []


@pytest.mark.parametrize("role", [Role.PARTNER, Role.VOLUNTEER])
def test_partners_and_volunteers_cannot_record_consent(
    client: TestClient[Any], session: Session, settings: Settings, role: Role
) -> None:
    need = _need(session)
    user = sign_in_as(client, session, role)
    assert post_form(client, settings, f"/needs/{need.id}/consent", {"method": "oral"}).status_code == 403
    client.cookies.clear()  # the API with a bearer token only
    api = client.post(
        f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=_bearer(session, user, "needs:write")
    )
    assert api.status_code == 403
    assert audit_events(session, "need.consent_recorded") == []


def test_staff_of_another_community_get_not_found(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    other = sign_in_as(client, session, Role.STAFF, community_id=make_grid(session).community_id)
    assert post_form(client, settings, f"/needs/{need.id}/consent", {"method": "oral"}).status_code == 404
    client.cookies.clear()  # the API with a bearer token only
    headers = _bearer(session, other, "needs:read", "needs:write", "contacts:read")
    assert client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/needs/{need.id}/contact", headers=headers).status_code == 404
    assert audit_events(session, "need.consent_recorded") == [] and audit_events(session, "need.contact_viewed") == []


def test_the_api_records_shows_and_withdraws_the_consent(client: TestClient[Any], session: Session) -> None:
    need = _need(session)
    grid = session.get(Grid, need.grid_id)
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)  # type: ignore[union-attr]
    headers = _bearer(session, staff, "needs:read", "needs:write")
    bad = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "email"}, headers=headers)
    assert bad.status_code == 400 and "method" in bad.text
    made = client.post(
        f"/api/v1/needs/{need.id}/consent", json={"method": "phone", "note": "电话确认"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["method"] == "phone" and made.json()["recorded_by_id"] == staff.id
    again = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=headers)
    assert again.status_code == 409 and again.json()["extra"][0]["key"] == "consent"
    assert client.get(f"/api/v1/needs/{need.id}", headers=headers).json()["consent"]["method"] == "phone"
    gone = client.post(f"/api/v1/needs/{need.id}/consent/withdraw", json={"reason": "撤回"}, headers=headers)
    assert gone.status_code == 200 and gone.json()["withdrawn_at"] is not None
    assert client.post(f"/api/v1/needs/{need.id}/consent/withdraw", headers=headers).status_code == 409
    assert client.get(f"/api/v1/needs/{need.id}", headers=headers).json()["consent"] is None
    assert [e.action for e in audit_events(session) if e.action.startswith("need.consent")] == [
        "need.consent_recorded",
        "need.consent_withdrawn",
    ]
    read_only = _bearer(session, staff, "needs:read")
    refused = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=read_only)
    assert refused.status_code == 403


# --- partners and volunteers ------------------------------------------------------------------------------------


def test_a_partner_sees_the_office_without_consent_and_the_contact_with_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session, _grid_with_station(session))
    partner = sign_in_as(client, session, Role.PARTNER)
    claim = _claim(session, need, partner)

    page = client.get("/claims").text
    assert STATION_ADDRESS in page and BENEFICIARY_PHONE not in page and f"/claims/{claim.id}/contact" not in page
    refused = post_form(client, settings, f"/claims/{claim.id}/contact")
    assert refused.status_code == 403 and BENEFICIARY_PHONE not in refused.text
    assert audit_events(session, "need.contact_shared") == []

    consent = _consent(session, need)
    page = client.get("/claims").text
    assert f"/claims/{claim.id}/contact" in page and BENEFICIARY_PHONE not in page  # shown on request only
    shown = post_form(client, settings, f"/claims/{claim.id}/contact")
    assert shown.status_code == 200
    for value in (BENEFICIARY_NAME, BENEFICIARY_PHONE, BENEFICIARY_ADDRESS):
        assert value in shown.text
    (event,) = audit_events(session, "need.contact_shared")
    assert (event.actor_id, event.actor_role, event.object_id) == (partner.id, "partner", need.id)
    assert event.after == {"match_id": claim.id, "consent_id": consent.id}
    assert BENEFICIARY_PHONE not in client.get("/claims").text  # the next visit shows it no more

    consent.withdrawn_at = utcnow()
    session.add(consent)
    session.commit()
    assert post_form(client, settings, f"/claims/{claim.id}/contact").status_code == 403


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.FULFILLED, MatchStatus.CANCELLED])
def test_a_claim_that_does_not_deliver_shows_no_contact(
    client: TestClient[Any], session: Session, settings: Settings, status: MatchStatus
) -> None:
    need = _need(session)
    _consent(session, need)
    partner = sign_in_as(client, session, Role.PARTNER)
    claim = _claim(session, need, partner, status)
    assert f"/claims/{claim.id}/contact" not in client.get("/claims").text
    response = post_form(client, settings, f"/claims/{claim.id}/contact")
    assert response.status_code == 403 and BENEFICIARY_PHONE not in response.text
    assert audit_events(session, "need.contact_shared") == []


def test_another_organizations_claim_is_not_found(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    _consent(session, need)
    claim = _claim(session, need, make_user(session, Role.PARTNER))
    sign_in_as(client, session, Role.PARTNER)
    assert post_form(client, settings, f"/claims/{claim.id}/contact").status_code == 404
    assert audit_events(session, "need.contact_shared") == []


def test_the_api_shows_a_partner_the_contact_with_consent_and_the_contacts_scope(
    client: TestClient[Any], session: Session
) -> None:
    need = _need(session)
    partner = make_user(session, Role.PARTNER)
    claim = _claim(session, need, partner)
    headers = _bearer(session, partner, "matches:read", "contacts:read")
    listed = client.get("/api/v1/claims", headers=headers).json()["items"]
    assert [item["contact_shared"] for item in listed] == [False]
    withheld = client.post(f"/api/v1/claims/{claim.id}/contact", headers=headers)
    assert withheld.status_code == 403 and withheld.json()["extra"][0]["key"] == "consent"

    _consent(session, need)
    assert client.get("/api/v1/claims", headers=headers).json()["items"][0]["contact_shared"] is True
    without_scope = _bearer(session, partner, "matches:read", "matches:write")
    assert client.post(f"/api/v1/claims/{claim.id}/contact", headers=without_scope).status_code == 403
    shown = client.post(f"/api/v1/claims/{claim.id}/contact", headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "match_id": claim.id,
        "need_id": need.id,
        "beneficiary_name": BENEFICIARY_NAME,
        "beneficiary_phone": BENEFICIARY_PHONE,
        "beneficiary_address": BENEFICIARY_ADDRESS,
    }
    assert len(audit_events(session, "need.contact_shared")) == 1


def test_a_confirmed_volunteer_sees_the_contact_only_with_consent(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session, _grid_with_station(session))
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    signup_id = _signup(session, need, volunteer)
    page = client.get("/signups").text
    assert STATION_ADDRESS in page and BENEFICIARY_PHONE not in page
    assert post_form(client, settings, f"/signups/{signup_id}/contact").status_code == 403

    _consent(session, need)
    assert f"/signups/{signup_id}/contact" in client.get("/signups").text
    shown = post_form(client, settings, f"/signups/{signup_id}/contact")
    assert shown.status_code == 200 and BENEFICIARY_PHONE in shown.text and BENEFICIARY_ADDRESS in shown.text
    (event,) = audit_events(session, "need.contact_shared")
    assert (event.actor_id, event.actor_role, (event.after or {})["signup_id"]) == (
        volunteer.id,
        "volunteer",
        signup_id,
    )

    client.cookies.clear()  # the API with a bearer token only
    headers = _bearer(session, volunteer, "matches:read", "contacts:read")
    assert client.get("/api/v1/signups", headers=headers).json()["items"][0]["contact_shared"] is True
    api = client.post(f"/api/v1/signups/{signup_id}/contact", headers=headers)
    assert api.status_code == 200 and api.json()["beneficiary_phone"] == BENEFICIARY_PHONE


def test_a_pending_volunteer_sees_no_contact(client: TestClient[Any], session: Session, settings: Settings) -> None:
    need = _need(session)
    _consent(session, need)
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    signup_id = _signup(session, need, volunteer, SignupStatus.PENDING)
    assert f"/signups/{signup_id}/contact" not in client.get("/signups").text
    assert post_form(client, settings, f"/signups/{signup_id}/contact").status_code == 403
    assert audit_events(session, "need.contact_shared") == []


# --- staff: masked by default, revealed through the audited action ----------------------------------------------


def test_the_edit_form_shows_the_phone_masked_and_keeps_it_when_saved_unchanged(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session, status=NeedStatus.SUBMITTED)
    _staff_of(client, session, need)
    form = client.get(f"/needs/{need.id}/edit").text
    assert BENEFICIARY_PHONE not in form and f'value="{MASKED}"' in form
    saved = post_form(
        client,
        settings,
        f"/needs/{need.id}/edit",
        {
            "title": "新标题",
            "category": need.category.value,
            "grid_id": str(need.grid_id),
            "urgency": need.urgency.value,
            "beneficiary_name": BENEFICIARY_NAME,
            "beneficiary_phone": MASKED,
            "beneficiary_address": BENEFICIARY_ADDRESS,
            "version": "1",
        },
    )
    assert saved.status_code == 303, saved.text
    stored = fetch(session, Need, need.id)
    assert stored.title == "新标题" and stored.beneficiary_phone == BENEFICIARY_PHONE

    changed = post_form(
        client,
        settings,
        f"/needs/{need.id}/edit",
        {"title": "新标题", "beneficiary_phone": "13712345678", "version": "2"},
    )
    assert changed.status_code == 303, changed.text
    assert fetch(session, Need, need.id).beneficiary_phone == "13712345678"


def test_the_api_masks_the_phone_of_one_need_and_reveals_it_with_an_audit_row(
    client: TestClient[Any], session: Session
) -> None:
    need = _need(session)
    grid = session.get(Grid, need.grid_id)
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)  # type: ignore[union-attr]
    reader = _bearer(session, staff, "needs:read", "needs:write")
    one = client.get(f"/api/v1/needs/{need.id}", headers=reader).json()
    assert one["beneficiary_phone"] == MASKED and one["beneficiary_name"] == BENEFICIARY_NAME
    assert BENEFICIARY_PHONE not in client.get("/api/v1/needs", headers=reader).text
    assert client.post(f"/api/v1/needs/{need.id}/contact", headers=reader).status_code == 403  # no contacts:read
    assert audit_events(session, "need.contact_viewed") == []
    revealer = _bearer(session, staff, "contacts:read")
    shown = client.post(f"/api/v1/needs/{need.id}/contact", headers=revealer)
    assert shown.status_code == 200 and shown.json()["beneficiary_phone"] == BENEFICIARY_PHONE
    (event,) = audit_events(session, "need.contact_viewed")
    assert (event.actor_id, event.object_id) == (staff.id, need.id)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.VOLUNTEER])
def test_partners_and_volunteers_cannot_reveal_through_the_staff_api(
    client: TestClient[Any], session: Session, role: Role
) -> None:
    need = _need(session)
    _consent(session, need)
    user = make_user(session, role)
    response = client.post(f"/api/v1/needs/{need.id}/contact", headers=_bearer(session, user, "contacts:read"))
    assert response.status_code == 403 and BENEFICIARY_PHONE not in response.text


def test_every_list_stays_masked_with_consent_recorded(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    _consent(session, need)
    _staff_of(client, session, need)
    assert BENEFICIARY_PHONE not in client.get("/needs").text
    assert BENEFICIARY_PHONE not in client.get(f"/needs/{need.id}").text
    assert BENEFICIARY_PHONE not in client.get(f"/projects/{need.id}").text
    assert audit_events(session, "need.contact_viewed") == []
