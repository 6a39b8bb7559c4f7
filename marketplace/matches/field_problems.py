"""Field problems (400) of the matches domain, said once in the reader's language with a stable code.

``services.field_problem`` raises them: the API's ``extra`` entry names the field (``key``), says the problem in
the reader's language (``message``) and keeps its ``code`` and raw facts for programs; pages choose what to show
by the code, never by the English of a sentence. The codes are listed in docs/api_refusals.md.
"""

from marketplace.i18n import N_

NOT_A_CLAIM_KIND = N_("The kind must be whole or line.")
NOT_A_PROPOSAL_KIND = N_("The kind must be offers or volunteers.")
REQUIRED_TO_CLAIM_PART = N_("Required to claim part of a resource line.")
NOT_POSITIVE = N_("The quantity must be greater than 0.")
LINE_NOT_IN_PROJECT = N_("This resource line is not part of this project.")
SHIFT_NOT_IN_PROJECT = N_("This shift is not part of this project.")
NOT_YOUR_OFFER = N_("This offer is not one of your organization's offers.")
OFFER_NOT_ACTIVE = N_("This offer is %(status)s, not active.")
MORE_THAN_LINE_NEEDS = N_("The quantity is more than the line still needs (%(qty)s %(unit)s).")
MORE_THAN_OFFER_HAS = N_("The quantity is more than the offer has left (%(qty)s %(unit)s).")
INCOMPATIBLE = N_("This offer cannot serve this resource line: %(reason)s.")
NOT_AN_OFFER = N_("No such offer.")
NOT_A_VOLUNTEER = N_("No such volunteer.")
VOLUNTEER_NOT_ACTIVE = N_("This volunteer's account is disabled; they cannot be proposed.")
ORGANIZATION_NOT_APPROVED = N_("This offer's organization is suspended or not approved; it cannot be proposed.")
OFFER_STREET_NOT_SERVED = N_("This offer's organization does not serve this project's street.")
VOLUNTEER_STREET_NOT_SERVED = N_("This volunteer does not serve this project's street.")
NOTHING_LEFT = N_("This offer has nothing left.")
REJECT_REASON_REQUIRED = N_("Give a reason to reject (1 to %(n)s characters).")
REASON_TOO_LONG = N_("The reason must be at most %(n)s characters.")
COMMENT_TOO_LONG = N_("The comment must be at most %(n)s characters.")
CONTROL_CHARACTERS = N_("Must not contain control characters.")
SATISFACTION_OUT_OF_RANGE = N_("The satisfaction must be a whole number from 1 to 5.")

# Every code a field problem of this domain carries (``extra[i].code``); a test walks the raisers against it.
CODES = frozenset(
    {
        "not_a_choice",
        "required",
        "not_positive",
        "line_not_in_project",
        "shift_not_in_project",
        "not_your_offer",
        "offer_not_active",
        "more_than_line_needs",
        "more_than_offer_has",
        "incompatible",
        "not_an_offer",
        "not_a_volunteer",
        "volunteer_not_active",
        "organization_not_approved",
        "street_not_served",
        "nothing_left",
        "too_long",
        "control_characters",
        "out_of_range",
        "invalid_filter",
    }
)
