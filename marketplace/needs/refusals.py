"""The needs domain's refusals: one sentence each, said in the reader's language, with a stable code.

A refusal keeps its sentence (an English msgid) and its values, and says them when it is shown, in the language
of the request showing it (lazy: a refusal raised by a sweep or before the request's language is known reads
right wherever it ends up). A status is said by its label (已取消 / Cancelled), a quantity as the reader writes
it; ``facts`` keeps the raw values for the API's ``extra`` (a status's value, ids), whatever the language.
The API and the need pages show the same sentence; programs compare the code (docs/api_refusals.md).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketplace.i18n import N_, gettext
from marketplace.i18n.numbers import counted
from marketplace.quantity_display import unit_name
from marketplace.vocabulary import LabelledEnum

# --- recording and editing a need (services, additions) ------------------------------------------------------
UNKNOWN_GRID = N_("There is no grid #%(grid_id)s.")
GRID_OUT_OF_SCOPE = N_("This grid is outside the grids you work in.")
UNKNOWN_SKILL = N_("There is no skill #%(skill_id)s.")
IDEMPOTENCY_KEY_USED = N_("This idempotency key was already used for another need.")
NEED_FINISHED = N_("This need is %(status)s: a finished need is not edited.")
NEED_CLOSED = N_("This need is %(status)s: it takes no more resource lines or shifts.")
NOT_ITSELF = N_("Name another need, not this one.")
NOTHING_ASKED = N_(
    "Add at least one item or volunteer shift before publishing: a project that asks for nothing "
    "can never be claimed or closed."
)
GRID_TO_CONFIRM = N_(
    "Set the need's grid before publishing: the resident was not sure of it, and matching goes by the grid."
)
NEED_NOT_FOUND = N_("No need #%(need_id)s in your scope.")
VERSION_CONFLICT = N_("The need was changed by someone else; reload it and apply your change again.")
WRONG_STATUS = N_("This need is %(status)s, which does not allow this.")
KEY_DIFFERS = N_("The idempotency key differs from the Idempotency-Key header.")
KEY_INVALID = N_("The Idempotency-Key must be 1 to 128 printable ASCII characters without spaces.")

# --- merging a duplicate (duplicates) ------------------------------------------------------------------------
TARGET_CLOSED = N_("Need #%(target_id)s is closed or itself merged into another; it cannot take this one.")
MERGE_LIVE = N_(
    "Need #%(need_id)s still has live claims or sign-ups (%(live)s); merge #%(target_id)s into it instead, or "
    "settle them first."
)

# --- escalation ----------------------------------------------------------------------------------------------
ALREADY_ESCALATED = N_("The need was already escalated to this level: %(level)s.")
NOT_ESCALATABLE = N_("This need is %(status)s: it is no longer escalated.")
AT_TOP_LEVEL = N_("The need is already at the department level; it goes no higher.")
DEPARTMENT_REQUIRED = N_("Choose the department that must report.")
UNKNOWN_DEPARTMENT = N_("There is no department #%(department_id)s in the need's street.")
NO_STEP_TO_ACKNOWLEDGE = N_("No escalation step #%(escalation_id)s for you to acknowledge.")
ALREADY_ACKNOWLEDGED = N_("This escalation step was already acknowledged.")

# --- cancelling a need (cancellation) ------------------------------------------------------------------------
CANCEL_REASON_REQUIRED = N_("Give a reason for cancelling (at most 500 characters); it is shown to the resident.")
REASON_TOO_LONG = N_("The reason may have at most 500 characters.")
REASON_CONTROL = N_("The reason may not contain control characters.")
CANCEL_BUSY = N_("Someone else was changing this need's claims or sign-ups at the same moment; try again.")

# --- changing a line or a shift (changes) --------------------------------------------------------------------
LINE_CLOSED = N_("This line was closed as enough; it no longer changes.")
LINE_CLOSED_ALREADY = N_("This line was closed as enough already.")
REASON_REQUIRED = N_("Give a reason (at most 500 characters).")
NO_CHANGE = N_("That is the current value: change it, or leave the form as it is.")
BELOW_HELD = N_("Not below the %(held)s %(unit)s that approved or delivered claims already hold.")
WHOLE_DELIVERED = N_("A delivered whole-project claim provided this line; record a new need for more.")
SHIFT_CANCELLED = N_("This shift was cancelled; it no longer changes.")
SHIFT_CANCELLED_ALREADY = N_("This shift was cancelled already.")
SHIFT_STARTED = N_("The shift has started: it can no longer be moved or cancelled.")
ENDS_BEFORE_START = N_("The end must be after the start.")
SHIFT_TOO_LONG = N_("A shift lasts at most 24 hours.")
ENDS_IN_PAST = N_("The shift must end in the future.")
NOT_CHANGEABLE = N_("This need is %(status)s; it can no longer change.")
LAST_THING_ASKED = N_(
    "This is the last thing the project still asks for; without it the project would stay on the board "
    "asking for nothing. Add another item or volunteer shift first (Edit the need)."
)
# Said by counted(), the plural as the reader's language makes it (below_confirmed(), chosen by the code).
BELOW_CONFIRMED = "Not fewer than the %(num)d volunteer already confirmed."
NO_LINE = N_("Need #%(need_id)s has no resource line #%(line_id)s.")
NO_SHIFT = N_("Need #%(need_id)s has no shift #%(shift_id)s.")

# --- the resident's consent (consent) ------------------------------------------------------------------------
CONSENT_ALREADY_RECORDED = N_("The resident's consent is already recorded; someone may have recorded it a moment ago.")
CONSENT_NOT_RECORDED = N_("No consent is recorded for this need any more; someone may have withdrawn it a moment ago.")
CONSENT_NO_CONTACT = N_("The need holds no contact of the resident, so there is no consent to record.")


@dataclass(frozen=True)
class Unit:
    """A unit beside a quantity: said in the reader's words (桶 / barrels), kept as stored in ``extra``."""

    name: str
    quantity: Decimal

    def __str__(self) -> str:
        return self.name


def shown(value: Any) -> Any:
    """A value as the sentence says it: a status or level by its label, a quantity without trailing zeros."""
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, Unit):
        return unit_name(value.name, value.quantity)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def fact(value: Any) -> Any:
    """A value as ``extra`` keeps it for programs: an enum's value, a quantity as a string."""
    if isinstance(value, LabelledEnum):
        return value.value
    if isinstance(value, Unit):
        return value.name
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def below_confirmed(confirmed: int) -> str:
    return counted(
        "Not fewer than the %(num)d volunteer already confirmed.",
        "Not fewer than the %(num)d volunteers already confirmed.",
        confirmed,
    )


def say(sentence: str, values: dict[str, Any]) -> str:
    """The sentence in the reader's language (now), its values filled in as the reader reads them."""
    text = gettext(sentence)
    return text % {name: shown(value) for name, value in values.items()} if values else text


class Said:
    """What every needs refusal holds: ``field``, ``code``, the sentence and its values; ``message`` says it."""

    field: str
    code: str
    sentence: str
    values: dict[str, Any]

    def _said(self, field: str, code: str, sentence: str, values: dict[str, Any]) -> None:
        self.field, self.code, self.sentence, self.values = field, code, sentence, values

    @property
    def message(self) -> str:
        if self.code == "below_confirmed":
            return below_confirmed(int(self.values["confirmed"]))
        return say(self.sentence, self.values)

    @property
    def facts(self) -> dict[str, Any]:
        return {name: fact(value) for name, value in self.values.items() if name != "max"}
