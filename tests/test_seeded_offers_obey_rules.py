"""Seeded offers obey the rules the service holds every offer to (``marketplace.offers.rules``): the seeds check
each planned row with them, so a generator change that broke one fails the seeding instead of showing the demo
an offer no partner could have published. Checked on the seeded Hudao Street through the service's own reading
of the rule, and the check itself on rows that break it."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.offers.models import Offer, OfferGrid
from marketplace.offers.rules import BrokenOffer, area_outside, check_seeded
from marketplace.offers.services import grids_outside_served_streets
from seeds import empty_database
from seeds.hudao import seed_hudao

TODAY = date(2026, 5, 1)


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "kind": "material",
        "category": "renovation",
        "title": "透水砖",
        "description": "",
        "quantity": Decimal(3200),
        "unit": "m²",
        "remaining_quantity": Decimal(3200),
        "valid_from": datetime(2026, 3, 1, tzinfo=UTC),
        "valid_until": datetime(2026, 4, 1, tzinfo=UTC),  # expired since: history may hold that
    }
    return row | changes


def test_every_seeded_offer_lies_in_the_streets_its_organization_serves(clean_engine: sa.Engine) -> None:
    empty_database(clean_engine)
    seed_hudao(clean_engine, today=TODAY)
    with Session(clean_engine) as db:
        offers = db.execute(sa.select(Offer.id, Offer.organization_id)).all()
        areas: dict[int, list[int]] = {}
        for offer_id, grid_id in db.execute(sa.select(OfferGrid.offer_id, OfferGrid.grid_id)):
            areas.setdefault(offer_id, []).append(grid_id)
        assert len(offers) > 20 and len(areas) == len(offers)
        for offer_id, organization_id in offers:
            assert grids_outside_served_streets(db, organization_id, areas[offer_id]) == [], offer_id


def test_the_seeds_check_refuses_what_the_service_would_refuse() -> None:
    check_seeded(_row(), {1: 10, 2: 10}, {10}, organization_approved=True)  # fine, expired window and all
    with pytest.raises(BrokenOffer, match="no street its organization serves"):
        check_seeded(_row(), {1: 10, 2: 20}, {10}, organization_approved=True)
    with pytest.raises(BrokenOffer, match="approved organization"):
        check_seeded(_row(), {1: 10}, {10}, organization_approved=False)
    with pytest.raises(BrokenOffer, match="remaining_quantity"):
        check_seeded(_row(remaining_quantity=Decimal(4000)), {1: 10}, {10}, organization_approved=True)
    with pytest.raises(BrokenOffer, match="valid_until"):
        check_seeded(_row(valid_until=datetime(2026, 2, 1, tzinfo=UTC)), {1: 10}, {10}, organization_approved=True)
    with pytest.raises(BrokenOffer, match="unit"):
        check_seeded(_row(unit="x" * 40), {1: 10}, {10}, organization_approved=True)
    with pytest.raises(BrokenOffer, match="grid_ids"):
        check_seeded(_row(), {}, {10}, organization_approved=True)  # an offer always has a service area


def test_the_area_rule_is_one_function_for_the_service_and_the_seeds() -> None:
    assert area_outside({1: 10, 2: 20, 3: None}, {10}) == [2, 3]
    assert area_outside({1: 10}, {10, 20}) == []
