"""Counted sentences of the pages read in the singular for one: "Carried by 1 offer and 5 resource lines".

The templates put each count through ``ngettext`` (``tests/test_plural_messages.py`` scans them); here the
item vocabulary's pages are rendered with one offer and five resource lines in English and in Chinese.
"""

import re
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.items.services import install_curated
from marketplace.needs.models import ResourceLine
from marketplace.settings import Settings
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import matches_factories as mf
from tests.security_helpers import make_user
from tests.security_world import session_identity, use


def test_the_item_pages_say_one_offer_and_five_resource_lines(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()
    need = mf.project(session, title="透水铺装")
    lines = [mf.line(session, need, "100") for _ in range(5)]
    session.execute(
        sa.update(ResourceLine)
        .where(ResourceLine.id.in_([line.id for line in lines]))  # type: ignore[union-attr]
        .values(item_key="permeable_brick")
    )
    session.commit()
    person = mf.partner(session)
    mf.offer_of(session, person.user, remaining="50", title="再生透水砖", item_key="permeable_brick")
    admin = make_user(session, Role.ADMIN, username="plural-admin")
    session.commit()
    use(client, session_identity(session_factory, settings, admin))

    client.cookies.set("lang", "en")
    page = client.get("/admin/items/permeable_brick")
    assert page.status_code == 200
    assert "Carried by 1 offer and 5 resource lines. Saving resolves every offer and line again." in page.text
    assert "1 offers" not in page.text
    listed = client.get("/admin/items", params={"q": "透水砖"})
    assert listed.status_code == 200
    assert "1 offer, 5 lines" in listed.text and "1 offers" not in listed.text
    heading = re.search(r'id="items-heading">(\d+) (items?)</h2>', listed.text)
    assert heading is not None and (heading.group(1) == "1") == (heading.group(2) == "item"), heading

    client.cookies.set("lang", "zh_CN")
    page = client.get("/admin/items/permeable_brick")
    assert "有 1 条资源和 5 条资源项属于该物品。" in page.text
    assert "1 条资源，5 条需求项" in client.get("/admin/items", params={"q": "透水砖"}).text


def test_a_full_shift_of_one_place_says_one_place_taken(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, title="敬老院陪护")
    mf.shift(session, need, slots=1, confirmed_count=1)
    client.cookies.set("lang", "en")
    page = client.get(f"/projects/{need.id}")
    assert page.status_code == 200
    assert "1 place taken" in page.text and "All 1 places taken" not in page.text
    client.cookies.set("lang", "zh_CN")
    assert "1个名额已满" in client.get(f"/projects/{need.id}").text
