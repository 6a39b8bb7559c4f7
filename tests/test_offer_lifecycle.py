"""Offers become exhausted, active again and expired by themselves; reservations never go below zero."""

import threading
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.offers.lifecycle import effective_status, expire_offers, release_to_offer, reserve_from_offer
from marketplace.offers.models import Offer, OfferStatus
from marketplace.vocabulary import Category, ResourceKind
from tests.security_helpers import fetch, make_org


def make_offer(session: Session, quantity: int = 5, remaining: int | None = None, **fields: object) -> int:
    org = make_org(session)
    now = utcnow()
    offer = Offer(
        organization_id=org.id,  # type: ignore[arg-type]
        kind=ResourceKind.MATERIAL,
        category=Category.RENOVATION,
        title="透水砖",
        quantity=Decimal(quantity),
        unit="块",
        remaining_quantity=Decimal(quantity if remaining is None else remaining),
        valid_from=now - timedelta(days=2),
        **fields,  # type: ignore[arg-type]
    )
    session.add(offer)
    session.commit()
    assert offer.id is not None
    return offer.id


def test_reserve_until_exhausted_then_release_makes_it_active(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        offer_id = make_offer(session, quantity=3)
    with session_factory.begin() as db:
        assert reserve_from_offer(db, offer_id, 2)
    with session_factory.begin() as db:
        assert not reserve_from_offer(db, offer_id, 2)  # only 1 left: nothing changes
    with session_factory() as session:
        row = fetch(session, Offer, offer_id)
    assert row.remaining_quantity == 1 and row.status == OfferStatus.ACTIVE and row.version == 2
    with session_factory.begin() as db:
        assert reserve_from_offer(db, offer_id, 1)
    with session_factory() as session:
        row = fetch(session, Offer, offer_id)
    assert row.remaining_quantity == 0 and row.status == OfferStatus.EXHAUSTED
    with session_factory.begin() as db:
        assert not reserve_from_offer(db, offer_id, 1)
        assert release_to_offer(db, offer_id, 2)
    with session_factory() as session:
        row = fetch(session, Offer, offer_id)
    assert row.remaining_quantity == 2 and row.status == OfferStatus.ACTIVE
    with session_factory.begin() as db:
        assert not release_to_offer(db, offer_id, 2)  # would exceed the offered quantity


def test_expired_and_withdrawn_offers_cannot_be_reserved(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        expired = make_offer(session, valid_until=utcnow() - timedelta(minutes=1))
        withdrawn = make_offer(session, status=OfferStatus.WITHDRAWN)
    with session_factory.begin() as db:
        assert not reserve_from_offer(db, expired, 1)
        assert not reserve_from_offer(db, withdrawn, 1)


def test_expiry_sweep_is_one_update_and_readers_see_expired_before_it(session_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_factory() as session:
        past = make_offer(session, valid_until=now - timedelta(hours=1))
        past_exhausted = make_offer(session, remaining=0, status=OfferStatus.EXHAUSTED, valid_until=now - timedelta(1))
        future = make_offer(session, valid_until=now + timedelta(days=3))
        open_ended = make_offer(session)
        withdrawn = make_offer(session, status=OfferStatus.WITHDRAWN, valid_until=now - timedelta(hours=1))
    with session_factory() as session:
        assert effective_status(session.get(Offer, past)) == OfferStatus.EXPIRED  # type: ignore[arg-type]
        assert effective_status(session.get(Offer, future)) == OfferStatus.ACTIVE  # type: ignore[arg-type]
    with session_factory.begin() as db:
        assert expire_offers(db, now) == 2
    with session_factory.begin() as db:
        assert expire_offers(db, now) == 0  # idempotent
    with session_factory() as session:
        statuses = dict(session.execute(sa.select(Offer.id, Offer.status)).all())
    assert statuses[past] == OfferStatus.EXPIRED and statuses[past_exhausted] == OfferStatus.EXPIRED
    assert statuses[future] == OfferStatus.ACTIVE and statuses[open_ended] == OfferStatus.ACTIVE
    assert statuses[withdrawn] == OfferStatus.WITHDRAWN


def test_twenty_concurrent_reservations_of_one_from_five_left(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        offer_id = make_offer(session, quantity=10, remaining=5)
    start = threading.Barrier(20)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claim() -> None:
        try:
            start.wait()
            with session_factory.begin() as db:
                taken = reserve_from_offer(db, offer_id, 1)
            with lock:
                results.append(taken)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results.count(True) == 5 and results.count(False) == 15
    with session_factory() as session:
        row = fetch(session, Offer, offer_id)
    assert row.remaining_quantity == 0 and row.status == OfferStatus.EXHAUSTED
