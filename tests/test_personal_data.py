"""Personal data (PIPL): residents' contacts are masked in the audit log whatever path wrote the row, old rows
are masked by ``marketplace audit mask-contacts``, and showing a resident's phone on a page is an audited act."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record
from marketplace.cli import main
from marketplace.needs.models import NeedStatus
from marketplace.settings import Settings
from tests import factories
from tests.factories import BENEFICIARY_ADDRESS, BENEFICIARY_NAME, BENEFICIARY_PHONE
from tests.needs_helpers import need_body, staff_with_token
from tests.security_helpers import audit_events, make_grid, post_form, reading, sign_in_as

PHONE, NEW_PHONE, ADDRESS = "13812348000", "13955556666", "胡道街道幸福里12号楼3单元501"


def _all_audit_text(session: Session) -> str:
    return json.dumps([[event.before, event.after] for event in audit_events(session)], ensure_ascii=False)


# --- masked on the way in -----------------------------------------------------------------------------------


def test_need_create_edit_and_merge_leave_no_contact_in_the_audit_log(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    staff = staff_with_token(session)
    body = need_body(staff.grid.id, beneficiary_address=ADDRESS)
    first = client.post("/api/v1/needs", json=body, headers=staff.headers)
    again = client.post("/api/v1/needs", json=body, headers=staff.headers)
    assert first.status_code == 201 and again.status_code == 201, first.text
    edited = client.patch(
        f"/api/v1/needs/{again.json()['id']}",
        json={"version": 1, "beneficiary_phone": NEW_PHONE, "beneficiary_name": "王五六"},
        headers=staff.headers,
    )
    assert edited.status_code == 200, edited.text
    merged = client.post(
        f"/api/v1/needs/{again.json()['id']}/merge",
        json={"version": 2, "target_id": first.json()["id"]},
        headers=staff.headers,
    )
    assert merged.status_code in (200, 201), merged.text
    actions = [event.action for event in audit_events(session)]
    assert actions.count("need.create") == 2 and "need.update" in actions and "need.merge" in actions
    text = _all_audit_text(session)
    for secret in (PHONE, NEW_PHONE, "张三", "王五六", ADDRESS):
        assert secret not in text
    created = audit_events(session, "need.create")[0].after or {}
    assert created["beneficiary_phone"] == "138****8000" and created["beneficiary_name"] == "张*"
    assert created["beneficiary_address"] == "胡道街道幸福***"
    updated = audit_events(session, "need.update")[0]
    assert (updated.before or {})["beneficiary_phone"] == "138****8000"
    assert (updated.after or {})["beneficiary_phone"] == "139****6666"  # the change is still visible, masked


def test_a_file_import_leaves_no_contact_in_the_audit_log(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    from tests.test_need_exchange import HEADER, good_rows, staff_of, upload

    grid = make_grid(session)
    staff_of(client, session, grid)
    response = upload(client, settings, "needs.csv", (HEADER + good_rows(grid)).encode("utf-8"))
    assert response.status_code == 200, response.text
    assert len(audit_events(session, "need.create")) == 2 and audit_events(session, "need.import")
    text = _all_audit_text(session)
    assert PHONE not in text and "张三" not in text and "李四" not in text and "138****8000" in text


def test_any_snapshot_is_masked_at_any_depth(session: Session) -> None:
    record(
        session,
        "test.nested",
        object_type="need",
        object_id=None,
        before={"beneficiary_phone": PHONE, "other": "kept"},
        after={"rows": [{"beneficiary_name": "张三", "beneficiary_address": ADDRESS, "beneficiary_phone": None}]},
    )
    session.commit()
    (event,) = audit_events(session, "test.nested")
    assert event.before == {"beneficiary_phone": "138****8000", "other": "kept"}
    assert event.after == {
        "rows": [{"beneficiary_name": "张*", "beneficiary_address": "胡道街道幸福***", "beneficiary_phone": None}]
    }


# --- masking rows written before ------------------------------------------------------------------------------


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_mask_contacts_rewrites_old_rows_once_and_leaves_the_rest(run: Any, session: Session) -> None:
    # Rows as an older version wrote them: added directly, past the masking in record().
    old = [
        AuditEvent(
            action="need.create", object_type="need", object_id=n, after={"beneficiary_phone": PHONE, "title": "t"}
        )
        for n in range(1, 4)
    ]
    old.append(
        AuditEvent(
            action="need.update",
            object_type="need",
            object_id=1,
            before={"beneficiary_name": "张三", "beneficiary_address": ADDRESS},
            after={"beneficiary_name": "李四"},
        )
    )
    untouched = AuditEvent(action="user.login", object_type="user", object_id=7, after={"username": "a"})
    session.add_all([*old, untouched])
    session.commit()
    assert PHONE in _all_audit_text(session)

    first = run("audit", "mask-contacts", "--batch-size", "2")
    assert first.exit_code == 0, first.output
    assert "2 audit row(s) read" in first.output  # progress, batch by batch
    assert first.output.strip().endswith("done: 5 audit row(s) read, 4 masked")
    text = _all_audit_text(session)
    for secret in (PHONE, "张三", "李四", ADDRESS):
        assert secret not in text
    with reading(session) as fresh:
        rows = {row.id: row for row in fresh.execute(sa.select(AuditEvent)).scalars()}
    assert rows[old[0].id].after == {"beneficiary_phone": "138****8000", "title": "t"}
    assert rows[old[3].id].before == {"beneficiary_name": "张*", "beneficiary_address": "胡道街道幸福***"}
    assert rows[untouched.id].after == {"username": "a"}

    second = run("audit", "mask-contacts")
    assert second.exit_code == 0 and second.output.strip().endswith("done: 5 audit row(s) read, 0 masked")
    assert _all_audit_text(session) == text


# --- showing the phone on a page ------------------------------------------------------------------------------


def _need_in_grid(session: Session) -> Any:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED)
    session.commit()
    return grid, need


def test_staff_of_the_grid_may_show_the_phone_and_it_is_audited_without_the_number(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid, need = _need_in_grid(session)
    staff = sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get(f"/needs/{need.id}")
    assert BENEFICIARY_PHONE not in page.text and "139****1234" in page.text
    shown = post_form(client, settings, f"/needs/{need.id}/contact")
    assert shown.status_code == 200 and BENEFICIARY_PHONE in shown.text
    (event,) = audit_events(session, "need.contact_viewed")
    assert (event.actor_id, event.actor_role, event.object_type, event.object_id) == (
        staff.id,
        "staff",
        "need",
        need.id,
    )
    assert BENEFICIARY_PHONE not in _all_audit_text(session) and BENEFICIARY_ADDRESS not in _all_audit_text(session)
    assert BENEFICIARY_NAME not in _all_audit_text(session)
    assert BENEFICIARY_PHONE not in client.get(f"/needs/{need.id}").text  # masked again on the next visit


def test_admins_may_show_the_phone(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _grid, need = _need_in_grid(session)
    sign_in_as(client, session, Role.ADMIN)
    assert BENEFICIARY_PHONE in post_form(client, settings, f"/needs/{need.id}/contact").text
    assert len(audit_events(session, "need.contact_viewed")) == 1


@pytest.mark.parametrize("role", [Role.PARTNER, Role.VOLUNTEER])
def test_partners_and_volunteers_cannot_show_the_phone(
    client: TestClient[Any], session: Session, settings: Settings, role: Role
) -> None:
    _grid, need = _need_in_grid(session)
    sign_in_as(client, session, role)
    response = post_form(client, settings, f"/needs/{need.id}/contact")
    assert response.status_code == 403 and BENEFICIARY_PHONE not in response.text
    assert audit_events(session, "need.contact_viewed") == []


def test_staff_of_another_community_get_not_found(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _grid, need = _need_in_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=make_grid(session).community_id)
    response = post_form(client, settings, f"/needs/{need.id}/contact")
    assert response.status_code == 404 and BENEFICIARY_PHONE not in response.text
    assert audit_events(session, "need.contact_viewed") == []


def test_showing_the_phone_needs_the_csrf_token(client: TestClient[Any], session: Session) -> None:
    grid, need = _need_in_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    response = client.post(f"/needs/{need.id}/contact", data={"csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403 and BENEFICIARY_PHONE not in response.text
    assert audit_events(session, "need.contact_viewed") == []
