"""A page view never takes SQLite's write lock, and no GET writes a row.

Every GET route of the application is requested by a visitor of every role (anonymous, volunteer,
partner, staff, admin) on a street with rows of every kind, while the application's engine is watched:
no ``BEGIN IMMEDIATE`` (SQLite's write lock, which makes every other writer and lock-taker wait) and no
INSERT, UPDATE or DELETE may come from the request. Each statement is traced to the code that sent it,
so a failure names the handler. The login check is traced apart: it may write down a session's last use
(at most once a minute), never on every view.

List requests run housekeeping sweeps (offers past their window, overdue escalations): they write only
when there is work, in a transaction of their own, and the page then shows the result.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

import marketplace
from marketplace.db.types import utcnow
from marketplace.jobs.models import Job, JobStatus
from marketplace.needs.escalation import escalate_overdue, sweep_due
from marketplace.needs.models import Escalation, EscalationLevel, Need, Shift
from marketplace.offers.models import Offer, OfferStatus
from tests.busy_street import BusyStreet, build_busy_street, finished_round, sign_in
from tests.security_helpers import fetch, reading

ROLES = ("anonymous", "volunteer", "partner", "staff", "admin")
PACKAGE = Path(marketplace.__file__).parent
LOGIN_CHECK = "security/authentication.py"
WRITES = ("INSERT", "UPDATE", "DELETE")
# Not pages: files and the API description.
SKIPPED = ("/static/", "/schema")
# Queries that show another part of a page (a tab, the other kind of candidates).
VARIANTS = {
    "/api/v1/needs/{need_id}/recommendations": ("?kind=offers", "?kind=volunteers"),
    "/needs/{need_id}/recommendations": ("", "?kind=volunteers"),
    "/review": ("", "?kind=volunteer_shift", "?need={need_id}"),
}


@dataclass(frozen=True)
class Sent:
    """A statement and the application code that sent it (innermost first, the database layer left out)."""

    statement: str
    code: tuple[str, ...]

    @property
    def by_login_check(self) -> bool:
        return any(place.startswith(LOGIN_CHECK) for place in self.code)

    @property
    def takes_write_lock(self) -> bool:
        return self.statement.strip().upper().startswith("BEGIN IMMEDIATE")

    @property
    def writes(self) -> bool:
        return self.statement.lstrip().upper().startswith(WRITES)

    def __str__(self) -> str:
        return f"{' '.join(self.statement.split())[:100]}  <- {' <- '.join(self.code[:4]) or 'outside the app'}"


def _code_path() -> tuple[str, ...]:
    """The application frames of the running thread, innermost first, without marketplace/db/."""
    places = []
    frame = sys._getframe(2)
    while frame is not None:
        name = Path(frame.f_code.co_filename)
        if name.is_relative_to(PACKAGE):
            where = name.relative_to(PACKAGE).as_posix()
            if not where.startswith("db/"):
                places.append(f"{where}:{frame.f_code.co_name}")
        frame = frame.f_back
    return tuple(places)


@contextmanager
def watched(engine: sa.Engine) -> Iterator[list[Sent]]:
    seen: list[Sent] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(Sent(statement, _code_path()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def get_paths(app: Litestar, street: BusyStreet, round_id: int, job_id: int = 1) -> list[str]:
    """Every GET route of the application with its path parameters filled from the street."""
    with reading(street.session) as fresh:
        shift_id = fresh.execute(sa.select(Shift.id).where(Shift.need_id == street.project.id)).scalars().first()
    values = {
        "need_id": street.project.id,
        "offer_id": street.offers[0].id,
        "organization_id": street.partner.organization_id,
        "profile_id": street.profile.id,
        "user_id": street.volunteer.id,
        "round_id": round_id,
        "job_id": job_id,  # a failed job (/admin/jobs/{job_id}, its progress, /api/v1/jobs/{job_id})
        "reference": street.project.id,
        "token": "not-a-reset-token",
        "locale": "en",
        "key": "permeable_brick",  # an item of the curated vocabulary (/admin/items/{key})
        "shift_id": shift_id,  # a shift of the project (/station/shifts/{shift_id}/qr: its QR codes)
        "action": "check-in",  # /station/scan/{shift_id}/{action}/{key}: with a made-up key, a 404
        "code": "ABCDEFGHJKMN",  # a certificate code nobody holds (/certificates/{code}: the 404 page)
        # A new token's secret and a reset link are made, and written, when first shown to their maker in the
        # session that asked (tests/test_reload_safe_results.py); with nothing of this visitor's pending there
        # (these ids are nobody's), a view must write nothing. An import's kept report only reads.
        "token_id": 1,
        "reset_id": 1,
        "report_id": 1,
    }
    paths = []
    for route in app.routes:
        if route.path.startswith(SKIPPED) or not any("GET" in h.http_methods for h in route.route_handlers):
            continue
        unknown = set(route.path_parameters) - set(values)
        assert not unknown, f"no value for {unknown} in {route.path}: add one so the page is visited"
        for query in VARIANTS.get(route.path_format, ("",)):
            paths.append((route.path_format + query).format(**values))
    return sorted(set(paths))


@pytest.fixture
def street(session: Session, app: Litestar) -> BusyStreet:
    street = build_busy_street(session)
    street.grow(2)
    return street


def _failed_job(street: BusyStreet) -> int:
    job = Job(kind="offers.expire", status=JobStatus.FAILED, error="boom", finished_at=utcnow(), attempts=1)
    street.session.add(job)
    street.session.commit()
    return job.id or 0


def visit_every_page(app: Litestar, client: TestClient[Litestar], street: BusyStreet) -> dict[str, list[Sent]]:
    """Each role's requests of every GET route: what each sent, keyed "role path"."""
    paths = get_paths(app, street, finished_round(street.session, street.admin).id or 0, _failed_job(street))
    assert len(paths) > 60  # the whole application, not a sample
    sent: dict[str, list[Sent]] = {}
    for role in ROLES:
        sign_in(client, street.viewer(role))
        for path in paths:
            with watched(app.state.engine) as seen:
                response = client.get(path, follow_redirects=False)
            assert response.status_code < 500, f"{role} {path}: {response.status_code}"
            sent[f"{role} {path}"] = seen
    return sent


def _report(sent: dict[str, list[Sent]], wrong: Callable[[Sent], bool]) -> str:
    return "\n".join(f"{request}: {item}" for request, items in sent.items() for item in items if wrong(item))


def test_no_get_of_any_page_by_any_role_takes_the_write_lock_or_writes_in_the_request(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet, is_postgres: bool
) -> None:
    sent = visit_every_page(app, client, street)
    locking = _report(sent, lambda item: item.takes_write_lock and not item.by_login_check)
    assert not locking, "GETs took SQLite's write lock:\n" + locking
    writing = _report(sent, lambda item: item.writes and not item.by_login_check)
    assert not writing, "GETs wrote rows:\n" + writing
    if not is_postgres:  # the watch sees SQLite's transactions begin: the check above is not vacuous
        assert any(item.statement.strip().upper() == "BEGIN" for items in sent.values() for item in items)


def test_the_login_check_of_a_page_view_takes_no_write_lock(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("BEGIN IMMEDIATE is SQLite's")
    for role in ROLES[1:]:
        sign_in(client, street.viewer(role))
        with watched(app.state.engine) as seen:
            assert client.get("/").status_code == 200
        locking = [item for item in seen if item.takes_write_lock]
        assert not locking, f"{role}:\n" + "\n".join(map(str, locking))


def _expired_offer(street: BusyStreet) -> Offer:
    offer = street.offers[0]
    with street.session.begin():
        street.session.execute(
            sa.update(Offer)
            .where(Offer.id == offer.id)  # type: ignore[arg-type]
            .values(valid_from=utcnow() - timedelta(days=3), valid_until=utcnow() - timedelta(days=1))
        )
    return offer


def test_a_list_that_finds_an_offer_past_its_window_expires_it_in_a_transaction_of_its_own_once(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet
) -> None:
    offer = _expired_offer(street)
    sign_in(client, street.partner)
    with watched(app.state.engine) as first:
        listing = client.get("/api/v1/offers?status=expired")
    assert [item["id"] for item in listing.json()["items"]] == [offer.id]  # read after the sweep
    assert fetch(street.session, Offer, offer.id).status is OfferStatus.EXPIRED
    sweeping = [item for item in first if item.writes]
    assert len(sweeping) == 1 and sweeping[0].code[0].startswith("offers/lifecycle.py:expire_offers")
    assert any(place.startswith("sweeps.py") for place in sweeping[0].code)
    with watched(app.state.engine) as second:
        assert client.get("/offers").status_code == 200
    assert not [item for item in second if item.writes or item.takes_write_lock]


def test_the_escalations_list_escalates_an_overdue_need_in_a_transaction_of_its_own_once(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet
) -> None:
    with street.session.begin():
        street.session.execute(
            sa.update(Need).where(Need.id == street.project.id).values(due_date=utcnow().date() - timedelta(days=1))  # type: ignore[arg-type]
        )
    sign_in(client, street.admin)
    with watched(app.state.engine) as first:
        page = client.get("/escalations")
    assert page.status_code == 200 and street.project.title in page.text
    assert any(item.writes for item in first)
    assert all(any(place.startswith("sweeps.py") for place in item.code) for item in first if item.writes)
    with watched(app.state.engine) as second:
        assert client.get("/escalations").status_code == 200
        assert len(client.get("/api/v1/escalations").json()["items"]) == 1
    assert not [item for item in second if item.writes or (item.takes_write_lock and not item.by_login_check)]


def test_the_escalation_probe_finds_work_exactly_when_the_sweep_has_some(
    street: BusyStreet, session_factory: Any
) -> None:
    def due(at: Any) -> bool:
        with session_factory() as db:
            return bool(db.execute(sa.select(sweep_due(at))).scalar())

    def sweep(at: Any) -> int:
        with session_factory.begin() as db:
            return escalate_overdue(db, at)

    now = utcnow()
    assert not due(now)
    with session_factory.begin() as db:
        db.execute(sa.update(Need).where(Need.id == street.project.id).values(due_date=now.date() - timedelta(days=1)))  # type: ignore[arg-type]
    moments = [now, now, now + timedelta(days=2, minutes=1), now + timedelta(days=5, minutes=2)]
    moments += [moments[-1] + timedelta(days=30)]  # the street level waits for a person to name a department
    for at in moments:
        expected = due(at)
        assert (sweep(at) > 0) == expected, at
    with reading(street.session) as fresh:
        levels = fresh.execute(sa.select(Escalation.level).where(Escalation.need_id == street.project.id)).scalars()
        assert sorted(levels, key=list(EscalationLevel).index) == [
            EscalationLevel.GRID,
            EscalationLevel.COMMUNITY,
            EscalationLevel.STREET,
        ]
