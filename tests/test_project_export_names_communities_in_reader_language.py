"""The project board's file names each project's community in the reader's language, like the board and the
other lists' files: a newcomer's English export read 开平路社区 where the organizations' file said Kaiping Road
Community. Checked on CSV and Excel, in both languages."""

import csv
import io

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from marketplace.needs.models import NeedStatus
from marketplace.places.models import Community
from tests.factories import build_street, make_need


def _communities(client: TestClient[Litestar], file_format: str) -> set[str]:
    body = client.get(f"/projects/export?format={file_format}").content
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet is not None
        rows = [[str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    column = rows[0].index("Community" if rows[0][0] == "ID" else "社区")
    return {row[column] for row in rows[1:]}


def test_the_community_is_named_in_the_files_language(
    client: TestClient[Litestar], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        street = build_street(session)
        make_need(session, street.grids[0], NeedStatus.PUBLISHED)
        session.commit()
        english_of = {community.name: community.name_en for community in session.exec(select(Community))}
    chinese = _communities(client, "csv")
    assert chinese and chinese <= set(english_of) and all(english_of[name] != name for name in chinese)
    assert _communities(client, "xlsx") == chinese
    client.cookies.set("lang", "en")
    for file_format in ("csv", "xlsx"):
        assert _communities(client, file_format) == {english_of[name] for name in chinese}
