"""The need form's hints join two Chinese sentences without a space ("单位。每一行…"), English ones with one.

Found walking the demo as staff adding a line on a phone: "…各自写明数量和单位。 每一行要么填写完整，要么留空。",
a half-width space after the full stop, where Chinese text has none.
"""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import make_grid, sign_in_as


def _hints(page: str) -> list[str]:
    return [
        hint
        for hint in re.findall(r'<p class="field-hint">(.*?)</p>', page, re.S)
        if "Fill in" in hint or "每一行" in hint
    ]


def test_the_row_hints_read_as_each_language_writes(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.STAFF, grid_ids=[make_grid(session).id])
    client.cookies.set("lang", "zh_CN")
    hints = _hints(client.get("/needs/new").text)
    assert len(hints) == 2 and all("。每一行要么填写完整" in hint and "。 " not in hint for hint in hints), hints
    client.cookies.set("lang", "en")
    hints = _hints(client.get("/needs/new").text)
    assert len(hints) == 2 and all(hint.endswith(". Fill in a row completely, or leave it empty.") for hint in hints)
