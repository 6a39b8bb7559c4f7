"""A cell of an imported file follows the one rule every text field follows (validation.has_control_characters):
a direction override (U+202E) in a title is refused at its row and column, like a control character, and
nothing is imported; a cell that spans lines (an Excel line break, CR LF) is still taken."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, make_grid, sign_in_as

HEADER = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"


def _upload(client: TestClient[Any], settings: Settings, body: str) -> Any:
    return client.post(
        "/api/v1/offers/import",
        files={"file": ("offers.csv", body.encode("utf-8"), "application/octet-stream")},
        data={"csrf_token": csrf_for(client, settings)},
    )


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\x7f", "\x01"])
def test_a_cell_with_a_direction_override_or_control_character_is_refused_at_its_place(
    client: TestClient[Any], session: Session, settings: Settings, hidden: str
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    client.headers["Accept-Language"] = "en"
    body = HEADER + f"material,renovation,透水砖{hidden}92,,3200,平方米,,,,{grid.code}\n"
    response = _upload(client, settings, body)
    assert response.status_code == 400, response.text
    report = response.json()
    assert report["imported"] == 0 and report["invalid_rows"] == [2]
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "Title")]
    assert "control characters" in report["problems"][0]["reason"]


def test_a_cell_spanning_lines_is_taken(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    body = HEADER + f'material,renovation,透水砖,"第一行\r\n第二行",3200,平方米,,,,{grid.code}\n'
    response = _upload(client, settings, body)
    assert response.status_code in (200, 201), response.text
    assert response.json()["imported"] == 1
