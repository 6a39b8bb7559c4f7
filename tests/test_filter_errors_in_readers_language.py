"""A page's refusal of a filter it cannot use is said in the reader's language.

Found walking the review queue: ``/review?kind=shift`` answered "参数“kind”：Choose a valid value." — the
queue keeps its filter messages untranslated for the JSON API, and the error page showed them as they were.
The error page now translates every filter problem (pages.html_error_page), whichever page raised it.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import sign_in_as


@pytest.mark.parametrize(
    "address",
    ["/review?kind=shift", "/review?due=someday", "/review?conflict=maybe", "/review?score=high", "/review?grid=-3"],
)
def test_a_bad_review_filter_is_refused_in_chinese(client: TestClient[Any], session: Session, address: str) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    response = client.get(address)
    assert response.status_code == 400
    parameter = address.split("?")[1].split("=")[0]
    assert f"参数“{parameter}”" in response.text
    assert "Choose a valid" not in response.text and "A number such" not in response.text
    assert "A positive whole" not in response.text


def test_the_same_filter_is_refused_in_english_for_an_english_reader(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    response = client.get("/review?kind=shift")
    assert response.status_code == 400
    assert "Parameter “kind”: Choose a valid value." in response.text


def test_the_page_keeps_the_parameter_and_its_reason_for_a_number(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    response = client.get("/review?score=high")
    assert response.status_code == 400
    assert "Parameter “score”: A number such as 0.5" in response.text
