"""A new organization's application reaches the street's admins who vet it: each is told ("… applied to join as
a partner — Next: review the application", linking to it), in both languages; an admin of another street is not;
once an admin approves it, the notice reads as handled and leaves the badge. Before, only a resubmitted
application was told, and a first one waited unseen unless an admin happened to open the pending list."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.organizations.models import Organization
from marketplace.places.models import Street
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.orgs_helpers import form_post, sign_in
from tests.security_helpers import default_street, make_grid, make_user, reading
from tests.test_organizations import registration

NAME = "青岛红帆物业服务有限公司"


def _digests(client: TestClient[Any], person: mf.Person, language: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=person.headers | {"Accept-Language": language})
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["digests"] if d["kind"] == "organization.register"]


def test_the_streets_admins_are_told_and_the_notice_ends_when_it_is_decided(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    admin = mf.admin(session)
    street_code = default_street(session).code  # two streets: the form asks which
    elsewhere = Street(code="elsewhere", name="别处街道", name_en="Elsewhere Street", district="市南区", city="青岛市")
    session.add(elsewhere)
    session.commit()
    stranger = mf.with_token(session, make_user(session, Role.ADMIN))
    session.execute(sa.update(User).where(User.id == stranger.user.id).values(street_id=elsewhere.id))
    session.commit()  # and no transaction left open: SQLite would lock the app's writes out

    made = form_post(client, settings, "/register/organization", registration([grid.id], street=street_code))
    assert made.status_code == 303, [line for line in made.text.splitlines() if "error" in line or "problem" in line][
        :8
    ]
    with reading(session) as db:
        organization_id = db.execute(sa.select(Organization.id).where(Organization.name == NAME)).scalar_one()

    (told,) = _digests(client, admin, "en")
    assert told["text"] == f"{NAME} applied to join as a partner"
    assert told["next_step"] == "Next: review the application." and told["no_longer_waiting"] is False
    assert told["link"] == f"/admin/organizations/{organization_id}"
    (zh,) = _digests(client, admin, "zh-CN")
    assert zh["text"] == f"{NAME} 申请成为合伙人单位" and zh["next_step"] == "下一步：审核该申请。"
    assert _digests(client, stranger, "en") == []

    client.cookies.clear()
    sign_in(client, session, admin.user, settings)
    assert form_post(client, settings, f"/admin/organizations/{organization_id}/approve", {}).status_code == 303
    (handled,) = _digests(client, admin, "en")
    assert handled["no_longer_waiting"] is True and handled["next_step"] == "Nothing to do."
    assert handled["text"] == f"No longer waiting: the application of {NAME} was decided"
