"""What a matching round reads before it plans (``rounds.inputs.load``): time, SQL statements and the most ids one
statement binds, two versions of the code side by side, with a digest of what each read.

    .venv/bin/python benchmarks/round_inputs.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h5db --baseline /tmp/base --rounds 3

On the load city of ``web_load_reads.py`` (``marketplace seed city --streets 2 --volunteers 10000 --needs 4000
--offers 1600``). Each run is a fresh process (``PYTHONPATH`` = this checkout or ``--baseline``) that loads the
inputs of every street's round and of the whole city's at one fixed moment (``--now``), once to warm up and then
``--repeat`` times; the digest covers every record (lines, shifts, offers, volunteers, pairs taken, busy windows).
The runs alternate (A B, then B A, ...); the table gives medians over the rounds.

Writes ``benchmarks/results/round_inputs.<sqlite|postgres>[.label].json`` and ``.txt``.
"""

import argparse
import dataclasses
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


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return sorted((str(_plain(k)), _plain(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value.hex()
    return value if isinstance(value, int | str | type(None)) else str(value)


def _worker(url: str, repeat: int, now_text: str) -> dict[str, Any]:
    os.environ["MARKETPLACE_DATABASE_URL"] = url
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlmodel import Session

    import marketplace.app  # noqa: F401
    from marketplace.places.models import Street
    from marketplace.rounds import inputs

    now = datetime.fromisoformat(now_text)
    engine = sa.create_engine(url)
    counts = {"statements": 0, "bound": 0}

    def executed(_c: Any, _cur: Any, _s: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        counts["statements"] += 1
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        counts["bound"] = max(counts["bound"], len(list(values)))

    event.listen(engine, "before_cursor_execute", executed)
    with Session(engine) as db:
        streets: list[int | None] = [*db.execute(sa.select(Street.id).order_by(Street.id)).scalars(), None]
    result: dict[str, Any] = {}
    for street_id in streets:
        with Session(engine) as db:
            loaded = inputs.load(db, now, street_id)
        digest = hashlib.sha256(json.dumps(_plain(loaded), ensure_ascii=False).encode()).hexdigest()
        counts.update(statements=0, bound=0)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            with Session(engine) as db:
                inputs.load(db, now, street_id)
        result["city" if street_id is None else f"street {street_id}"] = {
            "lines": len(loaded.lines),
            "shifts": len(loaded.shifts),
            "digest": digest,
            "cpu_ms": (time.process_time() - cpu) * 1000 / repeat,
            "wall_ms": (time.perf_counter() - wall) * 1000 / repeat,
            "statements": counts["statements"] / repeat,
            "most_bound_parameters": counts["bound"],
        }
    return result


def _run(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    arguments = ["--database-url", args.database_url, "--repeat", str(args.repeat), "--now", args.now]
    found, load = sbs.worker_run(__file__, code, arguments)
    return {"scopes": found, "load_at_start": load}


def main() -> None:
    parser = argparse.ArgumentParser()
    sbs.add_version_arguments(parser, rounds=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--now", default="2026-12-07T06:00:00+00:00")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.database_url, args.repeat, args.now)))
        return
    runs = sbs.alternate(args, lambda code: _run(code, args))
    lines = [f"{'scope':9} {'version':9} {'cpu ms':>8} {'wall ms':>8} {'SQL':>6} {'most ids':>9}  digest"]
    for scope in next(iter(runs.values()))[0]["scopes"]:
        for name, found in runs.items():
            median = sbs.medians(found, "scopes", scope)
            first = found[0]["scopes"][scope]
            lines.append(
                f"{scope:9} {name:9} {median('cpu_ms'):8.1f} {median('wall_ms'):8.1f} {median('statements'):6.0f} "
                f"{median('most_bound_parameters'):9.0f}  {first['digest'][:16]} "
                f"({first['lines']} lines, {first['shifts']} shifts)"
            )
    lines.append(sbs.load_line(runs))
    sbs.write_results("round_inputs", args, {"runs": runs}, lines)


if __name__ == "__main__":
    main()
