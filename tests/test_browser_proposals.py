"""In Chromium on the demo: a matching round proposes the demo volunteer for a shift and the demo partner's
offer for a line; they see "Proposed to you" (not a sign-up or claim), the volunteer accepts in the page,
the admin approves it in the review queue, and the volunteer's shift is confirmed.

The proposals are written by the rounds' own writer (``marketplace.rounds.proposals.write``, which also
notifies) into the demo's database, for a need made for this journey only.
"""

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.matches.models import Match
from marketplace.matches.signups import overlapping_confirmed
from marketplace.needs.models import NeedStatus
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization
from marketplace.places.models import Grid
from marketplace.rounds import proposals
from marketplace.settings import DatabaseSettings
from marketplace.volunteers.models import VolunteerProfile
from matching.round import Proposal, RoundPlan, RoundStats
from tests import factories
from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS
SHOTS = Path(os.environ.get("PROPOSAL_SHOTS_DIR", "/tmp/shots/proposals"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _propose(demo: LiveServer) -> dict[str, Any]:
    """A fresh published need with a shift and a line, proposed to the demo volunteer and partner."""
    engine = create_db_engine(DatabaseSettings(url=f"sqlite:///{demo.log_path.parent / 'marketplace.sqlite3'}"))
    try:
        with make_session_factory(engine)() as db:
            title = f"推荐接受测试 {uuid.uuid4().hex[:6]}"
            volunteer = db.execute(
                sa.select(VolunteerProfile)
                .join(User, User.id == VolunteerProfile.user_id)
                .where(User.username == "volunteer")
            ).scalar_one()
            partner = db.execute(sa.select(User).where(User.username == "partner")).scalar_one()
            offers = (
                db.execute(
                    sa.select(Offer)
                    .where(
                        Offer.organization_id == partner.organization_id,
                        Offer.status == OfferStatus.ACTIVE,
                        Offer.remaining_quantity >= 1,
                    )
                    .order_by(Offer.id)
                )
                .scalars()
                .all()
            )
            # An offer with a unit no waiting proposal holds (a round writes only what is still free).
            room = proposals.offer_room(db, {row.id or 0 for row in offers})
            offer = next((row for row in offers if room.get(row.id or 0, 0) >= 1), None)
            if offer is None:  # the demo's rounds hold them all: the partner publishes one more
                organization = db.get(Organization, partner.organization_id)
                assert organization is not None
                offer = factories.make_offer(db, organization, quantity=Decimal(5), remaining_quantity=Decimal(5))
            grid = db.get(Grid, volunteer.home_grid_id)
            assert grid is not None and offer is not None
            need = factories.make_need(db, grid, NeedStatus.PUBLISHED, title=title)
            line = factories.add_resource_line(
                db, need, "1", kind=offer.kind, category=offer.category, unit=offer.unit, description="样板材料"
            )
            starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=9)
            while overlapping_confirmed(db, volunteer.id or 0, starts, starts + timedelta(hours=2), 0):
                starts += timedelta(days=1)
            shift = factories.add_shift(
                db, need, 2, title="楼道清洁", starts_at=starts, ends_at=starts + timedelta(hours=2)
            )
            plan = RoundPlan(
                lines=[Proposal("line", need.id or 0, line.id or 0, offer.id or 0, 0.8, 1, (), float(Decimal(1)))],
                shifts=[Proposal("shift", need.id or 0, shift.id or 0, volunteer.id or 0, 0.9, 1, ())],
                stats=RoundStats(),
            )
            written = proposals.write(db, plan, proposals.Author(None, "cli"))
            db.commit()
            assert (written.lines, written.shifts) == (1, 1), written
            rows = db.execute(sa.select(Match).where(Match.id.in_(written.match_ids))).scalars().all()  # type: ignore[union-attr]
            shift_match = next(m for m in rows if m.shift_id is not None)
            line_match = next(m for m in rows if m.resource_line_id is not None)
            return {"title": title, "need": need.id, "shift_match": shift_match.id, "line_match": line_match.id}
    finally:
        engine.dispose()


def _shoot(page: Any, base: str, path: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for locale in ("zh_CN", "en"):
        for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(viewport)
            page.goto(f"{base}/lang/{locale}?next={path}")
            page.screenshot(path=str(SHOTS / f"{name}-{locale}-{label}.png"), full_page=True)


def test_the_volunteer_accepts_a_proposal_and_the_admin_approves_it(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    # Off the thread Playwright runs its event loop on (the app's guard refuses queries there).
    with ThreadPoolExecutor(1) as pool:
        made = pool.submit(_propose, demo_server).result()
    card = f"#proposal-{made['shift_match']}"

    volunteer = signed_in(browser, base, "volunteer", locale="en", viewport=PHONE)
    volunteer.goto(f"{base}/signups")
    offered = volunteer.locator(card)
    assert "Proposed to you" in volunteer.locator(".proposals-section h2").inner_text()
    assert made["title"] in offered.inner_text() and "楼道清洁" in offered.inner_text()
    # Not among the volunteer's own shifts until accepted.
    assert made["title"] not in volunteer.locator("#current-heading ~ *").all_inner_texts().__str__()
    _shoot(volunteer, base, "/signups", "signups-proposed")
    volunteer.goto(f"{base}/lang/en?next=/signups")
    volunteer.locator(card).get_by_role("button", name="Accept").click()
    volunteer.wait_for_load_state()
    assert "You accepted the proposal." in volunteer.content()
    assert volunteer.locator(card).count() == 0
    mine = volunteer.locator(".take-part-signup", has_text=made["title"])
    assert "Waiting for the street to confirm your place." in mine.inner_text()
    _shoot(volunteer, base, "/signups", "signups-accepted")

    partner = signed_in(browser, base, "partner", locale="zh_CN", viewport=PHONE)
    partner.goto(f"{base}/claims")
    assert made["title"] in partner.locator(f"#proposal-{made['line_match']}").inner_text()
    _shoot(partner, base, "/claims", "claims-proposed")

    admin = signed_in(browser, base, "admin", locale="en")
    admin.goto(f"{base}/review?need={made['need']}")
    item = admin.locator(f"#item-{made['shift_match']}")
    assert made["title"] in item.inner_text()
    admin.screenshot(path=str(SHOTS / "review-accepted-en-1280.png"), full_page=True)
    item.get_by_role("button", name="Approve", exact=True).click()
    admin.wait_for_load_state()
    assert admin.locator(f"#item-{made['shift_match']}").count() == 0
    # The line proposal nobody answered cannot be approved yet: the queue says why, and offers no Approve button.
    admin.goto(f"{base}/review?need={made['need']}")
    waiting = admin.locator(f"#item-{made['line_match']}")
    assert "has not accepted this proposal yet" in waiting.inner_text()
    assert waiting.get_by_role("button", name="Approve", exact=True).count() == 0

    volunteer.goto(f"{base}/lang/en?next=/signups")
    confirmed = volunteer.locator(".take-part-signup", has_text=made["title"])
    assert "Confirmed" in confirmed.inner_text()
    _shoot(volunteer, base, "/signups", "signups-confirmed")
    for page in (volunteer, partner, admin):
        page.context.close()
