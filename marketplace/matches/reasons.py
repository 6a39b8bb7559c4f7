"""What a rejected or cancelled claim says of why: the words someone typed, as typed; the sentences the service
stores itself (English in the data and the API) in the reader's language, said to the partner or volunteer as
their own and to the street's staff as theirs.

Some stored sentences carry values (what the line still needs, the shift a moved shift now overlaps): they are
written by the functions here and read back by the same patterns, so a reader sees them in their own language
and not in the one of whoever caused them ("the line now needs 0 桶" → "街道减少了该资源行的数量，已无需更多。").
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from marketplace.i18n import gettext as _
from marketplace.i18n.punctuation import bracketed
from marketplace.matches.models import Match, MatchStatus

# Stored as the decision reason when a partner cancels a claim without typing one.
PARTNER_CANCELLED = "cancelled by the partner"
# Stored when a claim or proposal still waiting ends because the partner withdrew the offer it was of.
OFFER_WITHDRAWN = "the offer was withdrawn"
# Stored when a volunteer cancels a sign-up without typing a reason.
VOLUNTEER_CANCELLED = "cancelled by the volunteer"

# [0-9], not \d: \d takes any script's digits, and a reason someone typed could carry them.
_LINE_NOW_NEEDS = re.compile(r"the line now needs ([0-9]+(?:\.[0-9]+)?) (.*)", re.DOTALL)
# The shift's start (ISO 8601, UTC) is stored after its number since the reason names the shift by its time.
_SHIFT_MOVED = re.compile(
    r"the shift moved to a time that overlaps your shift (.*) \(#([0-9]+)\)(?: starting ([0-9T:.+-]+))?", re.DOTALL
)


def shift_named(title: str, shift_id: int | None) -> str:
    """A shift as a reader reads it: its title and number, "接种陪同（#164）" / "Vaccination escort (#164)"."""
    return title + bracketed(f"#{shift_id}")


def line_now_needs(still: str, unit: str) -> str:
    """Stored when the street lowers a line's quantity and a proposed claim on it is released."""
    return f"the line now needs {still} {unit}"


def shift_moved_onto(title: str, shift_id: int | None, starts_at: datetime | None = None) -> str:
    """Stored when the street moves a shift onto another shift the volunteer is confirmed for (its title, number
    and start: the reader is told the shift by its name and time, the number stays for the API and the data)."""
    starting = f" starting {starts_at.astimezone(UTC).isoformat()}" if starts_at is not None else ""
    return f"the shift moved to a time that overlaps your shift {title} (#{shift_id}){starting}"


def _shift_by_time(title: str, starts: str | None) -> str:
    """The other shift as a volunteer knows it: its name and when it starts, in the street's time ("改造现场秩序维护
    （12月9日周三 09:00）"); a reason stored before the start was kept names it by its name alone."""
    try:
        moment = datetime.fromisoformat(starts) if starts else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return title
    from marketplace.web import local_day, local_time  # the street's clock, in the reader's language

    return _("%(shift)s on %(day)s at %(time)s") % {
        "shift": title,
        "day": local_day(moment),
        "time": local_time(moment),
    }


def said_reason(stored: str | None, *, own: bool) -> str | None:
    """A stored reason in the reader's language; ``own``: the reader is the partner or volunteer it ended for.

    Words someone typed are shown as typed."""
    if not stored:
        return stored
    if stored == VOLUNTEER_CANCELLED:
        return _("Cancelled by you, without a reason.") if own else _("Cancelled by the volunteer, without a reason.")
    found = _LINE_NOW_NEEDS.fullmatch(stored)
    if found is not None:
        return _line_now_needs(found.group(1), found.group(2))
    found = _SHIFT_MOVED.fullmatch(stored)
    if found is not None:
        values = {"shift": _shift_by_time(found.group(1), found.group(3))}
        if own:
            return _("The shift moved to a time that overlaps your shift %(shift)s.") % values
        return _("The shift moved to a time that overlaps the volunteer's shift %(shift)s.") % values
    return stored


def _line_now_needs(still: str, unit: str) -> str:
    from marketplace.quantity_display import with_unit

    try:
        needed = Decimal(still)
    except InvalidOperation:
        needed = Decimal(0)
    if needed <= 0:
        return _("The street reduced this line; it needs nothing more.")
    return _("The street reduced this line; it now needs %(needed)s.") % {"needed": with_unit(needed, unit)}


def reason_shown(match: Match, *, own: bool) -> str | None:
    """The reason a page shows for ``match``; ``own``: the reader is the partner who cancelled it."""
    stored = match.decision_reason
    if stored == OFFER_WITHDRAWN and match.status is MatchStatus.CANCELLED:
        if own:
            return _("Ended when your organization withdrew the offer.")
        return _("Ended when the partner withdrew the offer.")
    if stored == PARTNER_CANCELLED and match.status is MatchStatus.CANCELLED:
        if own:
            return _("Cancelled by your organization, without a reason.")
        return _("Cancelled by the partner, without a reason.")
    return said_reason(stored, own=own)


def reason_fields(match: Match, *, own: bool) -> dict[str, str | None]:
    """The reason as the API and the personal-data export give it: ``decision_reason`` in the reader's language
    (as the pages say it), ``decision_reason_stored`` as kept in the data (a system reason's stable English)."""
    return {"decision_reason": reason_shown(match, own=own), "decision_reason_stored": match.decision_reason}
