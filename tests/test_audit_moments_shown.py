"""The audit log's before/after table shows a recorded moment as the street's date and time in the reader's
language (2026年12月6日 10:30), not the ISO text the row stores; the JSON export keeps the ISO text."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from tests.security_helpers import sign_in_as


def _cells(page: str, key: str) -> list[str]:
    row = re.search(rf'<th scope="row" title="{key}">[^<]+</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', page, re.S)
    assert row, f"no row for {key}"
    return [row.group(1).strip(), row.group(2).strip()]


@pytest.mark.parametrize(
    ("locale", "closed", "expires", "day"),
    [
        ("zh_CN", "2026年12月6日 10:30", "2026年12月7日 07:05", "2027年1月31日"),
        ("en", "Dec 6, 2026 10:30", "Dec 7, 2026 07:05", "Jan 31, 2027"),
    ],
)
def test_recorded_moments_read_as_the_streets_date_and_time(
    locale: str, closed: str, expires: str, day: str, client: TestClient[Any], session: Session
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN, username="audit-moments")
    session.add(
        AuditEvent(
            actor_id=admin.id,
            actor_role="admin",
            action="need.line.close",
            object_type="need_line",
            object_id=9,
            # UTC with an offset, UTC without one (as older rows were written), a bare date, and text that
            # merely starts like a date.
            before={"closed_at": None, "expires_at": "2026-12-06T23:05:00", "cutoff": "2027-01-31"},
            after={
                "closed_at": "2026-12-06T02:30:00+00:00",
                "expires_at": "2026-12-06T23:05:00",
                "cutoff": "2027-01-31",
                "reason": "2026-12-06 was the last day",
            },
            created_at=datetime(2026, 12, 6, 2, 30, tzinfo=UTC),
        )
    )
    session.commit()
    client.cookies.set("lang", locale)
    page = client.get("/admin/audit?action=need.line.close")
    assert page.status_code == 200, page.text[-500:]
    assert _cells(page.text, "closed_at")[1] == closed  # Asia/Shanghai, eight hours ahead of UTC
    assert _cells(page.text, "expires_at") == [expires, expires]
    assert _cells(page.text, "cutoff") == [day, day]
    assert _cells(page.text, "reason")[1] == "2026-12-06 was the last day"
    assert "2026-12-06T02:30" not in page.text.split('class="audit-diff"', 1)[1]

    export = client.get("/api/v1/audit?action=need.line.close")
    assert export.status_code == 200, export.text
    assert export.json()["events"][0]["after"]["closed_at"] == "2026-12-06T02:30:00+00:00"


@pytest.mark.parametrize(("locale", "reason"), [("zh_CN", "已超过截止日期。"), ("en", "Past its due date.")])
def test_the_sweeps_escalation_reason_reads_in_the_readers_language(
    locale: str, reason: str, client: TestClient[Any], session: Session
) -> None:
    """The overdue sweep stores its reason in English; the audit table, like the escalation pages, translates it.
    A reason somebody typed shows as typed."""
    admin = sign_in_as(client, session, Role.ADMIN, username="audit-reasons")
    for object_id, typed in ((21, "past its due date"), (22, "居民反映漏水加重")):
        session.add(
            AuditEvent(
                actor_id=None if object_id == 21 else admin.id,
                actor_role="system" if object_id == 21 else "admin",
                action="need.escalate",
                object_type="escalation",
                object_id=object_id,
                after={"need_id": 5, "level": "grid", "reason": typed},
            )
        )
    session.commit()
    client.cookies.set("lang", locale)
    page = client.get("/admin/audit?action=need.escalate")
    assert page.status_code == 200, page.text[-500:]
    shown = [cells[1] for cells in _all_cells(page.text, "reason")]
    assert sorted(shown) == sorted([reason, "居民反映漏水加重"])


def _all_cells(page: str, key: str) -> list[tuple[str, str]]:
    pattern = rf'<th scope="row" title="{key}">[^<]+</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>'
    return [(a.strip(), b.strip()) for a, b in re.findall(pattern, page, re.S)]


@pytest.mark.parametrize(("locale", "reason"), [("zh_CN", "尝试次数过多"), ("en", "Too many attempts")])
def test_a_throttled_sign_in_reads_as_too_many_attempts(
    locale: str, reason: str, client: TestClient[Any], session: Session
) -> None:
    sign_in_as(client, session, Role.ADMIN, username="audit-throttle")
    session.add(
        AuditEvent(
            action="auth.login_failed",
            object_type="user",
            after={"username": "someone", "reason": "throttled"},
        )
    )
    session.commit()
    client.cookies.set("lang", locale)
    page = client.get("/admin/audit?action=auth.login_failed")
    assert page.status_code == 200, page.text[-500:]
    assert [cells[1] for cells in _all_cells(page.text, "reason")] == [reason]
