"""The city admin's review queue queries on copies of one seeded city in different states, timed in turns.

    .venv/bin/python benchmarks/review_city_admin.py \
        --city-url fresh=postgresql+psycopg://postgres@127.0.0.1:5432/city_fresh \
        --city-url vacuumed=postgresql+psycopg://postgres@127.0.0.1:5432/city_vacuumed \
        [--street-admin aoshanwei-admin] [--runs 9] [--label NAME] [--set COPY:SETTING=VALUE]

Each copy was seeded with ``marketplace seed city --streets 100 --volunteers 100000 --needs 50000 --offers
20000`` and then changed in one way (VACUUM, a migration, ...). On a shared host the load moves from one
minute to the next; so one run times every copy in turn, query by query, and the medians compare copies
measured under the same load. For each copy, read only and in one session, it times the city admin's
counts (``inbox.count_inbox``: no filter, "any conflict", "overlapping shift") and the first page's ids
(``inbox.page_ids``, the default sort), and a street admin's counts and ids; the answers of every copy
are asserted equal. ``--set serial:max_parallel_workers_per_gather=0`` gives one copy's sessions a
PostgreSQL setting (two names for one URL compare a setting on the same data). On PostgreSQL it also
records the shared buffers each query touched (``EXPLAIN (ANALYZE, BUFFERS)``, one run): the work a query
does, which the host's load does not move.

Writes ``benchmarks/results/review_city_admin[_LABEL].{txt,json}``.
"""

import argparse
import functools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from timing import in_turns, load, summary, write_results

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.accounts.models import User
from marketplace.db.engine import create_db_engine
from marketplace.matches import inbox
from marketplace.settings import DatabaseSettings

Query = Callable[[Session], Any]


def _street_of(db: Session, username: str) -> frozenset[int] | None:
    street_id = db.execute(sa.select(User.street_id).where(User.username == username)).scalar_one()
    return None if street_id is None else frozenset({street_id})


def _queries(db: Session, street_admin: str) -> dict[str, Query]:
    street = _street_of(db, street_admin)

    def counts(streets: frozenset[int] | None, conflict: str | None) -> Query:
        def run(session: Session) -> Any:
            clock = inbox.Clock.at(db=session, streets=streets)
            found = inbox.count_inbox(session, inbox.InboxFilters(conflict=conflict, streets=streets), clock)
            return (found.total, found.conflicts["shift_overlap"], found.conflicts["any"], found.due_today)

        return run

    def ids(streets: frozenset[int] | None) -> Query:
        def run(session: Session) -> Any:
            clock = inbox.Clock.at(db=session, streets=streets)
            filters = inbox.InboxFilters(streets=streets)
            return tuple(inbox.page_ids(session, filters, inbox.InboxSort.DUE, clock, offset=0, limit=inbox.PAGE_SIZE))

        return run

    return {
        "city counts": counts(None, None),
        "city counts, any conflict": counts(None, inbox.ANY_CONFLICT),
        "city counts, overlapping shift": counts(None, "shift_overlap"),
        "city page ids": ids(None),
        f"{street_admin} counts": counts(street, None),
        f"{street_admin} page ids": ids(street),
    }


def _cpu_reader(db: Session) -> Callable[[], float]:
    """Milliseconds of CPU the session's database has spent so far: PostgreSQL's backend process's (its
    /proc schedstat, on this host), SQLite's this process's. Unlike the wall clock, the load of a shared
    host barely moves it (the caches the other processes share aside)."""
    if db.get_bind().dialect.name != "postgresql":
        return lambda: time.process_time() * 1000
    pid = db.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/schedstat")
    if not stat.exists():  # a server on another host
        return lambda: float("nan")
    return lambda: int(stat.read_text().split()[0]) / 1e6


def _buffers(db: Session, query: Query) -> int:
    """The shared buffers the query's statements touched (their EXPLAIN ANALYZE, PostgreSQL)."""
    statements: list[tuple[str, Any]] = []
    engine = db.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        query(db)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    total = 0
    connection = db.connection()
    for statement, parameters in statements:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + statement, parameters).all()
        top = next((row[0] for row in plan if "Buffers:" in row[0]), "")
        total += sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))
    db.rollback()
    return total


def _measure(
    urls: dict[str, str], street_admin: str, runs: int, settings: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    engines = {name: create_db_engine(DatabaseSettings(url=url)) for name, url in urls.items()}
    sessions = {name: Session(engine) for name, engine in engines.items()}
    try:
        for copy, assignments in (settings or {}).items():
            for assignment in assignments:
                name, value = assignment.split("=", 1)
                sessions[copy].execute(
                    sa.text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
                )
            sessions[copy].commit()  # a SET rolled back is undone; committed, it lasts the session
        first = next(iter(sessions.values()))
        names = list(_queries(first, street_admin))
        queries = {name: _queries(db, street_admin) for name, db in sessions.items()}
        cpu = {copy: _cpu_reader(db) for copy, db in sessions.items()}
        cases = {
            (query, copy): functools.partial(queries[copy][query], db)
            for query in names
            for copy, db in sessions.items()
        }
        readers = {(query, copy): cpu[copy] for query, copy in cases}
        timed = in_turns(cases, runs, cpu=readers, after=lambda case: sessions[case[1]].rollback())
        answers = {copy: {query: timed[(query, copy)].answer for query in names} for copy in urls}
        reference = next(iter(answers.values()))
        for copy, found in answers.items():
            assert found == reference, (copy, found, reference)
        buffers = {
            copy: {q: _buffers(db, queries[copy][q]) for q in names}
            for copy, db in sessions.items()
            if db.get_bind().dialect.name == "postgresql"
        }
    finally:
        for db in sessions.values():
            db.close()
        for engine in engines.values():
            engine.dispose()
    rows = []
    for query in names:
        row: dict[str, Any] = {"query": query, "answer": str(reference[query])[:60]}
        for copy in urls:
            row[copy] = summary(timed[(query, copy)])
            if copy in buffers:
                row[copy]["buffers"] = buffers[copy][query]
        rows.append(row)
    return {"runs": runs, "copies": urls, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city-url", action="append", required=True, help="NAME=URL of a seeded copy (repeat)")
    parser.add_argument("--street-admin", default="aoshanwei-admin")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--label", default="")
    parser.add_argument("--set", action="append", default=[], help="COPY:SETTING=VALUE for a copy's sessions")
    args = parser.parse_args()
    urls = dict(item.split("=", 1) for item in args.city_url)
    settings: dict[str, list[str]] = {}
    for item in args.set:
        copy, assignment = item.split(":", 1)
        settings.setdefault(copy, []).append(assignment)
    started_load = load()
    result = _measure(urls, args.street_admin, args.runs, settings)
    result["settings"] = settings
    width = max(len(row["query"]) for row in result["rows"])
    lines = [
        f"The review queue's queries on copies of a seeded city, {args.runs} runs each in turns, "
        "median (min) ms of the wall clock, the database's median CPU ms, [shared buffers, PostgreSQL]",
        f"{'query':{width}} " + " ".join(f"{copy:>30}" for copy in urls),
    ]
    for row in result["rows"]:
        cells = []
        for copy in urls:
            cell = row[copy]
            text = f"{cell['median_ms']:.0f} ({cell['min_ms']:.0f}) {cell['cpu_ms']:.0f}"
            if "buffers" in cell:
                text += f" [{cell['buffers']:,}]"
            cells.append(f"{text:>30}")
        lines.append(f"{row['query']:{width}} " + " ".join(cells))
    lines.append("")
    lines += [f"{copy}: {url} {' '.join(settings.get(copy, []))}".rstrip() for copy, url in urls.items()]
    text = "\n".join(lines) + f"\n\nload average at the start: {started_load}, at the end: {load()}\n"
    print(text)
    write_results(
        "review_city_admin" + (f"_{args.label}" if args.label else ""), text, started_load=started_load, **result
    )


if __name__ == "__main__":
    main()
