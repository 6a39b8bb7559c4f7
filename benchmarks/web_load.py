"""Load on the real server: pages at 10 and 50 connections, with 1 and 2 workers, driven by wrk.

    python3 -m uv run python benchmarks/web_load.py                      # street on SQLite, ~15 min
    python3 -m uv run python benchmarks/web_load.py --quick              # a smoke test, ~3 min
    python3 -m uv run python benchmarks/web_load.py --scale city --workers 2 \\
        --scenarios take-part signups mixed --mixed-duration 240 --rounds 12 \\
        --redis-url redis://127.0.0.1:6379/11 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_city

Needs wrk (https://github.com/wg/wrk), a load generator: ``apt-get install -y wrk`` on Debian or
Ubuntu, ``brew install wrk`` on macOS. It is a tool on the machine, not a project dependency.

1. Seeds a synthetic street (``--scale street``: 5,000 volunteers, 2,000 needs, 800 offers, 2,000
   shifts with a year of sign-ups; ``big-street``: 100,000 volunteers, 50,000 needs, 20,000 offers)
   or a city of 100 streets with those totals (``city``, ``marketplace seed city``) into a fresh
   SQLite file in a temporary folder, or into ``--database-url`` (created if missing; a
   database that already holds a street is used as it is, so a city is seeded once).
2. Copies it, starts ``marketplace serve --workers 1`` on the copy and logs in, through the login
   form, the roles the pages need: admins, the demo staff, partners of approved organizations and
   the volunteers with the most sign-ups (every seeded account has the demo password). Every later
   run starts from a copy of that state, so each one sees the same data and the same sessions.
3. For each worker count: serves a fresh copy with ``marketplace serve --workers N``, warms every
   page, then runs ``wrk --latency`` for ``--duration`` seconds at each connection count against
   the anonymous board ``/``, a project page, a volunteer's take-part page, a volunteer's
   ``/signups``, an admin's ``/review`` queue, staff recommendations for a need, and a mixed
   scenario (page reads with sign-ups and partner claims, POSTed with the session's CSRF token) on
   a copy of its own per run. Requests rotate over several users and projects
   (``benchmarks/wrk/sequence.lua`` replays the lists this script writes). During every run at 50
   or more connections this script asks ``/healthz`` once a second and records whether and how fast
   it answered.

The city (``--scale city``, ``city_load.py``): users of ``--streets-logged-in`` streets act each in
their own street; every server queues its jobs on Redis (``--redis-url``, a queue of the run's own)
for one ``marketplace worker`` beside it; while each mixed run goes on, the admins of ``--rounds``
streets start their street's matching round from the rounds page, and each round's queued, running
and total seconds and status are recorded, street by street.

Prints requests/s, p50, p95, p99, errors (statuses other than 2xx/3xx, socket errors) and timeouts
for every page, worker count and connection count, checks the targets of issue 10, and writes
``benchmarks/results/web_load.json`` and ``web_load.txt`` (``web_load.city.*`` for the city,
``*.quick.*`` with ``--quick``).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

from marketplace.console import StageProgress
from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.matches.services import OPEN_STATUSES
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
from marketplace.settings import DatabaseSettings
from seeds.demo_accounts import DEMO_PASSWORD
from seeds.loading import database_is_empty
from seeds.synthetic import seed_synthetic

sys.path.insert(0, str(Path(__file__).resolve().parent))  # city_load beside this script, however it is run
import city_load
from city_load import CITY

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA_SCRIPT = HERE / "wrk" / "sequence.lua"
SCALES: dict[str, dict[str, int | None]] = {
    "street": {"volunteers": 5_000, "needs": 2_000, "offers": 800, "shifts": 2_000},
    # One synthetic street of a city's size (what ``--scale city`` measured before the city had streets).
    "big-street": {"volunteers": 100_000, "needs": 50_000, "offers": 20_000, "shifts": None},
    # 100 streets of ``seeds/city.py`` (``marketplace seed city``), sized by issue 14: see city_load.CITY.
    "city": {key: value for key, value in CITY.items() if key != "streets"},
}
PAGES = ("board", "project", "take-part", "signups", "review", "recommendations")
SCENARIOS = (*PAGES, "mixed")
# Needs that take sign-ups (the app's own list), and the open projects of the public board.
OPEN = tuple(OPEN_STATUSES)
PUBLIC_OPEN = (NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED)
SLOT_HOLDERS = (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN, SignupStatus.COMPLETED)
ROTATION = 20  # projects, needs and volunteers a page scenario rotates over
MIXED_CYCLES = 3_000  # volunteer journeys planned for the mixed scenario (then it starts again)
HEALTHZ_FROM_CONNECTIONS = 50
CSRF_PATTERNS = (
    re.compile(r'name="csrf_token" value="([^"]+)"'),
    re.compile(r'"X-CSRF-Token":\s*"([^"]+)"'),
)


# -- the street's database: a source, a base with sessions, and a fresh copy per server ------------


@dataclass
class Databases:
    """The street as seeded (``source``), the same with logged-in sessions (``base``), and run copies.

    SQLite: files in ``folder``. PostgreSQL: databases made with ``CREATE DATABASE ... TEMPLATE``,
    named after the source with a suffix; only those suffixed names are ever dropped.
    """

    source: str
    folder: Path

    @property
    def is_postgres(self) -> bool:
        return self.source.startswith("postgresql")

    def base(self) -> str:
        return self._named("wl_base")

    def copy(self, from_url: str, name: str) -> str:
        """A fresh copy of ``from_url``; returns its URL."""
        target = self._named(name)
        if self.is_postgres:
            _pg_copy(from_url, target)
        else:
            _sqlite_copy(from_url, target)
        return target

    def _named(self, suffix: str) -> str:
        if self.is_postgres:
            url = sa.make_url(self.source)
            return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)
        return f"sqlite:///{self.folder / f'street_{suffix}.sqlite3'}"

    def cleanup(self) -> None:
        if self.is_postgres:
            for suffix in ("wl_base", "wl_run"):
                _pg_drop(self._named(suffix))


def _sqlite_path(url: str) -> Path:
    return Path(sa.make_url(url).database or "")


def _sqlite_copy(from_url: str, to_url: str) -> None:
    source, target = _sqlite_path(from_url), _sqlite_path(to_url)
    with contextlib.closing(sqlite3.connect(source)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file before copying
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _pg_admin(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_drop(url: str) -> None:
    name = sa.make_url(url).database or ""
    assert "_wl_" in name, f"refusing to drop {name}: not a copy this benchmark made"
    engine = _pg_admin(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def _pg_copy(from_url: str, to_url: str) -> None:
    _pg_drop(to_url)
    engine = _pg_admin(to_url)
    source, target = sa.make_url(from_url).database, sa.make_url(to_url).database
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    engine.dispose()


def ensure_pg_database(url: str) -> None:
    name = sa.make_url(url).database
    engine = _pg_admin(url)
    with engine.connect() as connection:
        exists = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if not exists:
            print(f"creating database {name}", flush=True)
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def prepare_source(url: str, scale: str) -> dict[str, Any]:
    """Migrate and seed ``url`` unless it already holds a street; returns what was done and how long it took."""
    if url.startswith("postgresql"):
        ensure_pg_database(url)
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:
        if not database_is_empty(engine):
            print("the database already holds a street: using it as it is (no seeding)", flush=True)
            return {"seeded": False, "counts": street_counts(engine)}
        sizes = SCALES[scale]
        print(f"seeding the {scale}: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items() if v), flush=True)
        if scale == "city":
            totals = {key: value for key, value in sizes.items() if value}
            report = city_load.seed_the_city(engine, CITY["streets"], totals)
        else:
            report = seed_synthetic(engine, **sizes, today=date.today(), progress=StageProgress())
        print(f"seeded {report.total:,} rows in {report.generate_seconds + report.load_seconds:.1f} s", flush=True)
        return {
            "seeded": True,
            "generate_seconds": round(report.generate_seconds, 1),
            "load_seconds": round(report.load_seconds, 1),
            "counts": street_counts(engine),
        }
    finally:
        engine.dispose()


def street_counts(engine: sa.Engine) -> dict[str, int]:
    tables = {"volunteers": VolunteerProfile, "needs": Need, "shifts": Shift, "offers": Offer, "sign-ups": ShiftSignup}
    with engine.connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
            for name, model in tables.items()
        }


# -- who logs in and what they ask for -------------------------------------------------------------


@dataclass
class Street:
    """Ids and usernames the scenarios use, read from the base database."""

    projects: list[int]
    staff_needs: dict[str, list[int]]  # staff username -> open needs of theirs with shifts
    admins: list[str]
    staff: list[str]
    volunteers: list[str]
    volunteer_ids: dict[str, int]
    partners: list[str]
    partner_offers: dict[str, list[int]]
    lines: list[tuple[int, int]]  # (need id, resource line id) of open needs with something still needed
    signups: list[tuple[str, int, int]] = field(default_factory=list)  # (volunteer, shift id, need id)
    # The city only: users come from several streets, each acting in their own.
    streets: list[str] = field(default_factory=list)  # codes of the streets users were taken from
    round_admins: list[tuple[str, str]] = field(default_factory=list)  # (street code, its admin), every street
    volunteer_streets: dict[str, int] = field(default_factory=dict)  # volunteer -> street id
    partner_streets: dict[str, int] = field(default_factory=dict)
    street_lines: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # street id -> open lines
    shift_streets: dict[int, int] = field(default_factory=dict)  # shift id -> street id

    @property
    def is_city(self) -> bool:
        return bool(self.streets)

    # partner -> (need id, line id, offer id) claims the domain accepts: an offer that can serve the line
    claims: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    def lines_for(self, partner: str) -> list[tuple[int, int]]:
        """Lines a partner may claim: in the city, those of their organization's street."""
        return self.street_lines.get(self.partner_streets[partner], []) if self.is_city else self.lines


Claims = dict[str, list[tuple[int, int, int]]]


def servable_claims(connection: sa.Connection, street: Street, per_partner: int = 40) -> Claims:
    """For each partner, claims of lines they may claim with one of their offers that can serve the line
    (``matches.compatibility``: the kind, unit and item agree), so a claim is refused only for what the
    load makes happen (a line filled or an offer used up meanwhile), never for pairing bricks with lamps."""
    from sqlmodel import Session

    from marketplace.matches import compatibility, openings

    with Session(bind=connection) as db:
        offer_ids = sorted({offer for offers in street.partner_offers.values() for offer in offers})
        line_ids = sorted({line for partner in street.partners for _need, line in street.lines_for(partner)})
        offers = {row.id: row for row in db.execute(sa.select(Offer).where(Offer.id.in_(offer_ids))).scalars()}
        lines = {
            row.id: row for row in db.execute(sa.select(ResourceLine).where(ResourceLine.id.in_(line_ids))).scalars()
        }
        # A project claimed whole takes no other claim (openings.needs_claimed_whole, the app's own rule).
        whole = openings.needs_claimed_whole(
            db, {need for partner in street.partners for need, _ in street.lines_for(partner)}
        )
        pairs: dict[str, list[tuple[int, int, int]]] = {}
        for partner in street.partners:
            found = pairs.setdefault(partner, [])
            for need_id, line_id in street.lines_for(partner):
                if need_id in whole:
                    continue
                for offer_id in street.partner_offers.get(partner, []):
                    line, offer = lines.get(line_id), offers.get(offer_id)
                    if line is not None and offer is not None and compatibility.serves(offer, line):
                        found.append((need_id, line_id, offer_id))
                        break
                if len(found) >= per_partner:
                    break
    return pairs


def read_street(url: str, logins: int, streets: int = 0, rounds: int = 0) -> Street:
    """The users and ids of the scenarios; with ``streets``, users of that many streets of a city."""
    engine = create_db_engine(DatabaseSettings(url=url))
    now = datetime.now(UTC)
    try:
        with engine.connect() as connection:
            if streets:
                street = read_city(connection, now, logins, streets, rounds)
                street.signups = plan_signups(connection, street, now)
                street.claims = servable_claims(connection, street)
                return street
            volunteers = _busiest_volunteers(connection, logins)
            partner_offers = _partners_with_offers(connection, now, max(3, logins // 5))
            street = Street(
                projects=_projects(connection, now),
                staff_needs={"staff": _staff_needs(connection)},
                admins=_usernames(connection, User.role == Role.ADMIN, limit=3),
                staff=["staff"],
                volunteers=list(volunteers),
                volunteer_ids=volunteers,
                partners=list(partner_offers),
                partner_offers=partner_offers,
                lines=_open_lines(connection),
            )
            street.signups = plan_signups(connection, street, now)
            street.claims = servable_claims(connection, street)
    finally:
        engine.dispose()
    return street


def read_city(connection: sa.Connection, now: datetime, logins: int, count: int, rounds: int) -> Street:
    """Users of ``count`` streets spread over the city: each street's admin, a community
    worker, partners and the busiest volunteers of each in turn; every street's admin starts its rounds."""
    sampled = city_load.sampled_streets(connection, count)
    ids = [street_id for street_id, _code in sampled]
    admins_of = city_load.street_admins(connection)
    volunteers = city_load.city_volunteers(connection, ids, logins)
    partners = city_load.city_partners(connection, ids, now, max(3, logins // 5))
    staff_needs = city_load.city_staff(connection, sampled, ROTATION // 2)
    lines = city_load.city_lines(connection, ids)
    codes = {code for _id, code in sampled}
    return Street(
        projects=city_load.city_projects(connection, ids, now, ROTATION),
        staff_needs=staff_needs,
        # The city admin too: their review queue counts every street's proposals (27,764 in the seeded city).
        admins=[*city_load.city_admins(connection), *(admins_of[code] for _id, code in sampled if code in admins_of)],
        staff=list(staff_needs),
        volunteers=list(volunteers),
        volunteer_ids={name: profile for name, (profile, _street) in volunteers.items()},
        partners=list(partners),
        partner_offers={name: offers for name, (_street, offers) in partners.items()},
        lines=[line for street_lines in lines.values() for line in street_lines],
        streets=[code for _id, code in sampled],
        # The sampled streets' admins start the first rounds, then the other streets' in turn.
        round_admins=sorted(admins_of.items(), key=lambda item: item[0] not in codes)[:rounds],
        volunteer_streets={name: street for name, (_profile, street) in volunteers.items()},
        partner_streets={name: street for name, (street, _offers) in partners.items()},
        street_lines=lines,
        shift_streets=city_load.shift_streets(connection, ids),
    )


def _projects(connection: sa.Connection, now: datetime) -> list[int]:
    """Public open projects with shifts still ahead, those with the most shifts first."""
    shifts = sa.func.count(Shift.id)
    rows = connection.execute(
        sa.select(Need.id)
        .join(Shift, Shift.need_id == Need.id)
        .where(Need.status.in_(PUBLIC_OPEN), Shift.starts_at > now + timedelta(hours=3))
        .group_by(Need.id)
        .order_by(shifts.desc(), Need.id)
        .limit(ROTATION)
    )
    return [row[0] for row in rows]


def _staff_needs(connection: sa.Connection) -> list[int]:
    """Open needs with shifts in the demo staff's community (the recommendations page is scoped to it)."""
    community = sa.select(User.community_id).where(User.username == "staff").scalar_subquery()
    rows = connection.execute(
        sa.select(Need.id)
        .join(Grid, Grid.id == Need.grid_id)
        .where(Grid.community_id == community, Need.status.in_(PUBLIC_OPEN))
        .where(sa.exists().where(Shift.need_id == Need.id))
        .order_by(Need.id)
        .limit(ROTATION // 2)
    )
    return [row[0] for row in rows]


def _usernames(connection: sa.Connection, *where: Any, limit: int) -> list[str]:
    rows = connection.execute(sa.select(User.username).where(*where, User.is_active).order_by(User.id).limit(limit))
    return [row[0] for row in rows]


def _busiest_volunteers(connection: sa.Connection, count: int) -> dict[str, int]:
    """Volunteers with the most live sign-ups (their "my shifts" page is the longest): username -> profile id."""
    live = sa.func.count(ShiftSignup.id)
    rows = connection.execute(
        sa.select(User.username, VolunteerProfile.id)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .outerjoin(
            ShiftSignup,
            (ShiftSignup.volunteer_id == VolunteerProfile.id) & (ShiftSignup.status != SignupStatus.CANCELLED),
        )
        .where(User.is_active)
        .group_by(User.username, VolunteerProfile.id)
        .order_by(live.desc(), VolunteerProfile.id)
        .limit(count)
    )
    return {username: profile_id for username, profile_id in rows}


def _partners_with_offers(connection: sa.Connection, now: datetime, count: int) -> dict[str, list[int]]:
    """Managers of approved organizations and their offers a claim of 1 unit can come from."""
    rows = connection.execute(
        sa.select(User.username, Offer.id)
        .join(Organization, Organization.id == User.organization_id)
        .join(Offer, Offer.organization_id == Organization.id)
        .where(
            User.role == Role.PARTNER,
            User.is_active,
            User.is_org_manager,
            Organization.status == OrganizationStatus.APPROVED,
            Offer.status == OfferStatus.ACTIVE,
            Offer.valid_from <= now,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until > now + timedelta(days=1)),
            Offer.remaining_quantity >= 1,
        )
        .order_by(User.id, Offer.id)
    )
    offers: dict[str, list[int]] = {}
    for username, offer_id in rows:
        if username in offers or len(offers) < count:
            offers.setdefault(username, []).append(offer_id)
    return offers


def _open_lines(connection: sa.Connection) -> list[tuple[int, int]]:
    rows = connection.execute(
        sa.select(ResourceLine.need_id, ResourceLine.id)
        .join(Need, Need.id == ResourceLine.need_id)
        .where(Need.status.in_(PUBLIC_OPEN), ResourceLine.still_needed >= 1)
        .order_by(ResourceLine.id)
    )
    return [(need_id, line_id) for need_id, line_id in rows]


def plan_signups(connection: sa.Connection, street: Street, now: datetime) -> list[tuple[str, int, int]]:
    """Sign-ups that will all succeed: never beyond a shift's free slots, never a second live sign-up of
    a volunteer for a shift, never overlapping a shift the volunteer holds (the app answers 409 to those).

    Shifts of the projects with the most shifts come first, as when a project is posted to a group chat.
    """
    ids = street.volunteer_ids
    held: dict[int, list[tuple[datetime, datetime]]] = {profile: [] for profile in ids.values()}
    live: set[tuple[int, int]] = set()
    rows = connection.execute(
        sa.select(ShiftSignup.volunteer_id, ShiftSignup.shift_id, ShiftSignup.status, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.volunteer_id.in_(list(ids.values())), ShiftSignup.status != SignupStatus.CANCELLED)
    )
    for volunteer_id, shift_id, status, starts, ends in rows:
        live.add((volunteer_id, shift_id))
        if status in SLOT_HOLDERS:
            held[volunteer_id].append((starts, ends))
    sibling = sa.orm.aliased(Shift)
    per_need = sa.select(sa.func.count()).select_from(sibling).where(sibling.need_id == Shift.need_id)
    per_need = per_need.correlate(Shift).scalar_subquery()
    shifts = connection.execute(
        sa.select(Shift.id, Shift.need_id, Shift.starts_at, Shift.ends_at, Shift.slots, Shift.confirmed_count)
        .add_columns(Shift.requires_approval)
        .join(Need, Need.id == Shift.need_id)
        .where(Need.status.in_(OPEN), Shift.starts_at > now + timedelta(hours=3))
        .order_by(per_need.desc(), Shift.need_id, Shift.starts_at, Shift.id)
    ).all()
    # A project a partner claimed whole takes no sign-up (openings.needs_claimed_whole, the app's own rule):
    # the seeded city has 1,631 such claims waiting, and every 409 of the first city runs was one of them.
    from sqlmodel import Session

    from marketplace.matches import openings

    with Session(bind=connection) as db:
        whole = openings.needs_claimed_whole(db, {row.need_id for row in shifts})
    names = list(ids)
    plan: list[tuple[str, int, int]] = []
    turn = 0
    for shift_id, need_id, starts, ends, slots, confirmed, needs_approval in shifts:
        if need_id in whole:
            continue
        # A pending sign-up takes no slot; still keep them to about the shift's size.
        room = slots if needs_approval else slots - confirmed
        for _ in range(len(names)):
            if room <= 0 or len(plan) >= MIXED_CYCLES:
                break
            name = names[turn % len(names)]
            turn += 1
            profile = ids[name]
            if street.is_city and street.shift_streets.get(shift_id) != street.volunteer_streets[name]:
                continue  # in the city, volunteers sign up in their own street
            if (profile, shift_id) in live or any(s < ends and starts < e for s, e in held[profile]):
                continue
            plan.append((name, shift_id, need_id))
            live.add((profile, shift_id))
            room -= 1
            # Pending ones too: sent after an overlapping confirmed one, a pending sign-up is refused.
            held[profile].append((starts, ends))
    return plan


# -- the server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def marketplace_command() -> list[str]:
    """The ``marketplace`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("marketplace")
    return [str(script)] if script.exists() else [sys.executable, "-m", "marketplace"]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    job_worker: subprocess.Popen[bytes] | None = None


@contextlib.contextmanager
def serving(
    url: str,
    workers: int,
    folder: Path,
    secret_key: str,
    access_log: bool = False,
    jobs: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``marketplace serve --workers N`` on ``url``; stopped with SIGTERM (it drains), then killed if need be.

    With ``jobs`` (the city: a Redis URL and a queue), a ``marketplace worker`` runs beside it."""
    port = free_port()
    log = folder / f"server-{workers}w-{port}.log"
    env = (
        os.environ
        | {
            "MARKETPLACE_DATABASE_URL": url,
            "MARKETPLACE_VAR_DIR": str(folder),
            "MARKETPLACE_SECRET_KEY": secret_key,
            "MARKETPLACE_ENVIRONMENT": "production",
            # Sessions are made once, on the base copy; keep them alive through a long run.
            "MARKETPLACE_SESSION_IDLE_MINUTES": "720",
            "MARKETPLACE_ACCESS_LOG": "true" if access_log else "false",
        }
        | (jobs or {})
    )
    command = [*marketplace_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_healthy(server)
        if jobs:
            worker_log = log.with_name(f"worker-{port}.log")
            with city_load.job_worker(marketplace_command(), env, worker_log, int(jobs["concurrency"])) as worker:
                server.job_worker = worker
                yield server
        else:
            yield server
    finally:
        stop(process)


def wait_healthy(server: Server, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server stopped before answering; its log: {server.log}\n{tail(server.log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {seconds:.0f} s; its log: {server.log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this script started: the server and its workers
        process.wait(timeout=10)


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and proportional set size (MB) of the server and its workers (forked workers share pages)."""
    found = {"rss_mb": 0.0, "pss_mb": 0.0, "processes": 0}
    for process in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    found[f"{key.lower()}_mb"] += int(value.split()[0]) / 1024
            found["processes"] += 1
    return {key: round(value, 1) for key, value in found.items()}


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


# -- logging in --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    cookie: str
    csrf: str


def csrf_token(html: str) -> str:
    for pattern in CSRF_PATTERNS:
        found = pattern.search(html)
        if found:
            return found.group(1)
    raise SystemExit("no CSRF token in the page: has the login form or the base template changed?")


def log_in(base: str, username: str) -> Login:
    """Through the login form, as a browser: the form's CSRF token, then the session cookie."""
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        token = csrf_token(client.get("/login").text)
        form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": ""}
        answer = client.post("/login", data=form)
        if answer.status_code not in (302, 303) or "session" not in client.cookies:
            raise SystemExit(f"logging in as {username} failed: {answer.status_code} {answer.text[:300]}")
        page = client.get("/")
        cookie = f"session={client.cookies['session']}"
        return Login(username, cookie, csrf_token(page.text))


def log_everyone_in(base: str, street: Street) -> dict[str, Login]:
    names = [*street.admins, *street.staff, *street.partners, *street.volunteers]
    names += [admin for _code, admin in street.round_admins if admin not in names]
    started = time.perf_counter()
    logins = {name: log_in(base, name) for name in names}
    print(f"logged in {len(logins)} users in {time.perf_counter() - started:.1f} s", flush=True)
    return logins


# -- the requests each scenario sends ----------------------------------------------------------------

Request = tuple[str, str, str, str | None]  # method, path, cookie, form body


def get(path: str, login: Login | None = None) -> Request:
    return ("GET", path, login.cookie if login else "", None)


def post(path: str, login: Login, **form: Any) -> Request:
    return ("POST", path, login.cookie, urlencode({"csrf_token": login.csrf, **form}))


def page_requests(scenario: str, street: Street, logins: dict[str, Login]) -> list[Request]:
    """What a page scenario sends, rotating over its users and ids."""
    volunteers = [logins[name] for name in street.volunteers[:ROTATION]]
    if scenario == "board":
        return [get("/")]
    if scenario == "project":
        return [get(f"/projects/{need}") for need in street.projects]
    if scenario == "take-part":
        return [
            get(f"/projects/{need}/take-part", volunteers[number % len(volunteers)])
            for number, need in enumerate(street.projects)
        ]
    if scenario == "signups":
        return [get("/signups", login) for login in volunteers]
    if scenario == "review":
        return [get("/review", logins[name]) for name in street.admins]
    if scenario == "recommendations":
        return [
            get(f"/needs/{need}/recommendations?kind={kind}", logins[staff])
            for staff in street.staff
            for need in street.staff_needs[staff]
            for kind in ("volunteers", "offers")
        ]
    raise ValueError(scenario)


def mixed_requests(street: Street, logins: dict[str, Login]) -> list[Request]:
    """Volunteers opening a project, signing up and checking their shifts, between anonymous board views,
    partners claiming a unit of a line from one of their offers, admins reviewing and staff asking for
    recommendations. About 15% sign-ups, 8% claims, the rest page reads."""
    sequence: list[Request] = []
    partners = [logins[name] for name in street.partners]
    for cycle, (name, shift_id, need_id) in enumerate(street.signups):
        volunteer = logins[name]
        sequence += [
            get(f"/projects/{need_id}", volunteer),
            get(f"/projects/{need_id}/take-part", volunteer),
            post(f"/shifts/{shift_id}/sign-up", volunteer),
            get("/signups", volunteer),
            get("/"),
        ]
        partner = partners[(cycle // 2) % len(partners)] if partners else None
        claims = street.claims.get(partner.username, []) if partner else []
        if cycle % 2 == 0 and partner and claims:
            claim_need, line_id, offer_id = claims[(cycle // 2) % len(claims)]
            sequence += [
                get(f"/projects/{claim_need}/take-part", partner),
                post(
                    f"/projects/{claim_need}/claim",
                    partner,
                    kind="line",
                    resource_line_id=line_id,
                    offer_id=offer_id,
                    quantity="1",
                ),
            ]
        # In the city, admins and staff of the sampled streets take turns; the street keeps its first.
        turn = cycle // 4 if street.is_city else 0
        if cycle % 4 == 1:
            sequence.append(get("/review", logins[street.admins[turn % len(street.admins)]]))
        staff = street.staff[turn % len(street.staff)] if street.staff else None
        if cycle % 4 == 3 and staff and street.staff_needs[staff]:
            need = street.staff_needs[staff][cycle % len(street.staff_needs[staff])]
            sequence.append(get(f"/needs/{need}/recommendations?kind=volunteers", logins[staff]))
    return sequence


def lua_string(text: str) -> str:
    escaped = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else f"\\{ord(ch)}" for ch in text)
    return f'"{escaped}"'


def write_requests(path: Path, requests: list[Request]) -> None:
    """The request list as a Lua file for ``sequence.lua`` (wrk's Lua has no JSON reader)."""
    lines = ["return {"]
    for method, target, cookie, body in requests:
        parts = [lua_string(method), lua_string(target), lua_string(cookie), lua_string(body) if body else "nil"]
        lines.append("  {" + ", ".join(parts) + "},")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def warm(base: str, requests: list[Request], timeout: float = 120) -> list[str]:
    """Send each distinct GET once (this also builds the recommendation indexes); returns the failures.
    A GET slower than ``timeout`` is said and timed, not a failure: the load shows what it costs."""
    problems = []
    seen: set[tuple[str, str]] = set()
    with httpx.Client(base_url=base, timeout=timeout, follow_redirects=False) as client:
        for method, path, cookie, _body in requests:
            if method != "GET" or (path, cookie) in seen:
                continue
            seen.add((path, cookie))
            began = time.perf_counter()
            try:
                answer = client.get(path, headers={"Cookie": cookie} if cookie else {})
            except httpx.TimeoutException:
                print(f"  warming up: GET {path} gave no answer within {timeout:.0f} s", flush=True)
                continue
            if time.perf_counter() - began > 10:
                print(f"  warming up: GET {path} took {time.perf_counter() - began:.0f} s", flush=True)
            if answer.status_code >= 400:
                problems.append(f"GET {path} -> {answer.status_code}")
            if len(seen) >= 2 * ROTATION:
                break
    return problems


# -- running wrk -------------------------------------------------------------------------------------


@dataclass
class Run:
    scenario: str
    workers: int
    connections: int
    duration_s: float
    requests_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    requests: int = 0
    kb_per_request: float = 0.0  # response size as received (headers included; compressed with --gzip)
    errors: int = 0  # statuses other than 2xx/3xx, and socket errors
    timeouts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    healthz: dict[str, Any] | None = None
    load_before: float = 0.0
    load_after: float = 0.0
    note: str = ""
    started_at: float = 0.0  # epoch seconds, to find the run's lines in the server's access log
    ended_at: float = 0.0
    server_routes: dict[str, dict[str, float]] = field(default_factory=dict)
    rounds: dict[str, Any] | None = None  # the city's mixed runs: the rounds started during the run


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed. It is the load generator this benchmark drives (not a project dependency):\n"
            "  Debian/Ubuntu: apt-get install -y wrk\n"
            "  macOS:         brew install wrk\n"
            "  elsewhere:     https://github.com/wg/wrk (make, then put wrk on PATH)"
        )
    return found


class HealthzPoller:
    """Asks ``/healthz`` once a second on a new connection, as a load balancer would, while a run goes on."""

    def __init__(self, base: str, timeout: float) -> None:
        self.base, self.timeout = base, timeout
        self.samples: list[tuple[int | None, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "HealthzPoller":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            status: int | None = None
            with contextlib.suppress(httpx.HTTPError):
                status = httpx.get(f"{self.base}/healthz", timeout=self.timeout).status_code
            elapsed = time.perf_counter() - began
            self.samples.append((status, round(elapsed * 1000, 1)))
            self._stop.wait(max(0.0, 1.0 - elapsed))

    def summary(self) -> dict[str, Any]:
        answered = [ms for status, ms in self.samples if status == 200]
        return {
            "polls": len(self.samples),
            "answered": len(answered),
            "median_ms": round(statistics.median(answered), 1) if answered else None,
            "max_ms": max((ms for _, ms in self.samples), default=None),
            "unanswered_or_not_200": [status for status, _ in self.samples if status != 200],
        }


def run_wrk(
    wrk: str, base: str, requests_file: Path, connections: int, duration: float, options: argparse.Namespace
) -> dict[str, Any]:
    threads = max(1, min(options.wrk_threads, connections))
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={options.timeout:g}s",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        base,
        "--",
        str(requests_file),
        str(threads),
        *(["gzip"] if options.gzip else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    for line in done.stdout.splitlines():
        if line.startswith("WEB_LOAD_JSON "):
            return json.loads(line.removeprefix("WEB_LOAD_JSON "))
    raise SystemExit(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure(
    wrk: str,
    server: Server,
    scenario: str,
    requests_file: Path,
    workers: int,
    connections: int,
    options: argparse.Namespace,
    during: Any = None,
) -> Run:
    """One wrk run; ``during`` (a context manager) runs beside it, e.g. the city's rounds being started."""
    duration = options.mixed_duration if scenario == "mixed" and options.mixed_duration else options.duration
    run = Run(scenario, workers, connections, duration, load_before=round(os.getloadavg()[0], 2))
    poller = HealthzPoller(server.base, options.timeout) if connections >= HEALTHZ_FROM_CONNECTIONS else None
    run.started_at = time.time()
    with poller or contextlib.nullcontext(), during or contextlib.nullcontext():
        raw = run_wrk(wrk, server.base, requests_file, connections, duration, options)
    run.ended_at = time.time()
    run.load_after = round(os.getloadavg()[0], 2)
    seconds = raw["duration_us"] / 1e6 or duration
    latency = raw["latency_us"]
    socket_errors = {key: raw["errors"][key] for key in ("connect", "read", "write")}
    run.requests = raw["requests"]
    run.kb_per_request = round(raw["bytes"] / max(raw["requests"], 1) / 1024, 1)
    run.requests_per_s = round(raw["requests"] / seconds, 1)
    run.p50_ms, run.p95_ms, run.p99_ms, run.max_ms = (round(latency[k] / 1000, 1) for k in ("p50", "p95", "p99", "max"))
    run.statuses = {str(status): count for status, count in sorted(raw["statuses"].items())}
    run.socket_errors = socket_errors
    run.errors = raw["errors"]["status"] + sum(socket_errors.values())
    run.timeouts = raw["errors"]["timeout"]
    run.healthz = poller.summary() if poller else None
    print(row_text(run), flush=True)
    return run


# -- the whole benchmark -----------------------------------------------------------------------------


def bench_workers(
    wrk: str,
    databases: Databases,
    street: Street,
    logins: dict[str, Login],
    workers: int,
    options: argparse.Namespace,
) -> tuple[list[Run], dict[str, Any]]:
    """Every page scenario on one server, then the mixed scenario on a fresh copy per connection count."""
    runs: list[Run] = []
    memory: dict[str, Any] = {}
    folder = databases.folder
    pages = [scenario for scenario in options.scenarios if scenario != "mixed"]
    jobs = jobs_settings(options) if street.is_city else None
    if pages:
        url = databases.copy(databases.base(), "wl_run")
        with serving(url, workers, folder, options.secret_key, options.access_log, jobs) as server:
            for scenario in pages:
                runs += bench_scenario(wrk, server, scenario, page_requests(scenario, street, logins), workers, options)
            memory["after_pages"] = memory_mb(server.process.pid)
        attach_server_routes(server.log, runs)
    if "mixed" in options.scenarios:
        requests = mixed_requests(street, logins)
        for connections in options.connections:
            url = databases.copy(databases.base(), "wl_run")  # every mixed run signs up from the same state
            with serving(url, workers, folder, options.secret_key, options.access_log, jobs) as server:
                starts = round_starts(server, street, logins, options) if jobs else None
                found = bench_scenario(
                    wrk, server, "mixed", requests, workers, options, only=[connections], during=starts
                )
                memory[f"after_mixed_{connections}"] = memory_mb(server.process.pid)
                if starts is not None and server.job_worker is not None:
                    memory[f"job_worker_after_mixed_{connections}"] = memory_mb(server.job_worker.pid)
                    found[0].rounds = rounds_of_run(url, starts, found[0], options)
            attach_server_routes(server.log, found)
            runs += found
    return runs, memory


def jobs_settings(options: argparse.Namespace) -> dict[str, str]:
    """The city's servers queue jobs on Redis for one ``marketplace worker``: a queue of this run's own."""
    queue = f"web-load-{secrets.token_hex(4)}"
    return city_load.jobs_env(options.redis_url, queue) | {"concurrency": str(options.job_concurrency)}


def round_starts(
    server: Server, street: Street, logins: dict[str, Login], options: argparse.Namespace
) -> city_load.RoundStarts:
    """Every street's admin starting their street's round from the rounds page, in turn, during the run."""
    admins = [
        (code, admin, logins[admin].cookie, logins[admin].csrf) for code, admin in street.round_admins[: options.rounds]
    ]
    return city_load.RoundStarts(server.base, admins, options.round_gap)


def rounds_of_run(url: str, starts: city_load.RoundStarts, run: Run, options: argparse.Namespace) -> dict[str, Any]:
    """After the run: wait (up to ``--rounds-wait``) for the rounds still queued, then read every round."""
    waited = city_load.wait_for_rounds(url, len(starts.posted), options.rounds_wait)
    rounds = city_load.read_rounds(url, (run.started_at, run.ended_at))
    summary = city_load.rounds_summary(rounds, starts.posted) | {"waited_after_load_s": waited}
    print(city_load.rounds_text(f"mixed, {run.workers} worker(s), {run.connections} conns", summary, rounds))
    return {"summary": summary, "per_street": rounds, "posts": starts.posted}


def bench_scenario(
    wrk: str,
    server: Server,
    scenario: str,
    requests: list[Request],
    workers: int,
    options: argparse.Namespace,
    only: list[int] | None = None,
    during: Any = None,
) -> list[Run]:
    requests_file = server.log.with_name(f"requests-{scenario}.lua")
    write_requests(requests_file, requests)
    problems = warm(server.base, requests, options.warm_timeout)
    if problems:
        print(f"  {scenario}: skipped, pages did not answer when warming up: {'; '.join(problems[:3])}", flush=True)
        return [
            Run(scenario, workers, c, 0, note="skipped: " + "; ".join(problems[:3]))
            for c in only or options.connections
        ]
    if options.warmup > 0 and scenario != "mixed":  # a mixed warm-up would use up the planned sign-ups
        run_wrk(wrk, server.base, requests_file, min(options.connections), options.warmup, options)
    runs = []
    for connections in only or options.connections:
        runs.append(measure(wrk, server, scenario, requests_file, workers, connections, options, during))
        time.sleep(options.pause)
    return runs


ROW_ID = re.compile(r"/\d+")
ACCESS_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*marketplace\.access req=\S+ (\w+) (\S+) (\d{3}) ([\d.]+) ms"
)


def attach_server_routes(log: Path, runs: list[Run]) -> None:
    """With ``--access-log``: the server's own time per route during each run (which requests are slow)."""
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        found = ACCESS_LINE.match(line)
        if found:
            stamp, millis, method, path, _status, elapsed = found.groups()
            moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp() + int(millis) / 1000
            lines.append((moment, f"{method} {ROW_ID.sub('/{id}', path)}", float(elapsed)))
    for run in runs:
        by_route: dict[str, list[float]] = {}
        for moment, route, elapsed in lines:
            if run.started_at <= moment <= run.ended_at:
                by_route.setdefault(route, []).append(elapsed)
        run.server_routes = {route: _spread(times) for route, times in sorted(by_route.items())}
        if run.server_routes:
            print(routes_text(run), flush=True)


def _spread(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "count": len(times),
        "p50_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
    }


def routes_text(run: Run) -> str:
    lines = [f"  server time per route (ms), {run.scenario}, {run.workers} worker(s), {run.connections} conns:"]
    for route, t in run.server_routes.items():
        figures = f"p50 {t['p50_ms']:>7.1f}  p95 {t['p95_ms']:>7.1f}  max {t['max_ms']:>7.1f}"
        lines.append(f"    {route:<44} {t['count']:>6.0f}  {figures}")
    return "\n".join(lines)


HEADER = (
    f"{'scenario':<16} {'workers':>7} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6} {'t/outs':>6} {'healthz':>14} {'load':>5}  statuses"
)


def row_text(run: Run) -> str:
    if run.note:
        return f"{run.scenario:<16} {run.workers:>7} {run.connections:>5}  {run.note}"
    healthz = "-"
    if run.healthz:
        worst = run.healthz["max_ms"]
        healthz = f"{run.healthz['answered']}/{run.healthz['polls']} ≤{worst:.0f}ms" if worst is not None else "0/0"
    statuses = " ".join(f"{code}:{count}" for code, count in run.statuses.items())
    return (
        f"{run.scenario:<16} {run.workers:>7} {run.connections:>5} {run.requests_per_s:>8.1f} {run.p50_ms:>8.1f} "
        f"{run.p95_ms:>8.1f} {run.p99_ms:>8.1f} {run.errors:>6} {run.timeouts:>6} {healthz:>14} "
        f"{run.load_before:>5.1f}  {statuses}"
    )


def check_targets(runs: list[Run], backend: str, scale: str) -> list[str]:
    """Issue 10's targets, each with PASS or FAIL and the figure it was judged on."""
    found = {(r.scenario, r.workers, r.connections): r for r in runs if not r.note}
    lines: list[str] = []

    def judge(ok: bool, text: str) -> None:
        lines.append(f"{'PASS' if ok else 'FAIL'}  {text}")

    if backend == "sqlite":
        for scenario, rate, p50, p99 in (
            ("board", 750, 15, None),
            ("project", 750, 15, None),
            ("take-part", 300, None, 100),
            ("signups", 300, None, 100),
        ):
            run = found.get((scenario, 1, 10))
            if run is None:
                continue
            ok = (
                run.requests_per_s >= rate and (p50 is None or run.p50_ms <= p50) and (p99 is None or run.p99_ms <= p99)
            )
            limit = f"p50 ≤ {p50} ms" if p50 else f"p99 ≤ {p99} ms"
            judge(
                ok,
                f"{scenario}, 1 worker, 10 conns: ≥ {rate} req/s and {limit} "
                f"(got {run.requests_per_s:.0f} req/s, p50 {run.p50_ms} ms, p99 {run.p99_ms} ms)",
            )
    for (scenario, workers, connections), run in sorted(found.items()):
        if connections < HEALTHZ_FROM_CONNECTIONS:
            continue
        calm = found.get((scenario, workers, min(c for s, w, c in found if s == scenario and w == workers)))
        if calm is not None and calm is not run and scenario != "mixed":
            judge(
                run.requests_per_s >= 0.9 * calm.requests_per_s,
                f"{scenario}, {workers} worker(s): {connections} conns within 10% of {calm.connections} "
                f"({run.requests_per_s:.0f} vs {calm.requests_per_s:.0f} req/s)",
            )
        health = run.healthz or {}
        judge(
            run.errors == 0 and run.timeouts == 0 and health.get("answered") == health.get("polls"),
            f"{scenario}, {workers} worker(s), {connections} conns: 0 errors, 0 timeouts, /healthz answers "
            f"(got {run.errors} errors, {run.timeouts} timeouts, "
            f"healthz {health.get('answered')}/{health.get('polls')})",
        )
    for scenario in ("take-part", "signups"):
        one, two = found.get((scenario, 1, 10)), found.get((scenario, 2, 10))
        if one and two:
            judge(
                two.requests_per_s >= 1.7 * one.requests_per_s,
                f"{scenario}, 10 conns: 2 workers ≥ 1.7× one "
                f"({two.requests_per_s / max(one.requests_per_s, 0.1):.2f}×)",
            )
    mixed = found.get(("mixed", 2, 50))
    if backend == "postgresql" and scale == "city" and mixed:
        judge(
            mixed.p95_ms <= 100 and mixed.errors == 0,
            f"mixed, PostgreSQL city, 2 workers, 50 conns: p95 ≤ 100 ms, 0 errors "
            f"(got p95 {mixed.p95_ms} ms, {mixed.errors} errors)",
        )
    return lines


def report_text(result: dict[str, Any], runs: list[Run], targets: list[str]) -> str:
    machine = result["machine"]
    lines = [
        f"web_load: {result['scale']} on {result['backend']}, measured {result['measured_at']} "
        f"on commit {result['app_commit']}",
        f"machine: {machine['cpus']} CPUs, Python {machine['python']}, {machine['wrk']}; "
        f"load average at start {machine['load_at_start']}, at end {machine['load_at_end']}",
        "street: " + ", ".join(f"{count:,} {name}" for name, count in result["street"]["counts"].items()),
        f"{result['duration_s']:g} s per run, wrk timeout {result['timeout_s']:g} s; errors = statuses other "
        "than 2xx/3xx + socket errors; healthz = answered/polls and slowest (runs at 50+ connections); "
        "load = 1-minute load average when the run started",
        "",
        HEADER,
        *[row_text(run) for run in runs],
        *[routes_text(run) for run in runs if run.server_routes],
        *[
            city_load.rounds_text(
                f"mixed, {run.workers} worker(s), {run.connections} conns",
                run.rounds["summary"],
                run.rounds["per_street"],
            )
            for run in runs
            if run.rounds
        ],
        "",
        "server memory, MB: RSS / PSS of the parent and its workers together (forked workers share pages)",
        *[
            f"  {workers} worker(s): "
            + "; ".join(
                f"{stage.replace('_', ' ')} {m['rss_mb']:.0f} / {m['pss_mb']:.0f}" for stage, m in stages.items()
            )
            for workers, stages in result["memory"].items()
        ],
        "",
        "targets (issue 10):",
        *[f"  {line}" for line in targets],
    ]
    return "\n".join(lines) + "\n"


def app_commit() -> str:
    """The commit measured, marked when the working tree had changes (other work in progress)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "--", "marketplace", "templates")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes to the app" if changed else "")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="street")
    parser.add_argument(
        "--database-url", help="PostgreSQL (or SQLite) URL of the street; default: a temporary SQLite file"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per run")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="3-second runs, fewer logins: a smoke test")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before wrk counts a request as timed out")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each page's runs")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    parser.add_argument("--logins", type=int, default=50, help="volunteers logged in (the mixed scenario's crowd)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1 leaves the cores to the server)")
    parser.add_argument("--gzip", action="store_true", help="ask for gzip, as browsers do (default: plain answers)")
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="turn on the server's access log and report its time per route in each run (costs some throughput)",
    )
    parser.add_argument(
        "--mixed-duration", type=float, help="seconds per mixed run (default: --duration; the city's rounds need more)"
    )
    parser.add_argument("--warm-timeout", type=float, default=120, help="seconds a warm-up GET may take")
    city = parser.add_argument_group("the city (--scale city): rounds as jobs during the mixed scenario")
    city.add_argument("--streets-logged-in", type=int, default=10, help="streets whose users the scenarios use")
    city.add_argument("--rounds", type=int, default=CITY["streets"], help="streets whose admin starts a round")
    city.add_argument("--round-gap", type=float, default=0.5, help="seconds between two streets' round starts")
    city.add_argument("--rounds-wait", type=float, default=900, help="seconds to wait after the load for rounds")
    city.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis of the job queue")
    city.add_argument("--job-concurrency", type=int, default=1, help="jobs the one worker runs at a time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, server logs)")
    parser.add_argument("--no-write", action="store_true", help="print only; write nothing to benchmarks/results")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.warmup, options.pause = min(options.duration, 3.0), 1.0, 0.5
        options.logins = min(options.logins, 10)
    options.secret_key = secrets.token_urlsafe(32)
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse_options(argv)
    wrk = require_wrk()
    folder = Path(tempfile.mkdtemp(prefix="web-load-"))
    databases = Databases(options.database_url or f"sqlite:///{folder / 'street.sqlite3'}", folder)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    print(f"working in {folder}; load average {load_at_start}", flush=True)
    try:
        seeding = prepare_source(databases.source, options.scale)
        base = databases.copy(databases.source, "wl_base")
        with serving(base, 1, folder, options.secret_key) as server:
            city = options.scale == "city"
            street = read_street(base, options.logins, options.streets_logged_in if city else 0, options.rounds)
            logins = log_everyone_in(server.base, street)
        print(
            f"{len(street.projects)} projects, {len(street.signups)} planned sign-ups, "
            f"{len(street.lines)} open lines for claims",
            flush=True,
        )
        print(HEADER, flush=True)
        runs: list[Run] = []
        memory: dict[str, Any] = {}
        for workers in options.workers:
            found, memory[str(workers)] = bench_workers(wrk, databases, street, logins, workers, options)
            runs += found
    finally:
        databases.cleanup()
        if options.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    backend = "postgresql" if databases.is_postgres else "sqlite"
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": options.scale,
        "backend": backend,
        "duration_s": options.duration,
        "timeout_s": options.timeout,
        "gzip": options.gzip,
        "quick": options.quick,
        "app_commit": app_commit(),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "wrk": subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split(" Copyright")[0],
            "load_at_start": load_at_start,
            "load_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "street": seeding,
        "memory": memory,
        "runs": [asdict(run) for run in runs],
    }
    targets = check_targets(runs, backend, options.scale)
    result["targets"] = targets
    text = report_text(result, runs, targets)
    print("\n" + text)
    if not options.no_write:
        # One file per scale, so the city on PostgreSQL does not replace the street's figures.
        stem = "web_load" + ("" if options.scale == "street" else f".{options.scale}")
        stem += ".quick" if options.quick else ""
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / f"{stem}.txt").write_text(text)
        print(f"written to benchmarks/results/{stem}.json and {stem}.txt")


if __name__ == "__main__":
    main()
