"""The audit log page and API: filters, street dates, newest first, paging, before/after tables;
and no code path of the application that updates or deletes audit rows."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import session_identity, use

SOURCE = Path(__file__).resolve().parent.parent / "marketplace"


@pytest.fixture
def events(session: Session) -> dict[str, Any]:
    """A small log: logins, an organization's approval, a token; one event late on a street day."""
    admin = make_user(session, Role.ADMIN, username="admin1")
    staff = make_user(session, Role.STAFF, username="staff1")
    rows = [
        AuditEvent(actor_id=admin.id, actor_role="admin", action="user.login", object_type="user",
                   object_id=admin.id, client_address="10.0.0.1", created_at=datetime(2026, 5, 1, 1, 0, tzinfo=UTC)),
        AuditEvent(actor_id=staff.id, actor_role="staff", action="user.login", object_type="user",
                   object_id=staff.id, client_address="10.0.0.2", created_at=datetime(2026, 5, 1, 2, 0, tzinfo=UTC)),
        AuditEvent(actor_id=admin.id, actor_role="admin", action="organization.approve", object_type="organization",
                   object_id=7, before={"status": "pending"}, after={"status": "approved", "approved_at": "2026-05-01"},
                   client_address="10.0.0.1", created_at=datetime(2026, 5, 1, 3, 0, tzinfo=UTC)),
        AuditEvent(actor_id=admin.id, actor_role="admin", action="organization.reject", object_type="organization",
                   object_id=8, before={"status": "pending"}, after={"status": "rejected", "status_reason": "资料不全"},
                   client_address="10.0.0.1", created_at=datetime(2026, 5, 2, 3, 0, tzinfo=UTC)),
        # 2026-05-02 17:30 UTC is 2026-05-03 01:30 in Qingdao.
        AuditEvent(actor_id=None, actor_role="cli", action="token.create", object_type="api_token", object_id=1,
                   after={"name": "hotline"}, created_at=datetime(2026, 5, 2, 17, 30, tzinfo=UTC)),
    ]  # fmt: skip
    session.add_all(rows)
    session.commit()
    return {"admin": admin, "staff": staff, "ids": [row.id for row in rows]}


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [event["id"] for event in response.json()["events"]]


@pytest.fixture
def admin_token(session_factory: sessionmaker[Session], events: dict[str, Any]) -> dict[str, str]:
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=events["admin"].id, name="x", scopes=["admin"], created_by_id=None)
        db.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_filters(client: TestClient[Any], events: dict[str, Any], admin_token: dict[str, str]) -> None:
    ids = events["ids"]

    def search(**params: Any) -> list[int]:
        return _ids(client.get("/api/v1/audit", params=params, headers=admin_token))

    assert search() == ids[::-1]  # newest first
    assert search(actor="staff1") == [ids[1]]
    assert search(actor="nobody") == []
    assert search(action="user.login") == [ids[1], ids[0]]
    assert search(action="organization.") == [ids[3], ids[2]]
    assert search(action="organization.*") == [ids[3], ids[2]]
    assert search(action="organization") == []  # no dot: one exact action
    assert search(object_type="organization", object_id=8) == [ids[3]]
    assert search(address="10.0.0.2") == [ids[1]]
    # Dates are street dates (Asia/Shanghai), both ends inclusive.
    assert search(**{"from": "2026-05-03"}) == [ids[4]]
    assert search(**{"from": "2026-05-02", "to": "2026-05-02"}) == [ids[3]]
    assert search(**{"to": "2026-05-01"}) == [ids[2], ids[1], ids[0]]
    page = client.get("/api/v1/audit", params={"page_size": 2, "page": 2}, headers=admin_token).json()
    assert page["total"] == 5 and page["pages"] == 3 and [e["id"] for e in page["events"]] == ids[2:0:-1]
    approve = client.get("/api/v1/audit", params={"object_id": 7}, headers=admin_token).json()["events"][0]
    assert approve["actor"] == "admin1" and approve["before"] == {"status": "pending"}
    assert approve["after"]["status"] == "approved" and approve["client_address"] == "10.0.0.1"


def test_api_rejects_bad_filters_naming_them(client: TestClient[Any], admin_token: dict[str, str]) -> None:
    for params, key in [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"object_id": "-1"}, "object_id"),
        ({"actor": "x" * 65}, "actor"),
    ]:
        response = client.get("/api/v1/audit", params=params, headers=admin_token)
        assert response.status_code == 400, params
        assert response.json()["extra"][0]["key"] == key
    assert client.get("/api/v1/audit", params={"page_size": 1000}, headers=admin_token).status_code == 400


def test_page_shows_filters_and_before_after(
    client: TestClient[Any], events: dict[str, Any], session_factory: sessionmaker[Session], settings: Settings
) -> None:
    use(client, session_identity(session_factory, settings, events["admin"]))
    client.cookies.set("lang", "en")
    page = client.get("/admin/audit", params={"action": "organization."})
    assert page.status_code == 200
    assert page.text.count('<details class="audit-event">') == 2
    assert "资料不全" in page.text and "status_reason" in page.text and 'value="organization."' in page.text
    assert "<script>" not in page.text
    bad = client.get("/admin/audit", params={"from": "May"})
    assert bad.status_code == 400 and "from" in bad.text
    everything = client.get("/admin/audit")
    assert everything.text.count('<details class="audit-event">') == 5
    # The admin home shows the latest events too.
    home = client.get("/admin")
    assert home.status_code == 200 and home.text.count('<details class="audit-event">') == 5


def test_only_admins_search_the_log(
    client: TestClient[Any], events: dict[str, Any], session_factory: sessionmaker[Session], settings: Settings
) -> None:
    use(client, session_identity(session_factory, settings, events["staff"]))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/audit").status_code == 401


# Statements that would change audit rows: SQL text, SQLAlchemy update()/delete(), ORM session.delete().
_TABLE = r"(AuditEvent|audit_event)"
FORBIDDEN = [
    re.compile(rf"\bUPDATE\s+\"?{_TABLE}", re.IGNORECASE),
    re.compile(rf"\bDELETE\s+FROM\s+\"?{_TABLE}", re.IGNORECASE),
    re.compile(rf"\b(sa\.|sqlalchemy\.)?(update|delete)\(\s*{_TABLE}\b"),
    re.compile(rf"\b{_TABLE}(\.__table__)?\.(update|delete)\("),
    re.compile(rf"\b{_TABLE}\b.*\.(update|delete)\("),
    re.compile(r"\.delete\(\s*(event|audit_event|audit|row_event)\b"),
    re.compile(rf"TRUNCATE\b.*{_TABLE}", re.IGNORECASE),
]


# The one module that may rewrite audit rows, to forget people on request or after the retention period.
REDACTION = SOURCE / "audit" / "redaction.py"


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    offenders = []
    files = [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts and p != REDACTION]
    assert len(files) > 20
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(pattern.search(line) for pattern in FORBIDDEN):
                offenders.append(f"{path.relative_to(SOURCE.parent)}:{number}: {line.strip()}")
    assert not offenders, "code that changes audit rows:\n" + "\n".join(offenders)


def test_the_redaction_module_only_clears_client_addresses() -> None:
    """What the exempt module does to audit rows: set client_address to NULL, nothing else, never a delete."""
    text = REDACTION.read_text(encoding="utf-8")
    assert re.findall(r"\.values\(([^)]*)\)", text) == ["client_address=None"]
    assert "delete(" not in text and "DELETE" not in text


def test_the_grep_would_catch_an_update() -> None:
    """The patterns above match the ways such code would be written."""
    for line in [
        "db.execute(sa.update(AuditEvent).where(AuditEvent.id == 1).values(action='x'))",
        "db.execute(delete(AuditEvent))",
        'connection.exec_driver_sql("DELETE FROM audit_event")',
        "db.exec(text('update audit_event set action = 1'))",
        "AuditEvent.__table__.delete()",
        "db.delete(event)",
    ]:
        assert any(pattern.search(line) for pattern in FORBIDDEN), line
    assert not any(p.search("record(db, 'organization.update', object_type='organization')") for p in FORBIDDEN)


def test_every_action_the_application_records_has_a_label() -> None:
    from marketplace.admin.audit_log import KNOWN_ACTIONS
    from marketplace.audit.labels import ACTION_LABELS

    assert sorted(set(KNOWN_ACTIONS) - set(ACTION_LABELS)) == []


def test_the_log_reads_in_the_readers_language(
    client: TestClient[Any], events: dict[str, Any], session_factory: sessionmaker[Session], settings: Settings
) -> None:
    use(client, session_identity(session_factory, settings, events["admin"]))
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/admin/audit", params={"action": "organization."}).text
    assert "审核通过单位" in chinese and "驳回单位" in chinese and "单位 #7" in chinese and "管理员" in chinese
    # The code stays within reach (a tooltip) for searching, but is not what the reader reads.
    assert 'title="organization.approve"' in chinese and ">organization.approve<" not in chinese
    client.cookies.set("lang", "en")
    english = client.get("/admin/audit", params={"action": "organization."}).text
    assert "Approved an organization" in english and "Organization #7" in english
