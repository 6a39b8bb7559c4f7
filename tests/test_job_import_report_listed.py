"""/admin/jobs reads every job kind as a person would: an import done in the request (its report kept on a
finished job row) is listed as the import of its list, its counts as sentences, with a link to its report;
every kind's result is sentences, never the stored JSON (no keys, braces or brackets), in both languages."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import session_identity, use

RESULTS: dict[str, dict[str, Any]] = {
    "exchange.import_report": {
        "list": "volunteers",
        "filename": "v.csv",
        "total_rows": 3,
        "valid_rows": 2,
        "invalid_rows": [3],
        "imported_ids": [7, 8],
        "only_valid": True,
        "problems": [{"row": 3, "column": "phone", "value": "x", "reason": "bad"}],
        "imported": [],
    },
    "exchange.import": {"total_rows": 1, "valid_rows": 1, "invalid_rows": [], "imported_ids": [1], "problems": []},
    "exchange.export": {"rows": 12, "format": "csv", "file": "needs.csv", "bytes": 300},
    "match.train": {"results": [{"name": "volunteers", "passed": "True"}]},
    "offers.expire": {"expired": 1},
    "needs.escalate": {"escalated": 2},
    "privacy.retention": {"cutoff": "2026-01-01T00:00:00+00:00", "needs": 1, "audit_addresses": 4, "sessions": 2},
    "system.check": {"seconds": 1.0, "attempt": 1},
    "shifts.remind": {"due": 2, "sent": 2},
    "notifications.digest": {"users": 1, "sent": 1},
}
EXPECTED = {
    "en": [
        "Volunteer list import",
        "3 rows read.",
        "2 rows imported.",
        "1 row with problems.",
        "Open the import report",
    ],
    "zh_CN": ["志愿者名单导入", "读取 3 行。", "导入 2 行。", "1 行有问题。", "查看导入报告"],
}


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_kind_reads_as_sentences_and_an_import_links_to_its_report(
    locale: str, client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN)
    now = utcnow()
    rows = {}
    for kind, result in RESULTS.items():
        arguments = {"list": "volunteers"} if kind == "exchange.import_report" else {}
        row = Job(
            kind=kind,
            arguments=arguments,
            status=JobStatus.FINISHED,
            result=result,
            started_by_id=admin.id,
            street_id=admin.street_id,
            attempts=1,
            started_at=now,
            finished_at=now,
        )
        session.add(row)
        session.commit()
        rows[kind] = row.id
    use(client, session_identity(session_factory, settings, admin))
    client.cookies.set("lang", locale)
    listing = client.get("/admin/jobs")
    assert listing.status_code == 200
    for text in EXPECTED[locale]:
        assert text in listing.text, text
    assert f'href="/volunteers/import/{rows["exchange.import_report"]}"' in listing.text
    assert "(in the request)" not in listing.text and "imported_ids" not in listing.text
    for kind, job_id in rows.items():
        page = client.get(f"/admin/jobs/{job_id}")
        assert page.status_code == 200, kind
        main = page.text[page.text.index("<main") :]
        for raw in ("<code>", "{'", "[{", "imported_ids", "total_rows", "{&#39;"):
            assert raw not in main, (kind, raw)
    report = client.get(f"/admin/jobs/{rows['exchange.import_report']}")
    assert f'href="/volunteers/import/{rows["exchange.import_report"]}"' in report.text
    assert set(RESULTS) <= set(KINDS)
