"""Logged-in users of every role reading their pages, at 50 and 200 connections: the outside checkers' comparison
"beside a peer app" (throughput and tail latency of logged-in users), with two versions of the code side by side.

    .venv/bin/python benchmarks/web_load_reads.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_roles \\
        --baseline /tmp/base --rounds 3 --label before_after

Needs wrk, as ``web_load.py`` does, whose server, log-in, copy and wrk helpers this script uses, and the city of
``web_load_roles.py`` (``marketplace seed city --streets 2 --volunteers 10000 --needs 4000 --offers 1600``, seeded
when the database is empty).

Only GETs (nothing the load does changes the data), so one copy of the city serves every run: volunteers open their
home, ``/recommended``, their shifts and notifications and the API's ``/api/v1/me/home`` and ``/api/v1/signups``;
partners ``/recommended`` and ``/organization``; street and city admins ``/review``, ``/needs``, notifications and
``/api/v1/review`` and ``/api/v1/needs``; community staff ``/needs``, a need's page and its recommendations,
``/api/v1/needs`` and ``/api/v1/projects``; anonymous visitors the board.

With ``--baseline DIR`` (a checkout of another commit, e.g. ``git worktree add /tmp/base HEAD~1``) a second server
runs that code (``PYTHONPATH=DIR``) on the same copy; the runs alternate between the two (A B, then B A, ...) for
``--rounds`` rounds, since on a shared machine the load of other jobs drifts; the table gives each figure's median
over the rounds, and every run is kept in the JSON with the load average at its start. ``/healthz`` is asked once a
second during every run; the server's access log gives its own time per route.

Writes ``benchmarks/results/web_load.reads.<sqlite|postgres>[.label].json`` and ``.txt``.
"""

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_load as wl
import web_load_roles as roles

RESULTS = wl.RESULTS


def read_requests(street: wl.Street, logins: dict[str, wl.Login]) -> list[wl.Request]:
    """One list in which every role reads its pages in turn."""
    get = wl.get
    sequence: list[wl.Request] = []
    admins, partners = street.admins, street.partners
    staff = [name for name in street.staff if street.staff_needs.get(name)]
    for cycle, name in enumerate(street.volunteers * 4):
        volunteer = logins[name]
        sequence += [
            get("/home", volunteer),
            get("/recommended", volunteer),
            get("/signups", volunteer),
            get("/notifications", volunteer) if cycle % 2 else get("/api/v1/me/home", volunteer),
            get("/api/v1/signups", volunteer),
        ]
        if partners and cycle % 2 == 0:
            partner = logins[partners[(cycle // 2) % len(partners)]]
            sequence.append(get("/recommended", partner) if cycle % 4 == 0 else get("/organization", partner))
        admin = logins[admins[cycle % len(admins)]]
        sequence.append(
            [
                get("/review", admin),
                get("/needs", admin),
                get("/api/v1/review", admin),
                get("/notifications", admin),
                get("/api/v1/needs", admin),
            ][(cycle // len(admins)) % 5]
        )
        if staff and cycle % 2 == 1:
            member = staff[cycle % len(staff)]
            needs = street.staff_needs[member]
            need = needs[cycle % len(needs)]
            sequence.append(
                [
                    get("/needs", logins[member]),
                    get(f"/needs/{need}", logins[member]),
                    get(f"/needs/{need}/recommendations?kind=volunteers", logins[member]),
                    get("/api/v1/needs", logins[member]),
                    get("/api/v1/projects", logins[member]),
                ][(cycle // 2) % 5]
            )
        if cycle % 5 == 0:
            sequence.append(get("/"))
    return sequence


@contextlib.contextmanager
def serving_code(url: str, code: str, port: int, folder: Path, options: argparse.Namespace) -> Iterator[wl.Server]:
    """``marketplace serve`` on ``port`` running the code in ``code`` (this checkout when empty)."""
    saved_port, saved_path = wl.free_port, os.environ.get("PYTHONPATH")
    wl.free_port = lambda: port
    if code:
        os.environ["PYTHONPATH"] = code
    try:
        with wl.serving(url, options.workers, folder, options.secret_key, access_log=True) as server:
            yield server
    finally:
        wl.free_port = saved_port
        if saved_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_path


def one_run(wrk: str, server: wl.Server, requests_file: Path, connections: int, options) -> dict[str, Any]:
    load_before = os.getloadavg()
    began = time.time()
    cpu_before = roles.cpu_seconds(server.process.pid)
    with wl.HealthzPoller(server.base, options.timeout) as poller:
        raw = wl.run_wrk(wrk, server.base, requests_file, connections, options.duration, options)
    ended = time.time()
    cpu = roles.cpu_seconds(server.process.pid) - cpu_before
    time.sleep(1)
    routes = roles.server_routes(server.log, began - 1, ended + options.timeout)
    latency = raw["latency_us"]
    seconds = raw["duration_us"] / 1e6 or options.duration
    ok = sum(v for k, v in raw["statuses"].items() if str(k)[0] in "23")
    return {
        "connections": connections,
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 1),
        "p95_ms": round(latency["p95"] / 1000, 1),
        "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "errors": raw["requests"] - ok + sum(raw["errors"][k] for k in ("connect", "read", "write")),
        "timeouts": raw["errors"]["timeout"],
        "statuses": {str(k): v for k, v in sorted(raw["statuses"].items())},
        "healthz": poller.summary(),
        "server_cpu_ms_per_request": round(1000 * cpu / max(1, sum(t["count"] for t in routes.values())), 1),
        "server_routes": routes,
        "load_average_before": [round(x, 2) for x in load_before],
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    keys = ("requests_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors", "timeouts", "server_cpu_ms_per_request")
    out: dict[str, Any] = {key: med([run[key] for run in runs]) for key in keys}
    out["healthz_max_ms"] = med([run["healthz"]["max_ms"] or 0 for run in runs])
    out["healthz_unanswered"] = sum(run["healthz"]["polls"] - run["healthz"]["answered"] for run in runs)
    out["load_average"] = med([run["load_average_before"][0] for run in runs])
    routes: dict[str, dict[str, float]] = {}
    for route in sorted({route for run in runs for route in run["server_routes"]}):
        seen = [run["server_routes"][route] for run in runs if route in run["server_routes"]]
        routes[route] = {
            "count": med([r["count"] for r in seen]),
            "p50_ms": med([r["p50_ms"] for r in seen]),
            "p95_ms": med([r["p95_ms"] for r in seen]),
        }
    out["server_routes"] = routes
    return out


def text_of(summary: dict[str, dict[int, dict[str, Any]]], rounds: int) -> str:
    lines = [
        f"medians over {rounds} rounds (A/B alternated)",
        f"{'code':<10} {'conn':>5} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} "
        f"{'timeouts':>8} {'healthz max':>11} {'unanswered':>10} {'cpu ms/req':>10} {'load':>5}",
    ]
    for code, by_connections in summary.items():
        for connections, m in by_connections.items():
            lines.append(
                f"{code:<10} {connections:>5} {m['requests_per_s']:>7} {m['p50_ms']:>7} {m['p95_ms']:>7} "
                f"{m['p99_ms']:>7} {m['max_ms']:>7} {m['errors']:>6} {m['timeouts']:>8} {m['healthz_max_ms']:>11} "
                f"{m['healthz_unanswered']:>10} {m['server_cpu_ms_per_request']:>10} {m['load_average']:>5}"
            )
    for code, by_connections in summary.items():
        for connections, m in by_connections.items():
            lines.append(f"\n{code}, {connections} connections: server time per route (access log), medians")
            lines.append(f"   {'route':<52} {'count':>6} {'p50':>8} {'p95':>8}")
            ranked = sorted(m["server_routes"].items(), key=lambda item: -item[1]["p95_ms"])
            for route, t in ranked:
                lines.append(f"   {route:<52} {t['count']:>6} {t['p50_ms']:>8.1f} {t['p95_ms']:>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL database to seed (default: a SQLite file)")
    parser.add_argument("--baseline", default="", help="a checkout of the code to compare with (PYTHONPATH)")
    parser.add_argument("--code", default="", help="a checkout of the code to measure (default: this one)")
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--timeout", type=float, default=10, help="wrk's and /healthz's timeout, seconds")
    parser.add_argument("--logins", type=int, default=40, help="volunteers logged in (partners: a fifth)")
    parser.add_argument("--ports", type=int, nargs=2, default=[0, 0], help="the servers' ports (default: free ones)")
    parser.add_argument("--folder", default="", help="keep the SQLite files and server logs here")
    parser.add_argument("--label", default="")
    options = parser.parse_args(argv)
    options.secret_key = secrets.token_urlsafe(32)
    options.wrk_threads, options.gzip = 2, False
    wrk = wl.require_wrk()
    folder = Path(options.folder or tempfile.mkdtemp(prefix="web-load-reads-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = options.database_url or f"sqlite:///{folder / 'city.sqlite3'}"
    backend = "postgres" if source.startswith("postgresql") else "sqlite"
    databases = wl.Databases(source, folder)
    roles.seed(source, folder)
    base = databases.copy(source, "wl_base")
    street = wl.read_street(base, options.logins, streets=2)
    ports = [port or wl.free_port() for port in options.ports]
    with serving_code(base, options.code, ports[0], folder, options) as server:
        logins = wl.log_everyone_in(server.base, street)
        for name in roles.extra_ids(base)["admin_street"]:
            if name not in logins and (name == "city" or name.endswith("-admin")):
                logins[name] = wl.log_in(server.base, name)
        street.admins = sorted({*street.admins, *(n for n in logins if n == "city" or n.endswith("-admin"))})
    sequence = read_requests(street, logins)
    url = databases.copy(base, "wl_run")
    codes = {"current": options.code} | ({"baseline": options.baseline} if options.baseline else {})
    runs: list[dict[str, Any]] = []
    try:
        with contextlib.ExitStack() as stack:
            servers = {
                name: stack.enter_context(serving_code(url, code, port, folder, options))
                for (name, code), port in zip(codes.items(), ports, strict=False)
            }
            requests_file = folder / "requests-reads.lua"
            wl.write_requests(requests_file, sequence)
            for name, server in servers.items():
                problems = wl.warm(server.base, sequence, options.timeout * 6)
                if problems:
                    print(f"  {name}: pages that failed: " + "; ".join(sorted(set(problems))[:12]), flush=True)
                wl.run_wrk(wrk, server.base, requests_file, 10, 3, options)  # warm-up
            order = list(servers)
            for round_number in range(options.rounds):
                for connections in options.connections:
                    for name in order if round_number % 2 == 0 else order[::-1]:
                        while Path("/tmp/quiet").exists():
                            time.sleep(30)
                        run = one_run(wrk, servers[name], requests_file, connections, options)
                        run |= {"code": name, "round": round_number}
                        runs.append(run)
                        print(
                            f"round {round_number} {name:<9} {connections:>4} conn: {run['requests_per_s']} req/s, "
                            f"p50/p95/p99 {run['p50_ms']}/{run['p95_ms']}/{run['p99_ms']} ms, errors {run['errors']}, "
                            f"timeouts {run['timeouts']}, /healthz max {run['healthz']['max_ms']} ms "
                            f"({run['healthz']['answered']}/{run['healthz']['polls']}), "
                            f"load {run['load_average_before']}",
                            flush=True,
                        )
    finally:
        databases.cleanup()
    summary = {
        name: {
            c: medians([r for r in runs if r["code"] == name and r["connections"] == c]) for c in options.connections
        }
        for name in codes
    }
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": backend,
        "commit": wl.app_commit(),
        "code": options.code,
        "baseline": options.baseline,
        "machine": {"cpus": os.cpu_count(), "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "workers": options.workers,
        "duration_s": options.duration,
        "seed": "marketplace seed city " + " ".join(roles.SEED),
        "requests_planned": len(sequence),
        "summary": summary,
        "runs": runs,
    }
    text = text_of(summary, options.rounds)
    print(text, flush=True)
    name = f"web_load.reads.{backend}" + (f".{options.label}" if options.label else "")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    header = f"{result['when']} {backend} code {options.code or result['commit']} baseline {options.baseline or '-'}\n"
    (RESULTS / f"{name}.txt").write_text(header + f"{result['seed']}, {options.workers} workers\n\n" + text + "\n")
    print(f"written: {RESULTS / name}.json and .txt", flush=True)


if __name__ == "__main__":
    main()
