"""The city of ``web_load.py --scale city``: seeding it, choosing who logs in from several streets, and the
matching rounds its street admins start through the rounds page while the mixed scenario runs.

Kept apart from ``web_load.py`` (which imports it) so the street's benchmark stays readable.
"""

import contextlib
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

from marketplace.console import StageProgress
from marketplace.jobs.models import Job
from marketplace.models import (
    Grid,
    Need,
    NeedStatus,
    Offer,
    OfferStatus,
    Organization,
    OrganizationStatus,
    ResourceLine,
    Role,
    Shift,
    ShiftSignup,
    SignupStatus,
    User,
    VolunteerProfile,
)
from marketplace.places.models import Community, Street
from marketplace.rounds.jobs import KIND as ROUND_KIND
from marketplace.rounds.models import MatchRound

# Open projects of the public board (as web_load.PUBLIC_OPEN).
PUBLIC_OPEN = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
# Issue 14: a whole city on one deployment.
CITY = {"streets": 100, "volunteers": 100_000, "needs": 50_000, "offers": 20_000}


def seed_the_city(engine: sa.Engine, streets: int, totals: dict[str, int]) -> Any:
    """``marketplace seed city --streets N --volunteers ... --needs ... --offers ...``, in process."""
    from seeds.city import CityStreet, seed_city

    started = time.perf_counter()

    def announce(street: CityStreet) -> None:
        print(
            f"Street {street.number}/{streets}: {street.name_en} ({street.code}), {time.perf_counter() - started:.0f} s"
        )

    return seed_city(
        engine, streets=streets, today=date.today(), progress=StageProgress(), on_street=announce, totals=totals
    )


# -- who logs in: users of several streets -----------------------------------------------------------


def sampled_streets(connection: sa.Connection, count: int) -> list[tuple[int, str]]:
    """``count`` streets spread over the city (every n-th by id, Hudao first): (id, code)."""
    rows = connection.execute(sa.select(Street.id, Street.code).order_by(Street.id)).all()
    step = max(1, len(rows) // max(1, count))
    return [(row[0], row[1]) for row in rows[::step][:count]]


def street_of_grid() -> Any:
    return sa.select(Community.street_id).where(Community.id == Grid.community_id).scalar_subquery()


def round_robin(by_street: dict[int, list[Any]], count: int) -> list[Any]:
    """Up to ``count`` items taking each street's next one in turn."""
    chosen: list[Any] = []
    depth = 0
    while len(chosen) < count and any(len(items) > depth for items in by_street.values()):
        for items in by_street.values():
            if len(items) > depth and len(chosen) < count:
                chosen.append(items[depth])
        depth += 1
    return chosen


def street_admins(connection: sa.Connection) -> dict[str, str]:
    """Every street's first admin: street code -> username (Hudao's is ``admin``)."""
    rows = connection.execute(
        sa.select(Street.code, User.username)
        .join(User, User.street_id == Street.id)
        .where(User.role == Role.ADMIN, User.is_active)
        .order_by(Street.id, User.id)
    )
    admins: dict[str, str] = {}
    for code, username in rows:
        admins.setdefault(code, username)
    return admins


def city_admins(connection: sa.Connection) -> list[str]:
    """The admins of the whole city (no street of their own): ``city`` in the seeded city."""
    rows = connection.execute(
        sa.select(User.username)
        .where(User.role == Role.ADMIN, User.is_active, User.street_id.is_(None))
        .order_by(User.id)
    )
    return [row[0] for row in rows]


def city_staff(connection: sa.Connection, streets: list[tuple[int, str]], per_staff: int) -> dict[str, list[int]]:
    """One community worker per sampled street with open needs that have shifts: username -> those needs."""
    found: dict[str, list[int]] = {}
    for street_id, _code in streets:
        staff = connection.execute(
            sa.select(User.username, User.community_id)
            .join(Community, Community.id == User.community_id)
            .where(User.role == Role.STAFF, User.is_active, Community.street_id == street_id)
            .order_by(User.id)
        ).all()
        for username, community_id in staff:
            needs = connection.execute(
                sa.select(Need.id)
                .join(Grid, Grid.id == Need.grid_id)
                .where(Grid.community_id == community_id, Need.status.in_(PUBLIC_OPEN))
                .where(sa.exists().where(Shift.need_id == Need.id))
                .order_by(Need.id)
                .limit(per_staff)
            ).all()
            if needs:
                found[username] = [row[0] for row in needs]
                break
    return found


def city_projects(connection: sa.Connection, street_ids: list[int], now: datetime, count: int) -> list[int]:
    """Public open projects with shifts ahead, the busiest of each sampled street in turn."""
    shifts = sa.func.count(Shift.id)
    rows = connection.execute(
        sa.select(Need.id, street_of_grid().label("street_id"), shifts)
        .join(Grid, Grid.id == Need.grid_id)
        .join(Shift, Shift.need_id == Need.id)
        .where(Need.status.in_(PUBLIC_OPEN), Shift.starts_at > now + timedelta(hours=3))
        .group_by(Need.id, Grid.community_id)
        .order_by(shifts.desc(), Need.id)
    ).all()
    by_street: dict[int, list[int]] = {street_id: [] for street_id in street_ids}
    for need_id, street_id, _shifts in rows:
        if street_id in by_street:
            by_street[street_id].append(need_id)
    return round_robin(by_street, count)


def city_volunteers(connection: sa.Connection, street_ids: list[int], count: int) -> dict[str, tuple[int, int]]:
    """The busiest volunteers (most live sign-ups) living in each sampled street, in turn:
    username -> (profile id, street id)."""
    live = sa.func.count(ShiftSignup.id)
    home = (
        sa.select(Community.street_id)
        .join(Grid, Grid.community_id == Community.id)
        .where(Grid.id == VolunteerProfile.home_grid_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        sa.select(User.username, VolunteerProfile.id, home.label("street_id"), live)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .outerjoin(
            ShiftSignup,
            (ShiftSignup.volunteer_id == VolunteerProfile.id) & (ShiftSignup.status != SignupStatus.CANCELLED),
        )
        .where(User.is_active, home.in_(street_ids))
        .group_by(User.username, VolunteerProfile.id, VolunteerProfile.home_grid_id)
        .order_by(live.desc(), VolunteerProfile.id)
    ).all()
    by_street: dict[int, list[tuple[str, int, int]]] = {street_id: [] for street_id in street_ids}
    for username, profile_id, street_id, _live in rows:
        by_street[street_id].append((username, profile_id, street_id))
    return {name: (profile, street) for name, profile, street in round_robin(by_street, count)}


def city_partners(
    connection: sa.Connection, street_ids: list[int], now: datetime, count: int
) -> dict[str, tuple[int, list[int]]]:
    """Managers of approved organizations of the sampled streets with offers a unit can come from, in turn:
    username -> (the organization's street, offer ids)."""
    rows = connection.execute(
        sa.select(User.username, Organization.street_id, Offer.id)
        .join(Organization, Organization.id == User.organization_id)
        .join(Offer, Offer.organization_id == Organization.id)
        .where(
            User.role == Role.PARTNER,
            User.is_active,
            User.is_org_manager,
            Organization.status == OrganizationStatus.APPROVED,
            Organization.street_id.in_(street_ids),
            Offer.status == OfferStatus.ACTIVE,
            Offer.valid_from <= now,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until > now + timedelta(days=1)),
            Offer.remaining_quantity >= 1,
        )
        .order_by(User.id, Offer.id)
    )
    offers: dict[str, tuple[int, list[int]]] = {}
    for username, street_id, offer_id in rows:
        offers.setdefault(username, (street_id, []))[1].append(offer_id)
    by_street: dict[int, list[str]] = {street_id: [] for street_id in street_ids}
    for username, (street_id, _ids) in offers.items():
        by_street[street_id].append(username)
    return {name: offers[name] for name in round_robin(by_street, count)}


def city_lines(connection: sa.Connection, street_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Open lines with something still needed in each sampled street: street id -> (need id, line id)."""
    rows = connection.execute(
        sa.select(street_of_grid(), ResourceLine.need_id, ResourceLine.id)
        .join(Need, Need.id == ResourceLine.need_id)
        .join(Grid, Grid.id == Need.grid_id)
        .where(Need.status.in_(PUBLIC_OPEN), ResourceLine.still_needed >= 1)
        .order_by(ResourceLine.id)
    )
    lines: dict[int, list[tuple[int, int]]] = {street_id: [] for street_id in street_ids}
    for street_id, need_id, line_id in rows:
        if street_id in lines:
            lines[street_id].append((need_id, line_id))
    return lines


def shift_streets(connection: sa.Connection, street_ids: list[int]) -> dict[int, int]:
    """Shift id -> street id, for the sampled streets (volunteers sign up in their own street)."""
    rows = connection.execute(
        sa.select(Shift.id, street_of_grid())
        .join(Need, Need.id == Shift.need_id)
        .join(Grid, Grid.id == Need.grid_id)
        .where(street_of_grid().in_(street_ids))
    )
    return {shift_id: street_id for shift_id, street_id in rows}


# -- the job worker ----------------------------------------------------------------------------------


def jobs_env(redis_url: str, queue: str) -> dict[str, str]:
    """Web processes and the worker alike: the jobs go to this Redis, on a queue of this run's own."""
    return {"MARKETPLACE_REDIS_URL": redis_url, "MARKETPLACE_JOB_QUEUE": queue}


@contextlib.contextmanager
def job_worker(command: list[str], env: dict[str, str], log: Path, concurrency: int) -> Iterator[subprocess.Popen]:
    """``marketplace worker --concurrency N`` beside the server; stopped with SIGTERM (a running job ends first)."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "on queue" not in log.read_text(errors="replace"):  # its start-up line: it takes jobs from now on
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the job worker did not start; its log: {log}\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)


# -- rounds started during the mixed scenario ---------------------------------------------------------


@dataclass
class RoundStarts:
    """Each street admin POSTs the rounds page's form for their street, one street after the other,
    ``gap`` seconds apart, while the mixed scenario runs: the worker takes them as the queue gives them."""

    base: str
    admins: list[tuple[str, str, str, str]]  # (street code, username, cookie, csrf token)
    gap: float
    posted: list[dict[str, Any]] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "RoundStarts":
        self._thread = threading.Thread(target=self._post_all, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _post_all(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60, follow_redirects=False) as client:
            for code, username, cookie, csrf in self.admins:
                if self._stop.is_set():
                    break
                began = time.perf_counter()
                status: int | None = None
                with contextlib.suppress(httpx.HTTPError):
                    status = client.post(
                        "/rounds",
                        content=urlencode({"csrf_token": csrf, "street": code, "method": "optimal", "k": "20"}),
                        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
                    ).status_code
                self.posted.append(
                    {
                        "street": code,
                        "admin": username,
                        "status": status,
                        "ms": round((time.perf_counter() - began) * 1000, 1),
                    }
                )
                self._stop.wait(self.gap)


def wait_for_rounds(url: str, expected: int, seconds: float) -> float:
    """Wait until ``expected`` rounds have ended (finished or failed) or ``seconds`` passed; returns the wait."""
    engine = sa.create_engine(url)
    began = time.monotonic()
    try:
        while time.monotonic() - began < seconds:
            with engine.connect() as connection:
                ended = connection.execute(
                    sa.select(sa.func.count()).select_from(MatchRound).where(MatchRound.finished_at.is_not(None))
                ).scalar_one()
            if ended >= expected:
                break
            time.sleep(2.0)
    finally:
        engine.dispose()
    return round(time.monotonic() - began, 1)


def read_rounds(url: str, load_window: tuple[float, float]) -> list[dict[str, Any]]:
    """Every round of the run with its job: queued -> started -> finished (seconds), status, whether it
    finished while the load ran, and its figures."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rounds = connection.execute(
                sa.select(MatchRound, Street.code).outerjoin(Street, Street.id == MatchRound.street_id)
            ).all()
            jobs = connection.execute(sa.select(Job).where(Job.kind == ROUND_KIND)).all()
    finally:
        engine.dispose()
    job_of = {int(job.arguments.get("round_id", 0)): job for job in jobs}
    found = []
    for row in sorted(rounds, key=lambda r: r.created_at):
        job = job_of.get(row.id)
        finished = row.finished_at
        found.append(
            {
                "round_id": row.id,
                "street": row.code,
                "status": row.status.value,
                "error": row.error,
                "job_status": job.status.value if job else None,
                "job_attempts": job.attempts if job else None,
                "queued_s": _seconds(row.created_at, row.started_at),
                "run_s": _seconds(row.started_at, finished),
                "total_s": _seconds(row.created_at, finished),
                "finished_under_load": bool(finished and load_window[0] <= finished.timestamp() <= load_window[1]),
                "lines": row.lines,
                "shifts": row.shifts,
                "proposals": (row.line_proposals or 0) + (row.shift_proposals or 0),
            }
        )
    return found


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return round((end - start).total_seconds(), 2)


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    values = sorted(values)
    return {
        "count": len(values),
        "min": values[0],
        "median": round(statistics.median(values), 2),
        "p95": values[min(len(values) - 1, int(0.95 * len(values)))],
        "max": values[-1],
    }


def rounds_summary(rounds: list[dict[str, Any]], posted: list[dict[str, Any]]) -> dict[str, Any]:
    finished = [r for r in rounds if r["status"] == "finished"]
    return {
        "posted": len(posted),
        "post_statuses": _count(str(p["status"]) for p in posted),
        "rounds": len(rounds),
        "statuses": _count(r["status"] for r in rounds),
        "finished_under_load": sum(r["finished_under_load"] for r in rounds),
        "run_s": spread([r["run_s"] for r in finished if r["run_s"] is not None]),
        "queued_s": spread([r["queued_s"] for r in rounds if r["queued_s"] is not None]),
        "total_s": spread([r["total_s"] for r in finished if r["total_s"] is not None]),
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def rounds_text(label: str, summary: dict[str, Any], rounds: list[dict[str, Any]]) -> str:
    lines = [
        f"  rounds during {label}: {summary['posted']} POSTed /rounds ({_statuses(summary['post_statuses'])}), "
        f"{summary['rounds']} rounds ({_statuses(summary['statuses'])}), "
        f"{summary['finished_under_load']} finished while wrk ran"
    ]
    for name, title in (
        ("run_s", "started->finished"),
        ("queued_s", "queued->started"),
        ("total_s", "queued->finished"),
    ):
        s = summary[name]
        if s:
            lines.append(
                f"    {title:<18} s: min {s['min']:.2f}  median {s['median']:.2f}  p95 {s['p95']:.2f}  "
                f"max {s['max']:.2f}  ({s['count']})"
            )
    lines.append("    per street (street: queued / ran s, status, lines+shifts -> proposals):")
    cells = [
        f"{r['street']}: {_num(r['queued_s'])}/{_num(r['run_s'])} {_unless_finished(r['status'])}"
        f"{(r['lines'] or 0) + (r['shifts'] or 0)}->{r['proposals']}"
        for r in rounds
    ]
    for start in range(0, len(cells), 3):
        lines.append("      " + " | ".join(cells[start : start + 3]))
    return "\n".join(lines)


def _unless_finished(status: str) -> str:
    return "" if status == "finished" else f"{status} "


def _statuses(counts: dict[str, int]) -> str:
    return " ".join(f"{key}:{value}" for key, value in counts.items()) or "-"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
