"""Refusals (409) that name a shift, said once in the reader's language for every path that shows them.

The page's flash, the API's ``detail`` and a bulk decision's ``failed`` reason all show the sentence the
service raised, in the language of the request that caused it: "您已确认参加时间重叠的班次：接种陪同（#164）" /
"You are already confirmed for an overlapping shift: Vaccination escort (#164)". The API's ``extra`` keeps
what a program relies on whatever the language: the refusal's ``code`` and the English ``message`` (the
sentence's name, as the review queue's conflict notes give it), and the shift's number and title.
"""

from typing import Any

from marketplace.i18n import N_, gettext
from marketplace.matches.reasons import shift_named
from marketplace.matches.services import Conflict

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
