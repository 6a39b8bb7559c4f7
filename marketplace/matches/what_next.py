"""What a partner or volunteer reads after delivering or checking out: thanks, and what happens next.

The page's notice (``page_forms.notices``) and the API's ``message`` say the same: the street confirms with
the resident and closes the project (``delivery.verify_need``), and everyone who delivered or served hears
of it then (the ``need_closed`` notification).
"""

from marketplace.i18n import gettext as _


def delivered_message() -> str:
    return _(
        "Marked as delivered. Thank you! Next, the street confirms with the resident and closes the project; "
        "you will be told when it is closed."
    )


def checked_out_message() -> str:
    return _(
        "Checked out; your hours are credited. Next, the street confirms with the resident and closes the "
        "project; you will be told when it is closed."
    )


def closing_next() -> str:
    """The same next step alone, under a check-out's credited hours."""
    return _("Next, the street confirms with the resident and closes the project; you will be told when it is closed.")
