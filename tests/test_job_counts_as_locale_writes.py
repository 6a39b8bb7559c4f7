"""A finished job's figures on the jobs pages are written as the reader's locale writes numbers (12,345 rows,
not 12345), and its sentences are joined as the language joins them: a space in English, none after a
Chinese full stop. Sentences built in Python use ``i18n.numbers.counted``, as the templates' ngettext does."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.i18n import current_locale
from marketplace.i18n.numbers import counted
from marketplace.jobs.models import Job, JobStatus
from tests.security_helpers import sign_in_as


def _finished_import(session: Session) -> Job:
    row = Job(
        kind="exchange.import",
        arguments={"list": "needs"},
        status=JobStatus.FINISHED,
        finished_at=utcnow(),
        attempts=1,
        result={"total_rows": 12345, "imported_ids": 12000, "invalid_rows": 345},
    )
    session.add(row)
    session.commit()
    return row


def test_the_jobs_list_and_page_write_counts_with_the_locales_grouping(
    client: TestClient[Any], session: Session
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN)
    session.execute(sa.update(User).where(User.id == admin.id).values(street_id=None))  # type: ignore[arg-type]
    session.commit()
    job = _finished_import(session)
    expected = {
        "en": "12,345 rows read. 12,000 rows imported. 345 rows with problems.",
        "zh_CN": "读取 12,345 行。导入 12,000 行。",
    }
    for lang, summary in expected.items():
        client.cookies.set("lang", lang)
        listing = client.get("/admin/jobs")
        assert listing.status_code == 200
        assert summary in listing.text, listing.text[-4000:]
        detail = client.get(f"/admin/jobs/{job.id}")
        assert detail.status_code == 200 and "12,345" in detail.text and "12345" not in detail.text


def test_counted_fills_every_count_placeholder_in_the_readers_locale() -> None:
    for locale in ("en", "zh_CN"):
        token = current_locale.set(locale)
        try:
            said = counted("%(count)s row read.", "%(count)s rows read.", 1234567, count=1234567)
            one = counted("%(num)d offer", "%(num)d offers", 1)
        finally:
            current_locale.reset(token)
        assert "1,234,567" in said and "1234567" not in said
        assert "1" in one and "%" not in one
