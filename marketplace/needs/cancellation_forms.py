"""The "Cancel this need" form of a need's staff page: what it shows, and its sentences in the reader's language
(the handler is marketplace.needs.cancellation_pages, the work marketplace.needs.cancellation)."""

from typing import Any

from marketplace.i18n import gettext as _
from marketplace.needs import cancellation
from marketplace.needs.models import Need


def form_context(need: Need, claims: list[Any], shifts: list[Any]) -> dict[str, Any]:
    """What the cancel form shows: whether the need may be cancelled and what cancelling would end (no query)."""
    return {
        "cancellable": need.status in cancellation.CANCELLABLE,
        "cancel_preview": cancellation.preview(claims, shifts),
    }


def notices() -> dict[str, str]:
    return {
        "cancelled": _(
            "The need is cancelled. Every claim and sign-up on it has ended; the partners and volunteers "
            "concerned are told, and the resident sees the reason when following the report."
        ),
    }
