"""The error page's button leads back where the reader was, not always to the project board.

Found on the second newcomer's walk: a need list opened with a filter it cannot use (an old bookmark, a hand-made
address) said "Some values in the address are not valid" and offered only "Go to the project board", though the
reader was staff on the need list; an expired form ("reload the page and try again") sent them to the board too.
Now a list's bad filters lead back to the same list without them, a refused form to the page it is served on,
and the board stays beside them as a second way out.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.factories import make_need
from tests.security_helpers import make_grid, sign_in_as


def _buttons(page: str) -> str:
    start = page.index('class="error-page"')
    return page[start : page.index("</section>", start)]


def test_a_bad_filter_on_the_need_list_leads_back_to_the_list_without_it(
    client: TestClient[Any], session: Session
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    response = client.get("/needs", params={"status": "no-such-status"})
    assert response.status_code == 400
    buttons = _buttons(response.text)
    assert '<a class="button" href="/needs">去掉这些值，重新打开本页</a>' in buttons
    assert 'href="/">' in buttons  # the board stays as the second way out


def test_a_bad_filter_on_the_board_offers_the_board_once(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "en")
    response = client.get("/", params={"status": "no-such-status"})
    assert response.status_code == 400
    buttons = _buttons(response.text)
    assert '<a class="button" href="/">Open this page without these values</a>' in buttons
    assert buttons.count('href="/"') == 1


def test_an_expired_report_form_leads_back_to_the_form(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "en")
    client.get("/submit")
    response = client.post("/submit", data={"title": "x", "csrf_token": "stale"})
    assert response.status_code == 403
    assert '<a class="button" href="/submit">Back to the form</a>' in _buttons(response.text)


def test_an_expired_form_on_a_need_leads_back_to_the_need(client: TestClient[Any], session: Session) -> None:
    need = make_need(session, make_grid(session))
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    response = client.post(f"/needs/{need.id}/publish", data={"csrf_token": "stale"})
    assert response.status_code == 403
    assert f'<a class="button" href="/needs/{need.id}">Go back</a>' in _buttons(response.text)


def test_the_framework_s_own_reasons_read_in_chinese(client: TestClient[Any], session: Session) -> None:
    """Litestar's checks of a list's parameters ("Invalid enum value 'x'", "Expected `int`, got `str`") were shown
    in English on the Chinese error page; they are said in the reader's language."""
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    status = client.get("/needs", params={"status": "bogus"})
    assert status.status_code == 400
    assert "参数“status”：不是可选的值" in status.text and "Invalid enum" not in status.text
    page = client.get("/needs", params={"page": "abc"})
    assert page.status_code == 400
    assert "参数“page”：不是允许范围内的整数" in page.text and "Expected" not in page.text
