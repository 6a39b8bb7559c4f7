"""Offer status kept right by the database itself, without a cron.

* Reserving takes quantity with one conditional UPDATE (never below zero, atomic on SQLite and
  PostgreSQL); the same statement flips the status to exhausted when it reaches zero.
* Releasing (a cancelled match) gives quantity back and turns an exhausted offer active again.
* Expiry: readers treat ``valid_until < now`` as expired (``effective_status``); ``expire_offers`` is a
  cheap single UPDATE run by ``marketplace offers expire`` and by list requests when ``expiry_due``
  finds an offer to expire (so a list request takes the write lock only then).
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.offers.models import Offer, OfferStatus

_offer = Offer.__table__  # type: ignore[attr-defined]


def enter_offer(db: Session, offer_id: int | None) -> Offer | None:
    """The offer read afresh under a shared row lock, for a claim or proposal about to be made of it.

    Withdrawing takes the row exclusively first (its UPDATE), then ends what waits on the offer: a claim
    already inside holds the shared lock until it commits, so the withdrawal waits and then sees it; one
    arriving later waits for the withdrawal and reads the offer withdrawn. Approvals lock the row too
    (``hold_offer``), always before the match, in the withdrawal's order. SQLite serialises writers anyway.
    """
    if offer_id is None:
        return None
    statement = sa.select(Offer).where(Offer.id == offer_id).with_for_update(read=True)  # type: ignore[arg-type]
    return db.execute(statement.execution_options(populate_existing=True)).scalar_one_or_none()


def hold_offer(db: Session, offer_id: int) -> None:
    """The offer's row locked for an approval about to reserve from it, before the match's row (see above)."""
    db.execute(sa.select(_offer.c.id).where(_offer.c.id == offer_id).with_for_update())


def reserve_from_offer(db: Session, offer_id: int, quantity: Decimal | int) -> bool:
    """Take ``quantity`` from an active, unexpired offer; False (nothing changed) when not enough is left.

    Runs in the caller's transaction. The WHERE clause is the guard: two concurrent callers cannot
    both take the last unit, because the second one's row no longer matches.
    """
    amount = Decimal(quantity)
    if amount <= 0:
        raise ValueError("quantity must be positive")
    now = utcnow()
    left = _offer.c.remaining_quantity - amount
    result = db.execute(
        sa.update(_offer)
        .where(
            _offer.c.id == offer_id,
            _offer.c.status == OfferStatus.ACTIVE.value,
            _offer.c.remaining_quantity >= amount,
            sa.or_(_offer.c.valid_until.is_(None), _offer.c.valid_until > now),
        )
        .values(
            remaining_quantity=left,
            status=sa.case((left == 0, OfferStatus.EXHAUSTED.value), else_=OfferStatus.ACTIVE.value),
            version=_offer.c.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_to_offer(db: Session, offer_id: int, quantity: Decimal | int) -> bool:
    """Give ``quantity`` back (a cancelled claim); an exhausted offer becomes active again.

    Never above the offered quantity (the WHERE clause, backed by a CHECK constraint). Withdrawn and
    expired offers take the quantity back but keep their status. False when nothing matched.
    """
    amount = Decimal(quantity)
    if amount <= 0:
        raise ValueError("quantity must be positive")
    now = utcnow()
    result = db.execute(
        sa.update(_offer)
        .where(_offer.c.id == offer_id, _offer.c.remaining_quantity + amount <= _offer.c.quantity)
        .values(
            remaining_quantity=_offer.c.remaining_quantity + amount,
            status=sa.case(
                (_offer.c.status == OfferStatus.EXHAUSTED.value, OfferStatus.ACTIVE.value), else_=_offer.c.status
            ),
            version=_offer.c.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _past_window(now: datetime) -> sa.ColumnElement[bool]:
    """Active or exhausted offers whose window has closed: what the expiry sweep marks expired."""
    return sa.and_(
        _offer.c.status.in_([OfferStatus.ACTIVE.value, OfferStatus.EXHAUSTED.value]),
        _offer.c.valid_until.is_not(None),
        _offer.c.valid_until <= now,
    )


def expire_offers(db: Session, now: datetime | None = None) -> int:
    """Mark every active or exhausted offer whose window has closed as expired; one UPDATE, returns the count."""
    now = now or utcnow()
    result = db.execute(
        sa.update(_offer)
        .where(_past_window(now))
        .values(status=OfferStatus.EXPIRED.value, version=_offer.c.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def expiry_due(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """EXISTS an offer the sweep would expire: list requests write only when this holds."""
    return sa.exists(sa.select(_offer.c.id).where(_past_window(now or utcnow())))


def effective_status(offer: Offer, now: datetime | None = None) -> OfferStatus:
    """The status a reader should see, even before the sweep ran."""
    now = now or utcnow()
    if offer.status in (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED) and offer.valid_until and offer.valid_until <= now:
        return OfferStatus.EXPIRED
    return offer.status
