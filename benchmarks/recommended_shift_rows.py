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
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_by_side as sbs


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
    arguments = ["--database-url", args.database_url, "--volunteers", str(args.volunteers)]
    found, load = sbs.worker_run(__file__, code, [*arguments, "--repeat", str(args.repeat), "--now", args.now])
    return {**found, "load_at_start": load}


def main() -> None:
    parser = argparse.ArgumentParser()
    sbs.add_version_arguments(parser, rounds=5)
    parser.add_argument("--volunteers", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--now", default="2026-12-07T06:00:00+00:00")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.database_url, args.volunteers, args.repeat, args.now)))
        return
    runs = sbs.alternate(args, lambda code: _run(code, args))
    lines = [f"{'version':10} {'cpu ms/visit':>13} {'wall ms':>9} {'SQL/visit':>10} {'Shift rows':>11}  digest"]
    for name, found in runs.items():
        median = sbs.medians(found)
        lines.append(
            f"{name:10} {median('cpu_ms_per_visit'):13.1f} {median('wall_ms_per_visit'):9.1f} "
            f"{median('statements_per_visit'):10.1f} {median('shift_rows_built_per_visit'):11.1f}  "
            f"{found[0]['digest'][:16]} ({found[0]['volunteers']} volunteers, {found[0]['suggestions']} suggestions)"
        )
    lines.append(sbs.load_line(runs))
    sbs.write_results("recommended_shift_rows", args, {"runs": runs}, lines)


if __name__ == "__main__":
    main()
