"""A page's check of the password a signed-in person retypes (to change it, to ask for their account's
erasure): ``accounts.services.confirm_own_password``, and the 429 page when the throttle holds it back.

The password page (accounts) and the erasure request (privacy) both call ``retyped_password``; the page is one,
so the two cannot drift apart in what they say or where they lead back.
"""

from typing import Any

from litestar import Request
from litestar.response import Template
from sqlmodel import Session

from marketplace.accounts import services as accounts_services
from marketplace.i18n import gettext as _
from marketplace.pages import page_context
from marketplace.security.identity import CurrentUser
from marketplace.security.throttle import Throttled
from marketplace.too_many import too_many_page


def retyped_password(
    request: Request[Any, Any, Any],
    db: Session,
    actor: CurrentUser,
    password: str,
    *,
    client_address: str | None,
    back: str,
) -> bool | Template:
    """True when the actor's password is right, False when wrong; the 429 page (back to ``back``) when the
    account has retyped it wrong too often. Call it before ``db`` writes anything: the count is written in a
    transaction of its own."""
    state = request.app.state
    try:
        return accounts_services.confirm_own_password(
            state.session_factory, state.reader_factory, state.settings, actor, password, client_address=client_address
        )
    except Throttled as throttled:
        return too_many_page(
            throttled.retry_after,
            page_context(db),
            back=back,
            back_label=_("Back to the form"),
            detail=_("The password was typed wrong too many times."),
        )
