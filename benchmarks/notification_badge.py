"""The unread badge counting entries (distinct digest key and street day) against counting rows, and the centre page.

    .venv/bin/python benchmarks/notification_badge.py [--unread 5000] [--others 100000] [--runs 15] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The badge is computed on every signed-in page, inside the login check (``centre.unread_count_of``). Grouping
at read time keeps one row per notification; the price is a COUNT(DISTINCT key || day) instead of a COUNT.
This fills a fresh database (a SQLite file; and a scratch PostgreSQL database when ``--database-url`` is
given, dropped afterwards) with one admin holding ``--unread`` unread notifications, 45 to a round's entry,
spread over thirty days, and ``--others`` rows of 2,000 other users; then times, in turns:

- rows: the badge as it was, COUNT of the admin's unread rows;
- entries: the badge as it is, ``unread_count_of`` (the entries the centre shows);
- centre: ``centre_page`` for the admin, unread only (what /notifications runs).

Writes ``benchmarks/results/notification_badge.{txt,json}``.
"""

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import in_turns, summary, write_results

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.accounts.models import Role, User
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import scratch_postgres_database
from marketplace.notifications.centre import centre_page, unread_count_of
from marketplace.notifications.models import Notification
from marketplace.settings import DatabaseSettings

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def fill(url: str, unread: int, others: int) -> int:
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    users = [
        {
            "username": f"user{n}",
            "display_name": f"user{n}",
            "password_hash": "x",
            "role": Role.VOLUNTEER if n else Role.ADMIN,
            "is_active": True,
        }
        for n in range(2001)
    ]
    with engine.begin() as db:
        db.execute(sa.insert(User.__table__), users)  # type: ignore[attr-defined]
        ids = list(db.execute(sa.select(User.id).order_by(User.id)).scalars())
    admin, rest = ids[0], ids[1:]
    rows: list[dict[str, Any]] = []
    for n in range(unread):
        entry = n // 45
        rows.append(
            {
                "user_id": admin,
                "kind": "proposal_answered",
                "subject_type": "match",
                "subject_id": n + 1,
                "digest_key": f"proposal_answered:round:{entry + 1}:accepted",
                "payload": {"match_id": n + 1, "need_id": 1, "need_title": "湖岛新村", "answer": "accepted"},
                "created_at": NOW - timedelta(days=entry % 30, minutes=n % 45),
            }
        )
    for n in range(others):
        rows.append(
            {
                "user_id": rest[n % len(rest)],
                "kind": "signup_confirmed",
                "subject_type": "shift",
                "subject_id": n,
                "digest_key": f"signup_confirmed:{rest[n % len(rest)]}",
                "payload": {"need_id": 1, "need_title": "湖岛新村"},
                "created_at": NOW - timedelta(minutes=n),
                "read_at": NOW if n % 3 else None,
            }
        )
    with engine.begin() as db:
        for start in range(0, len(rows), 5000):
            db.execute(sa.insert(Notification.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
    engine.dispose()
    return admin


def measure(url: str, label: str, args: argparse.Namespace) -> dict[str, Any]:
    admin = fill(url, args.unread, args.others)
    engine = create_db_engine(DatabaseSettings(url=url))
    factory = make_session_factory(engine)
    with factory() as db:
        rows_badge = sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == admin,
            Notification.read_at.is_(None),  # type: ignore[union-attr]
        )
        cases = {
            "rows": lambda: db.execute(rows_badge).scalar_one(),
            "entries": lambda: db.execute(sa.select(unread_count_of(admin))).scalar_one(),
            "centre": lambda: len(centre_page(db, admin, unread_only=True).digests),
        }
        timed = in_turns(cases, args.runs)
    engine.dispose()
    return {key: summary(value) | {"answer": value.answer} for key, value in timed.items()} | {"database": label}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unread", type=int, default=5000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(measure(f"sqlite:///{folder}/badge.sqlite3", "sqlite", args))
    if args.database_url:
        with scratch_postgres_database(args.database_url, "bench_notification_badge") as url:
            results.append(measure(url, "postgresql", args))
    lines = [
        f"Unread badge: one admin with {args.unread} unread notifications (45 to an entry), "
        f"{args.others} other rows; median of {args.runs} runs (ms)",
        f"{'database':<12}{'rows':>10}{'entries':>10}{'centre':>10}   answers (rows, entries, entries on page 1)",
    ]
    for found in results:
        answers = (found["rows"]["answer"], found["entries"]["answer"], found["centre"]["answer"])
        lines.append(
            f"{found['database']:<12}{found['rows']['median_ms']:>10}{found['entries']['median_ms']:>10}"
            f"{found['centre']['median_ms']:>10}   {answers}"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    write_results("notification_badge", text, arguments=vars(args), results=results)


if __name__ == "__main__":
    main()
