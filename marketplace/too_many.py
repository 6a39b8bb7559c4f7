"""The page a person sees when a limit refuses a form (429): what happened, when to try again, the way back.

Every public limit answers with it: the sign-in throttle, the registration limit and the public need form.
The wait comes from the answer's own Retry-After, so the page and the header never disagree. The JSON API
keeps its own answers (a ``retry_after`` field beside the header).
"""

from typing import Any

from litestar.response import Template
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from marketplace.i18n.numbers import counted
from marketplace.whole_numbers import whole_number

TEMPLATE = "errors/too_many.html"


def try_again_in(seconds: int) -> str:
    """ "Try again in 45 seconds." under a minute, else whole minutes rounded up ("Try again in 12 minutes.")."""
    if seconds < 60:
        wait = max(1, seconds)
        return counted("Try again in %(num)d second.", "Try again in %(num)d seconds.", wait)
    minutes = -(-seconds // 60)
    return counted("Try again in %(num)d minute.", "Try again in %(num)d minutes.", minutes)


def retry_after_of(headers: dict[str, str] | None) -> int | None:
    """The Retry-After of an answer in seconds (None when absent or not a number of seconds)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after" and (seconds := whole_number(value.strip(), minimum=0)) is not None:
            return seconds
    return None


def too_many_context(retry_after: int | None, *, back: str, back_label: str, detail: str | None) -> dict[str, Any]:
    """The page's own values (the caller adds the header's place): headline, wait, why, and the way back."""
    return {
        "status_code": HTTP_429_TOO_MANY_REQUESTS,
        "try_again": try_again_in(retry_after) if retry_after is not None else None,
        "detail": detail,
        "back": back,
        "back_label": back_label,
    }


def too_many_page(
    retry_after: int,
    context: dict[str, Any],
    *,
    back: str,
    back_label: str,
    detail: str | None,
    template: str = TEMPLATE,
) -> Template:
    """A 429 page with Retry-After; ``context`` holds the header's place (page_context or remembered_place)."""
    values = {**context, **too_many_context(retry_after, back=back, back_label=back_label, detail=detail)}
    return Template(
        template, context=values, status_code=HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(retry_after)}
    )
