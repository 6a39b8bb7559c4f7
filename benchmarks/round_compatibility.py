"""How many of a matching round's line proposals pair an offer with a line it cannot serve, on the Hudao demo.

    .venv/bin/python benchmarks/round_compatibility.py              # a fresh demo in a temporary directory
    .venv/bin/python benchmarks/round_compatibility.py --var-dir D  # the demo database in D (seeded if empty)

Seeds the demo (``marketplace seed hudao``) unless the database holds data, runs one optimal round (k = 20)
as ``marketplace match round`` does, and judges each of the round's line proposals with the app's rule
(``marketplace.matches.compatibility``). Also counts those whose offer's unit is spelt otherwise than the
line's, the figure the issue reported (31 of 86 before the unit table). Exit status 1 when any proposal is
incompatible.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import sqlalchemy as sa


def _marketplace(var_dir: Path, *args: str) -> None:
    command = [str(Path(sys.executable).with_name("marketplace")), *args]
    subprocess.run(command, env={**os.environ, "MARKETPLACE_VAR_DIR": str(var_dir)}, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--var-dir", type=Path, help="The demo's directory (default: a new temporary one).")
    parser.add_argument("-v", "--verbose", action="store_true", help="List every proposal.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        var_dir = options.var_dir or Path(temporary)
        os.environ["MARKETPLACE_VAR_DIR"] = str(var_dir)
        _marketplace(var_dir, "db", "upgrade")
        from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
        from marketplace.matches import compatibility
        from marketplace.matches.models import Match, MatchKind
        from marketplace.needs.models import Need, ResourceLine
        from marketplace.offers.models import Offer
        from marketplace.rounds import services, worker
        from marketplace.rounds.models import RoundMethod
        from marketplace.settings import Settings

        engine = create_db_engine(Settings.from_env().database)
        writer, reader = make_session_factory(engine), make_session_factory(engine, readonly=True)
        with reader() as db:
            empty = db.execute(sa.select(sa.func.count()).select_from(Need)).scalar_one() == 0
        if empty:
            _marketplace(var_dir, "seed", "hudao")
        with reader() as db:
            before = db.execute(sa.select(sa.func.max(Match.id))).scalar_one() or 0
        with session_scope(writer) as db:
            round_id = services.start(db, method=RoundMethod.OPTIMAL, k=20, started_by_id=None, actor_role="cli").id
        worker.run_with_heartbeat(round_id or 0, writer, reader)
        with reader() as db:
            rows = db.execute(
                sa.select(Match, ResourceLine, Offer)
                .join(ResourceLine, ResourceLine.id == Match.resource_line_id)  # type: ignore[arg-type]
                .join(Offer, Offer.id == Match.offer_id)  # type: ignore[arg-type]
                .where(Match.kind == MatchKind.OFFER_LINE, Match.id > before)
                .order_by(Match.id)
            ).all()
        engine.dispose()
    incompatible: Counter[tuple[str, str, str, str]] = Counter()
    spelt_otherwise = 0
    for match, line, offer in rows:
        pair = (line.description, line.unit, offer.title, offer.unit)
        spelt_otherwise += offer.unit.strip() != line.unit.strip()
        if not compatibility.serves(offer, line):
            incompatible[pair] += 1
        if options.verbose:
            print(f"  {match.quantity:>10} {line.unit:<4} {line.description} ← {offer.title} ({offer.unit})")
    print(
        f"round #{round_id}: {len(rows)} line proposals, {sum(incompatible.values())} incompatible, "
        f"{spelt_otherwise} with the offer's unit spelt otherwise than the line's"
    )
    for (line, line_unit, offer, offer_unit), count in incompatible.most_common():
        print(f"  {count} × {line} ({line_unit}) ← {offer} ({offer_unit})")
    return 1 if incompatible else 0


if __name__ == "__main__":
    sys.exit(main())
