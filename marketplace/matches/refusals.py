"""Refusals (409) that name a shift, said once in the reader's language for every path that shows them.

The page's flash, the API's ``detail`` and a bulk decision's ``failed`` reason all show the sentence the
service raised, in the language of the request that caused it: "您已确认参加时间重叠的班次：接种陪同（#164）" /
"You are already confirmed for an overlapping shift: Vaccination escort (#164)". The API's ``extra`` keeps
what a program relies on whatever the language: the refusal's ``code`` and the English ``message`` (the
sentence's name, as the review queue's conflict notes give it), and the shift's number and title.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marketplace.i18n import N_, gettext
from marketplace.i18n.numbers import counted
from marketplace.matches.reasons import shift_named
from marketplace.matches.services import Conflict
from marketplace.quantity_display import unit_name
from marketplace.vocabulary import LabelledEnum
from marketplace.web import format_number, local_day, local_time

if TYPE_CHECKING:
    from marketplace.needs.models import ResourceLine, Shift

SIGNUP_OVERLAP = N_("You are already confirmed for an overlapping shift: %(shift)s")
# The review queue's conflict note says the same (conflicts.SENTENCES["shift_overlap"]).
APPROVAL_OVERLAP = N_("The volunteer is confirmed for an overlapping shift: %(shift)s")
CHECKED_IN_ELSEWHERE = N_("You are checked in to another shift: %(shift)s; check out there first")
# Each refusal's name: what the API's extra says as ``message`` (English, stable).
NAMES = {  # not translated: the API's stable English names
    "signup_overlap": "You are already confirmed for an overlapping shift",
    "shift_overlap": "The volunteer is confirmed for an overlapping shift",
    "checked_in_elsewhere": "You are checked in to another shift",
}


def said_about_shift(code: str, sentence: str, title: str, shift_id: int | None) -> tuple[str, dict[str, Any]]:
    """The refusal's ``detail`` in the reader's language and its ``extra`` for programs."""
    detail = gettext(sentence) % {"shift": shift_named(title, shift_id)}
    return detail, {"code": code, "message": NAMES[code], "shift_id": shift_id, "shift_title": title}


def shift_refusal(code: str, sentence: str, title: str, shift_id: int | None) -> Conflict:
    """A 409 about another shift, said in the reader's language (``Conflict.said``)."""
    detail, extra = said_about_shift(code, sentence, title, shift_id)
    error = Conflict(detail, extra=extra)
    error.said = True
    return error


# --- refusals of a state: said once, in the reader's language, with a stable code ------------------------------
# The sentence (translated where it is raised) names the state in the reader's words ("已批准" / "Approved"), a
# moment in the street's time ("6月4日周四 09:00" / "Thu, Jun 4 09:00"); ``extra`` keeps the code, the English
# name and the raw facts (a status's value, a moment in ISO 8601) for programs.
MATCH_DECIDED = N_("This item was decided already (now: %(status)s).")
AWAITING_VOLUNTEER = N_("The volunteer has not accepted this proposal yet; it can be approved once they do.")
AWAITING_PARTNER = N_("The partner has not accepted this proposal yet; it can be approved once they do.")
SIGNUP_NOT_CANCELLABLE = N_("This sign-up can no longer be cancelled (now: %(status)s).")
CLAIM_NOT_CANCELLABLE = N_("This claim can no longer be cancelled (now: %(status)s).")
CLAIM_NOT_APPROVED = N_("Only an approved claim can be marked delivered (this one: %(status)s).")
SIGNUP_NOT_CONFIRMED = N_("Only a confirmed sign-up can check in (this one: %(status)s).")
SIGNUP_NOT_CHECKED_IN = N_("Only a checked-in sign-up can check out (this one: %(status)s).")
CHECK_OUT_NOT_YET = N_("You can check out from %(time)s on %(day)s, when the shift starts.")
CHECK_IN_NOT_YET = N_("Check-in opens at %(time)s on %(day)s.")
CHECK_IN_WINDOW = N_("Check-in opens one hour before the shift starts and closes when it ends.")
SHIFT_OVER = N_("This shift is over.")
CHECKED_OUT_ALREADY = N_("You have already checked out.")
NEED_NOT_VERIFIABLE = N_("This project cannot be verified now (now: %(status)s).")
PROPOSAL_ACCEPTED = N_("You have accepted this proposal already; it waits for the street's approval.")
PROPOSAL_DECLINED = N_("You have declined this proposal already.")
PROPOSAL_DECIDED = N_("The street has already decided on this proposal (now: %(status)s).")
PROJECT_NOT_OPEN = N_("This project is no longer open.")
NO_SHOW_NOT_YET = N_("A no-show is recorded once the shift is over.")
NO_SHOW_NOT_CONFIRMED = N_("Only a confirmed sign-up nobody checked in can be marked a no-show (this one: %(status)s).")

NAMES |= {
    "match_decided": "This match was decided already",
    "awaiting_answer": "The candidate has not accepted this proposal yet",
    "signup_not_cancellable": "This sign-up can no longer be cancelled",
    "claim_not_cancellable": "This claim can no longer be cancelled",
    "claim_not_approved": "Only an approved claim can be delivered",
    "signup_not_confirmed": "Only a confirmed sign-up can check in",
    "signup_not_checked_in": "Only a checked-in sign-up can check out",
    "check_out_not_yet": "Check-out opens when the shift starts",
    "check_in_not_yet": "Check-in opens one hour before the shift starts",
    "shift_over": "This shift is over",
    "checked_out_already": "This sign-up was checked out already",
    "need_not_verifiable": "This need cannot be verified in its status",
    "proposal_accepted": "This proposal was accepted already; it waits for the street's approval",
    "proposal_declined": "This proposal was declined already",
    "proposal_decided": "This proposal was decided already",
    "project_not_open": "The project is no longer open",
    "no_show_not_yet": "A no-show is recorded once the shift is over",
    "no_show_not_confirmed": "Only a confirmed sign-up can be marked a no-show",
}


def refusal(code: str, sentence: str, said: dict[str, str] | None = None, **facts: Any) -> Conflict:
    """A 409 said once in the reader's language: ``said`` fills the sentence (words already in the reader's
    language), ``facts`` go to the API's ``extra`` beside the code and the English name."""
    detail = gettext(sentence) % said if said else gettext(sentence)
    error = Conflict(detail, extra={"code": code, "message": NAMES[code], **facts})
    error.said = True
    return error


def in_status(code: str, sentence: str, status: LabelledEnum, **facts: Any) -> Conflict:
    """A refusal naming the state something is in now: its label in the reader's language, its value in extra."""
    return refusal(code, sentence, {"status": status.label}, status=status.value, **facts)


def at_moment(code: str, sentence: str, moment: datetime, *lead: str, **facts: Any) -> Conflict:
    """A refusal naming a moment in the street's time, in the reader's format (ISO 8601 in extra as ``at``).

    ``lead``: sentences said before it (in English, translated here)."""
    when = {"time": local_time(moment), "day": local_day(moment)}
    error = refusal(code, sentence, when, at=moment.isoformat(), **facts)
    if lead:
        error.detail = " ".join([*(gettext(text) for text in lead), str(error.detail)])
    return error


# --- refusals of what a project, line or shift still takes, and of what an approval finds left ---------------
# The words the take-part and review pages used to choose by matching English phrases, now said where raised.
SHIFT_FULL = N_("This shift is full.")  # approving a sign-up
SHIFT_FILLED = N_("This shift has just filled up.")  # signing up: the same code, in the volunteer's words
ALREADY_SIGNED_UP = N_("You are already signed up for this shift.")
ALREADY_CLAIMED = N_("Another partner has just claimed the whole project.")
LINE_CLOSED = N_("The street closed this line as enough; it takes no more claims.")
SHIFT_CANCELLED = N_("The street cancelled this shift.")
PROJECT_CLOSED = N_("This project is no longer open (now: %(status)s); it takes no claims or sign-ups.")
WHOLE_CLAIMED_LINES = N_("A partner has claimed the whole project; no part of it can be claimed now.")
WHOLE_CLAIMED_SHIFTS = N_("A partner has claimed the whole project and brings its own people.")
NOT_ENOUGH_LEFT = N_("Not enough left to approve this claim; it stays pending.")
CANNOT_SERVE = N_("The offer cannot serve this resource line; the claim stays pending and can be rejected.")
ORGANIZATION_NOT_APPROVED = N_("The organization is not approved.")
ALREADY_LIVE = N_("This candidate already has a live proposal, claim or sign-up for this part.")
LINE_NEEDS_NOTHING = N_("This resource line needs nothing more.")
STREET_NOT_SERVED = N_("The organization no longer serves the street of this project.")

VOLUNTEER_GONE = N_("The volunteer's account no longer exists.")

NAMES |= {
    "volunteer_gone": "The volunteer no longer exists",
    "shift_full": "This shift is full",
    "already_signed_up": "You are already signed up for this shift",
    "already_claimed": "This project is already claimed",
    "line_closed": "This resource line was closed as enough: it takes no more claims",
    "shift_cancelled": "This shift was cancelled",
    "project_closed": "This project is no longer open: it takes no claims or sign-ups",
    "project_claimed_whole": "A partner has claimed the whole project",
    "not_enough_left": "not enough left",
    "offer_cannot_serve": "The offer cannot serve this resource line",
    "organization_not_approved": "The organization is not approved",
    "street_not_served": "The organization no longer serves the street of this need",
    "already_live": "This candidate already has a live proposal, claim or sign-up for it",
    "line_needs_nothing": "This resource line needs nothing more",
}


# --- what stands before a need's verification: each blocker in the reader's words (as the staff page says them)
NOT_VERIFIABLE_YET = N_("This project cannot be verified yet: %(blockers)s")
NAMES["not_verifiable_yet"] = "Cannot verify yet"


@dataclass(frozen=True)
class Blocker:
    """One thing a need still waits for: ``said`` in the reader's language, ``stored`` in stable English."""

    said: str
    stored: str


def line_blocker(line: "ResourceLine") -> Blocker:
    values = {
        "what": line.description or line.kind.label,
        "qty": format_number(line.still_needed),
        "unit": unit_name(line.unit, line.still_needed),
    }
    said = gettext(N_("Resource line “%(what)s” still needs %(qty)s %(unit)s.")) % values
    return Blocker(said, f"resource line #{line.id} still needs {line.still_needed} {line.unit}")


def shift_blocker(shift: "Shift") -> Blocker:
    """A shift not over yet, named with its day and hours (street clock): three shifts of one name differ."""
    when = {"day": local_day(shift.starts_at), "start": local_time(shift.starts_at), "end": local_time(shift.ends_at)}
    said = gettext(N_("Shift “%(title)s” on %(day)s, %(start)s–%(end)s, is not over yet.")) % {
        "title": shift.title,
        **when,
    }
    return Blocker(said, f"shift #{shift.id} is not over")


def claims_blocker(count: int) -> Blocker:
    said = counted(
        "%(num)d approved claim is not delivered yet.", "%(num)d approved claims are not delivered yet.", count
    )
    return Blocker(said, f"{count} approved claim(s) not yet delivered")


def not_verifiable_yet(need_id: int, blockers: list[Blocker]) -> Conflict:
    """A 409 naming everything verification waits for; ``extra.blockers`` keeps the stable English of each."""
    said = {"blockers": " ".join(blocker.said for blocker in blockers)}
    return refusal(
        "not_verifiable_yet", NOT_VERIFIABLE_YET, said, need_id=need_id, blockers=[b.stored for b in blockers]
    )
