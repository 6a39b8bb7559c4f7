"""CPU per visit of the suggestions (``for_me.projects_for_partner`` and ``for_me.tasks_for_volunteer``, what
``/recommended`` ranks), two versions of the code side by side, with a digest of what they suggest.

    .venv/bin/python benchmarks/recommended_need_rows.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h5db --baseline /tmp/base --rounds 3

On the load city of ``web_load_reads.py`` (``marketplace seed city --streets 2 --volunteers 10000 --needs 4000
--offers 1600``). Each run is a fresh process (``PYTHONPATH`` = this checkout or ``--baseline``) that asks the
suggestions of every partner with an organization and of ``--volunteers`` volunteers (every n-th profile) at one
fixed moment (``--now``), once to warm up and then ``--repeat`` times, and reports per visit the process CPU time,
the SQL statements, the most ids one statement binds, the whole Need rows the ORM builds, and a digest of every
suggestion (need, line or shift, the score's exact bits, reasons' texts, the offer's title). The runs alternate
(A B, then B A, ...) since the machine is shared; the table gives medians over the rounds.

Writes ``benchmarks/results/recommended_need_rows.<sqlite|postgres>[.label].json`` and ``.txt``.
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


def _line(who: int, s: Any) -> str:
    reasons = [getattr(r, "text", None) or repr(r) for r in s.reasons]
    found: list[Any] = [who, s.need.id, s.need.title, s.score.hex(), reasons, s.offer_title]
    if s.shift is not None:
        found += [s.shift.id, s.shift.title, s.shift.starts_at.isoformat(), s.need.description]
    if s.line is not None:
        found += [s.line.id, s.line.description, str(s.line.still_needed), s.line.unit, s.need.description]
    return json.dumps(found, ensure_ascii=False, default=str)


def _worker(url: str, count: int, repeat: int, now_text: str) -> dict[str, Any]:
    os.environ["MARKETPLACE_DATABASE_URL"] = url
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession
    from sqlmodel import Session

    import marketplace.app  # noqa: F401
    from marketplace.accounts.models import Role, User
    from marketplace.needs.models import Need
    from marketplace.recommend import for_me
    from marketplace.recommend import records as rows
    from marketplace.volunteers.models import VolunteerProfile

    now = datetime.fromisoformat(now_text)
    for module in (for_me, rows):
        module.utcnow = lambda: now  # type: ignore[attr-defined]
    engine = sa.create_engine(url)
    counts = {"statements": 0, "built": 0, "bound": 0}

    def executed(_c: Any, _cur: Any, _s: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        counts["statements"] += 1
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        counts["bound"] = max(counts["bound"], len(list(values)))

    event.listen(engine, "before_cursor_execute", executed)

    @event.listens_for(OrmSession, "loaded_as_persistent")
    def _loaded(session: Any, instance: Any) -> None:
        if isinstance(instance, Need):
            counts["built"] += 1

    with Session(engine) as db:
        organizations = sorted(
            {
                int(i)
                for i in db.execute(
                    sa.select(User.organization_id).where(User.role == Role.PARTNER, User.organization_id.is_not(None))
                ).scalars()
            }
        )
        ids = [int(i) for i in db.execute(sa.select(VolunteerProfile.id).order_by(VolunteerProfile.id)).scalars()]
    volunteers = ids[:: max(len(ids) // count, 1)][:count]
    asks = [("partner", for_me.projects_for_partner, i) for i in organizations]
    asks += [("volunteer", for_me.tasks_for_volunteer, i) for i in volunteers]
    result: dict[str, Any] = {}
    for role in ("partner", "volunteer"):
        mine = [(ask, who) for name, ask, who in asks if name == role]
        digest = hashlib.sha256()
        shown = 0
        for ask, who in mine:  # warm-up, and the digest
            with Session(engine) as db:
                for suggestion in ask(db, who):
                    shown += 1
                    digest.update(_line(who, suggestion).encode())
        counts.update(statements=0, built=0, bound=0)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            for ask, who in mine:
                with Session(engine) as db:
                    ask(db, who)
        visits = repeat * len(mine)
        result[role] = {
            "visitors": len(mine),
            "suggestions": shown,
            "digest": digest.hexdigest(),
            "cpu_ms_per_visit": (time.process_time() - cpu) * 1000 / visits,
            "wall_ms_per_visit": (time.perf_counter() - wall) * 1000 / visits,
            "statements_per_visit": counts["statements"] / visits,
            "need_rows_built_per_visit": counts["built"] / visits,
            "most_bound_parameters": counts["bound"],
        }
    return result


def _run(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    arguments = ["--database-url", args.database_url, "--volunteers", str(args.volunteers)]
    found, load = sbs.worker_run(__file__, code, [*arguments, "--repeat", str(args.repeat), "--now", args.now])
    return {**found, "load_at_start": load}


def main() -> None:
    parser = argparse.ArgumentParser()
    sbs.add_version_arguments(parser, rounds=3)
    parser.add_argument("--volunteers", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--now", default="2026-12-07T06:00:00+00:00")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--runs-from", help="the lines a run printed (name, then its JSON): report those runs")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.database_url, args.volunteers, args.repeat, args.now)))
        return
    runs = sbs.alternate(args, lambda code: _run(code, args), runs_from=args.runs_from)
    lines = [
        f"{'role':10} {'version':9} {'cpu ms/visit':>13} {'wall ms':>8} {'SQL/visit':>10} {'Need rows':>10} "
        f"{'most ids':>9}  digest"
    ]
    for role in ("partner", "volunteer"):
        for name, found in runs.items():
            median = sbs.medians(found, role)
            first = found[0][role]
            lines.append(
                f"{role:10} {name:9} {median('cpu_ms_per_visit'):13.1f} {median('wall_ms_per_visit'):8.1f} "
                f"{median('statements_per_visit'):10.1f} {median('need_rows_built_per_visit'):10.1f} "
                f"{median('most_bound_parameters'):9.0f}  {first['digest'][:16]} "
                f"({first['visitors']} visitors, {first['suggestions']} suggestions)"
            )
    lines.append(sbs.load_line(runs))
    sbs.write_results("recommended_need_rows", args, {"runs": runs}, lines)


if __name__ == "__main__":
    main()
