"""A reload never repeats what a form did: a new token's secret, a reset link and an import's report.

These three forms answered 200 with their result at the form's address, so a browser's reload sent the
form again: another token, another reset link, the file imported twice. Now each form does its work once
and redirects (303) to a page of its own. A secret is made on that page the first time it opens, in the
session that asked (security/reveal.py), and never again: a reload says it is not shown again and makes
nothing. An import's report is kept (exchange/import_reports.py) and shown again on every reload, importing
nothing; another user gets a 404, never the secret or the report.
"""

import re
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken, PasswordReset
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerProfile
from tests import test_exchange as offers_files
from tests import test_need_exchange as needs_files
from tests.security_helpers import make_grid, make_user, reading
from tests.security_world import Identity, session_identity, use

TOKEN_SECRET = re.compile(r"rpm_[A-Za-z0-9_\-]{20,}")
RESET_LINK = re.compile(r"/reset/[A-Za-z0-9_\-]{20,}")


def count(session: Session, model: Any) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def actions(session: Session, action: str) -> int:
    with reading(session) as fresh:
        query = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        return int(fresh.execute(query).scalar_one())


def signed_in(client: TestClient[Any], identity: Identity, lang: str = "en") -> None:
    use(client, identity)
    client.cookies.set("lang", lang)


def post(client: TestClient[Any], identity: Identity, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data={"csrf_token": identity.csrf, **(data or {})}, follow_redirects=False)


def upload(client: TestClient[Any], identity: Identity, path: str, content: bytes, **form: str) -> Any:
    files = {"file": ("list.csv", content, "text/csv")}
    return client.post(path, files=files, data={"csrf_token": identity.csrf, **form}, follow_redirects=False)


def report_of(page: str) -> str:
    """The report part of an import page: from its banner to the form."""
    start = page.index('<div class="banner')
    return page[start : page.index("<form", start)]


# --- a new API token --------------------------------------------------------------------------------------


def test_a_new_tokens_secret_is_shown_once_and_a_reload_makes_no_second_token(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    other_admin = make_user(session, Role.ADMIN, username="root2")
    make_user(session, Role.STAFF, username="hotline")
    mine = session_identity(session_factory, settings, admin)
    signed_in(client, mine)

    created = post(client, mine, "/admin/tokens", {"user": "hotline", "name": "12345 hotline", "scopes": "needs:write"})
    assert created.status_code == 303, created.text
    page = created.headers["location"]
    assert re.fullmatch(r"/admin/tokens/\d+/secret", page)
    assert not TOKEN_SECRET.search(created.text)
    assert count(session, ApiToken) == 1

    # Another admin, and the same admin in another session, cannot have it shown (nor spend its one showing).
    signed_in(client, session_identity(session_factory, settings, other_admin))
    stranger = client.get(page)
    assert stranger.status_code == 404 and not TOKEN_SECRET.search(stranger.text)
    signed_in(client, session_identity(session_factory, settings, admin))
    elsewhere = client.get(page)
    assert elsewhere.status_code == 200 and not TOKEN_SECRET.search(elsewhere.text)

    signed_in(client, mine)
    first = client.get(page)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    [secret] = set(TOKEN_SECRET.findall(first.text))
    assert "Copy this token now" in first.text

    again = client.get(page)
    assert again.status_code == 200 and not TOKEN_SECRET.search(again.text)
    assert "is not shown again: 12345 hotline" in again.text and "create a new one" in again.text
    assert count(session, ApiToken) == 1
    assert actions(session, "token.create") == 1 and actions(session, "token.secret_shown") == 1

    # The secret shown works, and the list shows its prefix, never the secret.
    listing = client.get("/admin/tokens").text
    assert secret not in listing and secret[:12] in listing
    client.cookies.clear()
    me = client.get("/api/v1/tokens/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["user"]["username"] == "hotline"


def test_a_token_never_shown_works_for_nobody_and_says_so_in_the_list(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    mine = session_identity(session_factory, settings, admin)
    signed_in(client, mine)
    created = post(client, mine, "/admin/tokens", {"user": "root", "name": "lost", "scopes": "admin"})
    assert created.status_code == 303
    listing = client.get("/admin/tokens").text
    assert "Secret never shown: works for nobody" in listing
    with reading(session) as fresh:
        row = fresh.execute(sa.select(ApiToken)).scalar_one()
    assert row.prefix == "" and len(row.token_hash) == 64


# --- a password reset link --------------------------------------------------------------------------------


def test_a_reset_link_is_shown_once_and_a_reload_issues_no_second_link(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    other_admin = make_user(session, Role.ADMIN, username="root2")
    staff = make_user(session, Role.STAFF, username="forgetful")
    mine = session_identity(session_factory, settings, admin)
    signed_in(client, mine)

    issued = post(client, mine, f"/admin/users/{staff.id}/reset-link")
    assert issued.status_code == 303, issued.text
    page = issued.headers["location"]
    assert re.fullmatch(rf"/admin/users/{staff.id}/reset-link/\d+", page)
    assert count(session, PasswordReset) == 1 and actions(session, "user.password_reset_issued") == 1

    signed_in(client, session_identity(session_factory, settings, other_admin))
    stranger = client.get(page)
    assert stranger.status_code == 404 and not RESET_LINK.search(stranger.text)

    signed_in(client, mine)
    first = client.get(page)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    [link] = set(RESET_LINK.findall(first.text))
    again = client.get(page)
    assert again.status_code == 200 and not RESET_LINK.search(again.text)
    assert "This reset link is not shown again" in again.text and "issue a new link below" in again.text
    assert count(session, PasswordReset) == 1
    # The user's outbox got the link once, when it was shown.
    with reading(session) as fresh:
        notes = list(fresh.execute(sa.select(Notification).where(Notification.kind == "password_reset")).scalars())
    assert [note.payload["link"] for note in notes] == [link]

    # The link shown is the one that works.
    client.cookies.clear()
    assert client.get(link).status_code == 200


# --- imports done in the request --------------------------------------------------------------------------


def _import_twice(
    client: TestClient[Any], identity: Identity, path: str, content: bytes, pattern: str, **form: str
) -> tuple[str, str]:
    """Upload, follow the redirect twice; the report's address and its report."""
    sent = upload(client, identity, path, content, **form)
    assert sent.status_code == 303, sent.text[:500]
    page = sent.headers["location"]
    assert re.fullmatch(pattern, page), page
    first, second = client.get(page), client.get(page)
    assert first.status_code == second.status_code == 200
    assert report_of(first.text) == report_of(second.text)
    return page, report_of(first.text)


def test_a_need_import_redirects_to_its_report_and_a_reload_imports_nothing(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    staff = make_user(session, Role.STAFF, username="grid-worker", community_id=grid.community_id)
    colleague = make_user(session, Role.STAFF, username="colleague", community_id=grid.community_id)
    mine = session_identity(session_factory, settings, staff)
    signed_in(client, mine)
    content = needs_files.five_rows(grid).encode()
    page, report = _import_twice(client, mine, "/needs/import", content, r"/needs/import/\d+", only_valid="1")
    assert "3 needs were imported." in report and "楼道灯损坏" in report and "下水道" in report
    assert "list.csv" in report
    assert count(session, Need) == 3 and actions(session, "need.import") == 1

    signed_in(client, session_identity(session_factory, settings, colleague))
    stranger = client.get(page)
    assert stranger.status_code == 404 and "楼道灯损坏" not in stranger.text


def test_a_refused_need_import_stays_on_the_form_with_its_report_and_keeps_nothing(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    staff = make_user(session, Role.STAFF, username="grid-worker", community_id=grid.community_id)
    mine = session_identity(session_factory, settings, staff)
    signed_in(client, mine)
    refused = upload(client, mine, "/needs/import", needs_files.five_rows(grid).encode())
    assert refused.status_code == 400 and "Nothing was imported" in refused.text and "下水道" in refused.text
    assert count(session, Need) == 0
    with reading(session) as fresh:
        kept = fresh.execute(sa.text("SELECT count(*) FROM job WHERE kind = 'exchange.import_report'")).scalar_one()
    assert kept == 0


def test_an_offer_import_redirects_to_its_report_and_a_reload_imports_nothing(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    partner = make_user(session, Role.PARTNER, username="brick-maker")
    other_partner = make_user(session, Role.PARTNER, username="other-maker")
    mine = session_identity(session_factory, settings, partner)
    signed_in(client, mine)
    content = offers_files.five_rows(grid.code).encode()
    page, report = _import_twice(client, mine, "/offers/import", content, r"/offers/import/\d+", only_valid="1")
    assert "3 offers were imported." in report and "NOPE" in report
    assert count(session, Offer) == 3 and actions(session, "offer.import") == 1

    signed_in(client, session_identity(session_factory, settings, other_partner))
    stranger = client.get(page)
    assert stranger.status_code == 404 and "NOPE" not in stranger.text


def test_a_volunteer_import_redirects_to_its_report_and_a_reload_imports_nothing(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    staff = make_user(session, Role.STAFF, username="grid-worker", community_id=grid.community_id)
    colleague = make_user(session, Role.STAFF, username="colleague", community_id=grid.community_id)
    mine = session_identity(session_factory, settings, staff)
    signed_in(client, mine)
    content = f"姓名,电话,网格,用户名\n李小丽,13912345678,{grid.code},lixiaoli\n王强,12,{grid.code},wq\n".encode()
    page, report = _import_twice(client, mine, "/volunteers/import", content, r"/volunteers/import/\d+", only_valid="1")
    assert "1 volunteer was imported." in report
    with reading(session) as fresh:
        names = fresh.execute(
            sa.select(User.username).join(VolunteerProfile, VolunteerProfile.user_id == User.id)  # type: ignore[arg-type]
        ).scalars()
        assert list(names) == ["lixiaoli"]
    assert actions(session, "volunteer.import") == 1

    signed_in(client, session_identity(session_factory, settings, colleague))
    assert client.get(page).status_code == 404
