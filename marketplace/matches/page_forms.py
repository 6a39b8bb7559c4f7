"""The take-part forms: reading what a partner or volunteer typed, and telling what went wrong in their language.

The services (claims.py, signups.py, delivery.py) answer with a stable code and a sentence in the reader's
language (field_problems.py, refusals.py); the pages choose a form's words by that code, and check the fields
the services take on trust (a quantity's digits, a reason's length and characters) before anything is written.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from litestar.exceptions import ValidationException

from marketplace.forms import one
from marketplace.i18n import gettext as _
from marketplace.matches import compatibility
from marketplace.matches.claims import ClaimRequest
from marketplace.matches.services import Conflict
from marketplace.matches.what_next import checked_out_message, delivered_message
from marketplace.validation import has_control_characters
from marketplace.whole_numbers import decimal_number, has_other_digits, whole_number

MAX_REASON = 500
# The database keeps quantities as NUMERIC(14, 2): two decimals, twelve digits before the point.
QUANTITY = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
# A row id as typed in a form: ASCII digits only ("²".isdigit() is true), small enough for an INTEGER column.
MAX_ROW_ID = 999_999_999  # nine digits


@dataclass
class FormProblem:
    """What went wrong with one form on the page: per field, or for the form as a whole."""

    form: str  # "whole", "line-<id>", "shift-<id>", "claim-<id>", "signup-<id>"
    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    forbidden: bool = False  # refused for who is asking (403), not for what they typed or the data's state


def notices() -> dict[str, str]:
    """What a successful action says on the page it leads to (named by ?done=...)."""
    return {
        "claimed": _("Your claim was sent. The street reviews it before anything is reserved."),
        "claim_cancelled": _("The claim was cancelled."),
        "delivered": delivered_message(),
        "signed_up": _("You are signed up. See you there!"),
        "signed_up_pending": _("You asked to join; the street will confirm your place."),
        "signup_cancelled": _("Your sign-up was cancelled and your place given back."),
        "checked_in": _("Checked in. Remember to check out when you leave."),
        "checked_out": checked_out_message(),
        "proposal_accepted": _("You accepted the proposal. The street confirms it next; it is listed below."),
        "proposal_declined": _("You declined the proposal. Thank you for saying so."),
        # An offer published from a line's "publish an offer" link (marketplace/offers/for_line.py).
        "offer_published": _("Your offer is published and can now be claimed for this line: it is chosen below."),
        "offer_published_unfit": _("Your offer is published, but it cannot serve this line: see why below."),
    }


def row_id(text: str) -> int | None:
    """A form field naming a row, as an id; None when it cannot be one."""
    return whole_number(text.strip(), minimum=0, maximum=MAX_ROW_ID)


def line_claim(form: dict[str, object], line_id: int) -> tuple[ClaimRequest | None, FormProblem | None]:
    """A claim of part of a resource line, or the fields that are wrong (nothing is written then)."""
    offer_text, quantity_text = one(form, "offer_id").strip(), one(form, "quantity").strip()
    problem = FormProblem(f"line-{line_id}", values={"offer_id": offer_text, "quantity": quantity_text})
    offer_id = row_id(offer_text)
    if offer_id is None:
        problem.fields["offer_id"] = _("Choose one of your organization's active offers.")
    quantity = parse_quantity(quantity_text)
    if quantity is None:
        problem.fields["quantity"] = quantity_problem(quantity_text)
    if problem.fields or quantity is None or offer_id is None:
        return None, problem
    return ClaimRequest("line", line_id, offer_id, quantity), None


def parse_quantity(text: str) -> Decimal | None:
    """A positive quantity the database can hold exactly, or None.

    Thousands separators are accepted ("2,500", "2，500", "2 500"); the digits are ASCII (``whole_numbers``):
    "２５００" or "٣" is refused like any other text that is no number, never read as one.
    """
    value = decimal_number(text.replace(",", "").replace("，", "").replace(" ", ""), places=2)
    return value if value is not None and value > 0 else None


def quantity_problem(text: str) -> str:
    """Why a typed quantity is none: other digits than 0-9 are named as such (a full-width "２５００")."""
    if has_other_digits(text):
        return _("Write the number in the digits 0-9 (half-width), such as 2500.")
    return _("Enter a number greater than 0, with at most two decimals.")


def reason_problem(reason: str) -> str | None:
    """Why a cancellation reason cannot be stored (it is optional), or None."""
    if len(reason) > MAX_REASON:
        return _("The reason must be at most %(n)s characters.") % {"n": MAX_REASON}
    if has_control_characters(reason):
        return _("Must not contain control characters.")
    return None


def claim_field_problem(error: ValidationException, problem: FormProblem) -> FormProblem:
    """The service refused a line claim's field: say which field and why, chosen by the problem's code
    (``field_problems``); a code the form has no words of its own for shows the service's sentence, already
    in the reader's language."""
    for key, code, said in field_codes(error):
        if code == "more_than_line_needs":
            problem.fields["quantity"] = _("More than the line still needs.")
        elif code == "more_than_offer_has":
            problem.fields["quantity"] = _("More than your offer has left.")
        elif code in ("not_positive", "required") and key == "quantity":
            problem.fields["quantity"] = _("Enter a number greater than 0, with at most two decimals.")
        elif code == "incompatible":
            problem.fields["offer_id"] = compatibility.refused_reason(error) or said  # which units disagree
        elif code in ("not_your_offer", "offer_not_active", "required") and key == "offer_id":
            problem.fields["offer_id"] = _("Choose one of your organization's active offers.")
        elif code == "line_not_in_project" or key not in ("quantity", "offer_id"):
            problem.message = _("This resource line is no longer part of the project.")
        else:
            problem.fields[key] = said
    return problem


def field_codes(error: ValidationException) -> list[tuple[str, str, str]]:
    """Each field problem of a 400 as (field, code, the sentence in the reader's language)."""
    extra = error.extra if isinstance(error.extra, list) else []
    return [
        (str(item.get("key", "")), str(item.get("code", "")), str(item.get("message", "")))
        for item in extra
        if isinstance(item, dict)
    ]


def conflict_message(error: Conflict) -> str:
    """The data's state refused the action (someone else got there first, or it is too late)."""
    detail = str(error.detail)
    if error.said:  # already the reader's sentence, said once where it was raised (refusals.py)
        return detail
    return _("That did not work: the data changed in the meantime. Please reload the page and try again.")
