"""Residents follow their report without an account: its reference number and the phone they gave.

A lookup finds a need only when both agree. A wrong phone answers exactly as an unknown number does,
so the page tells nobody which numbers exist. Every lookup of a client address is counted in the
database (the public form's mechanism, submissions.py), so guessing is slow whichever worker answers.

What the resident sees is the progress in plain steps with their dates, the phone masked, and no
person's name: neither staff nor the partners and volunteers who help.
"""

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.i18n import N_
from marketplace.masking import mask_phone
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs import submissions
from marketplace.needs.models import PUBLIC_STATUSES, Need, NeedStatus
from marketplace.whole_numbers import has_other_digits, whole_number

LOOKUP_LIMIT = 20  # lookups an hour per client address: plenty for a family, slow for a guesser
LOOKUP_WINDOW = timedelta(hours=1)
MAX_REFERENCE = 2_147_483_647  # need ids are INTEGER
# Merged reports point at another; a chain is followed this far (merging refuses merged targets anyway).
MAX_MERGE_HOPS = 3
# "XQ-000202", "xq202", "XQ 202", "202", "ＸＱ－000202" (full-width letters and signs are folded first); the digits
# are ASCII as typed (marketplace.whole_numbers): "XQ-２０２" is no reference.
_REFERENCE = re.compile(r"^(?:XQ)?[\s\-_#]*([0-9]{1,10})$", re.IGNORECASE)
_PHONE_NOISE = re.compile(r"[\s\-()（）+.]")
# Where each step's date comes from when the need row does not keep it.
_DECISIONS = ("need.review", "need.publish", "need.reject", "need.merge", "need.cancel")
_ARRANGED = (NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS)


class TrackingProblem(Exception):
    """A field of the lookup that cannot be a reference number or a phone (said before anything is looked up)."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(f"{field}: {message}")
        # ``code``: stable whatever the language (docs/api_refusals.md).
        self.field, self.message, self.code = field, message, code


# --- input -------------------------------------------------------------------------------------------------


def parse_reference(text: str) -> int:
    """The need id in a reference as residents write it; TrackingProblem("ref") when it is none."""
    typed = (text or "").strip()
    found = None if has_other_digits(typed) else _REFERENCE.match(unicodedata.normalize("NFKC", typed))
    number = whole_number(found.group(1), maximum=MAX_REFERENCE) if found is not None else None
    if number is None:
        raise TrackingProblem(
            "ref", N_("Enter the reference number you were given, like XQ-000202."), "not_a_reference"
        )
    return number


def phone_digits(text: str | None) -> str:
    """Only the digits, without China's country code: "+86 138-0013-8000" and "13800138000" agree."""
    digits = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def parse_phone(text: str) -> str:
    digits = phone_digits(text)
    if not digits.isdigit() or not 5 <= len(digits) <= 20:
        raise TrackingProblem("phone", N_("Enter the phone number you gave with the report."), "not_a_phone")
    return digits


# --- progress ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One stage of the report's way; ``reached`` with its date (None when no record says when)."""

    key: str
    label: str  # a message id, translated where shown
    reached: bool
    at: datetime | None = None
    note: str | None = None  # a message id
    stop: bool = False  # the report ended here (rejected, cancelled, merged)


@dataclass(frozen=True)
class Progress:
    reference: str
    need_id: int
    title: str | None  # None for a report the resident did not write (a merge target not on the board)
    category_label: str
    status: NeedStatus
    phone: str | None  # masked
    steps: list[Step]
    reason: str | None = None  # why staff rejected or cancelled it, in their words
    project_url: str | None = None  # the public project page, once published
    merged_into: "Progress | None" = None

    @property
    def current(self) -> Step:
        return [step for step in self.steps if step.reached][-1]


def _decision_dates(db: Session, need: Need) -> dict[str, datetime]:
    """When staff first reviewed, published, rejected or merged the need, from the audit log."""
    event = AuditEvent.__table__.c  # type: ignore[attr-defined]
    rows = db.execute(
        sa.select(event.action, sa.func.min(event.created_at))
        .where(
            event.action.in_(_DECISIONS),
            event.object_type == "need",
            event.object_id == need.id,
            event.created_at >= need.created_at,  # lets the created_at index cut old history away
        )
        .group_by(event.action)
    ).all()
    return {action: at for action, at in rows}


def _arranged_at(db: Session, need_id: int) -> datetime | None:
    """When help was first arranged: the first approved claim, match or sign-up (fulfilled ones were approved)."""
    return db.execute(  # type: ignore[no-any-return]
        sa.select(sa.func.min(Match.decided_at)).where(
            Match.need_id == need_id,
            Match.status.in_((MatchStatus.APPROVED, MatchStatus.FULFILLED)),  # type: ignore[attr-defined]
        )
    ).scalar()


def _steps(db: Session, need: Need) -> list[Step]:
    assert need.id is not None
    dates = _decision_dates(db, need)
    status = need.status
    closed_by_staff = status in (NeedStatus.REJECTED, NeedStatus.CANCELLED)
    decided = dates.get("need.reject") or dates.get("need.merge")
    reviewed_at = dates.get("need.review") or dates.get("need.publish") or decided or need.published_at
    steps = [
        Step("received", N_("Report received"), True, need.created_at),
        Step("review", N_("Under review"), status is not NeedStatus.SUBMITTED, reviewed_at),
    ]
    if closed_by_staff:
        if need.duplicate_of_id is not None:
            stop = Step("merged", N_("Merged into an earlier report"), True, decided or need.updated_at, stop=True)
        elif status is NeedStatus.REJECTED:
            stop = Step("rejected", N_("Not taken up"), True, decided or need.updated_at, stop=True)
        else:
            # Staff cancelled it (needs.cancellation); its reason is shown beside the steps.
            stop = Step("cancelled", N_("Cancelled"), True, dates.get("need.cancel") or need.updated_at, stop=True)
        if need.published_at is not None:
            steps.append(Step("published", N_("Published as a project"), True, need.published_at))
        return [*steps, stop]
    in_public = status in PUBLIC_STATUSES
    arranged = status in (*_ARRANGED, NeedStatus.COMPLETED, NeedStatus.VERIFIED)
    done_note = None
    if status is NeedStatus.COMPLETED:
        done_note = N_("The help has been delivered; the street is checking it with you.")
    arranged_note = {
        NeedStatus.PARTIALLY_MATCHED: N_("Part of the help is arranged; the street is looking for the rest."),
        NeedStatus.IN_PROGRESS: N_("The help is under way."),
    }.get(status)
    return [
        *steps,
        Step("published", N_("Published as a project"), in_public, need.published_at),
        Step(
            "arranged",
            N_("Help arranged"),
            arranged,
            _arranged_at(db, need.id) if arranged else None,
            note=arranged_note,
        ),
        Step(
            "done",
            N_("Done and verified"),
            status is NeedStatus.VERIFIED,
            need.verified_at if status is NeedStatus.VERIFIED else None,
            note=done_note,
        ),
    ]


def _reason(need: Need) -> str | None:
    """Staff's own words on a rejection or cancellation; a merge's machine note is said by the page."""
    if need.status not in (NeedStatus.REJECTED, NeedStatus.CANCELLED) or need.duplicate_of_id is not None:
        return None
    return need.status_reason


def progress_of(db: Session, need: Need, *, own: bool = True, hops: int = 0) -> Progress:
    """The report's progress; a merged report carries the progress of the one it was merged into."""
    assert need.id is not None
    public = need.status in PUBLIC_STATUSES
    merged_into = None
    if need.duplicate_of_id is not None and hops < MAX_MERGE_HOPS:
        target = db.get(Need, need.duplicate_of_id)
        if target is not None:
            merged_into = progress_of(db, target, own=False, hops=hops + 1)
    return Progress(
        reference=submissions.reference_number(need.id),
        need_id=need.id,
        # Another resident's report is theirs to read, unless it is on the public board already.
        title=need.title if own or public else None,
        category_label=need.category.label,
        status=need.status,
        phone=mask_phone(need.beneficiary_phone) if own else None,
        steps=_steps(db, need),
        reason=_reason(need) if own else None,
        project_url=f"/projects/{need.id}" if public else None,
        merged_into=merged_into,
    )


# --- the lookup ------------------------------------------------------------------------------------------------


def _same_phone(stored: str | None, given: str) -> bool:
    # compare_digest: as long for a near miss as for a far one.
    return bool(stored) and hmac.compare_digest(phone_digits(stored).encode(), given.encode())


def find_report(db: Session, reference: int, phone: str) -> Need | None:
    """The need with this reference whose phone is ``phone`` (digits), else None: unknown and wrong look alike."""
    need = db.get(Need, reference)
    stored = need.beneficiary_phone if need is not None else None
    return need if _same_phone(stored, phone) else None


def track(
    db: Session,
    address: str | None,
    reference_text: str,
    phone_text: str,
    *,
    limit: int = LOOKUP_LIMIT,
    window: timedelta = LOOKUP_WINDOW,
) -> Progress | None:
    """Check the input, count the lookup (committed whatever it finds), and find the report's progress.

    Raises TrackingProblem for input that cannot be a reference or a phone (not counted: it reveals
    nothing), TooManySubmissions when the address is at its limit. None means "no such report".
    """
    reference, phone = parse_reference(reference_text), parse_phone(phone_text)
    try:
        submissions.count_lookup(db, address, limit=limit, window=window)
    except submissions.TooManySubmissions:
        db.rollback()
        raise
    db.commit()  # the count stays, even when the answer is "not found"
    need = find_report(db, reference, phone)
    return progress_of(db, need) if need is not None else None
