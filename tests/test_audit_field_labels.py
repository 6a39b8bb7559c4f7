"""The audit log's before/after tables name fields in the reader's language (状态 / Status, not ``status``),
and every key the code can write into an audit row has a label in both languages.

The keys are read from the code itself (tests/audited_keys.py follows every record(before=, after=) call),
so a field audited tomorrow without a label fails here, not on an admin's screen."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.field_labels import FIELD_LABELS, VALUE_ENUMS, field_label, value_label
from marketplace.audit.models import AuditEvent
from marketplace.i18n import current_locale, gettext
from marketplace.matches.models import MatchStatus
from marketplace.needs.models import NeedStatus
from tests.audited_keys import audited_keys
from tests.security_helpers import sign_in_as

CJK = re.compile(r"[\u4e00-\u9fff]")


def _in(locale: str, message: str) -> str:
    token = current_locale.set(locale)
    try:
        return gettext(message)
    finally:
        current_locale.reset(token)


def test_every_key_the_code_audits_has_a_label_in_both_languages() -> None:
    keys, opaque = audited_keys()
    assert not opaque, "record() values the key reader cannot follow:\n" + "\n".join(opaque)
    # The reader does find the keys the newcomer saw raw, across snapshots, literals and comprehensions.
    assert {"still_needed", "status_reason", "grid_id", "status", "matches_released", "offers_seen"} <= keys
    assert sorted(keys - FIELD_LABELS.keys()) == []
    for key in keys:
        english, chinese = _in("en", FIELD_LABELS[key]), _in("zh_CN", FIELD_LABELS[key])
        assert english and "_" not in english, key
        assert CJK.search(chinese) and chinese != english, (key, chinese)


def test_no_two_fields_share_a_label() -> None:
    """Two keys read alike would make a before/after table ambiguous."""
    assert len(set(FIELD_LABELS.values())) == len(FIELD_LABELS)


def test_an_unknown_key_shows_as_itself_and_enum_codes_as_their_labels() -> None:
    token = current_locale.set("zh_CN")
    try:
        assert field_label("a_key_from_a_later_version") == "a_key_from_a_later_version"
        assert field_label("status") == "状态"
        assert value_label("need", "status", "published") == NeedStatus.PUBLISHED.label
        assert value_label("match", "status", "proposed") == MatchStatus.PROPOSED.label
        assert value_label("need", "status", "no_such_status") == "no_such_status"
        assert value_label("need", "still_needed", "12") == "12"
        assert value_label("user", "is_active", False) == gettext("No")
        for key, enums in VALUE_ENUMS.items():
            assert key in FIELD_LABELS
            for object_type, enum in enums.items():
                for member in enum:
                    assert value_label(object_type or "any", key, member.value) == member.label
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize(
    ("locale", "status", "reason"), [("en", "Status", "Reason for the status"), ("zh_CN", "状态", "状态理由")]
)
def test_the_audit_page_shows_field_labels_not_keys(
    locale: str, status: str, reason: str, client: TestClient[Any], session: Session
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN, username="audit-admin")
    session.add(
        AuditEvent(
            actor_id=admin.id,
            actor_role="admin",
            action="need.publish",
            object_type="need",
            object_id=3,
            before={"status": "under_review", "still_needed": "5000"},
            after={"status": "published", "status_reason": "核实无误", "grid_id": 2},
            created_at=datetime(2026, 5, 1, 3, 0, tzinfo=UTC),
        )
    )
    session.commit()
    client.cookies.set("lang", locale)
    page = client.get("/admin/audit?action=need.publish")
    assert page.status_code == 200, page.text[-500:]
    rows = dict(re.findall(r'<th scope="row" title="([a-z_]+)">([^<]+)</th>', page.text))
    assert rows["status"] == status and rows["status_reason"] == reason
    assert rows["still_needed"] == _in(locale, "Still needed") and rows["grid_id"] == _in(locale, "Grid")
    assert "<code>status</code>" not in page.text and ">status<" not in page.text
    token = current_locale.set(locale)
    try:
        published = NeedStatus.PUBLISHED.label
    finally:
        current_locale.reset(token)
    assert f"<td>{published}</td>" in page.text and ">published<" not in page.text


def test_the_json_export_keeps_the_raw_keys_and_codes(client: TestClient[Any], session: Session) -> None:
    admin = sign_in_as(client, session, Role.ADMIN, username="audit-admin2")
    session.add(
        AuditEvent(
            actor_id=admin.id,
            actor_role="admin",
            action="need.publish",
            object_type="need",
            object_id=4,
            before={"status": "under_review"},
            after={"status": "published"},
        )
    )
    session.commit()
    answer = client.get("/api/v1/audit?action=need.publish")
    assert answer.status_code == 200, answer.text
    event = answer.json()["events"][0]
    assert event["before"] == {"status": "under_review"} and event["after"] == {"status": "published"}
