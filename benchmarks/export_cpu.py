"""CPU time and memory of every list export, and of a volunteer's ``/recommended``, in process, on a big city.

    .venv/bin/python benchmarks/export_cpu.py --database-url sqlite:////tmp/bench/city.sqlite3 --seed
    .venv/bin/python benchmarks/export_cpu.py --seed \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_roles

The data is the logged-in load run's (``benchmarks/web_load_roles.py``): ``marketplace seed city --streets 2
--volunteers 10000 --needs 4000 --offers 1600`` (``--seed`` seeds it when the database is empty). As the city
admin (every street: 10,000 volunteers) by default, or ``--viewer <username>``, each export is written the way
its route writes it (the list's pages read by ``exchange.paging``, the file by ``writers.csv_chunks`` /
``xlsx_chunks``, in Chinese) and consumed: CSV and .xlsx of needs, offers, volunteers, organizations and
projects. For each: rows, bytes, wall and CPU seconds (the least of ``--repeat`` runs; the process's CPU,
which on SQLite includes the database's), CPU µs per row, and the peak of Python's allocations while it is
written (tracemalloc, a run of its own). ``--profile volunteers.csv`` prints where that export's time goes
(cProfile, 25 lines). ``--dump DIR`` writes the files, to compare two versions (``cmp``, or the cells of an
.xlsx: its zip carries the time it was written).

Then a volunteer's suggestions (``recommend.for_me.tasks_for_volunteer``, what ``/recommended`` shows them):
milliseconds of CPU per call for the ``--volunteers`` busiest volunteers of the largest street, each asked
``--repeat`` times (the first call of each, then the others).

Writes ``benchmarks/results/export_cpu.<sqlite|postgres>[.label].json`` and ``.txt`` (``--no-write``: nothing).
"""

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402
from sqlmodel import Session  # noqa: E402

from marketplace.db.engine import create_db_engine  # noqa: E402
from marketplace.settings import DatabaseSettings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FORMATS = ("csv", "xlsx")


def _exports() -> dict[str, Callable[[Session, Any, str], tuple[list[Any], Iterator[list[Any]]]]]:
    """Each list's columns and pages, as its route asks for them (no filters, the list's own order)."""
    from marketplace.exchange import need_columns, need_import, offers, organizations, projects, volunteers
    from marketplace.needs import board
    from marketplace.needs import services as need_services
    from marketplace.offers import services as offer_services
    from marketplace.organizations import directory as organization_directory
    from marketplace.volunteers import directory as volunteer_directory

    return {
        "needs": lambda db, viewer, language: (
            need_columns.export_columns(),
            need_import.export_pages(db, viewer, need_services.NeedFilters()),
        ),
        "offers": lambda db, viewer, language: (
            offers.offer_columns(),
            offers.export_pages(db, viewer, offer_services.OfferFilters()),
        ),
        "volunteers": lambda db, viewer, language: (
            volunteers.volunteer_columns(language),
            volunteers.volunteer_pages(db, viewer, volunteer_directory.parse_filters({})),
        ),
        "organizations": lambda db, viewer, language: (
            organizations.organization_columns(language),
            organizations.organization_pages(db, viewer, organization_directory.parse_filters({})),
        ),
        "projects": lambda db, viewer, language: (
            projects.project_columns(),
            projects.project_pages(db, board.parse_filters(category=None, community=None, grid=None, status=None)),
        ),
    }


def write_export(
    readers: sessionmaker[Session], viewer: Any, name: str, file_format: str, language: str
) -> tuple[int, bytes]:
    """The whole file, as the route streams it: rows counted as the pages go by."""
    from marketplace.exchange.writers import csv_chunks, xlsx_chunks

    rows = 0

    def counted(pages: Iterator[list[Any]]) -> Iterator[list[Any]]:
        nonlocal rows
        for page in pages:
            rows += len(page)
            yield page

    with readers() as db:
        columns, pages = _exports()[name](db, viewer, language)
        chunks = (
            xlsx_chunks(columns, counted(pages), language, title=name)
            if file_format == "xlsx"
            else csv_chunks(columns, counted(pages), language)
        )
        content = b"".join(chunks)
    return rows, content


def measure_export(
    readers: sessionmaker[Session], viewer: Any, name: str, file_format: str, options: argparse.Namespace
) -> dict[str, Any]:
    walls, cpus = [], []
    rows, content = 0, b""
    for _ in range(options.repeat):
        gc.collect()
        began, began_cpu = time.perf_counter(), time.process_time()
        rows, content = write_export(readers, viewer, name, file_format, options.language)
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - began_cpu)
    gc.collect()
    tracemalloc.start()
    write_export(readers, viewer, name, file_format, options.language)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if options.dump:
        Path(options.dump).mkdir(parents=True, exist_ok=True)
        (Path(options.dump) / f"{name}.{file_format}").write_bytes(content)
    cpu = min(cpus)
    return {
        "export": f"{name}.{file_format}",
        "rows": rows,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest() if file_format == "csv" else xlsx_cells_digest(content),
        "wall_s": round(min(walls), 3),
        "cpu_s": round(cpu, 3),
        "cpu_us_per_row": round(cpu / rows * 1e6, 1) if rows else None,
        "peak_mb": round(peak / 1e6, 1),
    }


def xlsx_cells_digest(content: bytes) -> str:
    """The digest of an .xlsx's cells (its zip also carries the time it was written)."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    digest = hashlib.sha256()
    for row in sheet.iter_rows(values_only=True):
        digest.update(repr(row).encode("utf-8"))
    return digest.hexdigest()


def profile(readers: sessionmaker[Session], viewer: Any, which: str, language: str) -> str:
    name, file_format = which.split(".")
    profiler = cProfile.Profile()
    profiler.enable()
    write_export(readers, viewer, name, file_format, language)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def busiest_volunteers(engine: sa.Engine, count: int) -> list[int]:
    """The volunteers of the largest street with the most sign-ups (as the load run logs in)."""
    with engine.connect() as connection:
        street = connection.exec_driver_sql(
            "SELECT community.street_id FROM volunteer_profile JOIN grid ON grid.id = volunteer_profile.home_grid_id "
            "JOIN community ON community.id = grid.community_id GROUP BY community.street_id ORDER BY count(*) DESC"
        ).first()
        found = connection.exec_driver_sql(
            "SELECT volunteer_profile.id FROM volunteer_profile JOIN grid ON grid.id = volunteer_profile.home_grid_id "
            "JOIN community ON community.id = grid.community_id LEFT JOIN shift_signup "
            f"ON shift_signup.volunteer_id = volunteer_profile.id WHERE community.street_id = {int(street[0])} "
            "GROUP BY volunteer_profile.id ORDER BY count(shift_signup.id) DESC, volunteer_profile.id "
            f"LIMIT {int(count)}"
        ).all()
    return [int(row[0]) for row in found]


def measure_recommended(
    readers: sessionmaker[Session], engine: sa.Engine, options: argparse.Namespace
) -> dict[str, Any]:
    from marketplace.recommend.for_me import tasks_for_volunteer

    volunteers = busiest_volunteers(engine, options.volunteers)
    first, later, shown = [], [], []
    for profile_id in volunteers:
        for attempt in range(max(2, options.repeat)):
            with readers() as db:
                began = time.process_time()
                suggestions = tasks_for_volunteer(db, profile_id)
                spent = (time.process_time() - began) * 1000
            (first if attempt == 0 else later).append(spent)
            if attempt == 0:
                shown.append([(s.need.id, s.shift.id if s.shift else None, round(s.score, 6)) for s in suggestions])
    return {
        "volunteers": len(volunteers),
        "first_call_cpu_ms_median": round(statistics.median(first), 1),
        "later_calls_cpu_ms_median": round(statistics.median(later), 1),
        "later_calls_cpu_ms_min": round(min(later), 1),
        "suggestions_digest": hashlib.sha256(repr(shown).encode()).hexdigest()[:16],
    }


def seed(url: str) -> None:
    import web_load as wl
    import web_load_roles as roles

    if url.startswith("postgresql"):
        wl.ensure_pg_database(url)
    folder = Path(tempfile.mkdtemp(prefix="export-cpu-"))
    roles.seed(url, folder)


def viewer_of(readers: sessionmaker[Session], username: str) -> Any:
    from marketplace.accounts.models import User
    from marketplace.security.identity import load_current_user

    with readers() as db:
        user_id = db.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        return load_current_user(db, user_id)


def text_of(result: dict[str, Any]) -> str:
    lines = [
        f"{result['when']} {result['database']} commit {result['commit']} viewer {result['viewer']} "
        f"load average at start {result['load_average']}",
        f"{'export':<20} {'rows':>7} {'bytes':>10} {'wall s':>7} {'CPU s':>7} {'µs/row':>7} {'peak MB':>8}  digest",
    ]
    for row in result["exports"]:
        lines.append(
            f"{row['export']:<20} {row['rows']:>7} {row['bytes']:>10} {row['wall_s']:>7} {row['cpu_s']:>7} "
            f"{row['cpu_us_per_row'] or 0:>7} {row['peak_mb']:>8}  {row['sha256'][:16]}"
        )
    if result.get("recommended"):
        lines.append(f"/recommended (tasks_for_volunteer): {json.dumps(result['recommended'])}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", action="store_true", help="seed the load run's city when the database is empty")
    parser.add_argument("--viewer", default="city", help="username of the person exporting (default: the city admin)")
    parser.add_argument("--only", nargs="*", default=[], help="exports to time, as volunteers.csv (default: all)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--language", default="zh", choices=["zh", "en"])
    parser.add_argument("--profile", default="", help="an export to profile, as volunteers.csv")
    parser.add_argument("--volunteers", type=int, default=5, help="volunteers whose /recommended is timed (0: none)")
    parser.add_argument("--dump", default="", help="write the files to this folder")
    parser.add_argument("--label", default="")
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args(argv)
    if options.seed:
        seed(options.database_url)
    engine = create_db_engine(DatabaseSettings(url=options.database_url))
    readers = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)
    viewer = viewer_of(readers, options.viewer)
    load = os.getloadavg()[0]
    wanted = [f"{name}.{file_format}" for name in _exports() for file_format in FORMATS]
    wanted = [which for which in wanted if not options.only or which in options.only]
    exports = []
    for which in wanted:
        name, file_format = which.split(".")
        row = measure_export(readers, viewer, name, file_format, options)
        print(json.dumps(row), flush=True)
        exports.append(row)
    if options.profile:
        print(profile(readers, viewer, options.profile, options.language))
    recommended = measure_recommended(readers, engine, options) if options.volunteers else None
    if recommended:
        print(f"/recommended: {json.dumps(recommended)}", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgres" if options.database_url.startswith("postgresql") else "sqlite",
        "commit": commit.strip(),
        "viewer": options.viewer,
        "load_average": round(load, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "exports": exports,
        "recommended": recommended,
    }
    print(text_of(result))
    if not options.no_write:
        name = f"export_cpu.{result['database']}" + (f".{options.label}" if options.label else "")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        (RESULTS / f"{name}.txt").write_text(text_of(result))
        print(f"written: {RESULTS / name}.json and .txt")


if __name__ == "__main__":
    main()
