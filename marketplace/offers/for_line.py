"""An offer published for a project's resource line: the form filled in from the line, and the way back.

The take-part page links a line no offer of the partner can serve to ``/offers/new?line=<id>``. The form
then carries the line's kind, category, unit and item (its description as the title: a generic 个 pairs only
when the names agree, ``matching.units.can_serve``), what the line still needs, and the need's grid when the
organization may serve it; after publishing, the partner goes back to the line on the take-part page.

A line the partner may not take part in (its need not open as a project, or in a street the organization
does not serve) is ignored: the form is the blank one, and nothing of the need is shown.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from marketplace.items.services import names_of
from marketplace.matches import services as matches_services
from marketplace.matches.services import OPEN_STATUSES, serves_need
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer
from marketplace.query_filters import MAX_ID
from marketplace.security.identity import CurrentUser
from marketplace.whole_numbers import whole_number

MAX_TITLE = 200  # OfferCreate's title


@dataclass(frozen=True)
class ProjectLine:
    """The resource line an offer is published for, with its need (the page names both)."""

    need: Need
    line: ResourceLine

    @property
    def name(self) -> str:
        return self.line.description or self.line.kind.label

    @property
    def back(self) -> str:
        """The line on the take-part page."""
        return f"/projects/{self.need.id}/take-part#line-{self.line.id}"


def line_id(text: str | None) -> int | None:
    """The ``line`` parameter as a row id; None when it cannot be one (ignored, like an unknown line)."""
    return whole_number((text or "").strip(), maximum=MAX_ID)


def visible_line(db: Session, actor: CurrentUser, text: str | None) -> ProjectLine | None:
    """The line named by ``text`` when the partner may take part in its project, else None."""
    found = line_id(text)
    line = db.get(ResourceLine, found) if found is not None else None
    need = db.get(Need, line.need_id) if line is not None else None
    if line is None or need is None or need.id is None or need.status not in OPEN_STATUSES:
        return None
    if actor.organization_id is None or not serves_need(db, actor.organization_id, need.id):
        return None
    return ProjectLine(need, line)


def prefilled(db: Session, target: ProjectLine, grid_choices: set[int]) -> dict[str, Any]:
    """The new-offer form's values for the line: its kind, category and unit; its description (else its
    item's Chinese name) as the title; what it still needs as the quantity (nothing when it needs nothing);
    the need's grid as the service area when the form offers it (the streets the organization serves)."""
    line, need = target.line, target.need
    title = line.description.strip()
    if not title and line.item_key:
        item = names_of(db, [line.item_key]).get(line.item_key)
        title = item.name_zh if item is not None else ""
    still = line.still_needed if line.closed_at is None else Decimal(0)
    return {
        "kind": line.kind.value,
        "category": line.category.value,
        "title": title[:MAX_TITLE],
        "description": "",
        "unit": line.unit,
        "quantity": f"{still.normalize():f}" if still > 0 else "",
        "grid_ids": [need.grid_id] if need.grid_id in grid_choices else [],
    }


def fits(offer: Offer, target: ProjectLine) -> bool:
    """The published offer can serve the line (the one rule: ``compatibility``): the page then says it can be
    claimed; otherwise that it was published but cannot serve this line."""
    return matches_services.serves(offer, target.line)
