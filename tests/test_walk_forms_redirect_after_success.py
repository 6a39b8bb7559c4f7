"""A page form that succeeds answers with a redirect (Post/Redirect/Get): reloading the page it leads to never
sends the form again.

Found walking the demo: after lowering a need's line the browser seemed to stay on the form's address
(/needs/7/lines/3). That address is where a *refused* change is shown (400/409, with the message next to the
field; opened again it leads to the need); a change that succeeds redirects to the need's page with a notice.
The first test walks that; the second holds every page form to the rule, listing the few whose answer is the
page itself, and why. A new token's secret, a reset link and an import's report are no longer among them: their
forms redirect to a page that shows the secret once or the report again (tests/test_reload_safe_results.py).
"""

import typing
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import ResourceLine
from tests import matches_factories as mf
from tests.security_helpers import csrf_from, fetch, make_grid, sign_in_as

# POST page forms whose answer is a page, not a redirect, and why; anything else must redirect on success.
ANSWERED_WITH_A_PAGE = {
    # A showing of personal data, audited each time, for this page only (an address would show it again).
    "/needs/{need_id:int}/contact": "the resident's phone, for this page",
    "/claims/{match_id:int}/contact": "the resident's contact, for this page",
    "/signups/{signup_id:int}/contact": "the resident's contact, for this page",
    # Look-ups that change nothing; a phone or a reference stays out of addresses and logs.
    "/track": "a need's progress by its reference",
    "/privacy/residents/find": "a resident's needs by phone",
    "/privacy/residents/export": "a download",
    # The review queue's bulk decisions answer with the queue and what was done (another change owns /review).
    "/review/bulk-approve": "the queue with the result",
    "/review/bulk-reject": "the queue with the result",
}


def page_form_handlers(app: Litestar) -> dict[str, HTTPRouteHandler]:
    """Every POST handler of a page (not the API), by its path."""
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api/", "/schema")):
            continue
        for handler in route.route_handlers:
            if "POST" in handler.http_methods:
                found[route.path] = handler
    return found


def answers(handler: HTTPRouteHandler) -> set[Any]:
    annotation = handler.parsed_fn_signature.return_type.annotation
    return set(typing.get_args(annotation)) or {annotation}


def test_lowering_a_line_redirects_to_the_need_and_its_address_leads_there_too(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, make_grid(session), title="楼道扶手更换")
    line = mf.line(session, need, "8")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    form = {"csrf_token": csrf_from(page), "version": str(need.version), "quantity": "5", "reason": "够了"}
    response = client.post(f"/needs/{need.id}/lines/{line.id}", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/needs/{need.id}?done=line_changed#line-{line.id}"
    shown = client.get(response.headers["location"])
    assert shown.status_code == 200 and "quantity is changed; its claimants are told" in shown.text
    assert str(fetch(session, ResourceLine, line.id).quantity) == "5.00"
    # Reloading what the browser shows sends nothing; the form's own address, opened, leads to the need.
    again = client.get(f"/needs/{need.id}/lines/{line.id}", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/needs/{need.id}"
    assert str(fetch(session, ResourceLine, line.id).quantity) == "5.00"


def test_every_page_form_redirects_on_success_unless_its_answer_is_the_page(app: Litestar) -> None:
    handlers = page_form_handlers(app)
    assert len(handlers) > 50, "the survey found too few forms"
    without_redirect = sorted(path for path, handler in handlers.items() if Redirect not in answers(handler))
    assert sorted(set(without_redirect) - set(ANSWERED_WITH_A_PAGE)) == [], (
        "a page form that succeeds must answer with a redirect (303) to a page; list it here only if its answer "
        "must be the page itself, and say why"
    )
    assert sorted(set(ANSWERED_WITH_A_PAGE) - set(handlers)) == []  # no entry outlives its form
