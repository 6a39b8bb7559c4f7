"""The one rule for how far a need has come, from its parts and the matches that hold them.

The app applies it to stored rows (``services.need_state``); the seeds apply it to the rows they are
about to load, so a seeded need never shows a status its own lines, shifts and matches contradict.
"""

from collections.abc import Iterable, Sequence
from decimal import Decimal

from marketplace.matches.models import MatchKind, MatchStatus
from marketplace.needs.models import NeedStatus


def progress_status(
    still_needed: Sequence[Decimal | float | int],
    shifts: Sequence[tuple[int, int]],
    held: Iterable[tuple[MatchKind, MatchStatus]],
) -> NeedStatus:
    """published → partially_matched → matched → in_progress → completed.

    ``still_needed``: each resource line's amount still needed (a closed line needs nothing);
    ``shifts``: (confirmed, slots) of each shift not cancelled; ``held``: the kind and status of each
    approved or fulfilled match. Covered = an approved whole-project claim (it covers whatever is still
    needed, see docs/need_changes.md), or every line with nothing still needed and every shift full,
    or a whole-project claim delivered once the lines need nothing.
    """
    held = list(held)
    whole = {status for kind, status in held if kind is MatchKind.WHOLE_NEED}
    lines_done = all(n == 0 for n in still_needed)
    parts_done = bool(still_needed or shifts) and lines_done and all(c >= s for c, s in shifts)
    covered = MatchStatus.APPROVED in whole or (MatchStatus.FULFILLED in whole and lines_done) or parts_done
    fulfilled = [s for _, s in held if s is MatchStatus.FULFILLED]
    if covered and held and len(fulfilled) == len(held):
        return NeedStatus.COMPLETED
    if fulfilled:
        return NeedStatus.IN_PROGRESS
    if covered and held:
        return NeedStatus.MATCHED
    if held:
        return NeedStatus.PARTIALLY_MATCHED
    return NeedStatus.PUBLISHED
