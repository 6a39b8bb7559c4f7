"""The review queue's counts on a seeded city and what the overlapping-shift probe costs in them, against the
other shapes of that condition tried (the same counts, asserted equal).

    .venv/bin/python benchmarks/review_overlap_shapes.py --city-url postgresql+psycopg://postgres@127.0.0.1:5432/city \
        [--city-url sqlite:////tmp/city.sqlite3] [--runs 7] [--label NAME]

Each city was seeded with ``marketplace seed city --streets 100 --volunteers 100000 --needs 50000 --offers
20000`` (about 27,600 pending items, 20,300 of them sign-ups). For the city admin's counts
(``inbox.count_inbox``: no filter, "any conflict", "overlapping shift") it times, in one session, read only:

- ``probe``: the app's shape, a correlated EXISTS per pending sign-up (inbox._conflict_conditions; about 20,300
  index lookups on the city);
- ``sweep``: one set-based query instead, a sweep over the pending sign-ups' volunteers' held shifts with window
  functions (``earliest_overlaps`` below: it names the earliest overlapping shift, exactly as
  conflicts.overlaps_of does, tests/test_review_overlap_sweep.py), as an uncorrelated ``match.id IN (...)``;
- ``none``: the same counts with the overlap condition replaced by FALSE (wrong counts): what the probe costs;
- ``set``: the overlapping sign-ups as one uncorrelated ``match.id IN (SELECT ...)`` (a hashed subplan);
- ``cte``: the same set read first in a materialized CTE of the pending sign-ups and their shifts;
- ``nested`` (PostgreSQL only): the app's shape with hash and merge joins off for the query (``SET LOCAL``),
  so each pending item reaches its need, offer, line and shift by index instead of hashing those tables.

On the city, at a load average of 12-15 on 2 CPUs, the sweep took 1.5-2.5 times the probe's time on both
databases and the set shapes were slower too (results/review_overlap_shapes.txt): the probe is about 20,300
index-only lookups, while any set shape reads the same held slots and then hashes or sorts them as well.

Writes ``benchmarks/results/review_overlap_shapes[_LABEL].{txt,json}``.
"""

import argparse
import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col
from timing import in_turns, load, summary, write_results

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.db.engine import create_db_engine
from marketplace.matches import held_time, inbox
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Shift
from marketplace.settings import DatabaseSettings
from marketplace.volunteers.models import ShiftSignup

SLOT_HOLDERS = held_time.SLOT_HOLDERS  # a volunteer holds a slot with these
APP_SHAPE = inbox._conflict_conditions
Conditions = Callable[[inbox.Clock], dict[str, ColumnElement[bool]]]


# The sweep, for a whole set of pending sign-ups in one statement instead of one lookup per sign-up:
# 1. the held shifts of the sign-ups' volunteers, in order of (start, id) per volunteer, each with ``reach``,
#    the latest end among it and the ones before it (a running maximum), and the next held shift;
# 2. the held shifts and the pending sign-ups in one list per volunteer, ordered by reach and by start: a
#    sign-up starting at s is overlapped first by the first held shift whose reach passes s (the reach never
#    falls, so it is the least-numbered held shift after the sign-up in that order, a window MIN);
# 3. that held shift, if it starts before the sign-up ends, is the answer, unless it is the sign-up's own
#    shift: then the next held shift is (it starts no earlier, so it ends after s), if it starts before the
#    sign-up ends. A shift ends after it starts (``shift_ends_after_start``), which step 3 relies on.


def earliest_overlaps(asked: Any) -> sa.Select[Any]:
    """``(match_id, shift_id)``: for each pending sign-up of ``asked`` (a subquery or CTE with the columns
    ``id``, ``volunteer_id``, ``shift_id``, ``starts_at`` and ``ends_at`` of the sign-up's own shift) that
    overlaps a shift its volunteer holds, the earliest such shift's id. Sign-ups without one are left out."""
    order = (col(Shift.starts_at), col(Shift.id))
    by_volunteer = {"partition_by": ShiftSignup.volunteer_id, "order_by": order}
    held = (
        sa.select(
            col(ShiftSignup.volunteer_id).label("volunteer_id"),
            col(Shift.id).label("id"),
            col(Shift.starts_at).label("starts_at"),
            sa.func.row_number().over(**by_volunteer).label("k"),
            sa.func.max(Shift.ends_at).over(**by_volunteer, rows=(None, 0)).label("reach"),
            sa.func.lead(Shift.id).over(**by_volunteer).label("next_id"),
            sa.func.lead(Shift.starts_at).over(**by_volunteer).label("next_starts_at"),
        )
        .join(Shift, col(Shift.id) == ShiftSignup.shift_id)
        .where(
            col(ShiftSignup.status).in_(SLOT_HOLDERS),
            col(ShiftSignup.volunteer_id).in_(sa.select(asked.c.volunteer_id)),
        )
        .cte("held")
    )
    events = sa.union_all(
        # A held shift whose reach equals s does not overlap a sign-up starting at s: it sorts first (tag 0).
        sa.select(
            held.c.volunteer_id,
            held.c.reach.label("at"),
            sa.literal_column("0").label("tag"),
            held.c.k,
            sa.cast(sa.null(), sa.Integer).label("match_id"),
        ),
        sa.select(
            asked.c.volunteer_id,
            asked.c.starts_at,
            sa.literal_column("1"),
            sa.cast(sa.null(), sa.Integer),
            asked.c.id,
        ),
    ).subquery("events")
    swept = (
        sa.select(
            events.c.match_id,
            events.c.volunteer_id,
            events.c.tag,
            sa.func.min(events.c.k)
            .over(
                partition_by=events.c.volunteer_id,
                order_by=(events.c.at, events.c.tag),
                rows=(0, None),
            )
            .label("first"),
        )
    ).subquery("swept")
    first = held.alias("first_held")
    own = first.c.id == asked.c.shift_id
    chosen_id = sa.case((own, first.c.next_id), else_=first.c.id)
    chosen_starts_at = sa.case((own, first.c.next_starts_at), else_=first.c.starts_at)
    return (
        sa.select(swept.c.match_id, chosen_id.label("shift_id"))
        .join(asked, asked.c.id == swept.c.match_id)
        .join(first, sa.and_(first.c.volunteer_id == swept.c.volunteer_id, first.c.k == swept.c.first))
        .where(swept.c.tag == 1, chosen_starts_at < asked.c.ends_at)
    )


def _sweep() -> ColumnElement[bool]:
    """The pending sign-ups the sweep finds, as one uncorrelated ``match.id IN (...)``."""
    asked, own = aliased(Match), aliased(Shift)
    pending = (
        sa.select(asked.id, asked.volunteer_id, own.id.label("shift_id"), own.starts_at, own.ends_at)
        .join(own, own.id == asked.shift_id)
        .where(asked.status == MatchStatus.PROPOSED, asked.kind == MatchKind.VOLUNTEER_SHIFT)
    )
    found = earliest_overlaps(pending.cte("asked")).subquery("overlapping")
    return col(Match.id).in_(sa.select(found.c.match_id))


def _overlapping(materialized: bool) -> Any:
    """The pending sign-ups whose volunteer holds a slot on another shift overlapping theirs, as one select."""
    asked, own, other = aliased(Match), aliased(Shift), aliased(Shift)
    holds = sa.and_(ShiftSignup.volunteer_id == asked.volunteer_id, col(ShiftSignup.status).in_(SLOT_HOLDERS))
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
            sa.and_(ShiftSignup.volunteer_id == pending.c.volunteer_id, col(ShiftSignup.status).in_(SLOT_HOLDERS)),
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
    "sweep": _shape(_sweep),
    "none": _shape(sa.false),
    "set": _shape(lambda: col(Match.id).in_(_overlapping(materialized=False))),
    "cte": _shape(lambda: col(Match.id).in_(_overlapping(materialized=True))),
}


def _use(db: Session, name: str) -> None:
    """Make the inbox evaluate the overlap as the shape ``name`` does (untimed, before each call)."""
    inbox._conflict_conditions = SHAPES.get(name, APP_SHAPE)
    if name == "nested":
        db.execute(sa.text("SET LOCAL enable_hashjoin = off"))
        db.execute(sa.text("SET LOCAL enable_mergejoin = off"))


def _counts(db: Session, filters: inbox.InboxFilters, clock: inbox.Clock) -> tuple[int, int, int]:
    counts = inbox.count_inbox(db, filters, clock)
    return (counts.total, counts.conflicts["shift_overlap"], counts.conflicts["any"])


def _measure(url: str, runs: int, shapes: list[str]) -> dict[str, Any]:
    engine = create_db_engine(DatabaseSettings(url=url))
    views: list[dict[str, Any]] = []
    try:
        with Session(engine) as db:
            clock = inbox.Clock.at(db=db, streets=None)
            names = [name for name in shapes if name != "nested" or url.startswith("postgresql")]
            for conflict in (None, inbox.ANY_CONFLICT, "shift_overlap"):
                filters = inbox.InboxFilters(conflict=conflict)
                timed = in_turns(
                    {name: functools.partial(_counts, db, filters, clock) for name in names},
                    runs,
                    before=functools.partial(_use, db),
                    after=lambda _name: db.rollback(),  # ends the SET LOCAL; the counts only read
                )
                inbox._conflict_conditions = APP_SHAPE
                answers = {name: found.answer for name, found in timed.items()}
                assert all(answer == answers["probe"] for name, answer in answers.items() if name != "none"), answers
                row = {"conflict": conflict or "", "counts": answers["probe"]}
                for name, found in timed.items():
                    row[name] = summary(found)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city-url", action="append", required=True, help="a seeded city (repeat for several)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--label", default="")
    every = [*SHAPES, "nested"]
    parser.add_argument("--shapes", nargs="+", choices=every, default=every, help="the shapes to time (probe first)")
    args = parser.parse_args()
    started_load = load()
    shapes = ["probe", *(name for name in args.shapes if name != "probe")]
    runs = [_measure(url, args.runs, shapes) for url in args.city_url]
    lines = [
        f"The city admin's review counts (inbox.count_inbox), {args.runs} runs per shape, median (min) ms",
        f"{'backend':12} {'conflict':14} {'total/overlap/any':>20} " + " ".join(f"{name:>17}" for name in shapes),
    ]
    for run in runs:
        for row in run["views"]:
            figures = " ".join(f"{row[n]['median_ms']:8.1f} ({row[n]['min_ms']:6.1f})" for n in shapes if n in row)
            counts = "/".join(str(n) for n in row["counts"])
            lines.append(f"{run['backend']:12} {row['conflict'] or '-':14} {counts:>20} {figures}")
    text = "\n".join(lines) + f"\n\nload average at the start: {started_load}, at the end: {load()}\n"
    print("\n" + text)
    name = "review_overlap_shapes" + (f"_{args.label}" if args.label else "")
    write_results(name, text, started_load=started_load, runs=runs)


if __name__ == "__main__":
    main()
