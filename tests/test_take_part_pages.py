"""Taking part through the pages: partners claim projects and follow their claims (cancel, mark delivered);
volunteers sign up for shifts and follow them (cancel, check in, check out). The services are the real ones."""

import html
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.accounts.models import Role
from marketplace.matches import review
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import NeedStatus, Shift
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.security.identity import CurrentUser
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import matches_factories as mf
from tests.factories import BENEFICIARY_NAME, BENEFICIARY_PHONE
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


def _as(client: TestClient[Any], person: mf.Person, lang: str = "en") -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _matches(session: Session, need_id: int) -> list[Match]:
    with reading(session) as fresh:
        return list(fresh.exec(select(Match).where(Match.need_id == need_id)).all())


def _approve(session: Session, match_id: int) -> None:
    boss = make_user(session, Role.ADMIN)
    actor = CurrentUser(id=boss.id or 0, username=boss.username, display_name=boss.display_name, role=Role.ADMIN)
    review.approve(session, actor, match_id)
    session.commit()


# --- partners: the take-part page and claims ---------------------------------------------------------------


def test_partner_claims_part_of_a_line_and_follows_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="湖岛新村老旧小区改造")
    line = mf.line(session, need, "100")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="40", title="再生透水砖")
    _as(client, person)
    page = client.get(f"/projects/{need.id}/take-part")
    assert page.status_code == 200
    assert f'<option value="{offer.id}"' in page.text and "再生透水砖" in page.text
    assert 'value="whole"' in page.text and f'name="resource_line_id" value="{line.id}"' in page.text
    sent = post_form(
        client,
        settings,
        f"/projects/{need.id}/claim",
        {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "2,5.5"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/claims?done=claimed"
    [match] = _matches(session, need.id)
    assert (match.kind, match.status, match.quantity) == (MatchKind.OFFER_LINE, MatchStatus.PROPOSED, Decimal("25.5"))
    claims = client.get("/claims?done=claimed")
    assert "Your claim was sent" in claims.text and "湖岛新村老旧小区改造" in claims.text
    assert f'action="/claims/{match.id}/cancel"' in claims.text
    assert f'action="/claims/{match.id}/delivered"' not in claims.text  # not approved yet
    assert "Your claims on this project" in client.get(f"/projects/{need.id}/take-part").text


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("", "Enter a number greater than 0"),
        ("abc", "Enter a number greater than 0"),
        ("0", "Enter a number greater than 0"),
        ("-3", "Enter a number greater than 0"),
        ("1.234", "at most two decimals"),
        ("1e3", "Enter a number greater than 0"),
        ("31", "More than your offer has left."),
        ("51", "More than the line still needs."),
    ],
)
def test_bad_quantity_is_400_next_to_the_field_and_writes_nothing(
    client: TestClient[Any], session: Session, settings: Settings, quantity: str, message: str
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="30")
    _as(client, person)
    data = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": quantity}
    refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert refused.status_code == 400
    assert f'id="line-{line.id}-quantity-error"' in refused.text and message in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert f'value="{quantity}"' in refused.text  # what was typed is kept
    assert _matches(session, need.id) == []


def test_claim_from_another_organizations_offer_is_400_on_the_offer(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person, other = mf.partner(session), mf.partner(session)
    mf.offer_of(session, person.user, remaining="30")
    foreign = mf.offer_of(session, other.user, remaining="30")
    _as(client, person)
    data = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(foreign.id), "quantity": "2"}
    refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert refused.status_code == 400
    assert f'id="line-{line.id}-offer-error"' in refused.text
    assert "Choose one of your organization's active offers." in html.unescape(refused.text)
    assert _matches(session, need.id) == []


def test_odd_ids_in_the_claim_form_are_400_not_500(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    mf.offer_of(session, person.user, remaining="30")
    _as(client, person)
    for offer_id in ("²", "99999999999", "-1", ""):
        data = {"kind": "line", "resource_line_id": str(line.id), "offer_id": offer_id, "quantity": "2"}
        refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
        assert refused.status_code == 400 and f'id="line-{line.id}-offer-error"' in refused.text
    for line_id in ("²", "99999999999", "x"):
        data = {"kind": "line", "resource_line_id": line_id, "offer_id": "1", "quantity": "2"}
        refused = post_form(client, settings, f"/projects/{need.id}/claim", data)
        assert refused.status_code == 400 and "resource_line_id" in refused.text
    assert _matches(session, need.id) == []


def test_whole_project_is_claimed_once_and_the_next_partner_is_told(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    first, second = mf.partner(session), mf.partner(session)
    _as(client, first)
    assert post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"}).status_code == 303
    assert "Your organization has claimed the whole project." in client.get(f"/projects/{need.id}/take-part").text
    _as(client, second)
    page = client.get(f"/projects/{need.id}/take-part")
    assert "already claimed the whole project" in page.text and 'value="whole"' not in page.text
    refused = post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"})
    assert refused.status_code == 409 and "Another partner has just claimed the whole project." in refused.text
    assert [m.kind for m in _matches(session, need.id)] == [MatchKind.WHOLE_NEED]
    unknown = post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "everything"})
    assert unknown.status_code == 400 and "kind" in unknown.text


def test_partner_of_an_unapproved_organization_sees_why_and_cannot_claim(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    mf.line(session, need)
    person = mf.partner(session)
    organization = session.get(Organization, person.user.organization_id)
    assert organization is not None
    organization.status = OrganizationStatus.PENDING
    session.add(organization)
    session.commit()
    _as(client, person)
    # Since the eighth probe the page is a 403 (docs/SECURITY.md), which still says why, in the reader's language.
    page = client.get(f"/projects/{need.id}/take-part")
    assert page.status_code == 403 and "awaiting the street's approval" in html.unescape(page.text)
    assert "/claim" not in page.text.split("<main", 1)[1]
    _as(client, person, "zh_CN")
    page = client.get(f"/projects/{need.id}/take-part")
    assert page.status_code == 403 and "等待街道审核" in page.text
    assert "/claim" not in page.text.split("<main", 1)[1]
    assert post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"}).status_code == 403
    assert _matches(session, need.id) == []


def test_approved_claim_is_marked_delivered_and_the_need_moves_on(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    person = mf.partner(session)
    _as(client, person)
    post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"})
    [match] = _matches(session, need.id)
    early = post_form(client, settings, f"/claims/{match.id}/delivered")
    assert (
        early.status_code == 409
        and "Only an approved claim can be marked delivered (this one: Proposed)." in early.text
    )
    _approve(session, match.id or 0)
    assert f'action="/claims/{match.id}/delivered"' in client.get("/claims").text
    done = post_form(client, settings, f"/claims/{match.id}/delivered")
    assert done.status_code == 303 and done.headers["location"] == "/claims?done=delivered"
    assert fetch(session, Match, match.id).status is MatchStatus.FULFILLED
    assert len(audit_events(session, "match.deliver")) == 1
    assert "Delivered on" in client.get("/claims").text


def test_cancel_claim_with_a_reason_once(client: TestClient[Any], session: Session, settings: Settings) -> None:
    need = mf.project(session)
    person = mf.partner(session)
    _as(client, person)
    post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"})
    [match] = _matches(session, need.id)
    too_long = post_form(client, settings, f"/claims/{match.id}/cancel", {"reason": "太" * 501})
    assert too_long.status_code == 400 and f'id="claim-{match.id}-reason-error"' in too_long.text
    control = post_form(client, settings, f"/claims/{match.id}/cancel", {"reason": "bad\x00byte"})
    # NUL is refused at the edge for every form (marketplace/hostile_input.py), naming the field.
    assert control.status_code == 400 and "“reason”" in control.text and "NUL" in control.text
    assert fetch(session, Match, match.id).status is MatchStatus.PROPOSED
    cancelled = post_form(client, settings, f"/claims/{match.id}/cancel", {"reason": "人手不足"})
    assert cancelled.status_code == 303
    row = fetch(session, Match, match.id)
    assert row.status is MatchStatus.CANCELLED and row.decision_reason == "人手不足"
    again = post_form(client, settings, f"/claims/{match.id}/cancel", {"reason": ""})
    assert again.status_code == 409 and "This claim can no longer be cancelled (now: Cancelled)." in again.text
    page = client.get("/claims")
    assert "人手不足" in page.text and f'action="/claims/{match.id}/cancel"' not in page.text


def test_another_organizations_claim_cannot_be_touched(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session)
    owner, stranger = mf.partner(session), mf.partner(session)
    _as(client, owner)
    post_form(client, settings, f"/projects/{need.id}/claim", {"kind": "whole"})
    [match] = _matches(session, need.id)
    _as(client, stranger)
    assert "/claims/" not in client.get("/claims").text.split("<main", 1)[1]
    assert post_form(client, settings, f"/claims/{match.id}/cancel").status_code == 404
    assert post_form(client, settings, f"/claims/{match.id}/delivered").status_code == 404
    assert fetch(session, Match, match.id).status is MatchStatus.PROPOSED


def test_take_part_never_shows_the_beneficiary(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    mf.line(session, need)
    mf.shift(session, need)
    partner = mf.partner(session)
    volunteer, _ = mf.volunteer(session, grid)
    for person in (partner, volunteer):
        _as(client, person)
        page = client.get(f"/projects/{need.id}/take-part")
        assert page.status_code == 200
        assert BENEFICIARY_NAME not in page.text and BENEFICIARY_PHONE not in page.text


def test_only_open_projects_can_be_taken_part_in(client: TestClient[Any], session: Session) -> None:
    person = mf.partner(session)
    _as(client, person)
    for status in (NeedStatus.SUBMITTED, NeedStatus.VERIFIED, NeedStatus.CANCELLED):
        need = mf.project(session, status=status)
        assert client.get(f"/projects/{need.id}/take-part").status_code == 404
    assert client.get("/projects/999999/take-part").status_code == 404


def test_pages_are_for_their_roles(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    assert client.get("/claims", follow_redirects=False).status_code == 303  # to /login
    assert client.get("/signups", follow_redirects=False).status_code == 303
    sign_in_as(client, session, Role.STAFF)
    assert client.get(f"/projects/{need.id}/take-part").status_code == 403
    assert client.get("/claims").status_code == 403 and client.get("/signups").status_code == 403
    _as(client, mf.partner(session))
    assert client.get("/signups").status_code == 403
    _as(client, mf.volunteer(session, make_grid(session))[0])
    assert client.get("/claims").status_code == 403


def test_forms_without_the_csrf_token_are_refused(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    _as(client, mf.partner(session))
    refused = client.post(f"/projects/{need.id}/claim", data={"kind": "whole"}, follow_redirects=False)
    assert refused.status_code == 403
    assert _matches(session, need.id) == []


def test_take_part_speaks_chinese_by_default(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    _as(client, mf.partner(session), lang="zh_CN")
    page = client.get(f"/projects/{need.id}/take-part")
    assert "认领整个项目" in page.text and "Claim the whole project" not in page.text


# --- volunteers: sign up, my shifts, cancel, check in and out ----------------------------------------------


def test_volunteer_signs_up_and_sees_the_shift_coming_up(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="环境整治")
    shift = mf.shift(session, need, slots=2, title="周末清扫")
    person, _ = mf.volunteer(session, grid)
    _as(client, person)
    page = client.get(f"/projects/{need.id}/take-part")
    assert f'action="/shifts/{shift.id}/sign-up"' in page.text and "2 of 2 places open" in page.text
    sent = post_form(client, settings, f"/shifts/{shift.id}/sign-up")
    assert sent.status_code == 303 and sent.headers["location"] == f"/projects/{need.id}/take-part?done=signed_up"
    assert fetch(session, Shift, shift.id).confirmed_count == 1
    again = client.get(sent.headers["location"])
    assert "You are signed up." in again.text and f'action="/shifts/{shift.id}/sign-up"' not in again.text
    assert post_form(client, settings, f"/shifts/{shift.id}/sign-up").status_code == 303  # twice is once
    assert fetch(session, Shift, shift.id).confirmed_count == 1
    mine = client.get("/signups")
    assert "周末清扫" in mine.text and "环境整治" in mine.text and "Coming up" in mine.text
    assert "Check-in opens at" in mine.text and "/check-in" not in mine.text


def test_shift_needing_approval_waits(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, requires_approval=True)
    person, _ = mf.volunteer(session, grid)
    _as(client, person)
    assert "Ask to join" in client.get(f"/projects/{need.id}/take-part").text
    sent = post_form(client, settings, f"/shifts/{shift.id}/sign-up")
    assert sent.headers["location"].endswith("done=signed_up_pending")
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    assert "Waiting for the street to confirm your place." in client.get("/signups").text


def test_full_and_overlapping_shifts_are_409_with_the_reason(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    full = mf.shift(session, need, slots=1, starts_in_hours=48)
    morning = mf.shift(session, need, starts_in_hours=24)
    overlapping = mf.shift(session, need, starts_in_hours=25)
    _as(client, mf.volunteer(session, grid)[0])
    assert post_form(client, settings, f"/shifts/{full.id}/sign-up").status_code == 303
    _as(client, mf.volunteer(session, grid)[0])
    assert "This shift is full." in client.get(f"/projects/{need.id}/take-part").text
    refused = post_form(client, settings, f"/shifts/{full.id}/sign-up")
    assert refused.status_code == 409 and "This shift has just filled up." in refused.text
    assert post_form(client, settings, f"/shifts/{morning.id}/sign-up").status_code == 303
    clash = post_form(client, settings, f"/shifts/{overlapping.id}/sign-up")
    # The page names the shift clashed with, and its number (refusals.py).
    assert clash.status_code == 409 and f"overlapping shift: {morning.title} (#{morning.id})" in html.unescape(
        clash.text
    )
    assert fetch(session, Shift, full.id).confirmed_count == 1
    assert fetch(session, Shift, overlapping.id).confirmed_count == 0


def test_volunteer_without_a_profile_is_sent_to_fill_it_in(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    mf.shift(session, need)
    sign_in_as(client, session, Role.VOLUNTEER)
    client.cookies.set("lang", "en")
    page = client.get(f"/projects/{need.id}/take-part")
    assert page.status_code == 200 and "Fill in your volunteer profile" in page.text
    assert "/sign-up" not in page.text
    assert "Fill in your volunteer profile" in client.get("/signups").text


def test_cancel_sign_up_gives_the_place_back(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), slots=1)
    person, _ = mf.volunteer(session, grid)
    _as(client, person)
    post_form(client, settings, f"/shifts/{shift.id}/sign-up")
    signup = _signup_of(session, shift.id)
    assert f'action="/signups/{signup.id}/cancel"' in client.get("/signups").text
    cancelled = post_form(client, settings, f"/signups/{signup.id}/cancel", {"reason": "临时出差"})
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/signups?done=signup_cancelled"
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    assert fetch(session, ShiftSignup, signup.id).status is SignupStatus.CANCELLED
    assert fetch(session, Match, signup.match_id).decision_reason == "临时出差"
    again = post_form(client, settings, f"/signups/{signup.id}/cancel")
    assert again.status_code == 409 and "This sign-up can no longer be cancelled (now: Cancelled)." in again.text
    assert "Past and cancelled" in client.get("/signups").text


def test_check_in_waits_for_the_shift_then_check_out_credits_hours(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    later = mf.shift(session, need, starts_in_hours=30)
    now = mf.shift(session, need, starts_in_hours=-1)  # started an hour ago, ends in two
    person, profile = mf.volunteer(session, grid)
    _as(client, person)
    post_form(client, settings, f"/shifts/{later.id}/sign-up")
    post_form(client, settings, f"/shifts/{now.id}/sign-up")
    early, current = _signup_of(session, later.id), _signup_of(session, now.id)
    refused = post_form(client, settings, f"/signups/{early.id}/check-in")
    assert refused.status_code == 409 and "Check-in opens one hour before" in refused.text
    assert fetch(session, ShiftSignup, early.id).status is SignupStatus.CONFIRMED
    page = client.get("/signups")
    assert f'action="/signups/{current.id}/check-in"' in page.text
    assert f'action="/signups/{early.id}/check-in"' not in page.text
    assert f'action="/signups/{current.id}/cancel"' not in page.text  # started: too late to cancel here
    checked_in = post_form(client, settings, f"/signups/{current.id}/check-in")
    assert checked_in.status_code == 303 and checked_in.headers["location"] == "/signups?done=checked_in"
    assert f'action="/signups/{current.id}/check-out"' in client.get("/signups").text
    _rewind_check_in(session, current.id, hours=1)  # an hour on site
    checked_out = post_form(client, settings, f"/signups/{current.id}/check-out")
    assert checked_out.status_code == 303
    row = fetch(session, ShiftSignup, current.id)
    assert row.status is SignupStatus.COMPLETED and row.hours_credited == Decimal("1")
    assert fetch(session, VolunteerProfile, profile.id).hours_total == Decimal("1")
    twice = post_form(client, settings, f"/signups/{current.id}/check-out")
    assert twice.status_code == 409 and "Only a checked-in sign-up can check out (this one: Completed)." in twice.text
    assert "Past and cancelled" in client.get("/signups?done=checked_out").text


def test_another_volunteers_sign_up_cannot_be_touched(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), starts_in_hours=0.5)
    owner, _ = mf.volunteer(session, grid)
    _as(client, owner)
    post_form(client, settings, f"/shifts/{shift.id}/sign-up")
    signup = _signup_of(session, shift.id)
    _as(client, mf.volunteer(session, grid)[0])
    for action in ("cancel", "check-in", "check-out"):
        assert post_form(client, settings, f"/signups/{signup.id}/{action}").status_code == 404
    assert fetch(session, ShiftSignup, signup.id).status is SignupStatus.CONFIRMED


def _signup_of(session: Session, shift_id: int | None) -> ShiftSignup:
    with reading(session) as fresh:
        row = fresh.exec(select(ShiftSignup).where(ShiftSignup.shift_id == shift_id)).first()
    assert row is not None
    return row


def _rewind_check_in(session: Session, signup_id: int | None, *, hours: float) -> None:
    row = session.get(ShiftSignup, signup_id)
    assert row is not None
    row.checked_in_at = datetime.now(UTC) - timedelta(hours=hours)
    session.add(row)
    session.commit()


def test_ids_beyond_the_database_integer_are_404(client: TestClient[Any], session: Session, settings: Settings) -> None:
    huge = 2**40
    _as(client, mf.partner(session))
    assert client.get(f"/projects/{huge}/take-part").status_code == 404
    assert post_form(client, settings, f"/projects/{huge}/claim", {"kind": "whole"}).status_code == 404
    assert post_form(client, settings, f"/claims/{huge}/cancel").status_code == 404
    assert post_form(client, settings, f"/claims/{huge}/delivered").status_code == 404
    _as(client, mf.volunteer(session, make_grid(session))[0])
    assert post_form(client, settings, f"/shifts/{huge}/sign-up").status_code == 404
    for action in ("cancel", "check-in", "check-out"):
        assert post_form(client, settings, f"/signups/{huge}/{action}").status_code == 404
    assert "signup_id" in post_form(client, settings, "/signups/0/cancel").text  # the page names the parameter
