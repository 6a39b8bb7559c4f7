"""The import pages state their row limit as the pages write numbers: "Up to 5 MB and 5,000 rows", "5,000 行".

Found walking the demo: the need and offer import pages said "5000 rows" beside every other grouped figure.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import make_grid, sign_in_as


@pytest.mark.parametrize(("role", "path"), [(Role.STAFF, "/needs/import"), (Role.PARTNER, "/offers/import")])
def test_the_import_page_groups_its_row_limit(client: TestClient[Any], session: Session, role: Role, path: str) -> None:
    grid = make_grid(session)
    fields = {"community_id": grid.community_id} if role is Role.STAFF else {}
    sign_in_as(client, session, role, **fields)

    client.cookies.set("lang", "en")
    english = client.get(path)
    assert english.status_code == 200, english.text[:300]
    assert "Up to 5 MB and 5,000 rows." in english.text

    client.cookies.set("lang", "zh_CN")
    assert "最大 5 MB、5,000 行。" in client.get(path).text
