"""A finished need (completed, verified, rejected, cancelled) is a closed record: it is not edited any more.

Cancelling a need left its edit form open: staff could move a cancelled need to another grid or change a verified
need's due date after the fact, changing the street's figures and what residents were told. An edit of a finished
need is now refused with 409 naming ``status`` (the API and the form), checked again by the conditional UPDATE
itself; the need page offers no Edit button and the edit page sends staff back to the need. A need still open is
edited as before.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, audit_events, fetch, login, post_form
from tests.test_need_cancel_walk import staff_of

FINISHED = ["completed", "verified", "rejected", "cancelled"]


def _patch(client: TestClient[Any], who: Any, need: Need, **fields: Any) -> Any:
    body = {"version": int(need.version)} | fields
    return client.patch(f"/api/v1/needs/{need.id}", json=body, headers=who.headers)


@pytest.mark.parametrize("status", FINISHED)
def test_the_api_refuses_to_edit_a_finished_need_naming_status(
    client: TestClient[Any], session: Session, status: str
) -> None:
    need = mf.project(session, status=NeedStatus(status))
    answer = _patch(client, staff_of(session, need), need, title="改过的标题", urgency="high")
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"].startswith("status")
    row = fetch(session, Need, need.id)
    assert (row.title, row.urgency, row.version) == (need.title, need.urgency, need.version)
    assert audit_events(session, "need.update") == []


@pytest.mark.parametrize("status", ["published", "in_progress"])
def test_a_need_still_open_is_edited(client: TestClient[Any], session: Session, status: str) -> None:
    need = mf.project(session, status=NeedStatus(status))
    answer = _patch(client, staff_of(session, need), need, title="改过的标题")
    assert answer.status_code == 200, answer.text
    assert fetch(session, Need, need.id).title == "改过的标题"


@pytest.mark.parametrize("status", ["verified", "cancelled"])
def test_the_pages_offer_no_edit_of_a_finished_need(
    client: TestClient[Any], session: Session, settings: Settings, status: str
) -> None:
    need = mf.project(session, status=NeedStatus(status))
    staff = staff_of(session, need)
    assert login(client, staff.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200 and f'href="/needs/{need.id}/edit"' not in page.text
    opened = client.get(f"/needs/{need.id}/edit", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/needs/{need.id}"
    sent = post_form(
        client,
        settings,
        f"/needs/{need.id}/edit",
        {"version": str(need.version), "title": "改过的标题", "category": need.category.value},
    )
    assert sent.status_code == 409
    # The sentence the API says too, naming the status by its label (needs.refusals.NEED_FINISHED).
    assert f"This need is {status.capitalize()}: a finished need is not edited." in sent.text
    assert fetch(session, Need, need.id).title == need.title


def test_an_open_need_page_still_has_its_edit_button(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    staff = staff_of(session, need)
    assert login(client, staff.user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    assert f'href="/needs/{need.id}/edit"' in client.get(f"/needs/{need.id}").text
