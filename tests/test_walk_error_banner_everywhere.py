"""Every form that can come back with problems lists them above itself, each linking down to its field.

Found walking the demo: registration and profile forms said only "Please correct the fields marked below."
while the offer form listed each problem with a link to its field. Every such form now uses the one banner
(templates/partials/error_summary.html).
"""

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.orgs_helpers import form_post, make_places
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, sign_in_as

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def summary(page: str) -> list[tuple[str, str]]:
    """The banner's (link target, item text) pairs; asserts the banner is there."""
    banner = re.search(r'<div class="banner banner-problem need-error-summary" role="alert">.*?</ul></div>', page, re.S)
    assert banner, "no list of problems above the form"
    items = re.findall(r"<li>(.*?)</li>", banner.group(0), re.S)
    pairs = []
    for item in items:
        link = re.search(r'<a href="#([^"]+)">', item)
        pairs.append((link.group(1) if link else "", re.sub(r"<[^>]+>", "", item).strip()))
    return pairs


def assert_linked_to_fields(page: str, *expected: str) -> None:
    pairs = summary(page)
    targets = [target for target, _text in pairs]
    assert all(target for target in targets), pairs  # every problem names its field
    for target in targets:
        assert f'id="{target}"' in page, f"the link #{target} leads nowhere"
    for name in expected:
        assert name in targets, (name, pairs)


def test_volunteer_registration(client: TestClient[Any], session: Session, settings: Settings) -> None:
    make_places(session)
    client.cookies.set("lang", "zh_CN")
    response = form_post(client, settings, "/register/volunteer", {"username": "", "slots": []})
    assert response.status_code == 400
    assert_linked_to_fields(response.text, "f-username", "f-display_name", "f-phone", "f-password")
    assert any(text.startswith("用户名：") for _target, text in summary(response.text))


def test_organization_registration(client: TestClient[Any], session: Session, settings: Settings) -> None:
    make_places(session)
    client.cookies.set("lang", "en")
    response = form_post(client, settings, "/register/organization", {"name": ""})
    assert response.status_code == 400
    assert_linked_to_fields(response.text, "f-name", "f-credit_code", "f-username", "f-grid_ids")


def test_volunteer_profile(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    form = {
        "username": "xiaoli",
        "display_name": "李小丽",
        "phone": "13912345678",
        "password": "volunteers plant trees",
        "home_grid_id": str(grids[0].id),
        "segment": "resident",
        "weekly_hour_cap": "6",
        "slots": ["0-morning"],
    }
    assert form_post(client, settings, "/register/volunteer", form).status_code == 303
    response = form_post(client, settings, "/volunteer/profile", form | {"display_name": "", "slots": ["9-dawn"]})
    assert response.status_code == 400
    assert_linked_to_fields(response.text, "f-display_name", "f-slots")


def test_own_organization_contacts(client: TestClient[Any], session: Session, settings: Settings) -> None:
    make_grid(session)
    sign_in_as(client, session, Role.PARTNER, is_org_manager=True)
    response = form_post(client, settings, "/organization", {"contact_name": "", "contact_phone": ""})
    assert response.status_code == 400
    assert_linked_to_fields(response.text, "f-contact_name")


def test_a_claim_on_the_take_part_page(client: TestClient[Any], session: Session, settings: Settings) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="30")
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    data = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "-1"}
    response = post_form(client, settings, f"/projects/{need.id}/claim", data)
    assert response.status_code == 400
    assert_linked_to_fields(response.text, f"line-{line.id}-quantity")


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/admin/tokens", {"name": ""}, "token-user"),
        ("/admin/users/new", {"username": ""}, "username"),
        ("/account/password", {"current_password": "wrong"}, "current_password"),
        ("/rounds", {"method": "optimal", "k": "0"}, "round-k"),
    ],
)
def test_admin_and_account_forms(
    client: TestClient[Any], session: Session, settings: Settings, path: str, form: dict[str, str], field: str
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    response = form_post(client, settings, path, form)
    assert response.status_code == 400, response.status_code
    assert_linked_to_fields(response.text, field)


def test_no_form_says_only_please_correct() -> None:
    """The sentence comes with its list: only the shared banner writes it."""
    bare = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "Please correct the fields marked below." in path.read_text(encoding="utf-8")
    ]
    # matches/_macros.html: a refusal with neither a message nor a field (none is made today) keeps the sentence.
    assert sorted(bare) == [
        "matches/_macros.html",
        "partials/error_summary.html",
    ]
