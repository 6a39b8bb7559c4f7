"""The board's cards name what a project still needs in the reader's language where there is one.

The street types a line's text in Chinese. On the English board a line with an item key is named by the item's
English name ("120 m² permeable bricks", not "120 m² 铺装材料"); a line without one shows its text as typed (no
translation exists, and a made-up one would mislead), and the Chinese board shows the words the street typed.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.items.services import install_curated
from marketplace.needs.models import ResourceLine
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests import factories
from tests import matches_factories as mf

SAID = {
    "en": {"keyed": "permeable bricks", "typed": "旧楼道扶手漆"},
    "zh_CN": {"keyed": "铺装材料", "typed": "旧楼道扶手漆"},
}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_boards_card_names_each_line_in_the_readers_language_where_there_is_one(
    client: TestClient[Any], session: Session, locale: str
) -> None:
    install_curated(session, CURATED_ITEMS)
    session.commit()
    need = mf.project(session, title="楼道整修")
    keyed = mf.line(session, need, "120")
    session.execute(
        sa.update(ResourceLine)
        .where(ResourceLine.id == keyed.id)  # type: ignore[arg-type]
        .values(item_key="permeable_brick", description="铺装材料")
    )
    factories.add_resource_line(session, need, "3", description="旧楼道扶手漆", unit="桶")
    session.commit()

    client.cookies.set("lang", locale)
    board = client.get("/")
    assert board.status_code == 200
    card = board.text[board.text.index(f'href="/projects/{need.id}"') :]
    card = card[: card.index("</article>")]
    for said in SAID[locale].values():
        assert said in card, (locale, said)
    if locale == "en":
        assert "铺装材料" not in card  # the typed Chinese words of a line whose item has an English name
