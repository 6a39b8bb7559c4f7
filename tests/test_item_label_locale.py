"""A page names an item in the reader's language only: "物品：透水砖" on a Chinese page, "Item: permeable bricks" on
an English one, never both names side by side ("物品：透水砖 / permeable bricks", found on a newcomer's walk).

Every page that shows an item (the public project, the take-part form, the staff need page, an offer) is rendered
in both languages; on each, the item's name in the other language is nowhere on the page, and every element that
names an item (class ``item-key``) holds its name in the page's language.
"""

import re
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.items.services import install_curated
from marketplace.needs.models import ResourceLine
from marketplace.places.models import Grid
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user

BRICKS = {"zh_CN": "透水砖", "en": "permeable bricks"}
LAMPS = {"zh_CN": "LED路灯", "en": "LED street lamps"}
OTHER = {"zh_CN": "en", "en": "zh_CN"}


def _item_names(page: str) -> list[str]:
    """The text of every element that names an item."""
    found = re.findall(r'class="[^"]*\bitem-key\b[^"]*">(.*?)</(?:span|dd)>', page, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found]


def _pages(client: TestClient[Any], session: Session, locale: str) -> dict[str, str]:
    install_curated(session, CURATED_ITEMS)
    session.commit()
    # Titles that name neither item in either language, so only the item's own label can show a name.
    need = mf.project(session, title="铺装与照明 paving")
    line = mf.line(session, need, "100")
    session.execute(
        sa.update(ResourceLine)
        .where(ResourceLine.id == line.id)  # type: ignore[arg-type]
        .values(item_key="permeable_brick", description="铺装材料 paving")
    )
    session.commit()
    keeper = mf.partner(session)
    offer = mf.offer_of(session, keeper.user, remaining="50", title="夜间照明 lighting", item_key="led_street_lamp")
    grid = session.get(Grid, need.grid_id)
    assert grid is not None
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)
    session.commit()

    pages: dict[str, str] = {}
    client.cookies.set("lang", locale)
    pages["project"] = client.get(f"/projects/{need.id}").text
    assert login(client, keeper.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", locale)
    pages["take-part"] = client.get(f"/projects/{need.id}/take-part").text
    pages["offer"] = client.get(f"/offers/{offer.id}").text
    client.cookies.clear()
    assert login(client, staff.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", locale)
    pages["staff need"] = client.get(f"/needs/{need.id}").text
    return pages


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_page_names_an_item_in_the_readers_language_only(
    client: TestClient[Any], session: Session, locale: str
) -> None:
    pages = _pages(client, session, locale)
    expected = {"project": BRICKS, "take-part": BRICKS, "staff need": BRICKS, "offer": LAMPS}
    for name, page in pages.items():
        item = expected[name]
        names = _item_names(page)
        assert names, f"{name}: no item named on the page"
        for text in names:
            assert item[locale] in text, (name, text)
            assert item[OTHER[locale]] not in text, (name, text)
        assert item[OTHER[locale]] not in page, f"{name} ({locale}) names the item in the other language too"
