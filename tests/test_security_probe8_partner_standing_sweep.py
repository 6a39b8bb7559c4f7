"""Eighth probe: a member of an organization that is not in good standing (awaiting approval, rejected,
suspended) reaches nothing a partner acts with, on any route of the application.

Before: ``/recommended`` answered such a member 200 with the partners' "recommended projects" page (it is not in
their menu, but typing the address opened it). Now it gives the refusal of every partner-only page (the
organization's standing, ``require_approved_organization``).

The class: every route the route table lets a partner reach (guards naming the partner role, or any signed-in
user), called by a member of a pending, a rejected and a suspended organization with the ids of its own objects
(an offer, an approved claim, a proposal, the organization itself, a colleague, a published project). A GET
outside ``MAY_READ`` must be refused (403, or 404 for what does not exist); an unsafe call outside ``MAY_ACT``
must be refused and change no row of any table. Found with it: the take-part page answered 200 (with a banner),
and the manager added users and enabled a disabled one (303, written).
"""

from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.organizations.models import OrganizationStatus
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import default_street, make_grid, make_org, make_user
from tests.security_world import (
    UNSAFE_METHODS,
    Route,
    app_routes,
    changed_tables,
    session_identity,
    table_checksums,
    use,
)

STANDINGS = (OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED)

# What a member of an organization not in good standing may still read: their own account, their organization
# and its application (to see why and to resubmit), their notifications and home, the items' vocabulary, and
# their organization's own offers, claims and proposals as a record (read only; every action on them below
# is refused). Everything else a partner reaches is refused with the organization's standing.
MAY_READ = frozenset(
    {
        "/account",
        "/account/password",
        "/account/privacy",
        "/account/privacy/data.json",
        "/api/v1/auth/me",
        "/api/v1/me/data",
        "/api/v1/me/home",
        "/api/v1/notifications",
        "/api/v1/tokens/me",
        "/api/v1/items",
        "/api/v1/items/resolve",
        "/api/v1/items/{key:str}",
        "/home",
        "/notifications",
        "/organization",
        "/organization/application",
        "/api/v1/claims",
        "/claims",
        "/api/v1/offers",
        "/api/v1/offers/export",
        "/api/v1/offers/{offer_id:int}",
        "/offers",
        "/offers/export",
        "/offers/{offer_id:int}",
        "/api/v1/proposals",
    }
)
# What such a member may still do: their own account (profile, password, privacy, sessions, signing out), their
# notifications, and their organization's record (correct it, resubmit the application, step back from a
# commitment: decline a proposal, cancel a claim, withdraw an offer, which hand back what they held; disable a
# colleague's account or hand the manager's role over). Adding a user or enabling one again is refused: an
# organization not in good standing gains no account.
MAY_ACT = frozenset(
    {
        "POST /account",
        "POST /account/notifications",
        "POST /account/password",
        "POST /account/privacy/erasure",
        "POST /account/privacy/erasure/withdraw",
        "POST /account/sessions/end-others",
        "POST /api/v1/auth/logout",
        "POST /logout",
        "POST /api/v1/notifications/read",
        "POST /notifications/read",
        "POST /organization",
        "POST /organization/application",
        "POST /api/v1/organizations/{organization_id:int}/resubmit",
        "POST /api/v1/proposals/{match_id:int}/decline",
        "POST /proposals/{match_id:int}/decline",
        "POST /api/v1/claims/{match_id:int}/cancel",
        "POST /claims/{match_id:int}/cancel",
        "POST /api/v1/offers/{offer_id:int}/withdraw",
        "POST /offers/{offer_id:int}/withdraw",
        "POST /organization/users/{user_id:int}/disable",
        "POST /organization/users/{user_id:int}/manager",
    }
)


def partner_routes(app: Litestar) -> list[Route]:
    """Every route whose guards let a signed-in partner through (role guards naming partners, or none)."""
    chosen = []
    for route in app_routes(app):
        if route.method == "HEAD" or route.is_public or route.path.startswith(("/static/", "/schema", "/lang/")):
            continue
        names = route.guard_names
        role_guards = [name for name in names if name.startswith("roles_")]
        if any("partner" not in name.removeprefix("roles_").split("_") for name in role_guards):
            continue
        if {"staff_or_admin", "admin_only", "volunteer_only"} & set(names):
            continue
        chosen.append(route)
    return chosen


def _world(session: Session, status: OrganizationStatus) -> dict[str, Any]:
    """An organization of ``status`` with a manager, a disabled colleague, an offer, an approved claim on a published
    project and a proposal of a line to its offer."""
    street = default_street(session)
    grid = make_grid(session)
    organization = make_org(session, status)
    session.commit()
    manager = make_user(session, Role.PARTNER, organization_id=organization.id, is_org_manager=True)
    colleague = make_user(session, Role.PARTNER, organization_id=organization.id, is_active=False)
    need = factories.make_need(session, grid)
    line = factories.add_resource_line(session, need)
    factories.add_shift(session, need)
    offer = factories.make_offer(session, organization)
    claim = Match(
        need_id=need.id or 0,
        kind=MatchKind.WHOLE_NEED,
        source=MatchSource.PARTNER_CLAIM,
        organization_id=organization.id,
        status=MatchStatus.APPROVED,
    )
    proposal = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.STAFF,
        organization_id=organization.id,
        resource_line_id=line.id,
        offer_id=offer.id,
        quantity=Decimal(10),
        status=MatchStatus.PROPOSED,
    )
    session.add_all([claim, proposal])
    session.commit()
    return {
        "street": street.id,
        "manager": manager,
        "ids": {
            "offer_id": offer.id,
            "organization_id": organization.id,
            "user_id": colleague.id,
            "need_id": need.id,
            "report_id": 1,
            "key": "activity_room",
        },
        "claim": claim.id,
        "proposal": proposal.id,
        "line": line.id,
    }


def _body(world: dict[str, Any]) -> dict[str, Any]:
    """Fields any partner action might read, filled with the organization's own objects."""
    return {
        "offer_id": world["ids"]["offer_id"],
        "line_id": world["line"],
        "quantity": "5",
        "kind": "material",
        "category": "renovation",
        "title": "捐赠水泥",
        "unit": "袋",
        "reason": "测试",
        "username": "probe8-new-member",
        "display_name": "新成员",
        "password": "a long enough new password 2026",
        "whole": "1",
    }


def _paths(route: Route, world: dict[str, Any]) -> list[str]:
    if "{match_id" in route.path:
        return [route.fill({"match_id": world["claim"]}), route.fill({"match_id": world["proposal"]})]
    return [route.fill(world["ids"])]


@pytest.mark.parametrize("status", STANDINGS, ids=lambda s: s.value)
def test_a_member_of_an_organization_not_in_good_standing_reads_and_does_nothing_a_partner_does(
    app: Litestar,
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: Any,
    status: OrganizationStatus,
) -> None:
    world = _world(session, status)
    identity = session_identity(session_factory, settings, world["manager"])
    routes = partner_routes(app)
    assert len(routes) > 40, "the route table no longer lets partners reach their pages?"
    leaks = []
    body = _body(world)
    for route in routes:
        if route.method not in UNSAFE_METHODS:
            if route.path in MAY_READ:
                continue
            for path in _paths(route, world):
                use(client, identity)
                answer = client.get(path, follow_redirects=False)
                if answer.status_code not in (403, 404):
                    leaks.append(f"GET {path} ({route.path}): {answer.status_code}")
            continue
        if route.label in MAY_ACT:
            continue
        for path in _paths(route, world):
            before = table_checksums(clean_engine)
            use(client, identity)
            if path.startswith("/api/"):
                answer = client.request(
                    route.method, path, json=body, headers=identity.headers(), follow_redirects=False
                )
            else:
                answer = client.request(
                    route.method, path, data=body | {"csrf_token": identity.csrf}, follow_redirects=False
                )
            changed = changed_tables(before, table_checksums(clean_engine))
            if changed or 200 <= answer.status_code < 400:
                leaks.append(f"{route.method} {path}: {answer.status_code}, changed {changed}")
    assert not leaks, f"a member of a {status.value} organization reached:\n" + "\n".join(leaks)


def test_recommended_projects_answer_the_standing_and_open_for_an_approved_organization(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The reported case: the address typed by a member of an organization awaiting approval."""
    pending = _world(session, OrganizationStatus.PENDING)
    use(client, session_identity(session_factory, settings, pending["manager"]))
    refused = client.get("/recommended", headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 403
    assert "贵单位正在等待审核" in refused.text and "街道自" in refused.text, refused.text[:2000]
    approved = make_user(session, Role.PARTNER)
    use(client, session_identity(session_factory, settings, approved))
    assert client.get("/recommended").status_code == 200
