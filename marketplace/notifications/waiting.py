"""Notifications that asked their reader to act, once what they asked about no longer waits for them.

"2 proposals are waiting for your answer — Next: accept or decline them" stops being true when the partner
withdraws the offer (which ends the proposals), a colleague answers, or staff decide; an approval's "Next:
deliver" when the claim is delivered or cancelled; a sign-up's or a reminder's "Next: check in" once checked
in, cancelled, or the shift is over or cancelled; a need change's "your claim stands: deliver as agreed" (or
"your sign-up stands: come at the new time") once that claim or sign-up is served or ended; an escalation's
"needs your acknowledgement" once acknowledged (or its need closed); an application the admins were asked to
review again once decided, and a rejection's "correct your application and send it again" once sent again.
Nothing is written when that happens: whether a row still applies is read with the row, from the matches
domain's state (``matches.services.match_moved_on``; the needs and organizations domains' for escalations and
applications), in the statement that reads it anyway, so the centre,
the API and the unread badge agree without a query per notification and without writes on GET.

Such a row stays in the centre (what happened is history) with "Nothing to do." for its step; an entry
all of whose rows no longer wait reads as handled ("No longer waiting: these 2 proposals were answered or
ended"), and neither it nor its rows count as unread.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from marketplace.notifications.models import Notification

ANSWER, DECISION, DELIVERY, CHECK_IN = "answer", "decision", "delivery", "check_in"  # as matches/waiting.py
STANDS = "stands"  # a claim a change to its need kept (matches/waiting.py)
COME = "come"  # a sign-up a change to its shift kept: "come at the new time" (its subject: the sign-up)
ACKNOWLEDGE = "acknowledge"  # an escalation step (needs/waiting.py)
REVIEW_APPLICATION = "review_application"  # a new or resubmitted application, while pending (organizations/waiting.py)
RESEND_APPLICATION = "resend_application"  # a rejected application, while rejected

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
    # A change to a published need (needs/changes.py) tells what it did to the reader's claim or sign-up; it asks
    # only when that stands ("deliver as agreed", "provide what the project now needs", "come at the new time").
    "need_line_changed": STANDS,
    "need_line_closed": STANDS,
    "need_shift_changed": COME,  # the whole-project claimant's "send your people at the new time": STANDS
    "escalation_opened": ACKNOWLEDGE,  # Next: acknowledge on the Escalations page
    "organization.register": REVIEW_APPLICATION,  # Next: review the application
    "organization.resubmit": REVIEW_APPLICATION,  # Next: review it again
    "organization.reject": RESEND_APPLICATION,  # Next: correct your application and send it again
}
# What a need change did to a claim or sign-up that asks nothing of its reader ("nothing to deliver").
CHANGE_ASKS_NOTHING = ("reduced", "released")
# Asks that are about a match, a sign-up, an escalation or an organization named in the payload.
_PAYLOAD_KEYS = {STANDS: "match_id", COME: "signup_id", ACKNOWLEDGE: "escalation_id"}


def asked(kind: str, payload: dict[str, Any]) -> str | None:
    """What a notification of ``kind`` with ``payload`` asked of its reader (None: nothing to wait for)."""
    what = ASKS.get(kind)
    if kind.startswith("need_") and payload.get("outcome") in CHANGE_ASKS_NOTHING:
        return None
    if what == COME and payload.get("outcome") == "whole":
        return STANDS
    return what


def _asks(kind: str, row: Any = Notification) -> sa.ColumnElement[bool]:
    condition = row.kind == kind
    if kind == "proposal_answered":
        condition = sa.and_(condition, row.digest_key.like("%:accepted"))
    elif kind == "match_decided":
        told = sa.func.coalesce(row.payload["status"].as_string(), row.payload["decision"].as_string())
        condition = sa.and_(condition, told.in_(("approved", "fulfilled")))  # phrases.outcome's approvals
    return condition  # type: ignore[no-any-return]


def no_longer_waiting(row: Any = Notification, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """SQL: the notification asked its reader to act and what it asked about no longer waits for them.

    ``row`` is the Notification entity (or an alias of it); the condition is correlated to it. ``now`` is the
    moment it is read for ("the shift is over"): the caller's clock (the daily digest's), else the app's.
    """
    from marketplace.matches import services as matches  # read when asked: the badge's module loads early

    ended: list[sa.ColumnElement[bool]] = []
    for what in (ANSWER, DECISION, DELIVERY, CHECK_IN):
        kinds = [kind for kind, asked in ASKS.items() if asked == what]
        asked_here = sa.or_(*(_asks(kind, row) for kind in kinds))
        by_match = sa.and_(row.subject_type == "match", matches.match_moved_on(what, row.subject_id, now))
        ended.append(sa.and_(asked_here, by_match))
    # A volunteer's own sign-up (signups.py) and a reminder are about the shift: their place on it.
    by_shift = sa.and_(
        row.kind.in_([kind for kind, asked in ASKS.items() if asked == CHECK_IN]),
        row.subject_type == "shift",
        matches.shift_place_moved_on(row.subject_id, row.user_id, now),
    )
    return sa.or_(*ended, by_shift, *_about_payload(row, now))


class _PayloadId(sa.sql.functions.FunctionElement[int]):
    """The whole number a payload holds under a key, or NULL when it holds anything else.

    Senders write ids as numbers, but a row is only as good as whoever wrote it: an id stored as "abc" (or
    12.5, or a number past BIGINT) must read as "names nothing", not fail the statement that reads every row
    of the reader (the centre, the badge in the login check, the digest). SQLite compares JSON_EXTRACT's
    value as it is (text never equals an id); PostgreSQL casts only digits.
    """

    type = sa.BigInteger()
    inherit_cache = True
    name = "payload_id"


@compiles(_PayloadId)
def _payload_id_any(element: _PayloadId, compiler: Any, **kw: Any) -> str:
    # SQLite casts any text (CAST('12abc' AS INTEGER) is 12): keep the number only when it reads back the same.
    number, text = element.clauses
    exact = sa.cast(number, sa.String()) == text
    return compiler.process(sa.case((exact, number), else_=sa.null()), **kw)  # type: ignore[no-any-return]


@compiles(_PayloadId, "postgresql")
def _payload_id_postgresql(element: _PayloadId, compiler: Any, **kw: Any) -> str:
    _number, text = element.clauses
    guarded = sa.case((text.regexp_match(r"^[0-9]{1,18}$"), sa.cast(text, sa.BigInteger())), else_=sa.null())
    return compiler.process(guarded, **kw)  # type: ignore[no-any-return]


def _named(row: Any, kinds: list[str], key: str) -> Any:
    """The id the payload names under ``key``, read only for ``kinds`` (NULL where it is not a whole number)."""
    value = _PayloadId(row.payload[key].as_integer(), row.payload[key].as_string())
    return sa.case((row.kind.in_(kinds), value), else_=sa.null())


def _about_payload(row: Any, now: datetime | None) -> list[sa.ColumnElement[bool]]:
    """Kinds whose subject is the need or the reader, and what they asked about named in the payload."""
    from marketplace.matches import services as matches
    from marketplace.needs import services as needs
    from marketplace.organizations import services as organizations

    outcome = sa.func.coalesce(row.payload["outcome"].as_string(), "")
    changes = [kind for kind, asked in ASKS.items() if asked in (STANDS, COME)]
    kept = sa.and_(row.kind.in_(changes), outcome.not_in(CHANGE_ASKS_NOTHING))
    claim = sa.or_(row.kind.in_([k for k in changes if ASKS[k] == STANDS]), outcome == "whole")
    match_id = _named(row, changes, _PAYLOAD_KEYS[STANDS])
    signup_id = _named(row, changes, _PAYLOAD_KEYS[COME])
    escalations = [kind for kind, asked in ASKS.items() if asked == ACKNOWLEDGE]
    resubmitted = [kind for kind, asked in ASKS.items() if asked == REVIEW_APPLICATION]
    rejected = [kind for kind, asked in ASKS.items() if asked == RESEND_APPLICATION]
    return [
        sa.and_(kept, claim, matches.match_moved_on(STANDS, match_id, now)),
        sa.and_(kept, ~claim, matches.signup_moved_on(signup_id, now)),
        sa.and_(
            row.kind.in_(escalations),
            needs.escalation_moved_on(_named(row, escalations, _PAYLOAD_KEYS[ACKNOWLEDGE])),
        ),
        sa.and_(
            row.kind.in_(resubmitted),
            organizations.application_moved_on(_named(row, resubmitted, "organization_id"), "pending"),
        ),
        sa.and_(
            row.kind.in_(rejected),
            organizations.application_moved_on(_named(row, rejected, "organization_id"), "rejected"),
        ),
    ]


def waiting_unread(row: Any = Notification, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """SQL: unread, and still applying (at ``now``): what the badge, the unread filter and the unread counts count."""
    return sa.and_(row.read_at.is_(None), ~no_longer_waiting(row, now))
