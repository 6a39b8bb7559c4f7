"""The organization forms' own checks, with messages a person understands."""

import re

from marketplace.i18n import gettext as _
from marketplace.organizations.credit_code import CHARSET


def credit_code_problem(value: str) -> str | None:
    """Why a credit code is wrong, in the reader's language (None when it is valid)."""
    from marketplace.organizations.credit_code import CreditCodeError, validate_credit_code

    code = value.strip().upper()
    if len(code) != 18:
        return _("A unified social credit code has 18 characters; this one has %(count)d.") % {"count": len(code)}
    for position, char in enumerate(code, start=1):
        if char not in CHARSET:
            return _("Character “%(char)s” at position %(position)d is not allowed (I, O, S, V and Z never occur).") % {
                "char": char,
                "position": position,
            }
    try:
        validate_credit_code(code)
    except CreditCodeError as error:
        reason = str(error)
        if "check digit" in reason:
            position = re.search(r"position (\d+)", reason)
            return _("The check digit at position %(position)s does not match; please check the code.") % {
                "position": position.group(1) if position else "18"
            }
        return _("This is not a valid unified social credit code: %(reason)s") % {"reason": reason}
    return None
