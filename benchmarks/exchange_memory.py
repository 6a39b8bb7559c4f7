"""Memory of the biggest exports and imports on a seeded city, through the real server.

    .venv/bin/python benchmarks/exchange_memory.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_city

1. Copies the city (``marketplace seed city --streets 100 --volunteers 100000 --needs 50000 --offers
   20000``, seeded beforehand) to a scratch database (``CREATE DATABASE <name>_xm_run TEMPLATE <name>``
   on PostgreSQL, a file copy on SQLite; only that copy is written to and it is dropped at the end).
2. Serves it with ``marketplace serve`` (one worker: the server is the process this script starts) and
   signs in the city admin (every street: the biggest lists), Hudao Street's admin and one of its
   partners through the login form.
3. Downloads every list export as CSV and .xlsx (offers, needs, volunteers, organizations, projects;
   an export the app sends to a background job is followed to its file) and uploads the largest files
   an import takes in a request: 5,000 offers (.xlsx and CSV, as the partner), 2,000 needs and 5,000
   volunteers (CSV, as Hudao's admin). Before each request the server's peak RSS is reset
   (``/proc/<pid>/clear_refs``); after it the peak (``VmHWM``) is read, and the resident
   size again 1.5 s later.

Prints rows, bytes, seconds, peak RSS and RSS after for each, and writes
``benchmarks/results/exchange_memory.txt`` and ``.json`` (``--label`` adds a suffix; ``--no-write`` writes
nothing).
"""

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from tests.hostile_files import OFFER_HEADER  # noqa: E402
from tests.live_server import start_serve  # noqa: E402
from tests.security_helpers import csrf_from, login  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PASSWORD = "hudao-demo-2026"

EXPORTS = [
    ("offers", "/offers/export?format={format}"),
    ("needs", "/needs/export.{format}"),
    ("volunteers", "/volunteers/export?format={format}"),
    ("organizations", "/directory/organizations/export?format={format}"),
    ("projects", "/projects/export?format={format}"),
]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS


# -- the scratch copy --------------------------------------------------------------------------------


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def scratch_copy(source: str, folder: Path) -> Iterator[str]:
    """A copy of ``source`` that the imports may write to, removed afterwards."""
    if not source.startswith("postgresql"):
        path = Path(sa.make_url(source).database or "")
        target = folder / "city_xm_run.sqlite3"
        shutil.copyfile(path, target)
        yield f"sqlite:///{target}"
        return
    url = sa.make_url(source)
    name = f"{url.database}_xm_run"
    engine = _admin_engine(source)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def city_people(url: str) -> dict[str, Any]:
    """The city admin, Hudao's admin and grids, a partner of an approved Hudao organization with a grid."""
    engine = sa.create_engine(url)
    with engine.connect() as db:
        city = db.execute(
            sa.text("SELECT username FROM user_account WHERE role = 'admin' AND street_id IS NULL ORDER BY id LIMIT 1")
        ).scalar_one()
        street_id, admin = db.execute(
            sa.text(
                "SELECT street_id, username FROM user_account WHERE role = 'admin' AND street_id IS NOT NULL"
                " ORDER BY street_id, id LIMIT 1"
            )
        ).one()
        grids = [
            row[0]
            for row in db.execute(
                sa.text(
                    "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id"
                    " WHERE c.street_id = :street ORDER BY g.id"
                ),
                {"street": street_id},
            )
        ]
        partner, partner_grid = db.execute(
            sa.text(
                "SELECT u.username, g.code FROM user_account u JOIN organization o ON o.id = u.organization_id"
                " JOIN organization_grid og ON og.organization_id = o.id JOIN grid g ON g.id = og.grid_id"
                " WHERE u.role = 'partner' AND u.is_active AND o.status = 'approved' AND o.street_id = :street"
                " ORDER BY u.id LIMIT 1"
            ),
            {"street": street_id},
        ).one()
        counts = {
            table: db.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("offer", "need", "volunteer_profile", "organization")
        }
    engine.dispose()
    return {"city": city, "admin": admin, "grids": grids, "partner": partner, "partner_grid": partner_grid} | {
        "counts": counts
    }


# -- the files ---------------------------------------------------------------------------------------


def offers_file(rows: int, grid: str, file_format: str) -> bytes:
    body = [
        ["material", "renovation", f"透水砖 {n}", "老旧小区改造" * 5, n + 1, "块", "", "", "", grid]
        for n in range(rows)
    ]
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(OFFER_HEADER.split(","))
        for row in body:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    return _csv([OFFER_HEADER.split(","), *body])


def needs_file(rows: int, grids: list[str]) -> bytes:
    header = ["标题", "说明", "类别", "网格", "来源渠道", "资源类型", "资源数量", "资源单位"]
    body = [
        [f"楼道灯损坏{n}", f"{n}号楼", "renovation", grids[n % len(grids)], "hotline_12345", "material", "6", "个"]
        for n in range(rows)
    ]
    return _csv([header, *body])


def volunteers_file(rows: int, grids: list[str]) -> bytes:
    header = ["姓名", "电话", "网格", "类别", "意向服务类型", "用户名"]
    body = [[f"志愿者{n}", f"139{n:08d}", grids[n % len(grids)], "居民", "助老", f"xm-import-{n}"] for n in range(rows)]
    return _csv([header, *body])


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


# -- measuring ---------------------------------------------------------------------------------------


def measured(pid: int, request: Any) -> tuple[dict[str, Any], httpx.Response]:
    reset_peak(pid)
    before = status_kb(pid, "VmRSS")
    started = time.perf_counter()
    response = request()
    seconds = time.perf_counter() - started
    peak = status_kb(pid, "VmHWM")
    time.sleep(1.5)
    figures = {
        "status": response.status_code,
        "bytes": len(response.content),
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_after_mb": round(status_kb(pid, "VmRSS") / 1024, 1),
    }
    return figures, response


def download(client: httpx.Client, path: str, timeout: float = 900) -> httpx.Response:
    """GET an export; one sent to a background job (a 303 to its page) is followed until its file is ready,
    so the time and the peak are those of the whole export."""
    response = client.get(path)
    location = response.headers.get("location", "")
    if response.status_code != 303 or not location.startswith("/admin/jobs/"):
        return response
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        file = client.get(f"{location}/download")
        if file.status_code == 200:
            return file
        time.sleep(0.5)
    return response


def data_rows(content: bytes, file_format: str) -> int:
    if file_format == "csv":
        return max(0, content.decode("utf-8-sig").count("\n") - 1)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]  # written without a dimension
    return max(0, sum(1 for _ in sheet.iter_rows(values_only=True)) - 1)


def run(database_url: str, folder: Path) -> dict[str, Any]:
    people = city_people(database_url)
    server = start_serve(database_url, folder / "var", timeout=600)
    pid = server.process.pid
    results: list[dict[str, Any]] = []
    try:
        clients = {who: httpx.Client(base_url=server.base_url, timeout=900) for who in ("city", "admin", "partner")}
        for who, client in clients.items():
            response = login(client, people[who], PASSWORD)  # type: ignore[arg-type]
            assert response.status_code in (302, 303), f"{who} could not sign in: {response.status_code}"
        city = clients["city"]
        city.get("/")
        idle = status_kb(pid, "VmRSS")
        for name, template in EXPORTS:
            for file_format in ("csv", "xlsx"):
                path = template.format(format=file_format)
                figures, response = measured(pid, partial(download, city, path))
                rows = data_rows(response.content, file_format) if response.status_code == 200 else 0
                results.append(
                    {"what": f"export {name} .{file_format} (city admin)", "path": path, "rows": rows} | figures
                )
                print(_line(results[-1]), flush=True)
        partner, admin = clients["partner"], clients["admin"]
        uploads = [
            (
                "offers .xlsx",
                partner,
                "/offers/import",
                "offers.xlsx",
                offers_file(5000, people["partner_grid"], "xlsx"),
                5000,
            ),
            (
                "offers .csv",
                partner,
                "/offers/import",
                "offers.csv",
                offers_file(5000, people["partner_grid"], "csv"),
                5000,
            ),
            ("needs .csv", admin, "/needs/import", "needs.csv", needs_file(2000, people["grids"]), 2000),
            (
                "volunteers .csv",
                admin,
                "/volunteers/import",
                "volunteers.csv",
                volunteers_file(5000, people["grids"]),
                5000,
            ),
        ]
        for label, client, path, filename, data, rows in uploads:
            form = {"csrf_token": csrf_from(client.get(path).text)}
            upload = {"file": (filename, data, "application/octet-stream")}
            figures, _response = measured(pid, partial(client.post, path, files=upload, data=form))
            figures["bytes"] = len(data)
            results.append({"what": f"import {label}, {rows:,} rows", "path": path, "rows": rows} | figures)
            print(_line(results[-1]), flush=True)
        home = city.get("/").status_code
    finally:
        server.stop()
    return {"people": people, "idle_rss_mb": round(idle / 1024, 1), "requests": results, "home_after": home}


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['what']:<44} {row['status']:>4} {row['rows']:>7,} {row['bytes'] / 1_048_576:>7.2f}MB"
        f" {row['seconds']:>7.2f}s {row['peak_rss_mb']:>8.1f}MB {row['rss_after_mb']:>8.1f}MB"
    )


def report(figures: dict[str, Any]) -> str:
    counts = figures["run"]["people"]["counts"]
    lines = [
        f"Exports and imports on a city, marketplace serve (1 worker, {figures['backend']}), {figures['machine']}",
        f"commit {figures['commit']}; the city: "
        + ", ".join(f"{number:,} {table}" for table, number in counts.items()),
        f"server RSS idle, signed in: {figures['run']['idle_rss_mb']} MB; load average at the start"
        f" {figures['load_start']}, at the end {figures['load_end']}",
        "",
        f"{'request':<44} {'code':>4} {'rows':>7} {'size':>9} {'time':>8} {'peak RSS':>10} {'RSS after':>10}",
    ]
    lines += [_line(row) for row in figures["run"]["requests"]]
    lines.append(f"GET / afterwards: {figures['run']['home_after']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a seeded city (it is copied; the copy is written to)")
    parser.add_argument("--label", default="", help="a suffix for the result files")
    parser.add_argument("--no-write", action="store_true", help="print only")
    arguments = parser.parse_args()
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    with (
        tempfile.TemporaryDirectory(prefix="exchange-memory-") as folder,
        scratch_copy(arguments.database_url, Path(folder)) as url,
    ):
        result = run(url, Path(folder))
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "backend": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
        "commit": commit.stdout.strip(),
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "run": result,
    }
    text = report(figures)
    print(text, end="")
    if arguments.no_write:
        return
    suffix = f".{arguments.label}" if arguments.label else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"exchange_memory{suffix}.txt").write_text(text, encoding="utf-8")
    (RESULTS / f"exchange_memory{suffix}.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
