"""Retention: ``marketplace privacy anonymise-expired`` anonymises only what is past the period, a dry run changes
nothing, a second run finds nothing, and every run is in the audit log."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session

from marketplace.accounts.credentials import LoginFailure
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record
from marketplace.cli import main
from marketplace.db.types import utcnow
from marketplace.needs.models import Need, NeedStatus
from marketplace.privacy.markers import ANONYMISED
from marketplace.settings import Settings, SettingsError
from tests import factories
from tests.security_helpers import audit_events, fetch, make_grid, reading

DAY = timedelta(days=1)


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS", "730")
    return lambda *args: CliRunner().invoke(main, ["privacy", "anonymise-expired", *args], catch_exceptions=False)


def _street(session: Session) -> dict[str, int]:
    """Needs on both sides of the 730-day line, open and closed; audit rows old and new."""
    grid = make_grid(session)
    now = utcnow()
    old, recent = now - 800 * DAY, now - 700 * DAY

    def need(status: NeedStatus, when: Any) -> int:
        row = factories.make_need(session, grid, status, created_at=when - 30 * DAY, updated_at=when)
        assert row.id is not None
        return row.id

    ids = {
        "old_verified": need(NeedStatus.VERIFIED, old),
        "old_cancelled": need(NeedStatus.CANCELLED, old),
        "old_rejected": need(NeedStatus.REJECTED, old),
        "old_open": need(NeedStatus.PUBLISHED, old),  # still being worked on: its contact is still needed
        "recent_verified": need(NeedStatus.VERIFIED, recent),
    }
    for n, when in enumerate((old, old, recent)):
        event = record(
            session, "need.update", object_type="need", object_id=ids["old_verified"], client_address=f"10.0.0.{n}"
        )
        event.created_at = when
    session.add(LoginFailure(account="someone", client_address="10.9.9.9", failed_at=old))
    session.commit()
    return ids


def _contact(session: Session, need_id: int) -> tuple[Any, ...]:
    need = fetch(session, Need, need_id)
    return need.beneficiary_name, need.beneficiary_phone, need.beneficiary_address


def test_only_closed_needs_past_the_period_lose_their_contact_and_old_audit_rows_their_address(
    run: Any, session: Session
) -> None:
    ids = _street(session)
    result = run("--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "3 needs" in result.output and "2 audit addresses" in result.output and "1 login failures" in result.output
    for key in ("old_verified", "old_cancelled", "old_rejected"):
        assert _contact(session, ids[key]) == (ANONYMISED, None, ANONYMISED), key
    original = (factories.BENEFICIARY_NAME, factories.BENEFICIARY_PHONE, factories.BENEFICIARY_ADDRESS)
    assert _contact(session, ids["old_open"]) == original
    assert _contact(session, ids["recent_verified"]) == original
    with reading(session) as fresh:
        addresses = fresh.execute(
            sa.select(AuditEvent.client_address).where(AuditEvent.action == "need.update").order_by(AuditEvent.id)
        )
        assert list(addresses.scalars()) == [None, None, "10.0.0.2"]
        assert fresh.execute(sa.select(LoginFailure)).first() is None
    (event,) = audit_events(session, "privacy.retention_run")
    assert event.after is not None and event.after["needs"] == 3 and event.after["retention_days"] == 730
    assert event.actor_role == "system"


def test_a_dry_run_changes_nothing_and_a_second_run_finds_nothing(run: Any, session: Session) -> None:
    ids = _street(session)
    dry = run("--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.output and "3 needs" in dry.output
    assert _contact(session, ids["old_verified"])[1] == factories.BENEFICIARY_PHONE
    assert audit_events(session, "privacy.retention_run") == []
    assert run().exit_code == 0
    second = run()
    assert "0 needs, 0 audit addresses, 0 sessions, 0 login failures anonymised" in second.output, second.output
    assert [e.after["needs"] for e in audit_events(session, "privacy.retention_run")] == [3, 0]  # type: ignore[index]


def test_a_need_anonymised_by_retention_keeps_its_status_and_history(run: Any, session: Session) -> None:
    ids = _street(session)
    before = fetch(session, Need, ids["old_verified"])
    run()
    after = fetch(session, Need, ids["old_verified"])
    assert (after.status, after.title, after.updated_at, after.satisfaction) == (
        before.status,
        before.title,
        before.updated_at,
        before.satisfaction,
    )


def test_zero_keeps_everything_and_a_negative_setting_is_refused(
    run: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _street(session)
    monkeypatch.setenv("MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS", "0")
    assert "nothing to do" in run().output
    assert _contact(session, ids["old_verified"])[1] == factories.BENEFICIARY_PHONE
    monkeypatch.setenv("MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS", "-5")
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        Settings.from_env()
    monkeypatch.setenv("MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS", "two years")
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        Settings.from_env()


def test_bad_batch_size_is_refused_naming_the_option(run: Any) -> None:
    result = run("--batch-size", "0")
    assert result.exit_code == 2 and "--batch-size" in result.output
