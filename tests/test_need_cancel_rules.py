"""Who may cancel a need, from which statuses, with what input; and the rule that a shift already over asks for
nobody (needs.services.asking), for publishing and for the changes that must not leave a project asking nothing."""

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import asks_for_something
from marketplace.places.models import Grid
from tests import factories
from tests import matches_factories as mf
from tests.needs_helpers import staff_with_token, token_for
from tests.security_helpers import audit_events, fetch, make_user, reading
from tests.test_need_cancel_walk import cancel, staff_of

CANCELLABLE = ["submitted", "under_review", "published", "partially_matched", "matched", "in_progress"]
ENDED = ["completed", "verified", "rejected", "cancelled"]


@pytest.mark.parametrize("status", CANCELLABLE)
def test_staff_cancel_a_need_that_has_not_ended(client: TestClient[Any], session: Session, status: str) -> None:
    need = mf.project(session, status=NeedStatus(status))
    answer = cancel(client, staff_of(session, need), need, "居民已搬走")
    assert answer.status_code == 200, answer.text
    assert fetch(session, Need, need.id).status is NeedStatus.CANCELLED


@pytest.mark.parametrize("status", ENDED)
def test_a_need_that_has_ended_is_refused_naming_status(client: TestClient[Any], session: Session, status: str) -> None:
    need = mf.project(session, status=NeedStatus(status))
    answer = cancel(client, staff_of(session, need), need, "居民已搬走")
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"].startswith("status") and answer.json()["current"]["status"] == status
    row = fetch(session, Need, need.id)
    assert row.status is NeedStatus(status) and row.version == need.version
    assert audit_events(session, "need.cancel") == []


def test_only_staff_of_the_need_and_admins_may_cancel(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    elsewhere = staff_with_token(session)  # staff of another community: the need does not exist for them
    assert cancel(client, elsewhere, need).status_code == 404
    partner = mf.partner(session)
    grid = fetch(session, Grid, need.grid_id)
    volunteer, _profile = mf.volunteer(session, grid)
    for person in (partner, volunteer):
        assert cancel(client, person, need).status_code in (401, 403)
    anonymous = client.post(f"/api/v1/needs/{need.id}/cancel", json={"reason": "x", "version": 1})
    assert anonymous.status_code in (401, 403)  # no token, no session: refused before anything is read
    reader = make_user(session, Role.STAFF, community_id=grid.community_id)
    read_only = {"Authorization": f"Bearer {token_for(session, reader, ('needs:read',))}"}
    refused = client.post(f"/api/v1/needs/{need.id}/cancel", json={"reason": "x", "version": 1}, headers=read_only)
    assert refused.status_code == 403  # a token needs the needs:write scope, as every need transition does
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED
    boss = {"Authorization": f"Bearer {token_for(session, make_user(session, Role.ADMIN))}"}
    answer = client.post(
        f"/api/v1/needs/{need.id}/cancel", json={"reason": "录入错误", "version": need.version}, headers=boss
    )
    assert answer.status_code == 200, answer.text
    assert cancel(client, elsewhere, need).status_code == 404  # still nothing to see for them
    missing = client.post("/api/v1/needs/999999/cancel", json={"reason": "x", "version": 1}, headers=boss)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "很" * 501}, "reason"),
        ({"reason": "bad\x00byte"}, "reason"),
        ({"reason": "ok", "version": 0}, "version"),
        ({"reason": "ok", "version": "abc"}, "version"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client: TestClient[Any], session: Session, body: dict[str, Any], field: str
) -> None:
    need = mf.project(session)
    answer = cancel(client, staff_of(session, need), need, **body)
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


def test_a_missing_reason_or_version_is_a_400(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    staff = staff_of(session, need)
    path = f"/api/v1/needs/{need.id}/cancel"
    assert client.post(path, json={"version": need.version}, headers=staff.headers).status_code == 400
    assert client.post(path, json={"reason": "x"}, headers=staff.headers).status_code == 400


def test_a_stale_version_is_a_409_with_the_current_need(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    answer = cancel(client, staff_of(session, need), need, version=need.version + 5)
    assert answer.status_code == 409 and answer.json()["detail"].startswith("version")
    assert answer.json()["current"]["version"] == need.version
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


def test_the_api_is_documented(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/needs/{need_id}/cancel"]["post"]
    assert operation["operationId"] == "cancelNeed" and "released" in operation["description"]
    assert "requestBody" in operation


# --- a shift that is over asks for nobody -----------------------------------------------------------------


def test_a_shift_that_has_ended_does_not_count_as_asking(session: Session) -> None:
    need = mf.project(session, status=NeedStatus.UNDER_REVIEW)
    factories.add_shift(
        session, need, 2, starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1)
    )
    session.commit()
    with reading(session) as fresh:
        assert not asks_for_something(fresh, need.id or 0)
        # On a clock before its end it still asked (the seeds' street lives on its own day).
        assert asks_for_something(fresh, need.id or 0, utcnow() - timedelta(hours=2))
    later = factories.add_shift(session, need, 1, starts_at=utcnow() + timedelta(days=1))
    session.commit()
    with reading(session) as fresh:
        assert asks_for_something(fresh, need.id or 0)
    del later


def test_publishing_a_need_whose_only_shift_is_over_is_refused_naming_lines(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, status=NeedStatus.UNDER_REVIEW)
    factories.add_shift(
        session, need, 2, starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1)
    )
    session.commit()
    staff = staff_of(session, need)
    answer = client.post(f"/api/v1/needs/{need.id}/publish", json={"version": need.version}, headers=staff.headers)
    assert answer.status_code == 409 and "lines" in answer.text
    assert fetch(session, Need, need.id).status is NeedStatus.UNDER_REVIEW


def test_closing_the_last_line_is_refused_when_only_a_past_shift_is_left(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "5")
    factories.add_shift(
        session, need, 2, starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1)
    )
    session.commit()
    staff = staff_of(session, need)
    answer = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": need.version, "reason": "够了"},
        headers=staff.headers,
    )
    assert answer.status_code == 409 and "reason" in answer.text  # nothing_asked, naming the form's field
    # With a shift still to come, the same change goes through: the project still asks for its places.
    mf.shift(session, need, slots=2, starts_in_hours=24)
    answer = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": need.version, "reason": "够了"},
        headers=staff.headers,
    )
    assert answer.status_code == 200, answer.text
