"""Many offers of one organization created at once (a file's import), by the rules of ``services.create_offer``.

``create_offer`` makes one offer: the organization must be approved, every grid must exist and lie in a street
the organization serves (``services.check_grids``, the rule the form and the API apply), the item is resolved
from the text, the offer starts active. An import of 5,000 rows calling it once a row looked the organization,
the grids and the streets up 5,000 times and wrote row by row (30-60 s on a city). Here each rule runs once for
the whole batch — a grid breaks the area rule whichever offer names it, so checking the batch's grids together
refuses exactly what checking each offer would; the item vocabulary is read once — and the offers, then their
grids, are inserted together.
"""

from collections.abc import Sequence

from sqlmodel import Session

from marketplace.items.services import item_key_in, vocabulary
from marketplace.offers import services
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.offers.schemas import OfferCreate
from marketplace.organizations.services import require_approved_organization
from marketplace.security.identity import CurrentUser


def create_offers(db: Session, actor: CurrentUser, items: Sequence[OfferCreate]) -> list[Offer]:
    """New active offers of the actor's (approved) organization, in the caller's transaction, in ``items``' order.

    Raises as ``create_offer`` does (403 not approved, ``GridProblem`` for a grid outside the area); no audit
    rows: the caller records one for the batch."""
    organization = require_approved_organization(db, actor)
    assert organization.id is not None
    if not items:
        return []
    services.check_grids(db, sorted({grid_id for item in items for grid_id in item.grid_ids}), organization.id)
    # The item each offer names, as ``offer_item_key`` resolves it, from the vocabulary read once for the batch
    # (``offer_item_key`` asks whether the vocabulary changed on every call: a query per offer).
    vocab = vocabulary(db)
    rows = []
    for item in items:
        row = item.to_row(organization.id)
        row.status = OfferStatus.ACTIVE
        row.item_key = item_key_in(vocab, [row.title, row.description or ""], row.category, row.kind, row.unit)
        rows.append(row)
    db.add_all(rows)
    db.flush()  # one multi-row INSERT ... RETURNING on PostgreSQL and SQLite alike
    db.add_all(
        OfferGrid(offer_id=row.id, grid_id=grid_id)
        for row, item in zip(rows, items, strict=True)
        for grid_id in sorted(set(item.grid_ids))
    )
    db.flush()
    return rows
