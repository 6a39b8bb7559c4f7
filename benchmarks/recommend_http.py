"""Top 10 recommendations for one need through the HTTP API, on a synthetic street in SQLite.

    python3 -m uv run python benchmarks/recommend_http.py [--volunteers 100000] [--requests 200]

Seeds a street of ``--volunteers`` volunteers into a fresh SQLite file, makes an admin with an API
token through the CLI, serves the app with ``marketplace serve`` (a real uvicorn process on
127.0.0.1), warms each kind once (that request builds the candidate index, timed separately), then
asks ``GET /api/v1/needs/{id}/recommendations?kind=volunteers&k=10`` (and ``kind=offers``) for
random open needs, one request at a time. Prints and records the median, p95 and max to
``benchmarks/results/recommend_http.json``. Target: median ≤ 50 ms at 100,000 volunteers.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.matches.services import OPEN_STATUSES
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.settings import DatabaseSettings
from seeds.synthetic import seed_synthetic

RESULTS = Path(__file__).resolve().parent / "results" / "recommend_http.json"
TODAY = date(2026, 5, 1)
PASSWORD = "bench-admin-password-2026"


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "marketplace", *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def open_needs(url: str, kind: str) -> list[int]:
    engine = create_db_engine(DatabaseSettings(url=url))
    part = Shift if kind == "volunteers" else ResourceLine
    with engine.connect() as connection:
        ids = connection.execute(
            sa.select(part.need_id)
            .distinct()
            .join(Need, Need.id == part.need_id)  # type: ignore[arg-type]
            .where(Need.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
        ).scalars()
        found = list(ids)
    engine.dispose()
    return found


def wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("the server stopped before answering")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(volunteers: int, requests: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="recommend-http-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    started = time.perf_counter()
    seed_synthetic(engine, volunteers=volunteers, today=TODAY)
    engine.dispose()
    print(f"seeded {volunteers:,} volunteers in {time.perf_counter() - started:.1f} s", flush=True)
    env = os.environ | {
        "MARKETPLACE_DATABASE_URL": url,
        "MARKETPLACE_VAR_DIR": str(folder),
    }
    cli(env, "user", "create", "--username", "bench-admin", "--display-name", "Bench", "--role", "admin",
        "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    token = cli(env, "token", "create", "--user", "bench-admin", "--name", "benchmark", "--scope", "needs:read")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict[str, object] = {"volunteers": volunteers, "requests_per_kind": requests}
    try:
        wait_for(base, server)
        rng = random.Random(7)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            for kind in ("volunteers", "offers"):
                needs = open_needs(url, kind)
                path = "/api/v1/needs/{}/recommendations?kind=" + kind + "&k=10"
                warm = time.perf_counter()
                first = client.get(path.format(needs[0]))
                first.raise_for_status()
                warm_ms = (time.perf_counter() - warm) * 1000
                timings = []
                for _ in range(requests):
                    began = time.perf_counter()
                    response = client.get(path.format(rng.choice(needs)))
                    timings.append((time.perf_counter() - began) * 1000)
                    response.raise_for_status()
                timings.sort()
                figures = {
                    "open_needs": len(needs),
                    "first_request_ms": round(warm_ms, 1),
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
                    "max_ms": round(timings[-1], 2),
                }
                result[kind] = figures
                print(
                    f"{kind:<10} {volunteers:>8,} volunteers  first (builds the index) {warm_ms:8.0f} ms  "
                    f"median {figures['median_ms']:6.1f} ms  p95 {figures['p95_ms']:6.1f} ms  "
                    f"max {figures['max_ms']:6.1f} ms",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    results = [measure(count, options.requests) for count in options.volunteers]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
                "target": "median <= 50 ms at 100,000 volunteers (SQLite)",
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
