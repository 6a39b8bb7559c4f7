"""Erasure on request (PIPL): the person is gone from every table and column, the record (hours, matches,
sign-ups, audit rows) stays; a resident's contact is anonymised by staff of their grid."""

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.notifications.models import Notification
from marketplace.organizations.models import Organization
from marketplace.privacy.markers import ANONYMISED
from marketplace.settings import Settings
from marketplace.vocabulary import Category
from marketplace.volunteers.models import (
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSkill,
)
from tests import factories
from tests.needs_helpers import need_body, token_for
from tests.privacy_helpers import counts, find_everywhere, volunteer_with_history
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_events,
    fetch,
    login,
    make_grid,
    make_user,
    post_form,
    reading,
    sign_in_as,
)

OLD_PHONE = "13700009999"


def _ask_to_be_erased(client: TestClient[Any], session: Session, settings: Settings) -> Any:
    """A volunteer with history who changed their phone once, then asks to be deleted from their page."""
    grid = make_grid(session)
    person = volunteer_with_history(
        session, grid, name="注销测试丙", username="erase_me", phone=OLD_PHONE, email="erase@example.org"
    )
    assert login(client, "erase_me", DEFAULT_PASSWORD).status_code == 303
    changed = post_form(
        client,
        settings,
        "/account",
        {"display_name": "注销测试丙", "phone": "13911112222", "email": "erase@example.org"},
    )
    assert changed.status_code == 303
    # A staff member's notification that names the volunteer, and a need they reported for themselves.
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)
    session.add(
        Notification(
            user_id=staff.id,  # type: ignore[arg-type]
            kind="signup.new",
            subject_type="match",
            subject_id=person.match_id,
            digest_key="x",
            payload={"volunteer_name": "注销测试丙", "note": "call 13911112222"},
        )
    )
    factories.make_need(session, grid, NeedStatus.PUBLISHED, beneficiary_phone="13911112222")
    session.commit()
    assert post_form(client, settings, "/account/privacy/erasure", {"password": DEFAULT_PASSWORD}).status_code == 400
    asked = post_form(client, settings, "/account/privacy/erasure", {"password": DEFAULT_PASSWORD, "confirm": "yes"})
    assert asked.status_code == 303, asked.text
    return person


def test_erasure_leaves_no_trace_of_name_username_phone_or_email_in_any_column_of_any_table(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = _ask_to_be_erased(client, session, settings)
    values = ["注销测试丙", "erase_me", "13911112222", OLD_PHONE, "erase@example.org"]
    assert find_everywhere(session, values), "the scan must see the values before erasure"
    before = counts(session)
    audit_before = len(audit_events(session))
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    listed = client.get("/admin/privacy")
    assert listed.status_code == 200 and "注销测试丙" in listed.text
    erased = post_form(client, settings, f"/admin/privacy/erasures/{person.user.id}", {"confirm": "yes"})
    assert erased.status_code == 303, erased.text

    assert find_everywhere(session, values) == []
    assert counts(session) == before  # hours, sign-ups, matches, needs all kept
    assert len(audit_events(session)) == audit_before + 2  # the admin's sign-in and the erasure: nothing deleted
    user = fetch(session, User, person.user.id)
    assert user.display_name == f"已注销用户 #{user.id}" and not user.is_active and user.password_hash is None
    (event,) = audit_events(session, "privacy.erased")
    assert event.object_id == person.user.id and event.after["sessions_ended"] >= 1
    assert event.after["tokens_revoked"] == 1
    with reading(session) as fresh:
        addresses = fresh.execute(sa.select(AuditEvent.client_address).where(AuditEvent.actor_id == user.id))
        assert set(addresses.scalars()) == {None}
    assert "注销测试丙" not in client.get("/admin/privacy").text  # no longer an open request


def test_a_namesake_and_a_phone_sharer_keep_their_account_and_a_partner_contact_is_anonymised(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    namesake = make_user(session, Role.VOLUNTEER, display_name="王芳", phone="13500001111")
    partner = make_user(session, Role.PARTNER, display_name="王经理", phone="13800138000")  # make_org's contact
    admin = sign_in_as(client, session, Role.ADMIN, phone="13800138000")  # a shared (family, office) phone
    assert post_form(client, settings, f"/admin/privacy/erasures/{partner.id}", {"confirm": "yes"}).status_code == 303
    assert fetch(session, User, namesake.id).display_name == "王芳"
    assert fetch(session, User, admin.id).phone == "13800138000"  # another account is its owner's own statement
    organization = fetch(session, Organization, partner.organization_id)
    assert (organization.contact_name, organization.contact_phone) == (ANONYMISED, ANONYMISED)


def test_an_erased_person_can_no_longer_sign_in_or_use_their_token(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person = _ask_to_be_erased(client, session, settings)
    volunteer_cookies = dict(client.cookies)
    admin_client = TestClient(app=client.app)
    with admin_client:
        sign_in_as(admin_client, session, Role.ADMIN)
        assert (
            post_form(
                admin_client, settings, f"/admin/privacy/erasures/{person.user.id}", {"confirm": "yes"}
            ).status_code
            == 303
        )
        # Erased stays erased: no admin turns the account back on or hands out a way into it.
        for action in ("enable", "reset-link"):
            again = post_form(admin_client, settings, f"/admin/users/{person.user.id}/{action}", {})
            assert again.status_code == 409, action
            assert again.headers["content-type"].startswith("text/html"), action  # the page, not its source
            assert "erased at its owner" in again.text or "已应其本人要求注销" in again.text
        with reading(session) as db:
            assert db.get(User, person.user.id).is_active is False  # type: ignore[union-attr]
    client.cookies.update(volunteer_cookies)
    assert client.get("/account", follow_redirects=False).status_code in (302, 303, 401)
    assert client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {person.token}"}).status_code == 401
    client.cookies.clear()
    assert login(client, "erase_me", DEFAULT_PASSWORD).status_code == 401


def test_a_request_can_be_withdrawn_and_needs_the_right_password(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER)
    wrong = post_form(client, settings, "/account/privacy/erasure", {"password": "nope", "confirm": "yes"})
    assert wrong.status_code == 400 and 'id="password-error"' in wrong.text
    assert (
        post_form(
            client, settings, "/account/privacy/erasure", {"password": DEFAULT_PASSWORD, "confirm": "yes"}
        ).status_code
        == 303
    )
    twice = post_form(client, settings, "/account/privacy/erasure", {"password": DEFAULT_PASSWORD, "confirm": "yes"})
    assert twice.status_code == 409
    assert post_form(client, settings, "/account/privacy/erasure/withdraw").status_code == 303
    assert post_form(client, settings, "/account/privacy/erasure/withdraw").status_code == 409
    actions = [e.action for e in audit_events(session) if e.object_id == user.id and e.action.startswith("privacy.")]
    assert actions == ["privacy.erasure_requested", "privacy.erasure_withdrawn"]


def test_a_volunteer_on_a_shift_to_come_is_not_erased_until_the_sign_up_is_cancelled(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    person = volunteer_with_history(
        session, grid, name="未来班次", username="future", phone="13922223333", email="f@x.org"
    )
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED)
    start = utcnow() + timedelta(days=2)
    shift = Shift(
        need_id=need.id, title="明天", location="", slots=2, starts_at=start, ends_at=start + timedelta(hours=2)
    )  # type: ignore[arg-type]
    session.add(shift)
    session.flush()
    session.add(ShiftSignup(shift_id=shift.id, volunteer_id=person.profile.id, status=SignupStatus.CONFIRMED))  # type: ignore[arg-type]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    refused = post_form(client, settings, f"/admin/privacy/erasures/{person.user.id}", {"confirm": "yes"})
    assert refused.status_code == 409 and "1" in refused.text
    assert fetch(session, User, person.user.id).display_name == "未来班次"
    assert audit_events(session, "privacy.erased") == []


def test_admin_erasure_input_is_checked(client: TestClient[Any], session: Session, settings: Settings) -> None:
    admin = sign_in_as(client, session, Role.ADMIN)
    victim = make_user(session, Role.VOLUNTEER)
    cases = [
        ("/admin/privacy/erasures", {"user_id": "abc", "confirm": "yes"}, 400, "user_id"),
        ("/admin/privacy/erasures", {"user_id": "9" * 40, "confirm": "yes"}, 400, "user_id"),
        ("/admin/privacy/erasures", {"user_id": str(victim.id)}, 400, "confirm"),
        ("/admin/privacy/erasures", {"user_id": "999999", "confirm": "yes"}, 404, "user_id"),
        ("/admin/privacy/erasures", {"user_id": str(admin.id), "confirm": "yes"}, 409, "user_id"),
        (f"/admin/privacy/erasures/{2**40}", {"confirm": "yes"}, 404, ""),
    ]
    for path, form, status, field in cases:
        response = post_form(client, settings, path, form)
        assert response.status_code == status, (path, form, response.status_code)
        assert field in response.text
    assert (
        post_form(
            client, settings, "/admin/privacy/erasures", {"user_id": str(victim.id), "confirm": "yes"}
        ).status_code
        == 303
    )
    again = post_form(client, settings, f"/admin/privacy/erasures/{victim.id}", {"confirm": "yes"})
    assert again.status_code == 409


def test_only_admins_erase_and_the_form_needs_the_csrf_token(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    victim = make_user(session, Role.VOLUNTEER)
    sign_in_as(client, session, Role.STAFF)
    assert post_form(client, settings, f"/admin/privacy/erasures/{victim.id}", {"confirm": "yes"}).status_code == 403
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    no_token = client.post(f"/admin/privacy/erasures/{victim.id}", data={"confirm": "yes"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert fetch(session, User, victim.id).is_active


# --- residents ------------------------------------------------------------------------------------------------


def test_staff_anonymise_a_residents_needs_and_their_audit_history_keeping_the_needs(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff = sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    body = need_body(
        grid.id, beneficiary_name="居民丁某", beneficiary_phone="13644445555", beneficiary_address="幸福里8号楼2单元"
    )
    token = token_for(session, staff)
    with TestClient(app=client.app) as api:  # a system feeding needs in: no browser session
        created = api.post("/api/v1/needs", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    need_id = created.json()["id"]
    other = factories.make_need(session, grid, NeedStatus.PUBLISHED)  # another resident
    session.commit()
    form = {"phone": "13644445555", "reference": ""}
    unconfirmed = post_form(client, settings, "/privacy/residents/anonymise", form)
    assert unconfirmed.status_code == 400 and 'id="confirm-error"' in unconfirmed.text
    done = post_form(client, settings, "/privacy/residents/anonymise", form | {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"].endswith("anonymised=1")
    need = fetch(session, Need, need_id)
    assert (need.beneficiary_name, need.beneficiary_phone, need.beneficiary_address) == (ANONYMISED, None, ANONYMISED)
    assert need.title == body["title"]
    kept = fetch(session, Need, other.id)
    assert kept.beneficiary_phone == factories.BENEFICIARY_PHONE
    assert find_everywhere(session, ["13644445555", "居民丁", "幸福里8号", "136****5555", "居*"]) == []
    (event,) = audit_events(session, "privacy.resident_anonymised")
    assert event.after == {"need_ids": [need_id], "anonymised": 1, "by": "phone"}
    again = post_form(
        client, settings, "/privacy/residents/anonymise", {"phone": "", "reference": str(need_id), "confirm": "yes"}
    )
    assert again.status_code == 303 and again.headers["location"].endswith("anonymised=0")


def test_staff_of_another_community_cannot_anonymise(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.VERIFIED)
    session.commit()
    sign_in_as(client, session, Role.STAFF)
    response = post_form(
        client, settings, "/privacy/residents/anonymise", {"phone": "", "reference": str(need.id), "confirm": "yes"}
    )
    assert response.status_code == 404
    assert fetch(session, Need, need.id).beneficiary_phone == factories.BENEFICIARY_PHONE
    assert json.dumps([e.after for e in audit_events(session)]).find("resident_anonymised") == -1


def test_erasure_drops_the_volunteers_interests_skills_availability_and_imported_completion_rate(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    """What a person chose or was rated on goes with them; the record of their work stays."""
    person = _ask_to_be_erased(client, session, settings)
    skill = Skill(code="erase_first_aid", group="medical", name="急救", name_en="First aid")
    session.add(skill)
    session.flush()
    profile = session.get(VolunteerProfile, person.profile.id)
    assert profile is not None
    profile.reliability_rate = 0.9
    session.add_all(
        [
            profile,
            VolunteerSkill(volunteer_id=profile.id, skill_id=skill.id),  # type: ignore[arg-type]
            VolunteerInterest(volunteer_id=profile.id, category=Category.ELDERLY_CARE),  # type: ignore[arg-type]
            VolunteerInterest(volunteer_id=profile.id, category=Category.SANITATION),  # type: ignore[arg-type]
        ]
    )
    session.commit()
    before = counts(session)
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    erased = post_form(client, settings, f"/admin/privacy/erasures/{person.user.id}", {"confirm": "yes"})
    assert erased.status_code == 303, erased.text

    with reading(session) as fresh:
        for preference in (VolunteerSkill, VolunteerInterest):
            left = fresh.execute(sa.select(sa.func.count()).where(preference.volunteer_id == profile.id))  # type: ignore[attr-defined]
            assert left.scalar_one() == 0, preference.__name__
        assert fresh.get(VolunteerProfile, profile.id).reliability_rate is None  # type: ignore[union-attr]
    assert counts(session) == before
