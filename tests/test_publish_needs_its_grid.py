"""A resident's report whose grid is still to confirm is not published until staff set the grid.

Such a report waits under a stand-in grid (the community's first, or the street's): published as it is, the
rounds would measure distances from the wrong grid, offers would be checked against the wrong service area and
the wrong grid's staff would follow it up. One rule (``needs.services.publish_need``) for the page and the API:
409 naming ``grid_id``, nothing changed; once the grid is set the need publishes as any other.
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import GridToConfirm, Need, NeedStatus
from marketplace.settings import Settings
from tests.factories import add_resource_line
from tests.needs_helpers import token_for
from tests.security_helpers import csrf_from, make_community, make_grid, post_form, reading, sign_in_as


def _report(client: TestClient[Any], session: Session, settings: Settings, grid_choice: str) -> Need:
    """The need a resident reports through the public form, choosing ``grid_choice`` for its place."""
    report = {
        "title": "楼道灯不亮",
        "category": "travel_safety",
        "grid_id": grid_choice,
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
        "beneficiary_address": "3号楼2单元101",
    }
    assert post_form(client, settings, "/submit", report).status_code == 303
    with reading(session) as fresh:
        [need] = fresh.execute(sa.select(Need)).scalars().all()
        return need


def _reported_without_grid(client: TestClient[Any], session: Session, settings: Settings) -> Need:
    """A resident's report naming only its community, with a line it asks for (staff added it)."""
    community = make_community(session)
    make_grid(session, community)
    session.commit()
    need = _report(client, session, settings, f"community-{community.id}")
    assert need.grid_to_confirm is GridToConfirm.COMMUNITY
    add_resource_line(session, need)
    session.commit()
    return need


def _stored(session: Session, need_id: int) -> Need:
    with reading(session) as fresh:
        need = fresh.get(Need, need_id)
        assert need is not None
        return need


def test_the_api_refuses_to_publish_naming_the_grid_and_changes_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _reported_without_grid(client, session, settings)
    admin = sign_in_as(client, session, Role.ADMIN)
    client.cookies.clear()  # the API as a script calls it: the token alone
    headers = {"Authorization": f"Bearer {token_for(session, admin)}"}
    response = client.post(f"/api/v1/needs/{need.id}/publish", json={"version": need.version}, headers=headers)
    assert response.status_code == 409, response.text
    assert "grid_id" in response.text and "grid" in response.json()["detail"]
    stored = _stored(session, need.id)  # type: ignore[arg-type]
    assert (stored.status, stored.version, stored.published_at) == (NeedStatus.SUBMITTED, need.version, None)


def test_the_page_says_why_in_the_readers_language_and_publishes_once_the_grid_is_set(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _reported_without_grid(client, session, settings)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{need.id}").text
    refused = client.post(
        f"/needs/{need.id}/publish",
        data={"csrf_token": csrf_from(page), "version": str(need.version)},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert "发布前请先确定网格" in refused.text
    assert _stored(session, need.id).status is NeedStatus.SUBMITTED  # type: ignore[arg-type]

    right = make_grid(session, make_community(session))
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}").text
    assert "Set the need&#39;s grid before publishing" not in page  # the refusal is not kept on the page
    set_grid = client.post(
        f"/needs/{need.id}/grid",
        data={"csrf_token": csrf_from(page), "version": str(need.version), "grid_id": str(right.id)},
        follow_redirects=False,
    )
    assert set_grid.status_code == 303, set_grid.text[:500]
    version = _stored(session, need.id).version  # type: ignore[arg-type]
    published = client.post(
        f"/needs/{need.id}/publish",
        data={"csrf_token": csrf_from(client.get(f"/needs/{need.id}").text), "version": str(version)},
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text[:500]
    stored = _stored(session, need.id)  # type: ignore[arg-type]
    assert (stored.status, stored.grid_id, stored.grid_to_confirm) == (NeedStatus.PUBLISHED, right.id, None)


def test_a_report_without_grid_that_asks_for_nothing_is_refused_for_its_grid_first(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    """Both refusals hold; the grid is named first, since the staff's next step is to find where it is."""
    make_grid(session, make_community(session))
    session.commit()
    need = _report(client, session, settings, "not-sure")  # not sure at all: filed under the street
    admin = sign_in_as(client, session, Role.ADMIN)
    client.cookies.clear()  # the API as a script calls it: the token alone
    headers = {"Authorization": f"Bearer {token_for(session, admin)}"}
    response = client.post(f"/api/v1/needs/{need.id}/publish", json={"version": need.version}, headers=headers)
    assert response.status_code == 409
    assert "grid_id" in response.text and "lines" not in response.text
