"""In Chromium on the demo: the admin narrows the review inbox to one project by searching its title, chooses
every item matching the filter, rejects them all with one reason and reads what was rejected; then clears
another item from the keyboard alone (j to reach it, a to approve). The page also works at phone width.

The pending claims are made by the claims service as the demo partner, in the demo's database, for needs
made for this journey only.
"""

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.matches import claims
from marketplace.matches.claims import ClaimRequest
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import NeedStatus
from marketplace.offers.models import Offer, OfferStatus
from marketplace.places.models import Grid
from marketplace.settings import DatabaseSettings
from tests import factories
from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.busy_street import actor_of
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS
SHOTS = Path(os.environ.get("INBOX_SHOTS_DIR", "/tmp/shots/inbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _engine(demo: LiveServer) -> sa.Engine:
    return create_db_engine(DatabaseSettings(url=f"sqlite:///{demo.log_path.parent / 'marketplace.sqlite3'}"))


def _claims(demo: LiveServer, count: int) -> dict[str, Any]:
    """A fresh published need whose line the demo partner claims ``count`` times, one unit each."""
    engine = _engine(demo)
    try:
        with make_session_factory(engine)() as db:
            partner = db.execute(sa.select(User).where(User.username == "partner")).scalar_one()
            offer = (
                db.execute(
                    sa.select(Offer)
                    .where(
                        Offer.organization_id == partner.organization_id,
                        Offer.status == OfferStatus.ACTIVE,
                        Offer.remaining_quantity >= count,
                    )
                    .order_by(Offer.id)
                )
                .scalars()
                .first()
            )
            grid = db.execute(sa.select(Grid).order_by(Grid.id)).scalars().first()
            assert offer is not None and grid is not None
            title = f"收件箱测试 {uuid.uuid4().hex[:6]}"
            need = factories.make_need(db, grid, NeedStatus.PUBLISHED, title=title)
            line = factories.add_resource_line(
                db, need, str(count * 10), kind=offer.kind, category=offer.category, unit=offer.unit
            )
            db.commit()
            ids = []
            for _ in range(count):
                request = ClaimRequest("line", line.id, offer.id, Decimal(1))
                ids.append(claims.claim(db, actor_of(partner), need.id or 0, request).id)
                db.commit()
            return {"title": title, "need": need.id, "ids": ids}
    finally:
        engine.dispose()


def _statuses(demo: LiveServer, ids: list[int]) -> dict[int, tuple[MatchStatus, str | None]]:
    engine = _engine(demo)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(Match.id, Match.status, Match.decision_reason).where(Match.id.in_(ids))  # type: ignore[union-attr]
            ).all()
            return {match_id: (MatchStatus(status), reason) for match_id, status, reason in rows}
    finally:
        engine.dispose()


def _off_the_loop(function: Any, *args: Any) -> Any:
    # Off the thread Playwright runs its event loop on (the app's guard refuses queries there).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def _shoot(page: Any, base: str, path: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for locale in ("zh_CN", "en"):
        for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(viewport)
            page.goto(f"{base}/lang/{locale}?next={path}")
            page.screenshot(path=str(SHOTS / f"{name}-{locale}-{label}.png"), full_page=True)


def test_the_admin_filters_selects_all_matching_and_rejects_them_with_one_reason(
    browser: Any, demo_server: LiveServer
) -> None:
    base = demo_server.base_url
    made = _off_the_loop(_claims, demo_server, 3)
    admin = signed_in(browser, base, "admin", locale="en", viewport=PHONE)
    admin.goto(f"{base}/review")
    _shoot(admin, base, "/review", "review")
    admin.goto(f"{base}/lang/en?next=/review")
    admin.get_by_label("Search").fill(made["title"])
    admin.get_by_role("button", name="Apply filters").click()
    admin.wait_for_load_state()
    cards = admin.locator("[data-card]")
    assert cards.count() == 3 and "3 items pending" in admin.content()
    assert "q=" in admin.url  # the filter is in the address: a reload or a shared link shows the same
    _shoot(admin, base, admin.url.removeprefix(base), "review-filtered")

    admin.goto(f"{base}/lang/en?next=/review?q={made['title']}")
    admin.get_by_label("all 3 matching the filter").check()
    admin.get_by_label("Reason for rejecting", exact=True).first.fill("本期物资已由街道统一采购")
    admin.get_by_role("button", name="Reject with this reason").click()
    admin.wait_for_load_state()
    assert admin.locator("h1").inner_text() == "Bulk rejection"
    assert "Rejected (3)" in admin.locator("#decided-heading").inner_text()
    assert "本期物资已由街道统一采购" in admin.content()
    for match_id in made["ids"]:
        assert f"#{match_id} {made['title']}" in admin.content()
    statuses = _off_the_loop(_statuses, demo_server, made["ids"])
    assert set(statuses.values()) == {(MatchStatus.REJECTED, "本期物资已由街道统一采购")}
    admin.screenshot(path=str(SHOTS / "bulk-result-en-390.png"), full_page=True)
    admin.get_by_role("link", name="Back to the review queue").click()
    admin.wait_for_load_state()
    assert "No pending items match these filters." in admin.content()
    admin.context.close()


def test_the_admin_approves_an_item_from_the_keyboard(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    made = _off_the_loop(_claims, demo_server, 2)
    admin = signed_in(browser, base, "admin", locale="en")
    admin.goto(f"{base}/review?q={made['title']}&sort=oldest")
    assert admin.locator(".inbox-keys").is_visible()  # the script runs and says which keys work
    first, second = made["ids"]
    admin.keyboard.press("j")
    assert admin.evaluate("document.activeElement.id") == f"item-{first}"
    admin.keyboard.press("j")
    assert admin.evaluate("document.activeElement.id") == f"item-{second}"
    admin.keyboard.press("x")
    assert admin.locator(f"#pick-{second}").is_checked()
    admin.keyboard.press("r")
    assert admin.evaluate("document.activeElement.id") == f"reason-{second}"
    admin.keyboard.press("Escape")
    admin.locator(f"#item-{first}").focus()
    with admin.expect_navigation():
        admin.keyboard.press("a")
    assert f"Item #{first} ({made['title']}) was approved." in admin.content()
    assert f"q={made['title']}".replace(" ", "+") in admin.url or "q=" in admin.url  # back to the same view
    statuses = _off_the_loop(_statuses, demo_server, made["ids"])
    assert statuses[first][0] is MatchStatus.APPROVED and statuses[second][0] is MatchStatus.PROPOSED
    # Select all on this page ticks every item; the scope follows what is ticked.
    admin.locator("#select-page").check()
    assert admin.locator(f"#pick-{second}").is_checked()
    admin.context.close()
