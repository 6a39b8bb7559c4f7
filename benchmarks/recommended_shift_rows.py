"""CPU per volunteer visit of the suggestions (``for_me.tasks_for_volunteer``, what ``/recommended`` and the
home rank), two versions of the code side by side, with a digest of what they suggest.

    .venv/bin/python benchmarks/recommended_shift_rows.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h5db --baseline /tmp/base --rounds 5

On the load city of ``web_load_reads.py`` (``marketplace seed city --streets 2 --volunteers 10000 --needs 4000
--offers 1600``). Each run is a fresh process (``PYTHONPATH`` = this checkout or ``--baseline``) that asks the
suggestions of ``--volunteers`` volunteers (every n-th profile, the same ones each run) at one fixed moment
(``--now``, so both versions see the same shifts to come), once to warm up and then ``--repeat`` times, and
reports the process CPU time per visit, the SQL statements and the ORM Shift rows built per visit, and a digest of
every suggestion (need, shift, the score's exact bits, reasons' texts). The runs alternate (A B, then B A, ...)
since the machine is shared; the table gives medians over the rounds and the load average at each run's start.

Writes ``benchmarks/results/recommended_shift_rows.<sqlite|postgres>[.label].json`` and ``.txt``.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def _worker(url: str, count: int, repeat: int, now_text: str) -> dict[str, Any]:
    os.environ["MARKETPLACE_DATABASE_URL"] = url
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession
    from sqlmodel import Session

    import marketplace.app  # noqa: F401
    from marketplace.needs.models import Shift
    from marketplace.recommend import for_me
    from marketplace.recommend import records as rows
    from marketplace.volunteers.models import VolunteerProfile

    now = datetime.fromisoformat(now_text)
    for module in (for_me, rows):
        module.utcnow = lambda: now  # type: ignore[attr-defined]
    engine = sa.create_engine(url)
    statements = [0]
    built = [0]
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))

    @event.listens_for(OrmSession, "loaded_as_persistent")
    def _loaded(session: Any, instance: Any) -> None:
        if isinstance(instance, Shift):
            built[0] += 1

    with Session(engine) as db:
        ids = [int(i) for i in db.execute(sa.select(VolunteerProfile.id).order_by(VolunteerProfile.id)).scalars()]
    step = max(len(ids) // count, 1)
    chosen = ids[::step][:count]
    digest = hashlib.sha256()
    shown = 0
    for profile_id in chosen:  # warm-up, and the digest
        with Session(engine) as db:
            for s in for_me.tasks_for_volunteer(db, profile_id):
                shown += 1
                reasons = [getattr(r, "text", None) or repr(r) for r in s.reasons]
                line = [profile_id, s.need.id, s.shift.id if s.shift else None, s.score.hex(), reasons]
                line += [s.shift.title, s.shift.starts_at.isoformat(), s.need.title] if s.shift else []
                digest.update(json.dumps(line, ensure_ascii=False, default=str).encode())
    statements[0] = built[0] = 0
    cpu = time.process_time()
    wall = time.perf_counter()
    for _ in range(repeat):
        for profile_id in chosen:
            with Session(engine) as db:
                for_me.tasks_for_volunteer(db, profile_id)
    visits = repeat * len(chosen)
    return {
        "volunteers": len(chosen),
        "suggestions": shown,
        "digest": digest.hexdigest(),
        "cpu_ms_per_visit": (time.process_time() - cpu) * 1000 / visits,
        "wall_ms_per_visit": (time.perf_counter() - wall) * 1000 / visits,
        "statements_per_visit": statements[0] / visits,
        "shift_rows_built_per_visit": built[0] / visits,
    }


def _run(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--database-url", args.database_url]
    command += ["--volunteers", str(args.volunteers), "--repeat", str(args.repeat), "--now", args.now]
    load = os.getloadavg()[0]
    out = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True, check=True).stdout
    return {**json.loads(out.strip().splitlines()[-1]), "load_at_start": load}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--baseline", help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--volunteers", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--now", default="2026-12-07T06:00:00+00:00")
    parser.add_argument("--label", default="")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.database_url, args.volunteers, args.repeat, args.now)))
        return
    versions = {"this": ROOT} | ({"baseline": Path(args.baseline)} if args.baseline else {})
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
    for number in range(args.rounds):
        order = list(versions) if number % 2 == 0 else list(reversed(versions))
        for name in order:
            runs[name].append(_run(versions[name], args))
            print(name, json.dumps(runs[name][-1]), flush=True)
    kind = "postgres" if args.database_url.startswith("postgresql") else "sqlite"
    stem = f"recommended_shift_rows.{kind}" + (f".{args.label}" if args.label else "")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"at": datetime.now(UTC).isoformat(), "args": vars(args), "runs": runs}, indent=1)
    )
    lines = [f"{'version':10} {'cpu ms/visit':>13} {'wall ms':>9} {'SQL/visit':>10} {'Shift rows':>11}  digest"]
    for name, found in runs.items():

        def median(key: str, found: list[dict[str, Any]] = found) -> float:
            return statistics.median(run[key] for run in found)

        lines.append(
            f"{name:10} {median('cpu_ms_per_visit'):13.1f} {median('wall_ms_per_visit'):9.1f} "
            f"{median('statements_per_visit'):10.1f} {median('shift_rows_built_per_visit'):11.1f}  "
            f"{found[0]['digest'][:16]} ({found[0]['volunteers']} volunteers, {found[0]['suggestions']} suggestions)"
        )
    loads = [run["load_at_start"] for found in runs.values() for run in found]
    lines.append(
        f"load average at the runs' starts: median {statistics.median(loads):.1f}, {min(loads):.1f}-{max(loads):.1f}"
    )
    (RESULTS / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
