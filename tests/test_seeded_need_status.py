"""Every seeded need is in the status its own lines, shifts and matches imply (the app's one rule).

The demo used to show "matched" projects still lacking twelve lamps, "completed" ones with nothing
delivered and "verified" ones nobody served: statuses drawn before the history that failed to fill them.
The first change anyone made to such a need moved it to another status. The seeds now settle each need
by ``progress_status``, the rule the app applies after every match (``services.need_state``).
"""

from collections import Counter

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import AUTOMATIC_STATUSES, HELD, need_state
from marketplace.needs.models import Need, NeedStatus, ResourceLine
from seeds.city import seed_city
from seeds.synthetic import seed_synthetic
from tests.test_seeds import TODAY, hudao  # noqa: F401  (the seeded-street fixture)


def _contradictions(engine: sa.Engine) -> Counter[str]:
    """What no sequence of the app's own actions could have left behind, counted by kind."""
    found: Counter[str] = Counter()
    with Session(engine) as db:
        needs = db.execute(sa.select(Need.id, Need.status, Need.completed_at, Need.verified_at)).all()
        held = set(db.execute(sa.select(Match.need_id).where(Match.status.in_(HELD))).scalars())
        short_lines = set(
            db.execute(
                sa.select(ResourceLine.need_id).where(ResourceLine.still_needed > 0, ResourceLine.closed_at.is_(None))
            ).scalars()
        )
        undelivered_claims = set(
            db.execute(
                sa.select(Match.need_id).where(
                    Match.status == MatchStatus.APPROVED, Match.kind != MatchKind.VOLUNTEER_SHIFT
                )
            ).scalars()
        )
        for need_id, status, completed_at, verified_at in needs:
            if status in AUTOMATIC_STATUSES:
                ruled = need_state(db, need_id)
                if ruled is not None and ruled.value != status:
                    found[f"{status} but its parts say {ruled.value}"] += 1
            if status == NeedStatus.VERIFIED:
                if need_id not in held:
                    found["verified with nothing delivered"] += 1
                if need_id in short_lines:
                    found["verified with a line still short"] += 1
                if need_id in undelivered_claims:
                    found["verified with a claim not delivered"] += 1
                if verified_at is None or completed_at is None:
                    found["verified without its times"] += 1
            if status == NeedStatus.COMPLETED and completed_at is None:
                found["completed without a completion time"] += 1
            if status not in (NeedStatus.COMPLETED, NeedStatus.VERIFIED) and (completed_at or verified_at):
                found[f"{status} with a completion time"] += 1
            if status == NeedStatus.CANCELLED and need_id in held:
                found["cancelled yet holding a part"] += 1
    return found


def test_hudao_needs_are_in_the_status_their_parts_imply(hudao: sa.Engine) -> None:  # noqa: F811
    assert _contradictions(hudao) == Counter()
    with Session(hudao) as db:
        statuses = Counter(db.execute(sa.select(Need.status)).scalars())
    # Still a street with every stage on show.
    assert all(statuses[s] >= 3 for s in NeedStatus), statuses


def test_a_synthetic_street_is_in_the_status_its_parts_imply(clean_engine: sa.Engine) -> None:
    seed_synthetic(clean_engine, volunteers=500, today=TODAY)
    assert _contradictions(clean_engine) == Counter()


def test_a_city_is_in_the_status_its_parts_imply(clean_engine: sa.Engine) -> None:
    seed_city(clean_engine, streets=2, today=TODAY, totals={"volunteers": 400, "needs": 240, "offers": 80})
    assert _contradictions(clean_engine) == Counter()
