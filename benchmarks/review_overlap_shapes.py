"""The review queue's counts on a seeded city and what the overlapping-shift probe costs in them, against the
other shapes of that condition tried (the same counts, asserted equal).

    .venv/bin/python benchmarks/review_overlap_shapes.py --city-url postgresql+psycopg://postgres@127.0.0.1:5432/city \
        [--city-url sqlite:////tmp/city.sqlite3] [--runs 7] [--label NAME]

Each city was seeded with ``marketplace seed city --streets 100 --volunteers 100000 --needs 50000 --offers
20000`` (about 27,600 pending items, 20,300 of them sign-ups). For the city admin's counts
(``inbox.count_inbox``: no filter, "any conflict", "overlapping shift") it times, in one session, read only:

- ``probe``: the app's shape, a correlated EXISTS per pending sign-up (inbox._conflict_conditions);
- ``none``: the same counts with the overlap condition replaced by FALSE (wrong counts): what the probe costs;
- ``set``: the overlapping sign-ups as one uncorrelated ``match.id IN (SELECT ...)`` (a hashed subplan);
- ``cte``: the same set read first in a materialized CTE of the pending sign-ups and their shifts;
- ``nested`` (PostgreSQL only): the app's shape with hash and merge joins off for the query (``SET LOCAL``),
  so each pending item reaches its need, offer, line and shift by index instead of hashing those tables.

Writes ``benchmarks/results/review_overlap_shapes[_LABEL].{txt,json}``.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.db.engine import create_db_engine
from marketplace.matches import inbox
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Shift
from marketplace.settings import DatabaseSettings
from marketplace.volunteers.models import ShiftSignup

RESULTS = Path(__file__).resolve().parent / "results"
APP_SHAPE = inbox._conflict_conditions
Conditions = Callable[[inbox.Clock], dict[str, ColumnElement[bool]]]


def _overlapping(materialized: bool) -> Any:
    """The pending sign-ups whose volunteer holds a slot on another shift overlapping theirs, as one select."""
    asked, own, other = aliased(Match), aliased(Shift), aliased(Shift)
    holds = sa.and_(ShiftSignup.volunteer_id == asked.volunteer_id, col(ShiftSignup.status).in_(inbox._SLOT_HOLDERS))
    if not materialized:
        return (
            sa.select(asked.id)
            .join(own, own.id == asked.shift_id)
            .join(ShiftSignup, holds)
            .join(other, other.id == ShiftSignup.shift_id)
            .where(
                asked.status == MatchStatus.PROPOSED,
                asked.kind == MatchKind.VOLUNTEER_SHIFT,
                other.id != own.id,
                other.starts_at < own.ends_at,
                other.ends_at > own.starts_at,
            )
        )
    pending = (
        sa.select(asked.id, asked.volunteer_id, own.id.label("shift_id"), own.starts_at, own.ends_at)
        .join(own, own.id == asked.shift_id)
        .where(asked.status == MatchStatus.PROPOSED, asked.kind == MatchKind.VOLUNTEER_SHIFT)
        .cte("asked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        sa.select(pending.c.id)
        .join(
            ShiftSignup,
            sa.and_(
                ShiftSignup.volunteer_id == pending.c.volunteer_id, col(ShiftSignup.status).in_(inbox._SLOT_HOLDERS)
            ),
        )
        .join(other, other.id == ShiftSignup.shift_id)
        .where(other.id != pending.c.shift_id, other.starts_at < pending.c.ends_at, other.ends_at > pending.c.starts_at)
    )


def _shape(overlap: Callable[[], ColumnElement[bool]]) -> Conditions:
    def conditions(clock: inbox.Clock) -> dict[str, ColumnElement[bool]]:
        return APP_SHAPE(clock) | {"shift_overlap": sa.and_(Match.kind == MatchKind.VOLUNTEER_SHIFT, overlap())}

    return conditions


SHAPES: dict[str, Conditions] = {
    "probe": APP_SHAPE,
    "none": _shape(sa.false),
    "set": _shape(lambda: col(Match.id).in_(_overlapping(materialized=False))),
    "cte": _shape(lambda: col(Match.id).in_(_overlapping(materialized=True))),
}


def _measure(url: str, runs: int) -> dict[str, Any]:
    engine = create_db_engine(DatabaseSettings(url=url))
    views: list[dict[str, Any]] = []
    try:
        with Session(engine) as db:
            clock = inbox.Clock.at(db=db, streets=None)
            names = [*SHAPES, *(["nested"] if url.startswith("postgresql") else [])]
            for conflict in (None, inbox.ANY_CONFLICT, "shift_overlap"):
                filters = inbox.InboxFilters(conflict=conflict)
                timings: dict[str, list[float]] = {name: [] for name in names}
                answers: dict[str, tuple[int, int, int]] = {}
                for _ in range(runs + 1):  # the first round warms the caches and is dropped
                    for name in names:
                        inbox._conflict_conditions = SHAPES.get(name, APP_SHAPE)
                        if name == "nested":
                            db.execute(sa.text("SET LOCAL enable_hashjoin = off"))
                            db.execute(sa.text("SET LOCAL enable_mergejoin = off"))
                        began = time.perf_counter()
                        counts = inbox.count_inbox(db, filters, clock)
                        timings[name].append((time.perf_counter() - began) * 1000)
                        db.rollback()  # ends the SET LOCAL; the counts only read
                        answers[name] = (counts.total, counts.conflicts["shift_overlap"], counts.conflicts["any"])
                inbox._conflict_conditions = APP_SHAPE
                assert all(answer == answers["probe"] for name, answer in answers.items() if name != "none"), answers
                row = {"conflict": conflict or "", "counts": answers["probe"]}
                for name, values in timings.items():
                    kept = sorted(values[1:])
                    row[name] = {"median_ms": round(statistics.median(kept), 1), "min_ms": round(kept[0], 1)}
                views.append(row)
                print(
                    f"{url.split(':')[0]:10} conflict={row['conflict'] or '-':14} "
                    + "  ".join(f"{name} {row[name]['median_ms']:6.1f}" for name in names),
                    flush=True,
                )
    finally:
        inbox._conflict_conditions = APP_SHAPE
        engine.dispose()
    return {"backend": url.split("+")[0].split(":")[0], "runs": runs, "views": views}


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city-url", action="append", required=True, help="a seeded city (repeat for several)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    started_load = _load()
    runs = [_measure(url, args.runs) for url in args.city_url]
    lines = [
        f"The city admin's review counts (inbox.count_inbox), {args.runs} runs per shape, median (min) ms",
        f"{'backend':12} {'conflict':14} {'total/overlap/any':>20} "
        + " ".join(f"{name:>17}" for name in [*SHAPES, "nested"]),
    ]
    for run in runs:
        for row in run["views"]:
            figures = " ".join(
                f"{row[n]['median_ms']:8.1f} ({row[n]['min_ms']:6.1f})" for n in [*SHAPES, "nested"] if n in row
            )
            counts = "/".join(str(n) for n in row["counts"])
            lines.append(f"{run['backend']:12} {row['conflict'] or '-':14} {counts:>20} {figures}")
    text = "\n".join(lines) + f"\n\nload average at the start: {started_load}, at the end: {_load()}\n"
    print("\n" + text)
    record = {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "load": _load()},
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    name = "review_overlap_shapes" + (f"_{args.label}" if args.label else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.txt").write_text(text)


if __name__ == "__main__":
    main()
