"""A staff member's need page holds many small forms, most far below its top (publish, reject, verify, escalate,
cancel…). A refused one marks its field invalid and describes it by its problem, which is what the page's
script brings into view and focuses on load (tests/test_browser_walk_problem_in_view.py): the resident's
satisfaction (radio buttons) and the escalation's fields were not marked, so a refused verification left the
page at its top with the problem unseen far below."""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import Settings
from tests.security_helpers import fetch, make_grid, post_form
from tests.test_need_pages import _delivered_need, _staff_of


def _invalid(page: str) -> list[tuple[str, str]]:
    """(name, aria-describedby) of every element the page marks invalid."""
    found = []
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*aria-invalid=\"true\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        found.append((name.group(1) if name else "", described.group(1) if described else ""))
    return found


def test_a_refused_verification_marks_the_satisfaction_invalid_and_describes_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _delivered_need(session, grid)
    _staff_of(client, session, grid)
    for lang, problem in (("en", "from 1 to 5"), ("zh_CN", "1 至 5")):
        client.cookies.set("lang", lang)
        response = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": "", "comment": "x"})
        assert response.status_code == 400
        marked = _invalid(response.text)
        assert marked and set(marked) == {("satisfaction", "satisfaction-error")}, marked
        described = re.search(r'<p class="field-error" id="satisfaction-error">([^<]+)</p>', response.text)
        assert described and problem in described.group(1)
    assert fetch(session, Need, need.id).status is NeedStatus.COMPLETED
