"""The review inbox at 5,000 pending items: the page and the API, with and without filters.

    .venv/bin/python benchmarks/review_inbox.py [--pending 5000] [--requests 30] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Seeds a synthetic street (seeds/synthetic.py) into a fresh SQLite file, and into a scratch PostgreSQL
database when ``--database-url`` is given, then tops its pending items up to ``--pending`` (line claims,
volunteer sign-ups, whole-project claims and a matching round's proposals, some waiting for their
candidate). It asks each view of ``/review`` and ``GET /api/v1/review`` ``--requests`` times in process
(Litestar's test client: the application's whole stack, template included, no network), after two
warm-up requests, and records the median and p95 milliseconds and the SQL statements each request sent.
Prints the figures and writes ``benchmarks/results/review_inbox.{txt,json}``.

    .venv/bin/python benchmarks/review_inbox.py --city-url postgresql+psycopg://postgres@127.0.0.1:5432/city \
        [--street-admin aoshanwei-admin] [--requests 9] [--label before]

measures instead a city already seeded (``marketplace seed city --streets 100 --volunteers 100000 ...``),
writing nothing but its sign-ins: the city admin's ``/review`` (plain, any conflict, the overlapping-shift
conflict, one community, a search) and ``/volunteers`` (by name, by hours), and a street admin's ``/review``
and ``/volunteers``, signed in as the seed's ``city`` and ``<slug>-admin``; it writes
``benchmarks/results/review_inbox_city[_LABEL].{txt,json}``.
"""

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session
from timing import load, write_results

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.app import create_app
from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import recreate_postgres_database
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community
from marketplace.rounds.models import MatchRound, RoundStatus
from marketplace.security.tokens import create_api_token
from marketplace.settings import DatabaseSettings, Settings
from marketplace.volunteers.models import VolunteerProfile
from seeds.synthetic import seed_synthetic

TODAY = date(2026, 5, 1)
PASSWORD = "bench-admin-password-2026"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _top_up(engine: sa.Engine, pending: int, rng: random.Random) -> dict[str, int]:
    """Add proposed matches until ``pending`` wait: a fifth sign-ups, a twentieth whole-project claims, a
    quarter a round's proposals (a third of them not yet accepted), the rest partners' line claims."""
    now = datetime.now(UTC)
    with Session(engine) as db:
        have = db.execute(sa.select(sa.func.count()).where(Match.status == MatchStatus.PROPOSED)).scalar_one()
        lines = db.execute(sa.select(ResourceLine.id, ResourceLine.need_id)).all()
        offers = db.execute(
            sa.select(Offer.id, Offer.organization_id)
            .join(Organization, Organization.id == Offer.organization_id)  # type: ignore[arg-type]
            .where(Organization.status == OrganizationStatus.APPROVED)
        ).all()
        shifts = db.execute(sa.select(Shift.id, Shift.need_id)).all()
        volunteers = list(db.execute(sa.select(VolunteerProfile.id)).scalars())
        taken = set(
            db.execute(
                sa.select(Match.shift_id, Match.volunteer_id).where(
                    Match.kind == MatchKind.VOLUNTEER_SHIFT,
                    Match.status.in_(["proposed", "approved", "fulfilled"]),  # type: ignore[attr-defined]
                )
            ).all()
        )
        whole_taken = set(
            db.execute(
                sa.select(Match.need_id).where(
                    Match.kind == MatchKind.WHOLE_NEED,
                    Match.status.in_(["proposed", "approved", "fulfilled"]),  # type: ignore[attr-defined]
                )
            ).scalars()
        )
        needs = [n for n in db.execute(sa.select(Need.id)).scalars() if n not in whole_taken]
        match_round = MatchRound(status=RoundStatus.FINISHED, stage="done")
        db.add(match_round)
        db.flush()
        rows: list[dict[str, Any]] = []
        for n in range(max(0, pending - have)):
            created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            common = {"status": "proposed", "created_at": created, "score": round(rng.random(), 3)}
            pick = rng.random()
            if pick < 0.2 and shifts:
                shift_id, need_id = rng.choice(shifts)
                volunteer_id = rng.choice(volunteers)
                if (shift_id, volunteer_id) in taken:
                    continue
                taken.add((shift_id, volunteer_id))
                rows.append(
                    common
                    | {
                        "need_id": need_id,
                        "kind": "volunteer_shift",
                        "source": "volunteer_signup",
                        "shift_id": shift_id,
                        "volunteer_id": volunteer_id,
                    }
                )
            elif pick < 0.25 and needs:
                need_id = needs.pop()
                organization_id = rng.choice(offers)[1]
                rows.append(
                    common
                    | {
                        "need_id": need_id,
                        "kind": "whole_need",
                        "source": "partner_claim",
                        "organization_id": organization_id,
                    }
                )
            else:
                line_id, need_id = rng.choice(lines)
                offer_id, organization_id = rng.choice(offers)
                from_round = pick > 0.75
                rows.append(
                    common
                    | {
                        "need_id": need_id,
                        "kind": "offer_line",
                        "source": "matching_round" if from_round else "partner_claim",
                        "resource_line_id": line_id,
                        "offer_id": offer_id,
                        "organization_id": organization_id,
                        "quantity": rng.randint(1, 20),
                        "round_id": match_round.id if from_round else None,
                        "accepted_at": created if from_round and n % 3 else None,
                    }
                )
        columns = {c.name for c in Match.__table__.columns}  # type: ignore[attr-defined]
        full = [{name: row.get(name) for name in columns if name != "id"} for row in rows]
        if full:
            db.execute(sa.insert(Match), full)
        db.commit()
        total = db.execute(sa.select(sa.func.count()).where(Match.status == MatchStatus.PROPOSED)).scalar_one()
        return {"pending": int(total), "added": len(full), "round_id": int(match_round.id or 0)}


def _admin(engine: sa.Engine) -> str:
    """An admin who signs in to the pages, and an API token for the same admin."""
    with Session(engine) as db:
        street_id = db.execute(sa.text("SELECT id FROM street ORDER BY id LIMIT 1")).scalar_one()
        user = User(
            username="bench-admin",
            display_name="Bench",
            password_hash=hash_password(PASSWORD),
            role=Role.ADMIN,
            street_id=street_id,
        )
        db.add(user)
        db.flush()
        secret, _ = create_api_token(
            db, user_id=user.id or 0, name="bench", scopes=["matches:read"], created_by_id=None
        )
        db.commit()
        return secret


@contextmanager
def _counting(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _views(engine: sa.Engine, round_id: int) -> list[tuple[str, str]]:
    with Session(engine) as db:
        community = db.execute(sa.select(Community.id).order_by(Community.id)).scalars().first()
        title = db.execute(sa.select(Need.title).order_by(Need.id)).scalars().first() or ""
        need_id = db.execute(sa.select(Match.need_id).where(Match.status == "proposed").limit(1)).scalar_one()
    word = title[:2]
    return [
        ("page", "/review"),
        ("page", "/review?kind=volunteer_shift&sort=shift"),
        ("page", f"/review?community={community}&due=today"),
        ("page", "/review?conflict=any&sort=score"),
        ("page", f"/review?q={word}"),
        ("page", f"/review?q=XQ-{need_id:06d}"),
        ("page", f"/review?round={round_id}&answer=awaiting&score=0.5"),
        ("page", "/review?sort=oldest&page=60"),
        ("api", "/api/v1/review"),
        ("api", f"/api/v1/review?kind=offer_line&community={community}&sort=urgency"),
        ("api", f"/api/v1/review?q={word}&conflict=any&page_size=200"),
    ]


def _app(url: str, prefix: str) -> Any:
    """The application on ``url``, with a scratch var dir, as the in-process client reaches it."""
    settings = Settings(
        database=DatabaseSettings(url=url),
        secret_key="benchmark-secret-key-not-for-production",
        var_dir=Path(tempfile.mkdtemp(prefix=prefix)),
        allowed_hosts=("testserver.local", "127.0.0.1", "localhost"),
    )
    return create_app(settings)


def _measure(url: str, pending: int, requests: int, label: str) -> dict[str, Any]:
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    started = time.perf_counter()
    seed_synthetic(engine, volunteers=5000, today=TODAY)
    seeded = _top_up(engine, pending, random.Random(7))
    token = _admin(engine)
    views = _views(engine, seeded["round_id"])
    engine.dispose()
    print(f"[{label}] {seeded['pending']:,} pending items ready in {time.perf_counter() - started:.1f} s", flush=True)
    app = _app(url, "review-inbox-")
    results: list[dict[str, Any]] = []
    with TestClient(app=app) as client:
        _sign_in(client, "bench-admin", PASSWORD)
        app_engine: sa.Engine = app.state.engine
        for kind, path in views:
            headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
            timings, statements, response = _requests(client, app_engine, path, requests, headers)
            shown = response.json()["total"] if kind == "api" else response.text.count("data-card ")
            row = {
                "kind": kind,
                "path": path,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)], 1),
                "max_ms": round(timings[-1], 1),
                "statements": max(statements),
                "shown": shown,
            }
            results.append(row)
            print(
                f"[{label}] {kind:4} {path[:72]:72} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms"
                f"  {row['statements']:2d} statements",
                flush=True,
            )
    return {"backend": label, "pending": seeded["pending"], "requests_per_view": requests, "views": results}


SEED_PASSWORD = "hudao-demo-2026"


def _sign_in(client: TestClient[Any], username: str, password: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    signed = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text[:300]


def _requests(
    client: TestClient[Any], engine: sa.Engine, path: str, requests: int, headers: dict[str, str] | None = None
) -> tuple[list[float], list[int], Any]:
    """GET ``path`` twice to warm it, then ``requests`` times: the sorted ms, the statements each request ran,
    and the last response (every one asserted 200)."""
    for _ in range(2):
        warm = client.get(path, headers=headers or {})
        assert warm.status_code == 200, (path, warm.text[:300])
    timings, statements = [], []
    for _ in range(requests):
        with _counting(engine) as seen:
            began = time.perf_counter()
            response = client.get(path, headers=headers or {})
            timings.append((time.perf_counter() - began) * 1000)
        statements.append(len(seen))
        assert response.status_code == 200, (path, response.text[:300])
    return sorted(timings), statements, response


def _city_views(url: str, street_admin: str) -> list[tuple[str, str]]:
    engine = create_db_engine(DatabaseSettings(url=url))
    with Session(engine) as db:
        community = db.execute(
            sa.text(
                "SELECT g.community_id FROM match m JOIN need n ON n.id = m.need_id JOIN grid g ON g.id = n.grid_id"
                " WHERE m.status = 'proposed' GROUP BY g.community_id ORDER BY count(*) DESC, g.community_id LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return [
        ("city", "/review"),
        ("city", "/review?conflict=any"),
        ("city", "/review?conflict=shift_overlap"),
        ("city", f"/review?community={community}"),
        ("city", "/review?q=%E7%8E%8B"),  # 王
        ("city", "/volunteers"),
        ("city", "/volunteers?sort=hours"),
        (street_admin, "/review"),
        (street_admin, "/review?conflict=shift_overlap"),
        (street_admin, "/volunteers"),
    ]


def _measure_city(url: str, street_admin: str, requests: int) -> dict[str, Any]:
    """The pages of an already seeded city, in process, signed in as its city admin and a street admin."""
    views = _city_views(url, street_admin)
    app = _app(url, "review-inbox-city-")
    results: list[dict[str, Any]] = []
    with TestClient(app=app) as client:
        app_engine: sa.Engine = app.state.engine
        signed_in = None
        for user, path in views:
            if user != signed_in:
                _sign_in(client, user, SEED_PASSWORD)
                signed_in = user
            timings, statements, _response = _requests(client, app_engine, path, requests)
            row = {
                "user": user,
                "path": path,
                "median_ms": round(statistics.median(timings), 1),
                "min_ms": round(timings[0], 1),
                "max_ms": round(timings[-1], 1),
                "statements": max(statements),
            }
            results.append(row)
            print(
                f"{user:16} {path[:44]:44} median {row['median_ms']:7.1f} ms  min {row['min_ms']:7.1f} ms"
                f"  {row['statements']:2d} statements",
                flush=True,
            )
    return {"backend": url.split("://")[0], "requests_per_view": requests, "views": results}


def _city_main(args: argparse.Namespace) -> None:
    run = _measure_city(args.city_url, args.street_admin, args.requests)
    lines = [f"A seeded city's review inbox and volunteer list, {args.requests} requests per view (in process)"]
    lines.append(f"{'user':16} {'view':44} {'median':>9} {'min':>9} {'stmts':>6}")
    for row in run["views"]:
        lines.append(
            f"{row['user']:16} {row['path'][:44]:44} {row['median_ms']:7.1f}ms {row['min_ms']:7.1f}ms "
            f"{row['statements']:6d}"
        )
    text = "\n".join(lines) + f"\n\nload average at the end: {load()}\n"
    print("\n" + text)
    if not args.no_write:
        write_results("review_inbox_city" + (f"_{args.label}" if args.label else ""), text, label=args.label, run=run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a scratch database is made on it")
    parser.add_argument("--city-url", help="measure this already seeded city instead (read only)")
    parser.add_argument("--street-admin", default="aoshanwei-admin", help="with --city-url: a street admin")
    parser.add_argument("--label", default="", help="with --city-url: a suffix for the result files")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.city_url:
        _city_main(args)
        return
    runs = []
    folder = Path(tempfile.mkdtemp(prefix="review-inbox-db-"))
    runs.append(_measure(f"sqlite:///{folder / 'bench.sqlite3'}", args.pending, args.requests, "SQLite"))
    if args.database_url:
        url = recreate_postgres_database(args.database_url, "bench_review_inbox")
        runs.append(_measure(url, args.pending, args.requests, "PostgreSQL"))
    lines = [f"Review inbox at {args.pending:,} pending items, {args.requests} requests per view (in process)"]
    for run in runs:
        lines.append(f"\n{run['backend']} ({run['pending']:,} pending)")
        lines.append(f"{'':5}{'view':72} {'median':>9} {'p95':>9} {'stmts':>6}")
        for row in run["views"]:
            lines.append(
                f"{row['kind']:5}{row['path'][:72]:72} {row['median_ms']:7.1f}ms {row['p95_ms']:7.1f}ms "
                f"{row['statements']:6d}"
            )
    text = "\n".join(lines) + f"\n\nload average at the end: {load()}\n"
    print("\n" + text)
    if not args.no_write:
        write_results("review_inbox", text, runs=runs)


if __name__ == "__main__":
    main()
