"""The public need form: a resident without an account reports a need, which waits for staff review;
one address may send five an hour, and the sixth gets a 429 page, also under concurrent requests."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.needs.models import Need, NeedIntake, NeedStatus
from marketplace.needs.submissions import NeedSubmission
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests.live_app import LiveApp, live_app  # noqa: F401  (the fixture)
from tests.security_helpers import csrf_from, make_grid, post_form, reading


def _report(grid: Grid, **fields: str) -> dict[str, str]:
    values = {
        "title": "小区路灯不亮",
        "description": "6号楼前的路灯坏了一周。",
        "category": "travel_safety",
        "grid_id": str(grid.id),
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
    }
    return values | fields


def _needs(session: Session) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need).order_by(Need.id)).scalars())


def test_anyone_may_open_the_form(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    session.commit()
    page = client.get("/submit")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text and f'<option value="{grid.id}"' in page.text


def test_a_report_waits_for_review_and_thanks_with_a_reference(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    session.commit()
    client.cookies.set("lang", "en")
    response = post_form(client, settings, "/submit", _report(grid))
    assert response.status_code == 303
    [need] = _needs(session)
    assert response.headers["location"] == f"/submit/thanks/{need.id}"
    assert need.status is NeedStatus.SUBMITTED and need.created_by_id is None
    assert need.channel.value == "e_home" and need.urgency.value == "normal"
    assert (need.beneficiary_name, need.beneficiary_phone) == ("赵明", "13700001111")
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(NeedIntake)).scalar_one() == 1
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and f"XQ-{need.id:06d}" in thanks.text
    assert need.title not in thanks.text  # the address shows only the number


def test_the_report_appears_on_the_staff_review_list(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    from marketplace.accounts.models import Role
    from tests.security_helpers import sign_in_as

    grid = make_grid(session)
    session.commit()
    post_form(client, settings, "/submit", _report(grid, urgency="high"))
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get("/needs?to_review=true")
    assert "小区路灯不亮" in page.text and "赵*" in page.text and "137****1111" in page.text


def test_missing_and_bad_fields_are_named(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    session.commit()
    client.cookies.set("lang", "en")
    bad = _report(grid, title="", beneficiary_name="", beneficiary_phone="123", category="weather", grid_id="999999")
    response = post_form(client, settings, "/submit", bad)
    assert response.status_code == 400
    for field in ("title", "beneficiary_name", "beneficiary_phone", "category"):
        assert f'id="{field}-error"' in response.text, field
    assert 'value="6号楼前的路灯坏了一周。"' not in response.text  # a textarea keeps it as its content
    assert "6号楼前的路灯坏了一周。" in response.text
    unknown_grid = post_form(client, settings, "/submit", _report(grid, grid_id="999999"))
    assert unknown_grid.status_code == 400 and 'id="grid_id-error"' in unknown_grid.text
    assert _needs(session) == []


def test_a_staff_only_field_sent_to_the_public_form_is_ignored(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    session.commit()
    post_form(client, settings, "/submit", _report(grid, channel="hotline_12345", due_date="2030-01-01"))
    [need] = _needs(session)
    assert need.channel.value == "e_home" and need.due_date is None


def test_the_sixth_report_within_an_hour_is_refused(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    session.commit()
    client.cookies.set("lang", "en")
    for n in range(5):
        assert post_form(client, settings, "/submit", _report(grid, title=f"问题{n}")).status_code == 303
    sixth = post_form(client, settings, "/submit", _report(grid, title="第六个"))
    assert sixth.status_code == 429
    assert "At most 5 reports an hour" in sixth.text and int(sixth.headers["retry-after"]) > 3000
    assert len(_needs(session)) == 5


def test_reports_older_than_an_hour_no_longer_count(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    old = utcnow() - timedelta(minutes=61)
    session.add_all([NeedSubmission(client_address="testclient", submitted_at=old) for _ in range(5)])
    session.commit()
    assert post_form(client, settings, "/submit", _report(grid)).status_code == 303


def test_invalid_reports_do_not_use_up_the_limit(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    session.commit()
    for _ in range(6):
        assert post_form(client, settings, "/submit", _report(grid, title="")).status_code == 400
    assert post_form(client, settings, "/submit", _report(grid)).status_code == 303


def test_the_limit_holds_under_concurrent_reports(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    grid = make_grid(session)
    session.commit()
    with live_app.client() as http:
        token = csrf_from(http.get("/submit").text)

        def send(n: int) -> int:
            data = _report(grid, title=f"并发问题{n}") | {"csrf_token": token}
            return http.post("/submit", data=data, follow_redirects=False).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(send, range(12)))
    assert sorted(codes) == [303] * 5 + [429] * 7, codes
    assert len(_needs(session)) == 5
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(NeedSubmission)).scalar_one() == 5
    log = live_app.log()
    assert "database is locked" not in log and "Traceback" not in log
