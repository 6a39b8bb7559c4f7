"""A resident reporting a need may not know their grid: they choose their community, or say they are not sure
and give their address; the street's staff set the grid afterwards.

Found walking the demo: the public form asked for a grid ("湖岛社区第3网格") that residents seldom know, and
left them no way to say so. Such a report is filed under a stand-in grid and marked ``grid_to_confirm``: grid
staff see it once the grid is set, community staff see one that names their community, admins see it at once
on the need list ("Grid to confirm") and set the grid on the need's page (audited as need.grid_set).
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import GridToConfirm, Need
from marketplace.settings import Settings
from tests.security_helpers import (
    audit_events,
    csrf_from,
    default_street,
    make_community,
    make_grid,
    post_form,
    reading,
    sign_in_as,
)


def _report(grid_choice: str, **fields: str) -> dict[str, str]:
    values = {
        "title": "楼道灯不亮",
        "category": "travel_safety",
        "grid_id": grid_choice,
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
        "beneficiary_address": "3号楼2单元101",
    }
    return values | fields


def _only_need(session: Session) -> Need:
    with reading(session) as fresh:
        [need] = fresh.execute(sa.select(Need)).scalars().all()
        return need


def test_the_form_offers_not_sure_and_each_community_without_its_grid(
    client: TestClient[Any], session: Session
) -> None:
    community = make_community(session)
    grid = make_grid(session, community)
    session.commit()
    client.cookies.set("lang", "zh_CN")
    page = client.get("/submit").text
    assert '<option value="not-sure">不确定（由街道按住址确定）</option>' in page
    assert f'<option value="community-{community.id}">{community.name}（不确定是哪个网格）</option>' in page
    assert f'<option value="{grid.id}">' in page
    assert 'name="beneficiary_address"' in page


def test_a_resident_who_knows_only_the_community_files_it_for_the_staff_to_confirm(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    community = make_community(session)
    first, second = make_grid(session, community), make_grid(session, community)
    session.commit()
    response = post_form(client, settings, "/submit", _report(f"community-{community.id}"))
    assert response.status_code == 303, response.text[:500]
    need = _only_need(session)
    assert need.grid_to_confirm is GridToConfirm.COMMUNITY
    assert need.grid_id == min(first.id, second.id)  # type: ignore[type-var]
    assert need.beneficiary_address == "3号楼2单元101"


def test_not_sure_at_all_files_it_under_the_street(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session)
    session.commit()
    response = post_form(client, settings, "/submit", _report("not-sure"))
    assert response.status_code == 303, response.text[:500]
    assert _only_need(session).grid_to_confirm is GridToConfirm.STREET


def test_not_sure_without_an_address_asks_for_the_address(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session)
    session.commit()
    client.cookies.set("lang", "en")
    response = post_form(client, settings, "/submit", _report("not-sure", beneficiary_address=""))
    assert response.status_code == 400
    assert 'id="beneficiary_address-error"' in response.text
    assert "Give your address" in response.text
    assert '<a href="#f-beneficiary_address">Your address</a>' in response.text  # in the list above the form


def test_a_community_that_is_not_offered_is_refused_naming_the_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session)
    session.commit()
    response = post_form(client, settings, "/submit", _report("community-999999"))
    assert response.status_code == 400
    assert 'id="grid_id-error"' in response.text
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(Need)).scalar_one() == 0


def test_a_known_grid_is_filed_as_before(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    session.commit()
    response = post_form(client, settings, "/submit", _report(str(grid.id), beneficiary_address=""))
    assert response.status_code == 303
    need = _only_need(session)
    assert (need.grid_id, need.grid_to_confirm) == (grid.id, None)


def test_staff_see_and_set_the_grid_and_then_the_grid_staff_see_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    street = default_street(session)
    community = make_community(session, street)
    stand_in, right = make_grid(session, community), make_grid(session, community)
    other_community = make_community(session, street)
    make_grid(session, other_community)
    session.commit()
    assert post_form(client, settings, "/submit", _report(f"community-{community.id}")).status_code == 303
    need = _only_need(session)
    assert need.grid_id == stand_in.id

    # Grid staff of the stand-in grid do not see it: it may not be theirs (the resident's contact stays hidden).
    sign_in_as(client, session, Role.STAFF, grid_ids=[stand_in.id])
    assert client.get(f"/needs/{need.id}").status_code == 404
    assert f'/needs/{need.id}"' not in client.get("/needs").text
    # Staff of another community neither; staff of the community named do.
    sign_in_as(client, session, Role.STAFF, community_id=other_community.id)
    assert client.get(f"/needs/{need.id}").status_code == 404
    sign_in_as(client, session, Role.STAFF, community_id=community.id)
    assert client.get(f"/needs/{need.id}").status_code == 200

    admin = sign_in_as(client, session, Role.ADMIN)  # of the street (the default one)
    client.cookies.set("lang", "en")
    listing = client.get("/needs").text
    assert "Grid to confirm" in listing
    page = client.get(f"/needs/{need.id}")
    assert "The resident was not sure of the grid" in page.text and "3号楼2单元101" in page.text
    assert f'action="/needs/{need.id}/grid"' in page.text
    response = client.post(
        f"/needs/{need.id}/grid",
        data={"csrf_token": csrf_from(page.text), "version": str(need.version), "grid_id": str(right.id)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/needs/{need.id}?done=grid_set"
    assert "The grid is set" in client.get(response.headers["location"]).text
    with reading(session) as fresh:
        saved = fresh.get(Need, need.id)
        assert saved is not None and (saved.grid_id, saved.grid_to_confirm) == (right.id, None)
    [event] = audit_events(session, "need.grid_set")
    assert event.actor_id == admin.id
    assert event.before == {"grid_id": stand_in.id, "grid_to_confirm": "community", "version": need.version}
    assert event.after == {"grid_id": right.id, "grid_to_confirm": None, "version": need.version + 1}

    sign_in_as(client, session, Role.STAFF, grid_ids=[right.id])
    assert client.get(f"/needs/{need.id}").status_code == 200


def test_setting_the_grid_without_choosing_one_says_so_next_to_the_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    make_grid(session)
    session.commit()
    assert post_form(client, settings, "/submit", _report("not-sure")).status_code == 303
    need = _only_need(session)
    sign_in_as(client, session, Role.ADMIN)
    page = client.get(f"/needs/{need.id}").text
    response = client.post(
        f"/needs/{need.id}/grid",
        data={"csrf_token": csrf_from(page), "version": str(need.version), "grid_id": ""},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert 'id="grid-grid_id-error"' in response.text
    assert _only_need(session).grid_to_confirm is GridToConfirm.STREET


def test_an_edit_that_changes_the_grid_confirms_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    community = make_community(session)
    make_grid(session, community)
    right = make_grid(session, community)
    session.commit()
    assert post_form(client, settings, "/submit", _report(f"community-{community.id}")).status_code == 303
    need = _only_need(session)
    sign_in_as(client, session, Role.ADMIN)
    response = client.post(
        f"/needs/{need.id}/edit",
        data={
            "csrf_token": csrf_from(client.get(f"/needs/{need.id}/edit").text),
            "version": str(need.version),
            "title": need.title,
            "category": need.category.value,
            "channel": need.channel.value,
            "urgency": need.urgency.value,
            "grid_id": str(right.id),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:800]
    saved = _only_need(session)
    assert (saved.grid_id, saved.grid_to_confirm) == (right.id, None)
