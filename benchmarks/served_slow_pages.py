"""The pages noticed slow, timed through ``marketplace serve`` (2 workers on 127.0.0.1), each code version on the
same database: a partner's and a volunteer's ``/recommended``, a staff member's recommendations of a need (its
first visit after the server starts, then again) and the notification centre of the user with the most unread.

    .venv/bin/python benchmarks/served_slow_pages.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h5db --baseline /tmp/base --port 8805

Each version (``PYTHONPATH`` = this checkout or ``--baseline``) gets a fresh server; the users log in through the
form (``web_load.log_in``), then each page is asked ``--repeat`` times one request at a time, after the first
(timed on its own: a cold worker's first visit). Only GETs, so both versions read the same data. Reports the first
visit and the median and p90 of the rest, in ms, per page and version.

Writes ``benchmarks/results/served_slow_pages.<sqlite|postgres>[.label].json`` and ``.txt``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_by_side as sbs
import web_load as wl


def _users(url: str) -> dict[str, Any]:
    """A partner whose organization has the most active offers, a volunteer with skills, a staff member and an
    open need of their grids with shifts, and the user with the most unread notifications."""
    engine = sa.create_engine(url)
    with engine.connect() as db:
        partner = db.execute(
            sa.text(
                "SELECT u.username FROM user_account u JOIN offer o ON o.organization_id = u.organization_id "
                "WHERE u.role = 'partner' AND o.status = 'active' GROUP BY u.username ORDER BY count(*) DESC, "
                "u.username LIMIT 1"
            )
        ).scalar()
        volunteer = db.execute(
            sa.text(
                "SELECT u.username FROM user_account u JOIN volunteer_profile p ON p.user_id = u.id "
                "JOIN volunteer_skill s ON s.volunteer_id = p.id GROUP BY u.username ORDER BY count(*) DESC, "
                "u.username LIMIT 1"
            )
        ).scalar()
        staff, need = db.execute(
            sa.text(
                "SELECT u.username, n.id FROM user_account u JOIN staff_grid g ON g.user_id = u.id "
                "JOIN need n ON n.grid_id = g.grid_id JOIN shift s ON s.need_id = n.id "
                "WHERE u.role = 'staff' AND n.status = 'published' ORDER BY n.id, u.username LIMIT 1"
            )
        ).one()
        reader = db.execute(
            sa.text(
                "SELECT u.username FROM notification n JOIN user_account u ON u.id = n.user_id "
                "WHERE n.read_at IS NULL GROUP BY u.username ORDER BY count(*) DESC, u.username LIMIT 1"
            )
        ).scalar()
    engine.dispose()
    return {"partner": partner, "volunteer": volunteer, "staff": staff, "need": need, "reader": reader}


def _serve(code: Path, url: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PYTHONPATH": str(code),
        "MARKETPLACE_DATABASE_URL": url,
        "MARKETPLACE_VAR_DIR": str(folder),
        "MARKETPLACE_ENVIRONMENT": "production",
        "MARKETPLACE_SECRET_KEY": "served-slow-pages-" + "x" * 32,
    }
    command = [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (folder / f"server-{port}.log").open("wb")
    return subprocess.Popen(
        [*command, "--workers", "2"], env=env, cwd=code, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _time(client: httpx.Client, path: str, cookie: str) -> float:
    began = time.perf_counter()
    answer = client.get(path, headers={"Cookie": cookie})
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    return elapsed


def _run(code: Path, args: argparse.Namespace, users: dict[str, Any]) -> dict[str, Any]:
    folder = Path(args.var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    process = _serve(code, args.database_url, args.port, folder)
    server = wl.Server(process, f"http://127.0.0.1:{args.port}", folder / f"server-{args.port}.log")
    try:
        wl.wait_healthy(server)
        pages = {
            "partner /recommended": (users["partner"], "/recommended"),
            "volunteer /recommended": (users["volunteer"], "/recommended"),
            "staff recommendations": (users["staff"], f"/needs/{users['need']}/recommendations?kind=volunteers"),
            "notification centre": (users["reader"], "/notifications"),
        }
        logins = {name: wl.log_in(server.base, name) for name in {user for user, _ in pages.values()}}
        found: dict[str, Any] = {}
        with httpx.Client(base_url=server.base, timeout=120) as client:
            for page, (user, path) in pages.items():
                cookie = logins[user].cookie
                first = _time(client, path, cookie)
                rest = sorted(_time(client, path, cookie) for _ in range(args.repeat))
                found[page] = {
                    "first_ms": first,
                    "median_ms": statistics.median(rest),
                    "p90_ms": rest[int(0.9 * (len(rest) - 1))],
                    "all_ms": rest,
                }
        return {"pages": found, "load_at_start": load}
    finally:
        wl.stop(process)


def main() -> None:
    parser = argparse.ArgumentParser()
    sbs.add_version_arguments(parser, rounds=1)
    parser.add_argument("--port", type=int, default=8805)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--var-dir", default="/tmp/served-slow-pages")
    args = parser.parse_args()
    users = _users(args.database_url)
    print("users", json.dumps(users), flush=True)
    runs = sbs.alternate(args, lambda code: _run(code, args, users))
    lines = [f"{'page':24} {'version':9} {'first ms':>9} {'median ms':>10} {'p90 ms':>8}"]
    for page in next(iter(runs.values()))[0]["pages"]:
        for name, found in runs.items():
            median = sbs.medians(found, "pages", page)
            lines.append(
                f"{page:24} {name:9} {median('first_ms'):9.0f} {median('median_ms'):10.0f} {median('p90_ms'):8.0f}"
            )
    lines.append(sbs.load_line(runs))
    sbs.write_results("served_slow_pages", args, {"users": users, "runs": runs}, lines)


if __name__ == "__main__":
    main()
