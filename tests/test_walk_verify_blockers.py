"""What stands before a need's verification writes its quantities as the pages do: "still needs 5,000 m²".

Found walking the demo: the staff page of a need in progress said "Resource line “透水砖” still needs 5000 m²."
while the resource table above it said 5,000.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedStatus
from tests import factories
from tests.security_helpers import make_grid, sign_in_as


def test_a_blocker_groups_the_quantity_still_needed(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.IN_PROGRESS)
    factories.add_resource_line(session, need, "5000")
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)

    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    assert "Resource line “透水砖” still needs 5,000 m²." in page and "5000" not in page

    client.cookies.set("lang", "zh_CN")
    chinese = client.get(f"/needs/{need.id}").text
    assert "5,000" in chinese and "5000" not in chinese
