"""The staff pages of the need list: the scoped, masked, filtered list; one need in full; the decisions on it
(publish, reject with a reason, merge a duplicate, escalate, acknowledge, verify with the resident's satisfaction)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Escalation, Need, NeedStatus
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import factories
from tests import matches_factories as mf
from tests.factories import BENEFICIARY_NAME, BENEFICIARY_PHONE
from tests.security_helpers import audit_events, fetch, make_grid, post_form, reading, sign_in_as


def _staff_of(client: TestClient[Any], session: Session, grid: Grid) -> Any:
    return sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)


def _need(session: Session, grid: Grid, status: NeedStatus = NeedStatus.SUBMITTED, **fields: Any) -> Need:
    need = factories.make_need(session, grid, status, **fields)
    session.commit()
    return need


# --- who may see the pages -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/needs", "/needs/new", "/escalations"])
@pytest.mark.parametrize("role", [Role.PARTNER, Role.VOLUNTEER])
def test_staff_pages_are_refused_to_partners_and_volunteers(
    client: TestClient[Any], session: Session, role: Role, path: str
) -> None:
    sign_in_as(client, session, role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/needs", "/needs/new", "/needs/1", "/escalations"])
def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient[Any], path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_admin_sees_every_need(client: TestClient[Any], session: Session) -> None:
    first, second = _need(session, make_grid(session)), _need(session, make_grid(session))
    sign_in_as(client, session, Role.ADMIN)
    page = client.get("/needs")
    assert page.status_code == 200
    assert first.title in page.text and second.title in page.text


# --- the list --------------------------------------------------------------------------------------


def test_staff_list_shows_their_needs_with_masked_contacts(client: TestClient[Any], session: Session) -> None:
    grid, elsewhere = make_grid(session), make_grid(session)
    mine, other = _need(session, grid), _need(session, elsewhere)
    _staff_of(client, session, grid)
    page = client.get("/needs")
    assert page.status_code == 200
    assert mine.title in page.text and other.title not in page.text
    assert f'href="/needs/{mine.id}"' in page.text and 'href="/needs/new"' in page.text
    assert BENEFICIARY_NAME not in page.text and BENEFICIARY_PHONE not in page.text
    assert "林**" in page.text and "139****1234" in page.text


def test_list_filters_by_status_category_channel_urgency_and_to_review(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    waiting = _need(session, grid, NeedStatus.SUBMITTED, title="待审楼道灯", urgency="high", channel="hotline_12345")
    published = _need(session, grid, NeedStatus.PUBLISHED, title="已发布助餐", category="elderly_care")
    _staff_of(client, session, grid)
    to_review = client.get("/needs?to_review=true").text
    assert waiting.title in to_review and published.title not in to_review
    by_status = client.get("/needs?status=published").text
    assert published.title in by_status and waiting.title not in by_status
    by_category = client.get("/needs?category=elderly_care").text
    assert published.title in by_category and waiting.title not in by_category
    by_channel = client.get("/needs?channel=hotline_12345").text
    assert waiting.title in by_channel and published.title not in by_channel
    by_urgency = client.get("/needs?urgency=high").text
    assert waiting.title in by_urgency and published.title not in by_urgency
    by_grid = client.get(f"/needs?grid={grid.id}").text
    assert waiting.title in by_grid and published.title in by_grid


def test_list_refuses_an_unknown_filter_value(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    response = client.get("/needs?status=lost")
    assert response.status_code == 400
    assert "status" in response.text


def test_list_pages_through_many_needs(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    for _ in range(23):
        factories.make_need(session, grid, NeedStatus.SUBMITTED)
    session.commit()
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    first = client.get("/needs")
    assert "23 needs" in first.text and "1 / 2" in first.text and 'rel="next"' in first.text
    second = client.get("/needs?page=2")
    assert second.status_code == 200 and "2 / 2" in second.text
    assert second.text.count("<tr>") - 1 == 3  # header row + three needs


# --- one need --------------------------------------------------------------------------------------


def test_detail_shows_the_resident_to_staff_of_the_grid_with_the_phone_masked(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = _need(session, grid)
    _staff_of(client, session, grid)
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200
    assert BENEFICIARY_NAME in page.text and BENEFICIARY_PHONE not in page.text  # revealing it is audited
    assert f'action="/needs/{need.id}/contact"' in page.text
    assert f'href="/needs/{need.id}/edit"' in page.text


def test_detail_of_a_need_outside_the_scope_is_not_found(client: TestClient[Any], session: Session) -> None:
    need = _need(session, make_grid(session))
    _staff_of(client, session, make_grid(session))
    response = client.get(f"/needs/{need.id}")
    assert response.status_code == 404
    assert BENEFICIARY_NAME not in response.text


def test_publish_makes_the_need_a_project_and_is_audited(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _need(session, grid)
    factories.add_resource_line(session, need, "20")  # a need must ask for something to be published
    session.commit()
    _staff_of(client, session, grid)
    response = post_form(client, settings, f"/needs/{need.id}/publish", {"version": str(need.version)})
    assert response.status_code == 303 and response.headers["location"] == f"/needs/{need.id}?done=published"
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED
    assert [str(event.object_id) for event in audit_events(session, "need.publish")] == [str(need.id)]


def test_publish_with_a_stale_version_is_a_conflict(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _need(session, grid, version=3)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/needs/{need.id}/publish", {"version": "2"})
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert fetch(session, Need, need.id).status is NeedStatus.SUBMITTED


def test_reject_requires_a_reason(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    need = _need(session, grid)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    missing = post_form(client, settings, f"/needs/{need.id}/reject", {"reason": "  ", "version": "1"})
    assert missing.status_code == 400
    assert 'id="reason-error"' in missing.text and "Give a reason" in missing.text
    assert fetch(session, Need, need.id).status is NeedStatus.SUBMITTED
    done = post_form(client, settings, f"/needs/{need.id}/reject", {"reason": "不属于本街道", "version": "1"})
    assert done.status_code == 303
    rejected = fetch(session, Need, need.id)
    assert rejected.status is NeedStatus.REJECTED and rejected.status_reason == "不属于本街道"


def test_merge_moves_a_duplicate_into_the_need_it_repeats(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    first = _need(session, grid, title="3号楼楼道灯坏了", description="晚上看不见路")
    again = _need(session, grid, title="3号楼楼道灯坏了很久", description="晚上看不见路")
    _staff_of(client, session, grid)
    page = client.get(f"/needs/{again.id}")
    assert f'name="target_id" value="{first.id}"' in page.text  # offered as a likely duplicate
    response = post_form(client, settings, f"/needs/{again.id}/merge", {"version": "1", "target_id": str(first.id)})
    assert response.status_code == 303 and response.headers["location"] == f"/needs/{first.id}?done=merged"
    merged = fetch(session, Need, again.id)
    assert merged.status is NeedStatus.CANCELLED and merged.duplicate_of_id == first.id


def test_escalate_then_acknowledge_from_the_detail_page(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _need(session, grid, NeedStatus.PUBLISHED)
    _staff_of(client, session, grid)
    missing = post_form(client, settings, f"/needs/{need.id}/escalate", {"reason": ""})
    assert missing.status_code == 400
    escalated = post_form(client, settings, f"/needs/{need.id}/escalate", {"reason": "物业不配合"})
    assert escalated.status_code == 303
    step = fetch(session, Need, need.id)
    assert step.escalation_level.value == "grid"
    page = client.get(f"/needs/{need.id}")
    assert "物业不配合" in page.text and f'action="/needs/{need.id}/acknowledge"' in page.text
    with reading(session) as fresh:
        row = fresh.execute(sa.select(Escalation).where(Escalation.need_id == need.id)).scalar_one()
    done = post_form(client, settings, f"/needs/{need.id}/acknowledge", {"escalation_id": str(row.id)})
    assert done.status_code == 303
    assert fetch(session, Escalation, row.id).acknowledged_at is not None


# --- verification ----------------------------------------------------------------------------------


def _delivered_need(session: Session, grid: Grid) -> Need:
    need = _need(session, grid, NeedStatus.COMPLETED)
    factories.add_resource_line(session, need, "100", still_needed="0")
    factories.add_shift(session, need, starts_at=utcnow() - timedelta(days=2))
    session.commit()
    return need


def test_verify_closes_a_delivered_need_with_the_residents_satisfaction(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _delivered_need(session, grid)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}")
    assert f'action="/needs/{need.id}/verify"' in page.text and "Covered" in page.text
    response = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": "4", "comment": "很及时"})
    assert response.status_code == 303
    verified = fetch(session, Need, need.id)
    assert verified.status is NeedStatus.VERIFIED and verified.satisfaction == 4
    assert verified.satisfaction_comment == "很及时"
    assert "★★★★☆" in client.get(f"/needs/{need.id}").text


@pytest.mark.parametrize("satisfaction", ["", "0", "6", "abc"])
def test_verify_without_a_satisfaction_from_1_to_5_names_the_field(
    client: TestClient[Any], session: Session, settings: Settings, satisfaction: str
) -> None:
    grid = make_grid(session)
    need = _delivered_need(session, grid)
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": satisfaction})
    assert response.status_code == 400
    assert 'id="satisfaction-error"' in response.text and "from 1 to 5" in response.text
    assert fetch(session, Need, need.id).status is NeedStatus.COMPLETED


def test_verify_before_delivery_is_a_conflict_that_says_what_is_missing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _need(session, grid, NeedStatus.IN_PROGRESS)
    factories.add_resource_line(session, need, "100", still_needed="40", description="透水砖")
    session.commit()
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": "5"})
    assert response.status_code == 409
    assert "still needs 40" in response.text
    assert fetch(session, Need, need.id).status is NeedStatus.IN_PROGRESS


def test_detail_shows_claims_and_signups(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = _need(session, grid, NeedStatus.PARTIALLY_MATCHED)
    line = factories.add_resource_line(session, need, "100", still_needed="60")
    shift = factories.add_shift(session, need, starts_at=utcnow() + timedelta(days=1), confirmed=1)
    session.commit()
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="100")
    volunteer_person, profile = mf.volunteer(session, grid)
    session.add(
        Match(
            need_id=need.id,  # type: ignore[arg-type]
            kind=MatchKind.OFFER_LINE,
            source=MatchSource.PARTNER_CLAIM,
            resource_line_id=line.id,
            offer_id=offer.id,
            organization_id=person.user.organization_id,
            quantity=Decimal("40"),
            status=MatchStatus.FULFILLED,
        )
    )
    session.add(ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=SignupStatus.CONFIRMED))  # type: ignore[arg-type]
    session.commit()
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    assert "Partners&#39; claims" in page or "Partners' claims" in page
    assert "Fulfilled" in page and "40" in page
    assert volunteer_person.user.display_name in page and "Confirmed" in page
