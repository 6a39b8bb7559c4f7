"""The first option of a select that asks for one choice ("Choose a category" / "请选择类别").

One wording for every form, kept here: each form's select names what to choose and takes its words from
``CHOOSE_ONE`` (the template global ``choose_one``), so a new form cannot drift to "选择类别" beside
"请选择类型". Filters keep their own first options ("All categories"): they offer no choice as a value.
"""

from marketplace.i18n import N_
from marketplace.i18n import gettext as _

CHOOSE_ONE = {
    "category": N_("Choose a category"),
    "channel": N_("Choose a channel"),
    "community": N_("Choose a community"),  # the report form: a community, and its grid if the resident knows it
    "department": N_("Choose a department"),
    "grid": N_("Choose a grid"),
    "kind": N_("Choose a kind"),
    "street": N_("Choose a street"),
    "user": N_("Choose a user"),
}


def choose_one(what: str) -> str:
    """The placeholder of a select asking for one ``what`` (a key of CHOOSE_ONE), in the page's language."""
    return _(CHOOSE_ONE[what])
