"""Fifth probe: text stored before the direction controls were refused is shown without them.

The fourth probe made every form refuse U+202A-U+202E and U+2066-U+2069, but rows written before (old imports,
the seed, a database restored from before) kept them, and every page printed them raw: a name ending in U+202E
turned the rest of the header around, a need title "\u202eredro gnivom" read "moving order". Every value a
template prints now goes through one ``finalize`` (``web.without_direction_controls``) that drops them.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedStatus
from tests import factories
from tests.security_helpers import make_grid, sign_in_as

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_a_stored_name_and_title_are_shown_without_direction_controls(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED)
    need.title = "楼道灯\u202e坏了"  # written straight to the database, as an old import did
    session.add(need)
    session.commit()
    sign_in_as(client, session, Role.ADMIN, display_name="刘志强\u2067（湖岛）\u2069\u202e")
    for path in ("/account", f"/needs/{need.id}", "/needs"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not any(control in page.text for control in CONTROLS), path
    assert "刘志强（湖岛）" in client.get("/account").text
    assert "楼道灯坏了" in client.get(f"/needs/{need.id}").text
    # A right-to-left mark is ordinary text and stays.
    need.title = "楼道灯\u200f坏了"
    session.add(need)
    session.commit()
    assert "楼道灯\u200f坏了" in client.get(f"/needs/{need.id}").text
