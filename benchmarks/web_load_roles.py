"""Every role logged in at once, on its real pages, through ``marketplace serve``: the outside load check.

    .venv/bin/python benchmarks/web_load_roles.py                                   # SQLite, 50 and 100 connections
    .venv/bin/python benchmarks/web_load_roles.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_roles   # PostgreSQL (created if missing)

Needs wrk (``apt-get install -y wrk``), as ``web_load.py`` does, whose server, log-in, copy and wrk helpers
this script uses.

1. Seeds a city of two streets (``marketplace seed city --streets 2 --volunteers 10000 --needs 4000
   --offers 1600``: Hudao Street with its story, and Badaguan Street with 9,700 volunteers, 3,800 needs and
   1,545 offers) unless the database already holds one, and marks ``--unsure`` of Badaguan's submitted
   reports as filed by residents not sure of their grid (``grid_to_confirm``), so the grid-confirm form shows.
2. On a copy, serves it (``--workers``, default 2), logs in through the login form the city admin, every
   street admin, community staff, partners (organization managers with offers) and the busiest volunteers,
   and queues one background .xlsx export per admin (its job page is then part of the load).
3. For each connection count, on a fresh copy of that state, ``wrk`` replays one list of requests in which
   every role asks for its pages and writes: volunteers open projects, sign up for shifts and look at their
   shifts and ``/recommended``; partners open ``/organization`` (served streets), ``/recommended``, claim a
   unit of a line; admins (street and city) review and approve proposals, open ``/admin/items``, ``/needs``,
   a need with its grid-confirm form and set its grid, their export job's page, and download the needs,
   volunteers, offers and organizations as CSV and .xlsx; staff open ``/needs``, needs and their
   recommendations. Meanwhile ``/healthz`` is asked once a second, one more client walks every page one
   after the other (the time a user sees per page, under that load), and the server's memory is read every
   second. The server's access log gives its own time and statuses per route.

Writes ``benchmarks/results/web_load.roles.<sqlite|postgres>.json`` and ``.txt``.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_load as wl

from marketplace.db.engine import create_db_engine
from marketplace.settings import DatabaseSettings

RESULTS = wl.RESULTS
SEED = ["--streets", "2", "--volunteers", "10000", "--needs", "4000", "--offers", "1600", "--today", "2026-12-06"]
ACCESS = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*marketplace\.access req=\S+ (\w+) (\S+) (\d{3}) ([\d.]+) ms"
)
QUERY = re.compile(r"\?.*$")


# -- the data -----------------------------------------------------------------------------------------


def seed(url: str, folder: Path) -> None:
    if url.startswith("postgresql"):
        wl.ensure_pg_database(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:
        wl.upgrade(url)
        if not wl.database_is_empty(engine):
            print("the database already holds data: using it as it is", flush=True)
            return
    finally:
        engine.dispose()
    env = os.environ | {"MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(folder)}
    began = time.perf_counter()
    subprocess.run([*wl.marketplace_command(), "seed", "city", *SEED], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"seeded the city in {time.perf_counter() - began:.0f} s", flush=True)


def mark_unsure(url: str, count: int) -> None:
    """Some of the larger street's submitted reports, as filed by residents not sure of their grid."""
    engine = create_db_engine(DatabaseSettings(url=url))
    with engine.begin() as connection:
        street = connection.exec_driver_sql("SELECT max(id) FROM street").scalar_one()
        connection.exec_driver_sql(
            "UPDATE need SET grid_to_confirm = 'street' WHERE id IN (SELECT need.id FROM need "
            "JOIN grid ON grid.id = need.grid_id JOIN community ON community.id = grid.community_id "
            f"WHERE community.street_id = {int(street)} AND need.status IN ('submitted', 'under_review') "
            f"ORDER BY need.id LIMIT {int(count)})"
        )
    engine.dispose()


def extra_ids(url: str) -> dict[str, Any]:
    """What the admins' part needs: needs to confirm a grid of, grids to choose, proposals to approve, per street."""
    engine = create_db_engine(DatabaseSettings(url=url))
    found: dict[str, Any] = {"unsure": {}, "grids": {}, "proposed": {}, "admin_street": {}}
    with engine.connect() as connection:
        for street_id, need_id in connection.exec_driver_sql(
            "SELECT community.street_id, need.id FROM need JOIN grid ON grid.id = need.grid_id "
            "JOIN community ON community.id = grid.community_id WHERE need.grid_to_confirm IS NOT NULL ORDER BY need.id"
        ):
            found["unsure"].setdefault(street_id, []).append(need_id)
        for street_id, grid_id in connection.exec_driver_sql(
            "SELECT community.street_id, grid.id FROM grid JOIN community ON community.id = grid.community_id "
            "ORDER BY grid.id"
        ):
            found["grids"].setdefault(street_id, []).append(grid_id)
        for street_id, match_id in connection.exec_driver_sql(
            "SELECT community.street_id, match.id FROM match JOIN need ON need.id = match.need_id "
            "JOIN grid ON grid.id = need.grid_id JOIN community ON community.id = grid.community_id "
            # Those an admin decides now: a sign-up waiting for approval, a partner's claim of a whole project
            # (a round's proposal first waits for its candidate's answer: approving it is refused, 409).
            "WHERE match.status = 'proposed' AND match.source IN ('volunteer_signup', 'partner_claim') "
            "ORDER BY match.id"
        ):
            found["proposed"].setdefault(street_id, []).append(match_id)
        for username, street_id in connection.exec_driver_sql(
            "SELECT username, street_id FROM user_account WHERE role = 'admin' AND is_active"
        ):
            found["admin_street"][username] = street_id
    engine.dispose()
    return found


def queue_export_jobs(base: str, logins: dict[str, wl.Login], admins: list[str]) -> dict[str, int]:
    """One background .xlsx export of the needs per admin: its page (/admin/jobs/{id}) joins the load."""
    jobs: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as client:
        for name in admins:
            answer = client.get("/needs/export.xlsx?background=1", headers={"Cookie": logins[name].cookie})
            where = answer.headers.get("location", "")
            if answer.status_code == 303 and where.startswith("/admin/jobs/"):
                jobs[name] = int(where.rsplit("/", 1)[1])
            else:
                print(f"  no export job for {name}: {answer.status_code} {where}", flush=True)
    return jobs


# -- the requests -------------------------------------------------------------------------------------


def role_requests(street: wl.Street, logins: dict[str, wl.Login], ids: dict[str, Any], jobs: dict[str, int]):
    """One list in which every role takes its turn; about a fifth of the requests write."""
    sequence: list[wl.Request] = []
    get, post = wl.get, wl.post
    admins = street.admins
    staff = [name for name in street.staff if street.staff_needs.get(name)]
    partners = [name for name in street.partners if street.claims.get(name)]
    taken: dict[int, int] = {}
    for cycle, (name, shift_id, need_id) in enumerate(street.signups):
        volunteer = logins[name]
        sequence += [
            get(f"/projects/{need_id}/take-part", volunteer),
            post(f"/shifts/{shift_id}/sign-up", volunteer),
            get("/signups", volunteer),
            get("/recommended", volunteer) if cycle % 2 else get(f"/projects/{need_id}", volunteer),
        ]
        if partners and cycle % 2 == 0:
            partner = partners[(cycle // 2) % len(partners)]
            claims = street.claims[partner]
            claim_need, line_id, offer_id = claims[(cycle // (2 * len(partners))) % len(claims)]
            sequence += [
                get("/organization", logins[partner]) if cycle % 4 == 0 else get("/recommended", logins[partner]),
                post(
                    f"/projects/{claim_need}/claim",
                    logins[partner],
                    kind="line",
                    resource_line_id=line_id,
                    offer_id=offer_id,
                    quantity="1",
                ),
            ]
        # Admins take turns; each walks its six steps in order (no step tied to one admin).
        admin_name = admins[cycle % len(admins)]
        admin = logins[admin_name]
        street_id = ids["admin_street"].get(admin_name)
        streets = [street_id] if street_id else sorted(ids["proposed"])
        step = (cycle // len(admins)) % 6
        home = streets[(cycle // (6 * len(admins))) % len(streets)]
        if step == 0:
            sequence.append(get("/review", admin))
            proposed = ids["proposed"].get(home, [])
            if proposed:
                turn = taken.get(home, 0)
                taken[home] = turn + 1
                sequence.append(post(f"/review/{proposed[turn % len(proposed)]}/approve", admin))
        elif step == 1:
            sequence.append(get("/admin/items", admin))
        elif step == 2:
            unsure = ids["unsure"].get(home, [])
            if unsure:
                need = unsure[cycle % len(unsure)]
                grids = ids["grids"][home]
                sequence += [
                    get(f"/needs/{need}", admin),
                    post(f"/needs/{need}/grid", admin, grid_id=str(grids[cycle % len(grids)])),
                ]
        elif step == 3:
            sequence.append(get("/needs", admin))
            if admin_name in jobs:
                sequence.append(get(f"/admin/jobs/{jobs[admin_name]}", admin))
        elif step == 4:
            exports = [
                "/needs/export.csv",
                "/needs/export.xlsx",
                "/volunteers/export?format=csv",
                "/offers/export?format=xlsx",
                "/directory/organizations/export?format=csv",
                "/volunteers/export?format=xlsx",
            ]
            sequence.append(get(exports[(cycle // (6 * len(admins))) % len(exports)], admin))
        elif admin_name == "city" or street_id is None:
            sequence.append(get("/admin/city", admin))
        else:
            sequence.append(get("/review?sort=oldest", admin))
        if staff and cycle % 3 == 1:
            member = staff[cycle % len(staff)]
            needs = street.staff_needs[member]
            need = needs[cycle % len(needs)]
            kind = "volunteers" if cycle % 2 else "offers"
            sequence += [
                get("/needs", logins[member]),
                get(f"/needs/{need}/recommendations?kind={kind}", logins[member]),
            ]
        if cycle % 5 == 0:
            sequence.append(get("/"))
    return sequence


def probe_pages(sequence: list[wl.Request]) -> list[tuple[str, wl.Request]]:
    """One GET of every page label, for the walking client: label -> a request."""
    chosen: dict[str, wl.Request] = {}
    for request in sequence:
        if request[0] == "GET" and "export" not in request[1]:  # exports: the server's log times them
            chosen.setdefault(label(request[1]), request)
    return sorted(chosen.items())


def label(path: str) -> str:
    if "export" in path:
        return wl.ROW_ID.sub("/{id}", path)
    return wl.ROW_ID.sub("/{id}", QUERY.sub("", path))


# -- during a run: the walker and the memory ----------------------------------------------------------


class Walker:
    """One more user walking every page in turn during the run, on their own connection each time."""

    def __init__(self, base: str, pages: list[tuple[str, wl.Request]], timeout: float) -> None:
        self.base, self.pages, self.timeout = base, pages, timeout
        self.times: dict[str, list[float]] = {}
        self.failures: dict[str, list[str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._walk, daemon=True)

    def __enter__(self) -> "Walker":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _walk(self) -> None:
        while not self._stop.is_set():
            for name, (_method, path, cookie, _body) in self.pages:
                if self._stop.is_set():
                    return
                began = time.perf_counter()
                try:
                    answer = httpx.get(
                        self.base + path, headers={"Cookie": cookie} if cookie else {}, timeout=self.timeout
                    )
                    status = str(answer.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - began) * 1000
                if status.startswith("2") or status.startswith("3"):
                    self.times.setdefault(name, []).append(elapsed)
                else:
                    self.failures.setdefault(name, []).append(status)

    def summary(self) -> dict[str, Any]:
        out = {}
        for name, _request in self.pages:
            times = sorted(self.times.get(name, []))
            out[name] = {
                "answered": len(times),
                "median_ms": round(statistics.median(times), 1) if times else None,
                "max_ms": round(times[-1], 1) if times else None,
                "failures": self.failures.get(name, []),
            }
        return out


class MemoryWatch:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak: dict[str, float] = {"rss_mb": 0.0, "pss_mb": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "MemoryWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            now = wl.memory_mb(self.pid)
            for key in self.peak:
                self.peak[key] = max(self.peak[key], now.get(key, 0.0))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the server and its workers so far (the machine's other jobs do not count)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in [pid, *wl._children(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def server_routes(log: Path, began: float, ended: float) -> dict[str, Any]:
    by_route: dict[str, list[float]] = {}
    statuses: dict[str, dict[str, int]] = {}
    for line in log.read_text(errors="replace").splitlines():
        found = ACCESS.match(line)
        if not found:
            continue
        stamp, millis, method, path, status, elapsed = found.groups()
        moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp() + int(millis) / 1000
        if began <= moment <= ended:
            route = f"{method} {label(path)}"
            by_route.setdefault(route, []).append(float(elapsed))
            counts = statuses.setdefault(route, {})
            counts[status] = counts.get(status, 0) + 1
    return {route: wl._spread(times) | {"statuses": statuses[route]} for route, times in sorted(by_route.items())}


# -- the whole run ------------------------------------------------------------------------------------


def one_run(
    wrk: str, databases: wl.Databases, street, logins, ids, jobs, connections: int, options: argparse.Namespace
) -> dict[str, Any]:
    sequence = role_requests(street, logins, ids, jobs)
    url = databases.copy(databases.base(), "wl_run")
    with wl.serving(url, options.workers, databases.folder, options.secret_key, access_log=True) as server:
        requests_file = server.log.with_name(f"requests-roles-{connections}.lua")
        wl.write_requests(requests_file, sequence)
        problems = wl.warm(server.base, [r for r in sequence if "export" not in r[1]], options.timeout * 6)
        if problems:
            print("  warming up, pages that failed: " + "; ".join(sorted(set(problems))[:12]), flush=True)
        idle = wl.memory_mb(server.process.pid)
        load_before = os.getloadavg()
        began = time.time()
        cpu_before = cpu_seconds(server.process.pid)
        with (
            wl.HealthzPoller(server.base, options.timeout) as poller,
            Walker(server.base, probe_pages(sequence), options.timeout * 3) as walker,
            MemoryWatch(server.process.pid) as memory,
        ):
            raw = wl.run_wrk(wrk, server.base, requests_file, connections, options.duration, options)
        ended = time.time()
        cpu = cpu_seconds(server.process.pid) - cpu_before
        load_after = os.getloadavg()
        after = wl.memory_mb(server.process.pid)
        time.sleep(1)
        routes = server_routes(server.log, began - 1, ended + options.timeout)
        errors_in_log = [line for line in server.log.read_text(errors="replace").splitlines() if "Traceback" in line]
    latency = raw["latency_us"]
    seconds = raw["duration_us"] / 1e6 or options.duration
    result = {
        "connections": connections,
        "workers": options.workers,
        "duration_s": options.duration,
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 1),
        "p95_ms": round(latency["p95"] / 1000, 1),
        "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "statuses": {str(k): v for k, v in sorted(raw["statuses"].items())},
        "socket_errors": {k: raw["errors"][k] for k in ("connect", "read", "write")},
        "timeouts": raw["errors"]["timeout"],
        "server_cpu_s": round(cpu, 1),
        "server_cpu_ms_per_request": round(1000 * cpu / max(1, sum(t["count"] for t in routes.values())), 1),
        "healthz": poller.summary(),
        "walker": walker.summary(),
        "server_routes": routes,
        "memory": {"idle": idle, "peak": memory.peak, "after": after},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "tracebacks_in_server_log": len(errors_in_log),
        "warm_problems": problems,
        "requests_planned": len(sequence),
        "posts_planned": sum(1 for r in sequence if r[0] == "POST"),
    }
    print(text_of(result), flush=True)
    return result


def text_of(result: dict[str, Any]) -> str:
    h = result["healthz"]
    lines = [
        f"== {result['connections']} connections, {result['workers']} workers, {result['duration_s']} s: "
        f"{result['requests']} requests, {result['requests_per_s']} req/s, "
        f"p50/p95/p99/max {result['p50_ms']}/{result['p95_ms']}/{result['p99_ms']}/{result['max_ms']} ms, "
        f"timeouts {result['timeouts']}, socket errors {result['socket_errors']}",
        f"   statuses {result['statuses']}; /healthz {h['answered']}/{h['polls']} answered, "
        f"median {h['median_ms']} ms, max {h['max_ms']} ms; tracebacks in the server log: "
        f"{result['tracebacks_in_server_log']}",
        f"   server CPU {result['server_cpu_s']} s, {result['server_cpu_ms_per_request']} ms per request answered\n"
        f"   memory (MB, server and workers): idle rss {result['memory']['idle']['rss_mb']} "
        f"pss {result['memory']['idle']['pss_mb']}; peak rss {result['memory']['peak']['rss_mb']} "
        f"pss {result['memory']['peak']['pss_mb']}; load average before {result['load_average_before']} "
        f"after {result['load_average_after']}",
        f"   {'route (server time, access log)':<52} {'count':>6} {'p50':>8} {'p95':>8} {'max':>8}  statuses",
    ]
    for route, t in result["server_routes"].items():
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(t["statuses"].items()))
        lines.append(
            f"   {route:<52} {t['count']:>6} {t['p50_ms']:>8.1f} {t['p95_ms']:>8.1f} {t['max_ms']:>8.1f}  {statuses}"
        )
    lines.append(f"   {'page (one more user walking every page)':<52} {'n':>6} {'median':>8} {'max':>8}  failures")
    for page, w in result["walker"].items():
        median = f"{w['median_ms']:>8.1f}" if w["median_ms"] is not None else f"{'-':>8}"
        worst = f"{w['max_ms']:>8.1f}" if w["max_ms"] is not None else f"{'-':>8}"
        lines.append(f"   {page:<52} {w['answered']:>6} {median} {worst}  {' '.join(w['failures'][:5])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL database to seed (default: a SQLite file)")
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--timeout", type=float, default=10, help="wrk's and the probes' timeout, seconds")
    parser.add_argument("--logins", type=int, default=40, help="volunteers logged in (partners: a fifth)")
    parser.add_argument("--unsure", type=int, default=150, help="reports whose grid is to confirm")
    parser.add_argument("--folder", default="", help="keep the SQLite files and server logs here")
    parser.add_argument("--output", default="", help="results name (default web_load.roles.<database>)")
    options = parser.parse_args(argv)
    options.secret_key = secrets.token_urlsafe(32)
    options.wrk_threads, options.gzip = 2, False
    wrk = wl.require_wrk()
    folder = Path(options.folder or tempfile.mkdtemp(prefix="web-load-roles-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = options.database_url or f"sqlite:///{folder / 'city.sqlite3'}"
    backend = "postgres" if source.startswith("postgresql") else "sqlite"
    databases = wl.Databases(source, folder)
    seed(source, folder)
    mark_unsure(source, options.unsure)
    base = databases.copy(source, "wl_base")
    street = wl.read_street(base, options.logins, streets=2)
    ids = extra_ids(base)
    with wl.serving(base, 1, folder, options.secret_key) as server:
        logins = wl.log_everyone_in(server.base, street)
        for name in ids["admin_street"]:
            if name not in logins and (name == "city" or name.endswith("-admin") or name == "admin"):
                logins[name] = wl.log_in(server.base, name)
        street.admins = sorted({*street.admins, *(n for n in logins if n in ids["admin_street"])})
        jobs = queue_export_jobs(server.base, logins, street.admins)
        time.sleep(5)  # let the jobs write their files before the copy
    roles = {
        "admins": street.admins,
        "staff": street.staff,
        "partners": street.partners,
        "volunteers": len(street.volunteers),
        "jobs": jobs,
    }
    print(f"logged in: {json.dumps(roles)}", flush=True)
    runs = []
    try:
        for connections in options.connections:
            while Path("/tmp/quiet").exists():
                time.sleep(30)
            runs.append(one_run(wrk, databases, street, logins, ids, jobs, connections, options))
    finally:
        databases.cleanup()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": backend,
        "commit": wl.app_commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seed": "marketplace seed city " + " ".join(SEED) + f", {options.unsure} reports with a grid to confirm",
        "roles": roles,
        "runs": runs,
    }
    name = options.output or f"web_load.roles.{backend}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.txt").write_text(
        f"{result['when']} {backend} commit {result['commit']}\n{result['seed']}\nroles: {json.dumps(roles)}\n\n"
        + "\n\n".join(text_of(run) for run in runs)
        + "\n"
    )
    print(f"written: {RESULTS / name}.json and .txt", flush=True)


if __name__ == "__main__":
    main()
