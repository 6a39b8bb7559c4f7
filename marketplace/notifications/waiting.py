"""Notifications that asked their reader to act, once what they asked about no longer waits for them.

"2 proposals are waiting for your answer — Next: accept or decline them" stops being true when the partner
withdraws the offer (which ends the proposals), a colleague answers, or staff decide; an approval's "Next:
deliver" when the claim is delivered or cancelled; a sign-up's "Next: check in" once checked in or ended.
Nothing is written when that happens: whether a row still applies is read with the row, from the matches
domain's state (``matches.services.match_moved_on``), in the statement that reads it anyway, so the centre,
the API and the unread badge agree without a query per notification and without writes on GET.

Such a row stays in the centre (what happened is history) with "Nothing to do." for its step; an entry
all of whose rows no longer wait reads as handled ("No longer waiting: these 2 proposals were answered or
ended"), and neither it nor its rows count as unread.
"""

from typing import Any

import sqlalchemy as sa

from marketplace.notifications.models import Notification

ANSWER, DECISION, DELIVERY, CHECK_IN = "answer", "decision", "delivery", "check_in"  # as matches/waiting.py

# What each kind asks of its reader about its subject ("match", or "shift": the reader's place on it).
ASKS: dict[str, str] = {
    "proposal_offered": ANSWER,  # Next: accept or decline it in My claims / My shifts
    "match_proposed": DECISION,  # Next: approve or reject in the review queue
    "proposal_answered": DECISION,  # only an acceptance asks (its digest key ends ":accepted")
    "claim_approved": DELIVERY,  # Next: deliver, then mark as delivered in My claims
    "match_approved": DELIVERY,
    "match_decided": DELIVERY,  # only an approval asks (its payload's outcome says; review.py sends rejections)
    "signup_confirmed": CHECK_IN,  # Next: check in in My shifts
    "shift_reminder": CHECK_IN,
}


def _asks(kind: str, row: Any = Notification) -> sa.ColumnElement[bool]:
    condition = row.kind == kind
    if kind == "proposal_answered":
        condition = sa.and_(condition, row.digest_key.like("%:accepted"))
    elif kind == "match_decided":
        told = sa.func.coalesce(row.payload["status"].as_string(), row.payload["decision"].as_string())
        condition = sa.and_(condition, told.in_(("approved", "fulfilled")))  # phrases.outcome's approvals
    return condition  # type: ignore[no-any-return]


def no_longer_waiting(row: Any = Notification) -> sa.ColumnElement[bool]:
    """SQL: the notification asked its reader to act and what it asked about no longer waits for them.

    ``row`` is the Notification entity (or an alias of it); the condition is correlated to it.
    """
    from marketplace.matches import services as matches  # read when asked: the badge's module loads early

    ended: list[sa.ColumnElement[bool]] = []
    for what in (ANSWER, DECISION, DELIVERY, CHECK_IN):
        kinds = [kind for kind, asked in ASKS.items() if asked == what]
        asked_here = sa.or_(*(_asks(kind, row) for kind in kinds))
        by_match = sa.and_(row.subject_type == "match", matches.match_moved_on(what, row.subject_id))
        ended.append(sa.and_(asked_here, by_match))
    # A volunteer's own sign-up (signups.py) and a reminder are about the shift: their place on it.
    by_shift = sa.and_(
        row.kind.in_([kind for kind, asked in ASKS.items() if asked == CHECK_IN]),
        row.subject_type == "shift",
        matches.shift_place_moved_on(row.subject_id, row.user_id),
    )
    return sa.or_(*ended, by_shift)


def waiting_unread(row: Any = Notification) -> sa.ColumnElement[bool]:
    """SQL: unread, and still applying: what the badge, the unread filter and the unread counts count."""
    return sa.and_(row.read_at.is_(None), ~no_longer_waiting(row))
