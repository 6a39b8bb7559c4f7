"""Hostile uploads against a real server process: each is refused fast and the server's memory stays bounded.

    .venv/bin/python benchmarks/hostile_upload.py

1. ``marketplace demo`` seeds Hudao Street into a fresh SQLite file in a temporary folder (then stops);
   ``marketplace serve`` (one worker, so the server is the process this script starts) serves it on a
   free port of 127.0.0.1, and the demo partner signs in through the login form.
2. Builds the hostile files of tests/hostile_files.py (a 5 MB .xlsx of empty but formatted rows, a zip
   bomb .xlsx whose sheet XML unpacks to 200 MB, a row a million rows down, 300 columns, a shared
   string table of 600,000 strings, a 5 MB CSV of empty lines, a CSV with one 4 MB cell, a 6 MB body)
   and a normal 5,000-row .xlsx, and POSTs each to ``/offers/import``; then all of them once more, to
   see whether memory accumulates.
3. Before each upload the server's peak RSS is reset (``/proc/<pid>/clear_refs``); after it the script
   reads the peak (``VmHWM``) and the resident size (``VmRSS``) from ``/proc/<pid>/status``.
4. In this process, measures what ``release_memory`` (gc + glibc ``malloc_trim``) gives back after
   reading the normal 5,000-row file, against gc alone.

Prints the figures and writes ``benchmarks/results/hostile_upload.txt`` and ``hostile_upload.json``.
"""

import gc
import io
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from tests import hostile_files  # noqa: E402
from tests.live_server import start_demo, start_marketplace  # noqa: E402
from tests.security_helpers import csrf_from, login  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS


def normal_xlsx(rows: int = 5000, grid: str = "G1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(hostile_files.OFFER_HEADER.split(","))
    for n in range(rows):
        sheet.append(["material", "renovation", f"透水砖 {n}", "老旧小区改造" * 5, n + 1, "块", "", "", "", grid])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def files(grid: str) -> list[tuple[str, str, bytes]]:
    return [
        ("5 MB .xlsx of empty formatted rows", "formatted.xlsx", hostile_files.formatted_empty_rows_xlsx()),
        ("zip bomb .xlsx, 200 MB sheet XML", "bomb.xlsx", hostile_files.zip_bomb_xlsx(200)),
        (".xlsx with a row 1,048,576", "far.xlsx", hostile_files.far_row_xlsx()),
        (".xlsx with 300 columns", "wide.xlsx", hostile_files.wide_xlsx()),
        (".xlsx with 600,000 shared strings", "strings.xlsx", hostile_files.shared_strings_bomb_xlsx()),
        ("5 MB CSV of empty lines", "lines.csv", hostile_files.empty_lines_csv()),
        ("CSV with one 4 MB cell", "cell.csv", hostile_files.enormous_cell_csv()),
        ("6 MB body (over the limit)", "big.csv", hostile_files.oversized_body()),
        ("normal .xlsx, 5,000 rows: imported", "normal.xlsx", normal_xlsx(grid=grid)),
    ]


def measure_server(var_dir: Path) -> dict[str, Any]:
    demo = start_demo(var_dir)
    demo.stop()
    with sqlite3.connect(var_dir / "marketplace.sqlite3") as db:
        grid = str(db.execute("SELECT code FROM grid ORDER BY id LIMIT 1").fetchone()[0])
    server = start_marketplace(["serve"], var_dir)  # the demo's database, one process
    process, base_url = server.process, server.base_url
    results: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=base_url, timeout=600) as client:
            login(client, "partner", "hudao-demo-2026")  # type: ignore[arg-type]
            token = csrf_from(client.get("/offers/import").text)
            client.get("/")
            idle_kb = status_kb(process.pid, "VmRSS")
            uploads = files(grid)
            for label, name, data in [*uploads, *((f"again: {label}", n, d) for label, n, d in uploads)]:
                reset_peak(process.pid)
                started = time.perf_counter()
                response = client.post(
                    "/offers/import",
                    files={"file": (name, data, "application/octet-stream")},
                    data={"csrf_token": token},
                )
                seconds = time.perf_counter() - started
                peak_kb = status_kb(process.pid, "VmHWM")
                time.sleep(1.5)  # the import hands memory back once the request is over
                results.append(
                    {
                        "file": label,
                        "name": name,
                        "bytes": len(data),
                        "status": response.status_code,
                        "seconds": round(seconds, 3),
                        "peak_rss_mb": round(peak_kb / 1024, 1),
                        "rss_after_mb": round(status_kb(process.pid, "VmRSS") / 1024, 1),
                    }
                )
            home = client.get("/").status_code
    finally:
        server.stop()
    return {"idle_rss_mb": round(idle_kb / 1024, 1), "uploads": results, "home_after": home}


def measure_release() -> dict[str, Any]:
    """RSS of this process after reading the normal file: gc alone, then malloc_trim."""
    from marketplace.exchange.memory import _libc
    from marketplace.exchange.readers import read_table

    pid = os.getpid()
    data = normal_xlsx()
    gc.collect()
    before = status_kb(pid, "VmRSS")
    tables = [read_table("normal.xlsx", data) for _ in range(3)]
    peak = status_kb(pid, "VmRSS")
    del tables
    gc.collect()
    after_gc = status_kb(pid, "VmRSS")
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    after_trim = status_kb(pid, "VmRSS")
    return {
        "rss_before_mb": round(before / 1024, 1),
        "rss_holding_three_tables_mb": round(peak / 1024, 1),
        "rss_after_gc_mb": round(after_gc / 1024, 1),
        "rss_after_gc_and_malloc_trim_mb": round(after_trim / 1024, 1),
        "malloc_trim_available": libc is not None,
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"Hostile uploads to POST /offers/import, marketplace serve (1 worker, SQLite), {figures['machine']}",
        f"server RSS idle before the uploads: {figures['server']['idle_rss_mb']} MB",
        "",
        f"{'file':<69} {'size':>9} {'code':>4} {'seconds':>8} {'peak RSS':>9} {'RSS 1.5 s after':>16}",
    ]
    for row in figures["server"]["uploads"]:
        lines.append(
            f"{row['file']:<69} {row['bytes'] / 1_048_576:>7.2f}MB {row['status']:>4} {row['seconds']:>8.2f}"
            f" {row['peak_rss_mb']:>7.1f}MB {row['rss_after_mb']:>14.1f}MB"
        )
    lines.append(f"GET / after the uploads: {figures['server']['home_after']}")
    release = figures["release"]
    lines += [
        "",
        "release_memory, in this process, after reading the 5,000-row .xlsx three times:",
        f"  before {release['rss_before_mb']} MB, holding the tables {release['rss_holding_three_tables_mb']} MB,"
        f" after gc {release['rss_after_gc_mb']} MB,"
        f" after gc + malloc_trim {release['rss_after_gc_and_malloc_trim_mb']} MB",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hostile-upload-") as folder:
        server = measure_server(Path(folder))
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "server": server,
        "release": measure_release(),
    }
    text = report(figures)
    print(text, end="")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile_upload.txt").write_text(text, encoding="utf-8")
    (RESULTS / "hostile_upload.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
