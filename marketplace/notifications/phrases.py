"""The pieces notification sentences are made of: the outcome, the line or shift, and the next step.

Payload vocabulary (what senders write and what ``subjects.resolve`` fills in for rows stored without it):

- ``need_id``, ``need_title``: the project (older rows may say ``title``);
- ``match_id``, ``match_kind`` (``offer_line`` / ``whole_need`` / ``volunteer_shift``);
- ``status``: the outcome, in the match-status vocabulary (``approved``, ``rejected``, ``cancelled``,
  ``fulfilled``); rows sent before this vocabulary was fixed said ``decision`` with the same words;
- ``reason``: why it was rejected or cancelled;
- a line: ``line`` (its description, may be empty), ``line_kind``, ``quantity``, ``unit``;
- a shift: ``shift`` (its title), ``starts_at`` (ISO 8601 with offset).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.i18n import gettext as _
from marketplace.vocabulary import ResourceKind

APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
FULFILLED = "fulfilled"
# The match statuses a decision can end in; "fulfilled" is an approval whose delivery has been marked since.
OUTCOMES = (APPROVED, REJECTED, CANCELLED, FULFILLED)


def outcome(payload: dict[str, Any]) -> str | None:
    """The outcome a payload reports, read from ``status`` (or ``decision``, the older spelling)."""
    value = payload.get("status") or payload.get("decision")
    return str(value) if value in OUTCOMES else None


def line_phrase(payload: dict[str, Any]) -> str | None:
    """The claimed line in the reader's language: "LED声控灯（2个）" / "LED lamps (2 pcs)"; None if unknown."""
    what = str(payload.get("line") or "").strip()
    if not what and payload.get("line_kind") in {kind.value for kind in ResourceKind}:
        what = ResourceKind(payload["line_kind"]).label
    if not what:
        return None
    quantity = _quantity(payload.get("quantity"))
    if quantity is None:
        return what
    from marketplace.web import with_unit  # the pages' own formatting, in the reader's language

    return _("%(item)s (%(quantity)s)") % {
        "item": what,
        "quantity": with_unit(quantity, str(payload.get("unit") or "")),
    }


def shift_phrase(payload: dict[str, Any]) -> str | None:
    """The shift in the reader's language, with its start when known: "垃圾分类督导（6月4日周四 09:00）"."""
    title = str(payload.get("shift") or "").strip()
    starts = _moment(payload.get("starts_at"))
    if not title:
        return None
    if starts is None:
        return title
    from marketplace.web import local_day, local_time  # the street's clock, in the reader's language

    return _("%(shift)s on %(day)s at %(time)s") % {
        "shift": title,
        "day": local_day(starts),
        "time": local_time(starts),
    }


def starts_phrase(payload: dict[str, Any]) -> tuple[str, str] | None:
    """The day and time a shift starts, in the street's zone, or None."""
    starts = _moment(payload.get("starts_at"))
    if starts is None:
        return None
    from marketplace.web import local_day, local_time

    return local_day(starts), local_time(starts)


def _quantity(value: Any) -> Decimal | None:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return quantity if quantity.is_finite() and quantity > 0 else None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class NextStep:
    """What the reader does next, and where."""

    text: str
    link: str | None = None


def deliver_in_my_claims() -> NextStep:
    return NextStep(_("Next: deliver, then mark as delivered in My claims."), "/claims")


def check_in_in_my_shifts() -> NextStep:
    return NextStep(_("Next: check in in My shifts, from one hour before the shift starts."), "/signups")


def review_in_the_queue() -> NextStep:
    return NextStep(_("Next: approve or reject in the review queue."), "/review")


def acknowledge_escalation() -> NextStep:
    return NextStep(_("Next: acknowledge on the Escalations page before the deadline."), "/escalations")


def nothing_to_do() -> NextStep:
    return NextStep(_("Nothing to do."))
