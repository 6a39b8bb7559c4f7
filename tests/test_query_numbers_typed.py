"""A float or Decimal query parameter Litestar reads itself (the review inbox's ``score``) is written in the digits
0-9 like every number typed anywhere: "1e3", "nan", "inf", "１" and "+3" are a 400 naming the parameter, in the
reader's language as the other query problems are; "0.5" and "-1" still filter (both databases)."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from tests import matches_factories as mf


@pytest.mark.parametrize("sent", ["1e3", "nan", "inf", "１", "+3", "0x10", "1_0", " 1"])
def test_a_score_not_written_in_digits_is_a_400_naming_it(sent: str, client: TestClient[Any], session: Session) -> None:
    boss = mf.admin(session)
    session.commit()
    for language, said in (
        ("en", "not a number: write it in the digits 0-9, such as 12 or 3.5"),
        ("zh-CN", "不是数字：请用数字 0-9 书写，如 12 或 3.5"),
    ):
        headers = boss.headers | {"Accept-Language": language}
        answer = client.get("/api/v1/review", params={"score": sent}, headers=headers)
        assert answer.status_code == 400, (sent, answer.text)
        assert answer.json()["extra"] == [{"key": "score", "message": said, "source": "query", "code": "wrong_type"}], (
            answer.text
        )


def test_a_score_in_digits_still_filters(client: TestClient[Any], session: Session) -> None:
    boss = mf.admin(session)
    session.commit()
    for sent in ("0.5", "-1", "3"):
        answer = client.get("/api/v1/review", params={"score": sent}, headers=boss.headers)
        assert answer.status_code == 200, (sent, answer.text)
