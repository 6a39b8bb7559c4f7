"""Residents follow their report by its reference number and phone, without an account (/track and the API).

A wrong phone answers exactly as an unknown number does; lookups are counted per address in the
database; the answer shows the steps with their dates, the phone masked and nobody's name.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.matches import claims, review
from marketplace.matches.claims import ClaimRequest
from marketplace.needs import duplicates, services, tracking
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.schemas import NeedRejection
from marketplace.needs.submissions import NeedSubmission
from marketplace.places.models import Grid
from marketplace.security.identity import CurrentUser, load_current_user
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import csrf_for, make_grid, make_user, post_form, reading

PHONE = "13912345678"
MASKED = "139****5678"
NAME = "孙秀英"


def _submit(client: TestClient[Any], settings: Settings, grid: Grid, title: str = "楼道灯坏了") -> int:
    """A resident reports a need on the public form; returns its id (the reference's number)."""
    form = {
        "title": title,
        "description": "3号楼二单元楼道灯不亮。",
        "category": "travel_safety",
        "grid_id": str(grid.id),
        "beneficiary_name": NAME,
        "beneficiary_phone": PHONE,
    }
    response = post_form(client, settings, "/submit", form)
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def _ask_for_a_lamp(session: Session, need_id: int) -> None:
    """Staff record what the report asks for: a need must ask for something to be published."""
    need = session.get(Need, need_id)
    assert need is not None
    factories.add_resource_line(session, need, "1", unit="个", description="楼道灯")


def _look_up(client: TestClient[Any], settings: Settings, ref: str, phone: str = PHONE) -> Any:
    return post_form(client, settings, "/track", {"ref": ref, "phone": phone})


def _api(client: TestClient[Any], settings: Settings, ref: str, phone: str = PHONE) -> Any:
    return client.post(
        "/api/v1/track", json={"ref": ref, "phone": phone}, headers={"X-CSRF-Token": csrf_for(client, settings)}
    )


def _staff(session: Session, grid: Grid) -> CurrentUser:
    user = make_user(session, Role.STAFF, grid_ids=[grid.id])  # type: ignore[list-item]
    me = load_current_user(session, user.id)  # type: ignore[arg-type]
    session.commit()
    assert me is not None
    return me


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[0-9a-f]{32,}"', 'value=""', html)


@pytest.fixture
def grid(session: Session) -> Grid:
    row = make_grid(session)
    session.commit()
    return row


@pytest.mark.parametrize("form", ["XQ-{id:06d}", "xq{id}", "XQ {id}", "{id}", "{id:06d}", "ＸＱ－{id:06d}"])
def test_every_form_of_the_reference_finds_the_report(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid, form: str
) -> None:
    need_id = _submit(client, settings, grid)
    page = _look_up(client, settings, form.format(id=need_id))
    assert page.status_code == 200, page.text[:500]
    assert f"XQ-{need_id:06d}" in page.text and "楼道灯坏了" in page.text


def test_a_fresh_report_reads_received_in_chinese_and_english(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    page = _look_up(client, settings, f"XQ-{need_id:06d}", phone="139 1234 5678")
    assert page.status_code == 200
    assert "已收到" in page.text and 'aria-current="step"' in page.text
    client.cookies.set("lang", "en")
    page = _look_up(client, settings, f"{need_id}", phone="+86 139-1234-5678")
    assert "Your report has been received" in page.text
    current = re.search(r'<li class="track-step[^"]*current[^"]*"', page.text)
    assert current is not None
    assert 'class="track-step reached current"' in page.text


def test_the_answer_masks_the_phone_and_names_nobody(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    staff = _staff(session, grid)
    _ask_for_a_lamp(session, need_id)
    services.publish_need(session, staff, need_id)
    session.commit()
    page = _look_up(client, settings, f"XQ-{need_id:06d}")
    assert MASKED in page.text
    assert PHONE not in page.text and NAME not in page.text and NAME[0] + "*" not in page.text
    assert staff.display_name not in page.text and staff.username not in page.text
    body = _api(client, settings, str(need_id)).json()
    assert body["phone"] == MASKED and PHONE not in str(body) and NAME not in str(body)


def test_a_wrong_phone_answers_exactly_like_an_unknown_number(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    unknown_id = need_id + 1000
    wrong_phone = _look_up(client, settings, f"{need_id}", phone="13800000000")
    unknown = _look_up(client, settings, f"{unknown_id}")
    assert wrong_phone.status_code == unknown.status_code == 404
    same = _without_tokens(wrong_phone.text).replace(f'value="{need_id}"', 'value="N"')
    assert same == _without_tokens(unknown.text).replace(f'value="{unknown_id}"', 'value="N"')
    assert "楼道灯坏了" not in wrong_phone.text and MASKED not in wrong_phone.text
    api_wrong, api_unknown = (
        _api(client, settings, f"{need_id}", "13800000000"),
        _api(client, settings, f"{unknown_id}"),
    )
    assert api_wrong.status_code == api_unknown.status_code == 404
    assert api_wrong.json() == api_unknown.json()


def test_a_need_without_a_phone_is_never_found(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED, beneficiary_phone=None)
    session.commit()
    assert _api(client, settings, str(need.id), "00000").status_code == 404


@pytest.mark.parametrize(
    ("ref", "phone", "field"),
    [("XQ-ABC", PHONE, "ref"), ("", PHONE, "ref"), ("XQ-0", PHONE, "ref"), ("99999999999", PHONE, "ref"),
     ("202", "", "phone"), ("202", "call me", "phone"), ("202", "123", "phone")],
)  # fmt: skip
def test_input_that_cannot_be_a_reference_or_a_phone_is_named(
    client: TestClient[Any], session: Session, settings: Settings, ref: str, phone: str, field: str
) -> None:
    client.cookies.set("lang", "en")
    page = _look_up(client, settings, ref, phone)
    assert page.status_code == 400 and f'id="{field}-error"' in page.text
    api = _api(client, settings, ref, phone)
    assert api.status_code == 400 and api.json()["extra"][0]["key"] == field
    with reading(session) as fresh:  # nothing looked up, nothing counted
        assert fresh.execute(sa.select(sa.func.count()).select_from(NeedSubmission)).scalar_one() == 0


def test_lookups_are_limited_per_address_and_do_not_use_up_submissions(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    for n in range(tracking.LOOKUP_LIMIT - 1):
        # Right and wrong guesses count alike.
        assert _look_up(client, settings, str(need_id), PHONE if n % 2 else "13000000000").status_code in (200, 404)
    assert _api(client, settings, str(need_id)).status_code == 200  # the API counts too: the 20th
    limited = _look_up(client, settings, str(need_id))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 3000
    assert "楼道灯坏了" not in limited.text
    api = _api(client, settings, str(need_id))
    assert api.status_code == 429 and int(api.headers["retry-after"]) > 3000
    # The resident may still report a need: lookups are counted apart from submissions.
    _submit(client, settings, grid, title="第二个问题")


def test_lookups_older_than_the_window_no_longer_count(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    old = utcnow() - tracking.LOOKUP_WINDOW - timedelta(minutes=1)
    rows = [NeedSubmission(client_address="track:testclient", submitted_at=old) for _ in range(tracking.LOOKUP_LIMIT)]
    session.add_all(rows)
    session.commit()
    assert _look_up(client, settings, str(need_id)).status_code == 200


def test_review_publication_and_help_arranged_are_dated_steps(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    staff = _staff(session, grid)
    services.start_review(session, staff, need_id)
    session.commit()
    body = _api(client, settings, str(need_id)).json()
    assert body["stage"] == "review" and body["status"] == "under_review"
    assert [step["reached"] for step in body["steps"]] == [True, True, False, False, False]
    _ask_for_a_lamp(session, need_id)
    services.publish_need(session, staff, need_id)
    session.commit()
    body = _api(client, settings, str(need_id)).json()
    assert body["stage"] == "published" and body["project_url"] == f"/projects/{need_id}"
    assert all(step["at"] for step in body["steps"][:3])
    partner = make_user(session, Role.PARTNER)
    admin = make_user(session, Role.ADMIN)
    partner_me, admin_me = load_current_user(session, partner.id), load_current_user(session, admin.id)  # type: ignore[arg-type]
    assert partner_me is not None and admin_me is not None
    match = claims.claim(session, partner_me, need_id, ClaimRequest("whole"))
    session.commit()
    assert _api(client, settings, str(need_id)).json()["stage"] == "published"  # a claim is not yet help
    review.approve(session, admin_me, match.id)  # type: ignore[arg-type]
    session.commit()
    body = _api(client, settings, str(need_id)).json()
    assert body["stage"] == "arranged" and body["steps"][3]["at"] is not None
    page = _look_up(client, settings, str(need_id))
    assert "已安排帮助" in page.text
    organization_name = session.execute(sa.text("SELECT name FROM organization")).scalar_one()
    assert organization_name not in page.text and partner.display_name not in page.text


def test_a_verified_need_is_done(client: TestClient[Any], session: Session, settings: Settings, grid: Grid) -> None:
    need = factories.make_need(session, grid, NeedStatus.VERIFIED, beneficiary_phone=PHONE)
    session.commit()
    body = _api(client, settings, f"xq{need.id}").json()
    assert body["stage"] == "done" and all(step["reached"] for step in body["steps"])
    assert body["steps"][-1]["at"] is not None
    client.cookies.set("lang", "en")
    assert "The help is done and the street has verified it." in _look_up(client, settings, str(need.id)).text


def test_a_rejected_report_says_why(client: TestClient[Any], session: Session, settings: Settings, grid: Grid) -> None:
    need_id = _submit(client, settings, grid)
    staff = _staff(session, grid)
    services.reject_need(session, staff, need_id, NeedRejection(reason="该路灯属于市政管理，已转交12345热线"))
    session.commit()
    body = _api(client, settings, str(need_id)).json()
    assert body["stage"] == "rejected" and body["reason"] == "该路灯属于市政管理，已转交12345热线"
    assert [step["stage"] for step in body["steps"]] == ["received", "review", "rejected"]
    page = _look_up(client, settings, str(need_id))
    assert "该路灯属于市政管理" in page.text and "未予受理" in page.text


def test_a_merged_report_follows_the_one_it_was_merged_into(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    earlier = factories.make_need(
        session, grid, NeedStatus.PUBLISHED, title="3号楼楼道灯不亮", beneficiary_phone="13700000000"
    )
    session.commit()
    need_id = _submit(client, settings, grid)
    staff = _staff(session, grid)
    version = session.get(Need, need_id).version  # type: ignore[union-attr]
    duplicates.merge_need(session, staff, need_id, earlier.id, version=version)  # type: ignore[arg-type]
    session.commit()
    body = _api(client, settings, f"XQ-{need_id:06d}").json()
    assert body["stage"] == "merged" and body["reason"] is None
    target = body["merged_into"]
    assert target["reference"] == f"XQ-{earlier.id:06d}" and target["stage"] == "published"
    assert target["phone"] is None and target["title"] == "3号楼楼道灯不亮"  # public on the board already
    page = _look_up(client, settings, str(need_id))
    assert f"XQ-{earlier.id:06d}" in page.text and "137****0000" not in page.text
    # The earlier resident's own phone does not open the later report.
    assert _api(client, settings, str(need_id), "13700000000").status_code == 404


def test_a_merge_target_not_on_the_board_shows_no_title(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    earlier = factories.make_need(session, grid, NeedStatus.SUBMITTED, title="王大爷家门口路灯")
    session.commit()
    need_id = _submit(client, settings, grid)
    staff = _staff(session, grid)
    services.reject_need(session, staff, need_id, NeedRejection(reason="重复", duplicate_of_id=earlier.id))
    session.commit()
    body = _api(client, settings, str(need_id)).json()
    assert body["stage"] == "merged" and body["merged_into"]["title"] is None
    assert "王大爷家门口路灯" not in _look_up(client, settings, str(need_id)).text


def test_the_thanks_page_links_to_tracking_with_the_reference(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    thanks = client.get(f"/submit/thanks/{need_id}")
    assert f'href="/track?ref=XQ-{need_id:06d}"' in thanks.text
    form = client.get(f"/track?ref=XQ-{need_id:06d}")
    assert form.status_code == 200 and f'value="XQ-{need_id:06d}"' in form.text
    assert 'href="/track"' in client.get("/").text  # the board and the footer


def test_staff_find_a_need_by_its_reference_number(
    client: TestClient[Any], session: Session, settings: Settings, grid: Grid
) -> None:
    need_id = _submit(client, settings, grid)
    other = _submit(client, settings, grid, title="垃圾桶满了")
    from tests.security_helpers import sign_in_as

    sign_in_as(client, session, Role.STAFF, grid_ids=[grid.id])
    for query in (f"XQ-{need_id:06d}", f"xq{need_id}", str(need_id)):
        page = client.get("/needs", params={"q": query})
        assert page.status_code == 200
        assert "楼道灯坏了" in page.text and "垃圾桶满了" not in page.text, query
    assert "垃圾桶满了" in client.get("/needs", params={"q": f"XQ-{other:06d}"}).text
    # A need outside the staff member's grids is not found by its number either.
    outside = factories.make_need(session, make_grid(session), NeedStatus.PUBLISHED, title="别处的需求")
    session.commit()
    assert "别处的需求" not in client.get("/needs", params={"q": f"XQ-{outside.id:06d}"}).text
