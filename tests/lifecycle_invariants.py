"""The lifecycle's invariants as queries over the whole database, each returning what violates it.

Used after every step of the lifecycle state machine (tests/test_lifecycle_state_machine.py) and by its
longer benchmark; any test may call them on a database it has just used. Each check reads the rows as they
are (never a model's memory) and returns human-readable violations, empty when the invariant holds:

- an offer's remaining quantity and a line's still-needed quantity never go below 0 (nor above the whole),
  and both agree with what approved and delivered claims hold (quantity conservation);
- a shift never has more confirmed volunteers than slots, and its count agrees with its sign-ups;
- a volunteer never holds places on two overlapping shifts;
- a completed or verified need's lines each need nothing more (fulfilled, or closed with a reason), and a
  verified need has no shift still to come and no approved claim still to deliver;
- a cancelled or rejected need holds nothing: no claim or sign-up of it keeps an offer's quantity or a
  volunteer's place, or waits in the review queue.

``StateFingerprint`` and ``audit_count`` support the last invariant, "every change is audited": take the
fingerprint before and after one action and compare (see ``audit_problems``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.matches.models import Match
from marketplace.needs.models import Escalation, Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.volunteers.models import ShiftSignup

_offer = Offer.__table__  # type: ignore[attr-defined]
_line = ResourceLine.__table__  # type: ignore[attr-defined]
_shift = Shift.__table__  # type: ignore[attr-defined]
_need = Need.__table__  # type: ignore[attr-defined]
_match = Match.__table__  # type: ignore[attr-defined]
_signup = ShiftSignup.__table__  # type: ignore[attr-defined]
_escalation = Escalation.__table__  # type: ignore[attr-defined]
_audit = AuditEvent.__table__  # type: ignore[attr-defined]

HELD = ("approved", "fulfilled")
LIVE = ("proposed", "approved", "fulfilled")
SLOT_HOLDERS = ("confirmed", "checked_in", "completed")
SOLVED = ("completed", "verified")
CLOSED_WITHOUT_WORK = ("cancelled", "rejected")

Connection = sa.Connection


def _held_per(column: sa.Column[Any], connection: Connection) -> dict[int, Decimal]:
    rows = connection.execute(
        sa.select(column, sa.func.sum(_match.c.quantity))
        .where(_match.c.kind == "offer_line", _match.c.status.in_(HELD))
        .group_by(column)
    ).all()
    return {int(key): Decimal(total) for key, total in rows if key is not None}


def offer_quantities(connection: Connection) -> list[str]:
    """0 <= remaining <= quantity, and quantity - remaining is what approved or delivered claims hold."""
    held = _held_per(_match.c.offer_id, connection)
    problems = []
    for offer_id, quantity, remaining in connection.execute(
        sa.select(_offer.c.id, _offer.c.quantity, _offer.c.remaining_quantity)
    ):
        if remaining < 0 or remaining > quantity:
            problems.append(f"offer #{offer_id}: remaining {remaining} outside 0..{quantity}")
        elif quantity - remaining != held.get(offer_id, 0):
            problems.append(
                f"offer #{offer_id}: {quantity - remaining} taken but claims hold {held.get(offer_id, Decimal(0))}"
            )
    return problems


def line_quantities(connection: Connection) -> list[str]:
    """0 <= still_needed <= quantity; a closed line needs 0; an open one needs quantity - held (or less, once a
    whole-project claim delivered the rest)."""
    held = _held_per(_match.c.resource_line_id, connection)
    delivered_whole = set(
        connection.execute(
            sa.select(_match.c.need_id).where(_match.c.kind == "whole_need", _match.c.status == "fulfilled")
        ).scalars()
    )
    problems = []
    for line_id, need_id, quantity, still, closed_at, reason in connection.execute(
        sa.select(
            _line.c.id,
            _line.c.need_id,
            _line.c.quantity,
            _line.c.still_needed,
            _line.c.closed_at,
            _line.c.closed_reason,
        )
    ):
        owed = quantity - held.get(line_id, 0)
        if still < 0 or still > quantity:
            problems.append(f"line #{line_id}: still needed {still} outside 0..{quantity}")
        elif closed_at is not None and (still != 0 or not (reason or "").strip()):
            problems.append(f"line #{line_id}: closed but still needs {still} or has no reason")
        elif closed_at is None and need_id not in delivered_whole and still != owed:
            problems.append(f"line #{line_id}: still needs {still}, but {quantity} less {owed} held is {owed}")
        elif closed_at is None and still > owed:
            problems.append(f"line #{line_id}: still needs {still}, more than the {owed} not held")
    return problems


def shift_places(connection: Connection) -> list[str]:
    """0 <= confirmed <= slots, and confirmed is the number of sign-ups holding a place (0 when cancelled)."""
    holders = dict(
        connection.execute(
            sa.select(_signup.c.shift_id, sa.func.count())
            .where(_signup.c.status.in_(SLOT_HOLDERS))
            .group_by(_signup.c.shift_id)
        ).all()
    )
    problems = []
    for shift_id, slots, confirmed, cancelled_at in connection.execute(
        sa.select(_shift.c.id, _shift.c.slots, _shift.c.confirmed_count, _shift.c.cancelled_at)
    ):
        if not 0 <= confirmed <= slots:
            problems.append(f"shift #{shift_id}: {confirmed} confirmed for {slots} slots")
        if confirmed != holders.get(shift_id, 0):
            problems.append(f"shift #{shift_id}: count {confirmed} but {holders.get(shift_id, 0)} sign-ups hold places")
        if cancelled_at is not None and holders.get(shift_id, 0):
            problems.append(f"shift #{shift_id}: cancelled but sign-ups still hold places")
    return problems


def overlapping_places(connection: Connection) -> list[str]:
    """No volunteer holds places on two shifts whose windows overlap."""
    mine = sa.select(_signup.c.id, _signup.c.volunteer_id, _signup.c.shift_id, _shift.c.starts_at, _shift.c.ends_at)
    mine = mine.join(_shift, _shift.c.id == _signup.c.shift_id).where(_signup.c.status.in_(SLOT_HOLDERS))
    a, b = mine.subquery("a"), mine.subquery("b")
    rows = connection.execute(
        sa.select(a.c.volunteer_id, a.c.shift_id, b.c.shift_id).where(
            a.c.volunteer_id == b.c.volunteer_id,
            a.c.id < b.c.id,
            a.c.starts_at < b.c.ends_at,
            b.c.starts_at < a.c.ends_at,
        )
    ).all()
    return [f"volunteer #{v}: places on overlapping shifts #{s1} and #{s2}" for v, s1, s2 in rows]


def solved_needs(connection: Connection) -> list[str]:
    """A completed or verified need's lines need nothing; a verified one waits for no shift and no claim."""
    problems = []
    rows = connection.execute(
        sa.select(_line.c.id, _need.c.id, _need.c.status)
        .join(_need, _need.c.id == _line.c.need_id)
        .where(_need.c.status.in_(SOLVED), _line.c.still_needed != 0)
    ).all()
    problems += [f"need #{n} is {s} but line #{line} still needs something" for line, n, s in rows]
    late = connection.execute(
        sa.select(_shift.c.id, _need.c.id)
        .join(_need, _need.c.id == _shift.c.need_id)
        .where(_need.c.status == "verified", _shift.c.cancelled_at.is_(None), _shift.c.ends_at > _need.c.verified_at)
    ).all()
    problems += [f"need #{n} verified before its shift #{s} ended" for s, n in late]
    owed = connection.execute(
        sa.select(_match.c.id, _need.c.id)
        .join(_need, _need.c.id == _match.c.need_id)
        .where(_need.c.status == "verified", _match.c.status == "approved", _match.c.kind != "volunteer_shift")
    ).all()
    problems += [f"need #{n} verified with claim #{m} approved but not delivered" for m, n in owed]
    return problems


def closed_needs_hold_nothing(connection: Connection) -> list[str]:
    """A cancelled or rejected need keeps no offer quantity, no volunteer's place, no claim waiting for review."""
    rows = connection.execute(
        sa.select(_match.c.id, _match.c.status, _need.c.id, _need.c.status)
        .join(_need, _need.c.id == _match.c.need_id)
        .where(_need.c.status.in_(CLOSED_WITHOUT_WORK), _match.c.status.in_(("proposed", "approved")))
    ).all()
    return [f"need #{n} is {ns} but match #{m} is still {ms}" for m, ms, n, ns in rows]


CHECKS: dict[str, Callable[[Connection], list[str]]] = {
    "offer_quantities": offer_quantities,
    "line_quantities": line_quantities,
    "shift_places": shift_places,
    "overlapping_places": overlapping_places,
    "solved_needs": solved_needs,
    "closed_needs_hold_nothing": closed_needs_hold_nothing,
}


def violations(connection: Connection) -> dict[str, list[str]]:
    """Every check's violations (only the checks that found some)."""
    found = {name: check(connection) for name, check in CHECKS.items()}
    return {name: problems for name, problems in found.items() if problems}


# --- every change audited ------------------------------------------------------------------------------

# The state a person changes, per table: a row's key columns. Times a clock moves are left out.
_WATCHED: dict[str, tuple[sa.Table, tuple[str, ...]]] = {
    "need": (_need, ("status", "version", "escalation_level", "duplicate_of_id", "satisfaction")),
    "resource_line": (_line, ("quantity", "still_needed", "closed_reason")),
    "shift": (_shift, ("slots", "confirmed_count", "cancel_reason")),
    "match": (_match, ("status", "quantity")),
    "shift_signup": (_signup, ("status", "hours_credited")),
    "offer": (_offer, ("status", "remaining_quantity")),
    "escalation": (_escalation, ("level", "acknowledged_by_id")),
}


@dataclass(frozen=True)
class StateFingerprint:
    """The watched state of every row: (table, id) → its key values."""

    rows: dict[tuple[str, int], tuple[Any, ...]]

    @classmethod
    def take(cls, connection: Connection) -> "StateFingerprint":
        rows: dict[tuple[str, int], tuple[Any, ...]] = {}
        for name, (table, columns) in _WATCHED.items():
            for row in connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns))):
                rows[(name, int(row[0]))] = tuple(row[1:])
        return cls(rows)

    def changes_since(self, earlier: "StateFingerprint") -> list[tuple[str, int]]:
        """The rows added, removed or changed since ``earlier``."""
        keys = self.rows.keys() | earlier.rows.keys()
        return sorted(key for key in keys if self.rows.get(key) != earlier.rows.get(key))


def audit_count(connection: Connection) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(_audit)).scalar_one())


def audit_problems(
    before: StateFingerprint, after: StateFingerprint, audits_before: int, audits_after: int, *, succeeded: bool
) -> list[str]:
    """An action that changed state wrote at least one audit row; a refused one changed nothing and wrote none."""
    changed = after.changes_since(before)
    new_audits = audits_after - audits_before
    if not succeeded and (changed or new_audits):
        return [f"a refused action changed {changed[:5]} and wrote {new_audits} audit row(s)"]
    if changed and new_audits < 1:
        return [f"{changed[:5]} changed without an audit row"]
    return []
