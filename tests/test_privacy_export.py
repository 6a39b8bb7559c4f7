"""Export on request (PIPL): a user downloads their own data, nobody else's and never a secret; staff export a
resident's needs only in the grids they work in, and that export is audited without the data."""

import json
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken, UserSession
from marketplace.accounts.models import Role, User
from marketplace.needs.models import NeedStatus
from marketplace.settings import Settings
from tests import factories
from tests.needs_helpers import token_for
from tests.privacy_helpers import volunteer_with_history
from tests.security_helpers import audit_events, login, make_grid, post_form, reading, sign_in_as

RESIDENT_PHONE = "13566667777"


def _two_volunteers(session: Session) -> tuple[Any, Any]:
    grid = make_grid(session)
    mine = volunteer_with_history(
        session, grid, name="导出测试甲", username="export_a", phone="13911112222", email="a@example.org"
    )
    other = volunteer_with_history(
        session, grid, name="别人乙", username="export_b", phone="13833334444", email="b@example.org", hours="5.00"
    )
    return mine, other


def test_my_data_holds_my_account_hours_match_and_notifications_and_nobody_elses(
    client: TestClient[Any], session: Session
) -> None:
    mine, other = _two_volunteers(session)
    assert login(client, "export_a", "correct horse battery staple").status_code == 303
    response = client.get("/api/v1/me/data")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["account"]["display_name"] == "导出测试甲" and data["account"]["phone"] == "13911112222"
    assert data["account"]["email"] == "a@example.org"
    assert data["volunteer_profile"]["hours_credited"] == "3.00"
    assert [s["id"] for s in data["shift_signups"]] == [mine.signup_id]
    assert [m["id"] for m in data["matches"]] == [mine.match_id]
    assert len(data["notifications"]) == 1
    assert any(e["action"] == "match.signup" for e in data["audit_events"])
    assert data["sessions"] and data["api_tokens"][0]["scopes"] == "profile:read"
    text = json.dumps(data, ensure_ascii=False)
    for value in (*other.values, str(other.match_id)):
        assert f'"{value}"' not in text, value
    assert '"5.00"' not in text  # the other volunteer's hours, as a value (a timestamp may hold 45.009)


def test_my_data_never_holds_a_password_hash_or_a_token_digest(client: TestClient[Any], session: Session) -> None:
    mine, _other = _two_volunteers(session)
    assert login(client, "export_a", "correct horse battery staple").status_code == 303
    text = client.get("/api/v1/me/data").text
    with reading(session) as fresh:
        user = fresh.get(User, mine.user.id)
        tokens = fresh.execute(sa.select(ApiToken.token_hash).where(ApiToken.user_id == mine.user.id)).scalars()
        secrets = [user.password_hash, *tokens]  # type: ignore[union-attr]
        secrets += list(fresh.execute(sa.select(UserSession.token_hash)).scalars())
    assert "password_hash" not in text and "token_hash" not in text
    for secret in secrets:
        assert secret and secret not in text
    assert mine.token not in text


def test_a_token_needs_the_profile_read_scope(client: TestClient[Any], session: Session) -> None:
    mine, _other = _two_volunteers(session)
    ok = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {mine.token}"})
    assert ok.status_code == 200 and ok.json()["account"]["username"] == "export_a"
    narrow = token_for(session, mine.user, ("needs:read",))
    refused = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {narrow}"})
    assert refused.status_code == 403 and "profile:read" in refused.text
    assert client.get("/api/v1/me/data").status_code == 401


def test_the_page_offers_the_download_as_a_file(client: TestClient[Any], session: Session) -> None:
    _two_volunteers(session)
    assert login(client, "export_a", "correct horse battery staple").status_code == 303
    account = client.get("/account")
    assert 'href="/account/privacy"' in account.text
    page = client.get("/account/privacy")
    assert page.status_code == 200 and "/account/privacy/data.json" in page.text
    download = client.get("/account/privacy/data.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.json()["account"]["username"] == "export_a"


# --- residents, through staff ------------------------------------------------------------------------------


def _resident_world(client: TestClient[Any], session: Session) -> tuple[Any, Any]:
    grid = make_grid(session)
    near = factories.make_need(session, grid, NeedStatus.VERIFIED, beneficiary_phone=RESIDENT_PHONE)
    factories.make_need(session, grid, NeedStatus.PUBLISHED)  # another resident's need in the same grid
    session.commit()
    return grid, near


def test_staff_of_the_grid_export_a_residents_needs_by_phone_audited_without_the_data(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid, need = _resident_world(client, session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    found = post_form(client, settings, "/privacy/residents/find", {"phone": "+86 135-6666-7777", "reference": ""})
    assert found.status_code == 200 and f"XQ-{need.id:06d}" in found.text
    assert RESIDENT_PHONE not in found.text  # the list is masked
    response = post_form(client, settings, "/privacy/residents/export", {"phone": RESIDENT_PHONE, "reference": ""})
    assert response.status_code == 200 and response.headers["content-disposition"].startswith("attachment;")
    document = response.json()
    assert [n["id"] for n in document["needs"]] == [need.id]
    assert document["needs"][0]["beneficiary_phone"] == RESIDENT_PHONE
    (event,) = audit_events(session, "privacy.exported")
    assert event.after == {"need_ids": [need.id], "by": "phone"}
    assert RESIDENT_PHONE not in json.dumps([event.before, event.after])


def test_staff_of_another_community_cannot_export_a_resident_of_a_grid_they_do_not_cover(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _grid, need = _resident_world(client, session)
    sign_in_as(client, session, Role.STAFF)  # a community of their own
    by_reference = post_form(client, settings, "/privacy/residents/export", {"phone": "", "reference": f"XQ-{need.id}"})
    by_phone = post_form(client, settings, "/privacy/residents/export", {"phone": RESIDENT_PHONE, "reference": ""})
    assert by_reference.status_code == 404 and by_phone.status_code == 404
    assert need.title not in by_reference.text + by_phone.text  # only the number they typed comes back
    assert audit_events(session, "privacy.exported") == []


def test_partners_and_volunteers_cannot_reach_the_residents_page(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.VOLUNTEER)
    assert client.get("/privacy/residents").status_code == 403


def test_bad_lookups_are_a_400_naming_the_field(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid, _need = _resident_world(client, session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    cases = [
        ({"phone": "", "reference": ""}, 'id="phone-error"'),
        ({"phone": "abc", "reference": ""}, 'id="phone-error"'),
        ({"phone": "", "reference": "XQ-" + "9" * 30}, 'id="reference-error"'),
        ({"phone": "13566667777", "reference": "12"}, 'id="phone-error"'),
        ({}, 'id="phone-error"'),
    ]
    for form, marker in cases:
        for path in ("/privacy/residents/find", "/privacy/residents/export", "/privacy/residents/anonymise"):
            response = post_form(client, settings, path, form)
            assert response.status_code == 400, (path, form, response.status_code)
            assert marker in response.text, (path, form)
