"""The anonymous page cache: what is kept, who is served from it, when it empties, and compression."""

import asyncio
import gzip
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedStatus
from marketplace.notifications.models import Notification
from marketplace.page_cache import _TOKEN_SLOT as TOKEN_SLOT
from marketplace.page_cache import PageCache, _deflate_pieces, _gzip_around_tokens
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.factories import StreetScenario, build_street
from tests.security_helpers import csrf_for, csrf_from, make_user, post_form, sign_in_as


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Litestar) -> FakeClock:
    """The app's page cache on a clock the test moves."""
    fake = FakeClock()
    app.state.page_cache.clock = fake
    return fake


@pytest.fixture
def street(session: Session) -> StreetScenario:
    return build_street(session)


@pytest.fixture
def visitor(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A second browser, with cookies of its own."""
    with TestClient(app=app) as other:
        yield other


def rename_behind_the_apps_back(session: Session, need: Need, title: str) -> None:
    """A write through the test's own engine: like another worker's write, this process cannot see it."""
    session.execute(sa.update(Need).where(Need.id == need.id).values(title=title))  # type: ignore[arg-type]
    session.commit()


def selects_while(app: Litestar, action: Any) -> int:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(app.state.engine, "before_cursor_execute", record)
    return len([statement for statement in statements if statement.lstrip().upper().startswith("SELECT")])


@pytest.mark.parametrize("path", ["/", "/?category=renovation", "/figures", "/api/v1/projects", "/projects/{bricks}"])
def test_an_anonymous_page_is_served_from_the_cache_until_it_expires(
    app: Litestar, client: TestClient[Litestar], session: Session, street: StreetScenario, clock: FakeClock, path: str
) -> None:
    bricks = street.needs["bricks"]
    path = path.format(bricks=bricks.id)
    first = client.get(path)
    assert first.status_code == 200
    rename_behind_the_apps_back(session, bricks, "改过的标题")
    clock.now += 2.9
    assert selects_while(app, lambda: client.get(path)) == 0
    assert client.get(path).text == first.text
    clock.now += 0.2  # past PAGE_CACHE_SECONDS: rendered again
    if path != "/figures":  # the figures show no titles
        assert "改过的标题" in client.get(path).text


def test_each_visitor_gets_their_own_csrf_token_from_a_kept_page(
    app: Litestar,
    client: TestClient[Litestar],
    visitor: TestClient[Litestar],
    settings: Settings,
    street: StreetScenario,
) -> None:
    first, second = client.get("/"), visitor.get("/")
    assert "set-cookie" in second.headers  # the second visitor's new CSRF cookie, set outside the cache
    mine, theirs = csrf_from(first.text), csrf_from(second.text)
    assert mine == csrf_for(client, settings) and theirs == csrf_for(visitor, settings)
    assert mine != theirs
    assert first.text.replace(mine, "") == second.text.replace(theirs, "")
    assert len(app.state.page_cache) == 1
    (kept,) = app.state.page_cache._entries.values()
    assert mine.encode() not in kept.body and theirs.encode() not in kept.body


def test_publishing_a_need_shows_on_the_board_at_once(
    client: TestClient[Litestar], visitor: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    grid = factories.make_grid(session, factories.make_community(session, factories.make_street(session)), 1)
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED, title="新发布的项目")
    factories.add_resource_line(session, need, "20")  # a need must ask for something to be published
    session.commit()
    assert "新发布的项目" not in visitor.get("/").text
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    published = post_form(client, settings, f"/needs/{need.id}/publish", {"version": str(need.version)})
    assert published.status_code == 303
    assert "新发布的项目" in visitor.get("/").text
    assert "新发布的项目" in visitor.get(f"/projects/{need.id}").text


def test_a_claim_empties_the_cache_at_once(
    app: Litestar, client: TestClient[Litestar], session: Session, street: StreetScenario
) -> None:
    need = street.needs["bricks"]
    before = client.get(f"/api/v1/projects/{need.id}").json()
    assert len(app.state.page_cache) == 1
    partner = mf.partner(session)
    claimed = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=partner.headers)
    assert claimed.status_code == 201, claimed.text
    assert len(app.state.page_cache) == 0
    assert client.get(f"/api/v1/projects/{need.id}").json()["id"] == before["id"]


def test_any_write_of_this_process_to_public_data_empties_the_cache(
    app: Litestar, client: TestClient[Litestar], street: StreetScenario
) -> None:
    bricks = street.needs["bricks"]
    client.get("/")
    with app.state.session_factory() as db:
        db.get(Need, bricks.id).title = "ORM 改名"
        db.commit()
    assert "ORM 改名" in client.get("/").text
    with app.state.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE need SET title = 'SQL 改名' WHERE id = {bricks.id}")
    assert "SQL 改名" in client.get("/").text


def test_writes_to_private_tables_keep_the_cache(
    app: Litestar, client: TestClient[Litestar], session: Session, street: StreetScenario
) -> None:
    user = make_user(session, Role.VOLUNTEER)
    client.get("/")
    with app.state.session_factory() as db:
        db.add(Notification(user_id=user.id, kind="test", subject_type="need", subject_id=1, digest_key="test"))
        db.commit()
    assert len(app.state.page_cache) == 1


def test_a_page_rendered_while_data_changed_is_not_kept() -> None:
    cache = PageCache()
    generation = cache.generation
    cache.invalidate()  # a write finished while the page was being rendered
    assert not cache.put((b"/",), _page(), generation)
    assert cache.put((b"/",), _page(), cache.generation)


def test_requests_for_a_page_being_rendered_wait_for_that_rendering() -> None:
    async def scenario() -> list[Any]:
        cache = PageCache()
        future = cache.start_rendering((b"/",))
        waiting = [asyncio.ensure_future(cache.joined((b"/",))) for _ in range(3)]
        await asyncio.sleep(0)
        assert await cache.joined((b"/other",)) is None
        cache.finish_rendering((b"/",), future, _page())
        pages = await asyncio.gather(*waiting)
        # After a write, nobody waits for a rendering that began before it.
        stale = cache.start_rendering((b"/",))
        cache.invalidate()
        assert await cache.joined((b"/",)) is None
        cache.finish_rendering((b"/",), stale, None)
        return pages

    pages = asyncio.run(scenario())
    assert len(pages) == 3 and all(page is not None and page.body == b"page" for page in pages)


def test_the_cache_keeps_a_bounded_number_of_pages() -> None:
    cache = PageCache(max_entries=2)
    for path in (b"/a", b"/b", b"/c"):
        cache.put((path,), _page(), cache.generation)
    assert cache.get((b"/a",)) is None and cache.get((b"/c",)) is not None
    assert len(cache) == 2


def _page() -> Any:
    from marketplace.page_cache import CachedPage

    return CachedPage(status=200, headers=(), body=b"page", stored_at=time.monotonic())


def test_signed_in_people_are_never_served_from_the_cache_nor_kept(
    app: Litestar,
    client: TestClient[Litestar],
    visitor: TestClient[Litestar],
    session: Session,
    street: StreetScenario,
) -> None:
    bricks = street.needs["bricks"]
    user = sign_in_as(client, session, Role.VOLUNTEER, display_name="王小明")
    partner = mf.partner(session)
    visitor.get("/")
    visitor.get(f"/api/v1/projects/{bricks.id}")
    kept = len(app.state.page_cache)
    assert kept == 2
    rename_behind_the_apps_back(session, bricks, "登录后可见的新标题")
    page = client.get("/")
    assert "登录后可见的新标题" in page.text and "王小明" in page.text
    assert "登录后可见的新标题" not in visitor.get("/").text  # anonymous: still the kept page
    api = client.get(f"/api/v1/projects/{bricks.id}")
    assert api.json()["title"] == "登录后可见的新标题"
    # A token on a public route is an anonymous caller (it names no scope there): it gets what visitors get.
    as_token = visitor.get(f"/api/v1/projects/{bricks.id}", headers=partner.headers)
    assert as_token.json() == visitor.get(f"/api/v1/projects/{bricks.id}").json()
    assert len(app.state.page_cache) == kept
    bodies = b"".join(page.body for page in app.state.page_cache._entries.values())
    assert user.display_name.encode() not in bodies


@pytest.mark.parametrize(
    ("path", "english_only"), [("/", '<html lang="en">'), ("/api/v1/projects", "Elderly and disabled care")]
)
def test_languages_do_not_mix(
    client: TestClient[Litestar], street: StreetScenario, path: str, english_only: str
) -> None:
    chinese = client.get(path, headers={"Accept-Language": "zh-CN"}).text
    english = client.get(path, headers={"Accept-Language": "en"}).text
    assert english_only in english and english_only not in chinese
    client.cookies.set("lang", "en")
    assert client.get(path).text == english
    client.cookies.set("lang", "zh_CN")
    assert client.get(path).text == chinese


def test_an_htmx_fragment_and_the_whole_page_are_kept_apart(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    fragment = client.get("/", headers={"HX-Request": "true"})
    page = client.get("/")
    assert "<html" in page.text and "<html" not in fragment.text
    assert "<html" not in client.get("/", headers={"HX-Request": "true"}).text
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/", headers=restore).text


def test_errors_are_not_kept(app: Litestar, client: TestClient[Litestar], street: StreetScenario) -> None:
    assert client.get(f"/projects/{street.needs['submitted'].id}").status_code == 404
    assert client.get("/?category=nonsense").status_code == 400
    assert len(app.state.page_cache) == 0


def test_kept_pages_are_compressed_for_clients_that_accept_gzip(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    for _ in range(2):  # rendered, then from the cache
        response = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["vary"] and "HX-Request" in response.headers["vary"]
        assert int(response.headers["content-length"]) < len(response.content) / 3
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)


@pytest.mark.parametrize(
    "kept",
    [
        b"<body hx-headers='" + TOKEN_SLOT + b"'>" + "项目".encode() * 5000 + b"</body>",
        TOKEN_SLOT + b"starts and ends with the token" + TOKEN_SLOT,
        b'{"json": "without a token"}' * 100,
    ],
)
def test_a_page_gzipped_around_its_token_is_a_valid_gzip_of_the_page(kept: bytes) -> None:
    token = b"0123456789abcdef" * 4
    page = kept.replace(TOKEN_SLOT, token)
    gzipped = _gzip_around_tokens(_deflate_pieces(kept, 6), token, page)
    assert gzip.decompress(gzipped) == page
    decoder = zlib.decompressobj(wbits=31)  # as a browser's zlib reads it
    assert decoder.decompress(gzipped) + decoder.flush() == page and decoder.eof


def test_small_responses_and_other_pages_follow_the_compression_settings(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    small = client.get("/api/v1/projects?status=verified&category=health", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers
    assert int(small.headers["content-length"]) < 1024
    login = client.get("/login", headers={"Accept-Encoding": "gzip"})  # compressed by Litestar's middleware
    assert login.headers["content-encoding"] == "gzip"
