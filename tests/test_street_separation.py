"""Two streets in one deployment: the access matrix across streets (issue 14, item 1).

The world (tests/street_fixtures.py) holds streets A and B with everything a street has, an
organization and a volunteer serving both, and a city admin. The matrix is generated from the route
table of the running application, not from a hand list:

- every GET route with a path parameter that names a street's object (need, project, offer,
  organization, volunteer profile, user, round) is requested by every role with street A's object,
  street B's object and an object serving both streets. A street admin, staff member or partner gets
  200 for its own street's objects and 404 (403 where the design says so: a partner taking part in a
  project of a street its organization does not serve) for the other street's; the city admin gets
  200 for both; the other street's private values and names never appear in a response;
- every GET route without path parameters (lists, counts, exports; pages and API) answered to a
  person of street A never contains street B's names (each of B's rows carries ``BRAVOMARK``) nor, in
  JSON, B's need ids; public pages with ``?street=<code>`` show only that street;
- a sample of actions per domain (approve a claim, vet an organization, publish a need, start a
  round, claim a project, propose a candidate) taken across streets is refused and changes no row of
  any table; the same calls made by someone working in the street succeed (so CSRF or a malformed
  body is not what refused them).

Requests are made with sessions (pages and API alike; API calls carry the CSRF header), as
tests/test_access_matrix.py does, and the API's object routes again with Bearer tokens. One world
per module and xdist worker; a case that changed the database, or another module's test that emptied
the tables in between, has the world rebuilt before the next case.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.app import create_app
from marketplace.db.engine import make_session_factory
from marketplace.matches.models import Match
from marketplace.needs.models import NeedStatus
from marketplace.settings import DatabaseSettings, Settings
from tests.conftest import empty_all_tables
from tests.security_world import Route, app_routes, changed_tables, table_checksums, use
from tests.street_fixtures import MARKS, ROLES, TwoStreets, build_two_streets, street_row_count

pytestmark = pytest.mark.xdist_group("street_separation")

# Path parameters that name no street's object: files, the API description, a locale, a reset token,
# a vocabulary item, a job (jobs are street-scoped, tested in tests/test_jobs_street_scope.py), a submission's number.
# A certificate's public verification code is meant to be checked by anyone. A new token's secret and a reset
# link are shown once, to the person who made them alone, and an import's report is a job row under the jobs'
# rule (its importer and their street's admins): narrower than the street's (tests/test_reload_safe_results.py,
# tests/test_jobs_street_scope.py).
NOT_STREET_PARAMS = {
    "file_path",
    "path",
    "locale",
    "token",
    "key",
    "job_id",
    "reference",
    "decision",
    "code",
    "token_id",
    "reset_id",
    "report_id",
}
SKIPPED_PATHS = ("/static/", "/schema", "/lang/", "/healthz", "/readyz", "/metrics")
# The streets each role works in; the city admin works in all.
STREETS_OF = {
    "city admin": {"A", "B"},
    "admin A": {"A"},
    "admin B": {"B"},
    "staff A": {"A"},
    "partner A": {"A"},
    "partner both": {"A", "B"},
    "volunteer A": {"A"},
}
# Roles whose own pages (lists) must never show the other street (the city admin and the partner
# serving both may see both).
SCOPED_ROLES = ("admin A", "admin B", "staff A", "partner A", "volunteer A")
REFUSED = {403, 404}
# Public lists that show the whole deployment by design (rule 8); they are checked with ?street=.
WHOLE_DEPLOYMENT_LISTS = {
    "/",
    "/projects",
    "/projects/export",
    "/figures",
    "/api/v1/projects",
    "/api/v1/projects/export",
    "/api/v1/grids",
    "/api/v1/stats",
    "/api/v1/organizations",
    "/submit",
    "/track",
    "/login",
    "/register",
    "/register/organization",
    "/register/volunteer",
}


# --- the world, once per module ------------------------------------------------------------------


@dataclass
class Box:
    world: TwoStreets | None = None
    dirty: bool = False


@pytest.fixture(scope="module")
def street_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url),
        secret_key="test-secret-key-not-for-production",
        var_dir=tmp_path_factory.mktemp("streets"),
        allowed_hosts=("testserver.local", "127.0.0.1", "localhost"),
    )


@pytest.fixture(scope="module")
def street_factory(engine: sa.Engine) -> Iterator[sessionmaker[Session]]:
    empty_all_tables(engine)
    yield make_session_factory(engine)
    empty_all_tables(engine)


@pytest.fixture(scope="module")
def street_app(street_settings: Settings, street_factory: sessionmaker[Session]) -> Litestar:
    return create_app(street_settings)


@pytest.fixture(scope="module")
def web(street_app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=street_app) as client:
        yield client


@pytest.fixture(scope="module")
def box() -> Box:
    return Box()


@pytest.fixture
def world(
    box: Box, engine: sa.Engine, street_factory: sessionmaker[Session], street_settings: Settings, web: Any
) -> Iterator[TwoStreets]:
    """The module's world, built again when a case changed it or another module emptied the tables."""
    if box.world is None or box.dirty or street_row_count(street_factory) != 2:
        empty_all_tables(engine)
        with street_factory() as session:
            box.world = build_two_streets(session, street_factory, street_settings)
        box.dirty = False
    yield box.world


# --- the route table -----------------------------------------------------------------------------


def _roles_allowed(route: Route) -> set[str] | None:
    """The roles the route's guards let in; None when any signed-in person (or anyone) may call it."""
    allowed: set[str] | None = None
    for name in route.guard_names:
        if name.startswith("roles_"):
            roles = set(name.removeprefix("roles_").split("_"))
            allowed = roles if allowed is None else allowed & roles
    return allowed


def _role_kind(role: str) -> str:
    return role.split()[0].replace("city", "admin")


def _allows(route: Route, role: str) -> bool:
    allowed = _roles_allowed(route)
    return allowed is None or _role_kind(role) in allowed


def _is_public(route: Route) -> bool:
    return not route.guard_names


def _street_routes(app: Litestar, method: str) -> list[Route]:
    return [route for route in app_routes(app) if route.method == method and not route.path.startswith(SKIPPED_PATHS)]


def _object_params(route: Route) -> list[str]:
    return [name for name, _ in route.params if name not in NOT_STREET_PARAMS]


def _object_routes(app: Litestar) -> list[Route]:
    routes = []
    for route in _street_routes(app, "GET"):
        if not route.params:
            continue
        names = [name for name, _ in route.params]
        if any(name in NOT_STREET_PARAMS for name in names):
            continue
        routes.append(route)
    return routes


def _list_routes(app: Litestar) -> list[Route]:
    return [route for route in _street_routes(app, "GET") if not route.params]


# Queries a route needs to answer at all, or that show another part of it (the other kind of candidates).
QUERIES = {
    "/api/v1/needs/{need_id:int}/recommendations": ("?kind=offers", "?kind=volunteers"),
    "/needs/{need_id:int}/recommendations": ("", "?kind=volunteers"),
}
# Object kinds a path parameter names; each kind has street A's, street B's and a shared object.
KIND_OF_PARAM = {
    "need_id": "need",
    "offer_id": "offer",
    "organization_id": "organization",
    "profile_id": "volunteer",
    "user_id": "user",
    "round_id": "round",
    "shift_id": "shift",  # alone (a station's QR codes); beside need_id it is the need's own shift
}
OWNERS = ("A", "B", "both")


def _object(world: TwoStreets, kind: str, owner: str, variant: str) -> int | None:
    """The id of an object of ``kind`` belonging to street ``owner`` ("both": serving both streets)."""
    if owner == "both":
        shared = {
            "offer": world.both_offer.id,
            "organization": world.both_organization.id,
            "volunteer": world.both_profile.id,
        }
        return shared.get(kind)
    side = world.side(owner)
    if kind == "need":
        return (side.project if variant == "project" else side.needs[NeedStatus.SUBMITTED]).id
    return {
        "offer": side.offer.id,
        "organization": side.organization.id,
        "volunteer": side.profile.id,
        "user": side.staff.id,
        "round": side.round.id,
        "shift": side.shift.id,
    }[kind]


@dataclass(frozen=True)
class Case:
    route: Route
    role: str
    owner: str
    variant: str
    query: str = ""

    @property
    def id(self) -> str:
        extra = "" if self.variant == "project" else f"[{self.variant}]"
        return f"{self.route.path}{self.query}{extra}|{self.role}|{self.owner}"


def _kinds(route: Route) -> set[str]:
    kinds = {KIND_OF_PARAM[name] for name in _object_params(route) if name in KIND_OF_PARAM}
    return kinds - {"shift"} if "need" in kinds else kinds


def _unknown_params(app: Litestar) -> list[str]:
    """Routes whose parameters this module cannot place (a new kind of object needs a rule here)."""
    found = []
    for route in _object_routes(app):
        kinds = _kinds(route)
        unknown = set(_object_params(route)) - set(KIND_OF_PARAM) - {"line_id", "shift_id"}
        if len(kinds) > 1 or (not kinds and unknown):
            found.append(f"{route.label}: {sorted(unknown) or sorted(kinds)}")
    return found


def _cases(app: Litestar) -> list[Case]:
    cases = []
    for route in _object_routes(app):
        kinds = _kinds(route)
        if len(kinds) != 1:
            continue  # reported by test_every_object_route_has_a_rule
        kind = kinds.pop()
        # A need not yet published is addressed on the pages of those who review needs (admins, staff).
        private = kind == "need" and _allows(route, "staff A") and not _is_public(route)
        variants = ["project", "private"] if private else ["project"]
        for role in ROLES:
            for owner in OWNERS:
                if owner == "both" and kind not in ("offer", "organization", "volunteer"):
                    continue
                for variant in variants:
                    for query in QUERIES.get(route.path, ("",)):
                        cases.append(Case(route, role, owner, variant, query))
    return cases


def _matrix_app() -> Litestar:
    """The application's route table at collection time (no database is touched by create_app)."""
    import tempfile

    settings = Settings(
        database=DatabaseSettings(url="sqlite:///" + str(Path(tempfile.mkdtemp()) / "routes.sqlite3")),
        secret_key="test-secret-key-not-for-production",
        var_dir=Path(tempfile.mkdtemp()),
    )
    return create_app(settings)


_ROUTE_APP = _matrix_app()
CASES = _cases(_ROUTE_APP)
LIST_ROUTES = _list_routes(_ROUTE_APP)


# --- helpers -------------------------------------------------------------------------------------


def _fill(route: Route, world: TwoStreets, case: Case) -> str:
    values: dict[str, Any] = {}
    for name, _ in route.params:
        kind = KIND_OF_PARAM.get(name)
        if kind is None or (kind == "shift" and "need_id" in route.path):
            continue
        values[name] = _object(world, kind, case.owner, case.variant)
    # A second parameter (a line or shift of the need) takes the need's own.
    side = world.side(case.owner) if case.owner in ("A", "B") else world.a
    values.setdefault("line_id", side.line.id)
    values.setdefault("shift_id", side.shift.id)
    return route.fill(values) + case.query


def _text(response: Any) -> str:
    """What a person would read: the body, an xlsx's shared strings and sheets unzipped."""
    content_type = response.headers.get("content-type", "")
    if "spreadsheetml" in content_type or response.content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as book:
                return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
        except zipfile.BadZipFile:
            pass
    return response.text


def _others(world: TwoStreets, role: str) -> list[str]:
    """The streets whose names and private values must not reach ``role``."""
    mine = STREETS_OF[role]
    return [key for key in ("A", "B") if key not in mine]


def _context(text: str, value: str) -> str:
    at = text.index(value)
    return " ".join(text[max(at - 80, 0) : at + len(value) + 40].split())


def _leaks(world: TwoStreets, role: str, text: str, *, names: bool = True) -> list[str]:
    """The other street's names (unless ``names`` is False: public rows) and private values in ``text``."""
    found = []
    for key in _others(world, role):
        side = world.side(key)
        # The street's own name is checked apart (test_a_street_s_pages_name_no_other_street): a
        # deployment-wide title or picker would otherwise hide every other finding.
        text = text.replace(side.street.name, "").replace(side.street.name_en or side.street.name, "")
        if names and side.mark in text:
            found.append(f"street {key}'s name ({_context(text, side.mark)!r})")
        for name, value in side.secrets.items():
            if value in text:
                found.append(f"street {key}'s {name} ({_context(text, value)!r})")
    return found


def _status(client: TestClient[Litestar], world: TwoStreets, role: str, path: str) -> Any:
    use(client, world.identities[role])
    client.cookies.set("lang", "en")
    return client.get(path, follow_redirects=False)


# --- objects by id -------------------------------------------------------------------------------


def _expected(case: Case) -> set[int]:
    """What ``case.role`` should get for the object of ``case.owner`` on ``case.route``."""
    route, role, owner = case.route, case.role, case.owner
    kind = _kinds(route).pop()
    if not _allows(route, role):
        return {401, 403, 404}  # the route is not for this role at all, in any street
    mine = STREETS_OF[role]
    serves = {"A", "B"} if owner == "both" else {owner}
    ours = bool(mine & serves)
    if _is_public(route):
        # A published project is public in every street; an organization's public card is shown to
        # anyone, but a signed-in partner or street admin may be answered by their own scope (404).
        return {200} if kind == "need" or role == "city admin" else {200, 404}
    if role.startswith("partner") and kind == "offer":
        own = {"partner A": "A", "partner both": "both"}[role]
        return {200} if owner == own else {404}
    if role.startswith("volunteer") and route.path.endswith("/take-part"):
        # A volunteer takes part in the streets they serve (their home grid's; eighth probe): "This project is in
        # {street}, a street you do not volunteer in." as a 403 elsewhere.
        return {200} if ours else {403}
    if role.startswith("partner") and route.path.endswith("/take-part"):
        return {200} if ours else {403}  # rule 4: "Your organization does not serve {street}."
    return {200} if ours else REFUSED


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_object_of_a_street_reaches_only_those_working_in_it(
    web: TestClient[Litestar], world: TwoStreets, case: Case
) -> None:
    path = _fill(case.route, world, case)
    response = _status(web, world, case.role, path)
    expected = _expected(case)
    assert response.status_code < 500, f"{case.role} GET {path}: {response.status_code}"
    got = response.status_code
    assert got in expected, (
        f"{case.role} GET {path} ({case.owner}'s {case.variant}): expected {sorted(expected)}, got {got}"
    )
    if 200 <= got < 300:
        # Public rows and a row serving both streets may name the other street; private values never.
        # What a person may reach in another street (a volunteer taking part anywhere) names it too.
        ours = case.owner in STREETS_OF[case.role]
        names = ours and not _is_public(case.route) and case.route.path not in CHOOSERS
        leaks = _leaks(world, case.role, _text(response), names=names)
        assert not leaks, f"{case.role} GET {path} shows {', '.join(leaks)}"


TOKEN_ROLES = ("admin A", "staff A", "partner A", "city admin")
TOKEN_CASES = [
    case
    for case in CASES
    if case.route.path.startswith("/api/v1/") and case.role in TOKEN_ROLES and case.variant == "project"
]


def _token_headers(world: TwoStreets, factory: sessionmaker[Session], role: str, cache: dict[str, Any]) -> Any:
    """A Bearer token of ``role`` with every scope (what its role allows is then the only limit)."""
    from marketplace.security.tokens import TOKEN_SCOPES, create_api_token

    if cache.get("world") is not world:  # a rebuilt world has new users: their tokens are made again
        cache.clear()
        cache["world"] = world
    key = role
    if key not in cache:
        user = world.user_of(role)
        with factory() as db:
            secret, _ = create_api_token(db, user_id=user.id or 0, name="separation", scopes=list(TOKEN_SCOPES),
                                         created_by_id=user.id)  # fmt: skip
            db.commit()
        cache[key] = {"Authorization": f"Bearer {secret}"}
    return cache[key]


@pytest.fixture(scope="module")
def token_cache() -> dict[str, Any]:
    return {}


@pytest.mark.parametrize("case", TOKEN_CASES, ids=[case.id for case in TOKEN_CASES])
def test_an_api_token_reaches_only_its_owner_s_street(
    web: TestClient[Litestar],
    world: TwoStreets,
    street_factory: sessionmaker[Session],
    token_cache: dict[str, Any],
    case: Case,
) -> None:
    """The API read with a Bearer token (as an integration would) answers as the pages do."""
    headers = _token_headers(world, street_factory, case.role, token_cache)
    web.cookies.clear()
    path = _fill(case.route, world, case)
    response = web.get(path, headers=headers, follow_redirects=False)
    expected = _expected(case)
    assert response.status_code in expected, (
        f"{case.role} (token) GET {path}: expected {sorted(expected)}, got {response.status_code}"
    )
    if 200 <= response.status_code < 300:
        names = case.owner in STREETS_OF[case.role] and not _is_public(case.route)
        leaks = _leaks(world, case.role, response.text, names=names)
        assert not leaks, f"{case.role} (token) GET {path} shows {', '.join(leaks)}"


def test_every_object_route_has_a_rule() -> None:
    """A GET route with a parameter this module does not know is a new kind of object: give it a rule
    (KIND_OF_PARAM, or NOT_STREET_PARAMS when it names nothing of a street)."""
    assert _unknown_params(_ROUTE_APP) == []


def test_the_matrix_covers_every_kind_of_street_object() -> None:
    """Guard the guard: the route table yields object routes of every kind, for every role."""
    kinds = {kind for case in CASES for kind in _kinds(case.route)}
    assert kinds == set(KIND_OF_PARAM.values())
    assert {case.role for case in CASES} == set(ROLES)
    assert len({case.route.path for case in CASES}) >= 15


# --- lists, counts and exports -------------------------------------------------------------------

# Forms where a person picks among every street's grids on purpose: where a volunteer lives, which
# grids an organization (and so an offer) serves. Names of other streets' grids belong there;
# private values still never do.
CHOOSERS = {"/volunteer/profile", "/organization", "/offers/new", "/offers/{offer_id:int}/edit"}

LIST_CASES = [
    (route, role)
    for route in LIST_ROUTES
    if route.path not in WHOLE_DEPLOYMENT_LISTS
    for role in SCOPED_ROLES
    if _allows(route, role)
]


def _need_ids_in(payload: Any, *, needs_list: bool) -> set[int]:
    """Every need id a JSON answer names (``need_id`` anywhere, ``id`` of the items of a needs list)."""
    found: set[int] = set()

    def walk(value: Any, needs_list: bool) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if (key in ("need_id", "project_id") and isinstance(item, int)) or (
                    key == "id" and needs_list and isinstance(item, int)
                ):
                    found.add(item)
                else:
                    walk(item, needs_list and key in ("items", "needs"))
        elif isinstance(value, list):
            for item in value:
                walk(item, needs_list)

    walk(payload, needs_list)
    return found


def _need_ids(world: TwoStreets, key: str) -> set[int]:
    side = world.side(key)
    return {need.id or 0 for need in side.needs.values()} | {side.project.id or 0}


@pytest.mark.parametrize(("route", "role"), LIST_CASES, ids=[f"{route.path}|{role}" for route, role in LIST_CASES])
def test_a_list_count_or_export_leaves_the_other_street_out(
    web: TestClient[Litestar], world: TwoStreets, route: Route, role: str
) -> None:
    response = _status(web, world, role, route.path)
    assert response.status_code < 500, f"{role} GET {route.path}: {response.status_code}"
    if not 200 <= response.status_code < 300:
        return
    leaks = _leaks(world, role, _text(response), names=route.path not in CHOOSERS)
    assert not leaks, f"{role} GET {route.path} shows {', '.join(leaks)}"
    if "json" in response.headers.get("content-type", "") and route.path.startswith("/api/v1/"):
        other = set().union(*(_need_ids(world, key) for key in _others(world, role)))
        named = _need_ids_in(response.json(), needs_list=route.path.startswith("/api/v1/needs"))
        assert not named & other, f"{role} GET {route.path} names needs {sorted(named & other)} of another street"


@pytest.mark.parametrize("role", ["admin A", "staff A", "admin B", "city admin"])
def test_need_counts_are_the_street_s_own(web: TestClient[Litestar], world: TwoStreets, role: str) -> None:
    """The needs list's total counts only the needs a person works with."""
    response = _status(web, world, role, "/api/v1/needs?page_size=100")
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {item["id"] for item in body["items"]} if isinstance(body, dict) else {item["id"] for item in body}
    a, b = _need_ids(world, "A"), _need_ids(world, "B")
    staff_a = {need.id for need in [*world.a.needs.values(), world.a.project] if need.grid_id == world.a.grids[0].id}
    expected = {"admin A": a, "staff A": staff_a, "admin B": b, "city admin": a | b}[role]
    assert ids == expected
    if isinstance(body, dict) and "total" in body:
        assert body["total"] == len(expected)


@pytest.mark.parametrize("role", ["admin B", "staff A", "partner A", "volunteer A"])
def test_a_street_s_pages_name_no_other_street(web: TestClient[Litestar], world: TwoStreets, role: str) -> None:
    """A person of one street reads their own street's name (or none) in titles and headers, never another's."""
    path = {"admin B": "/needs", "staff A": "/needs", "partner A": "/claims", "volunteer A": "/signups"}[role]
    response = _status(web, world, role, path)
    assert response.status_code == 200
    for key in _others(world, role):
        street = world.side(key).street
        for name in (street.name, street.name_en or street.name):
            assert name not in response.text, f"{role} GET {path}: {_context(response.text, name)!r}"


# Lists and exports that must show one's own street (so the checks above are not vacuous).
OWN_LISTS = [
    "/needs",
    "/api/v1/needs",
    "/needs/export.csv",
    "/needs/export.xlsx",
    "/offers",
    "/api/v1/offers",
    "/offers/export",
    "/api/v1/offers/export",
    "/volunteers",
    "/volunteers/export",
    "/admin/organizations",
    "/review",
    "/api/v1/review",
    "/escalations",
    "/api/v1/escalations",
]


@pytest.mark.parametrize("path", OWN_LISTS)
def test_lists_and_exports_show_one_s_own_street_and_the_city_admin_both(
    web: TestClient[Litestar], world: TwoStreets, path: str
) -> None:
    for role, marks in (
        ("admin A", ["ALFAMARK"]),
        ("admin B", ["BRAVOMARK"]),
        ("city admin", ["ALFAMARK", "BRAVOMARK"]),
    ):
        response = _status(web, world, role, path)
        assert response.status_code == 200, f"{role} GET {path}: {response.status_code}"
        text = _text(response)
        for mark in marks:
            assert mark in text, f"{role} GET {path} does not show {mark}"


def test_the_city_page_compares_every_street_for_the_city_admin_only(
    web: TestClient[Litestar], world: TwoStreets
) -> None:
    for path in ("/admin/city", "/api/v1/city/streets"):
        response = _status(web, world, "city admin", path)
        assert response.status_code == 200, f"city admin GET {path}: {response.status_code}"
        assert world.a.street.code in response.text or world.a.street.name in response.text
        assert world.b.street.code in response.text or world.b.street.name in response.text
        for role in ("admin A", "staff A", "partner A", "volunteer A"):
            refused = _status(web, world, role, path)
            assert refused.status_code in (403, 404), f"{role} GET {path}: {refused.status_code}"


def _numbers(value: Any, at: str = "") -> dict[str, float]:
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {at: float(value)}
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _numbers(item, f"{at}.{key}").items()}
    return {}


def test_one_street_s_figures_count_only_that_street_and_add_up_to_the_whole(
    web: TestClient[Litestar], world: TwoStreets
) -> None:
    web.cookies.clear()
    whole = _numbers(web.get("/api/v1/stats").json())
    a = _numbers(web.get(f"/api/v1/stats?street={world.a.street.code}").json())
    b = _numbers(web.get(f"/api/v1/stats?street={world.b.street.code}").json())
    not_counts = ("average", "rate", "share", "percent", "median", "year", "month", "day")
    counts = [key for key, value in whole.items() if value and not any(word in key for word in not_counts)]
    assert counts, whole
    assert any(a[key] < whole[key] for key in counts), "one street's figures are not the whole deployment's"
    wrong = {key: (a.get(key), b.get(key), whole[key]) for key in counts if a.get(key, 0) + b.get(key, 0) != whole[key]}
    assert not wrong, f"(street A, street B, whole) that do not add up: {wrong}"


def _object_names(side: Any) -> list[str]:
    """Names of a street's rows other than the street itself (a street picker may name every street)."""
    mark = side.mark
    return [f"{mark}项目", f"{mark}需求", f"{mark}网格", f"{mark} Grid", f"{mark}社区", f"{mark} Community"]


PUBLIC_STREET_PAGES = ["/projects", "/figures", "/api/v1/grids", "/api/v1/projects", "/api/v1/stats"]


@pytest.mark.parametrize("path", PUBLIC_STREET_PAGES)
def test_a_public_page_for_one_street_shows_only_that_street(
    web: TestClient[Litestar], world: TwoStreets, path: str
) -> None:
    use(web, world.identities["volunteer A"])
    web.cookies.clear()
    whole = web.get(path)
    assert whole.status_code == 200
    assert MARKS["A"] in whole.text and MARKS["B"] in whole.text, "without street= the whole deployment shows"
    one = web.get(f"{path}?street={world.a.street.code}")
    assert one.status_code == 200, one.text[:300]
    assert MARKS["A"] in one.text
    shown = [name for name in _object_names(world.b) if name in one.text]
    assert not shown, f"{path}?street=sep-a: {[_context(one.text, name) for name in shown]}"
    unknown = web.get(f"{path}?street=no-such-street")
    assert unknown.status_code == 400 and "street" in unknown.text


# --- actions across streets ----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    role: str
    method: str
    path: str  # formatted with the world (see _action_path)
    body: dict[str, Any] | None = None
    api: bool = False
    # 400 only where the refusal names the field that points at the other street.
    refused: frozenset[int] = frozenset(REFUSED)


ACTIONS = [
    Action("approve B's claim (page)", "admin A", "POST", "/review/{b_claim}/approve"),
    Action(
        "approve B's claim (API)",
        "admin A",
        "POST",
        "/api/v1/matches/{b_claim}/decision",
        {"decision": "approve"},
        True,
    ),
    Action("reject B's claim (page)", "admin A", "POST", "/review/{b_claim}/reject", {"reason": "不是本街道"}),
    Action(
        "bulk-approve B's claim (API)", "admin A", "POST", "/api/v1/matches/bulk-approve", {"ids": ["b_claim"]}, True
    ),
    Action("bulk-approve B's claim (page)", "admin A", "POST", "/review/bulk-approve", {"ids": "b_claim"}),
    Action("approve A's claim (page)", "admin B", "POST", "/review/{a_claim}/approve"),
    Action("vet B's organization (page)", "admin A", "POST", "/admin/organizations/{b_pending_org}/approve"),
    Action(
        "vet B's organization (API)",
        "admin A",
        "POST",
        "/api/v1/organizations/{b_pending_org}/decision",
        {"decision": "approve"},
        True,
    ),
    Action(
        "suspend B's organization (page)",
        "admin A",
        "POST",
        "/admin/organizations/{b_org}/suspend",
        {"reason": "不是本街道"},
    ),
    Action("publish B's need (page)", "admin A", "POST", "/needs/{b_review_need}/publish"),
    Action("publish B's need (API)", "admin A", "POST", "/api/v1/needs/{b_review_need}/publish", {}, True),
    Action("publish B's need as staff A (page)", "staff A", "POST", "/needs/{b_review_need}/publish"),
    Action(
        "reject B's need (API)",
        "admin A",
        "POST",
        "/api/v1/needs/{b_submitted_need}/reject",
        {"reason": "不是本街道"},
        True,
    ),
    Action(
        "edit B's need (API)",
        "admin A",
        "PATCH",
        "/api/v1/needs/{b_project}",
        {"title": "被改写", "version": "b_project_version"},
        True,
    ),
    Action(
        "move A's need into B's grid (API)",
        "admin A",
        "PATCH",
        "/api/v1/needs/{a_project}",
        {"grid_id": "b_grid", "version": "a_project_version"},
        True,
        frozenset({400, 403, 404}),
    ),
    Action(
        "start a round for B",
        "admin A",
        "POST",
        "/rounds",
        {"street": "sep-b", "method": "greedy", "k": "5"},
        refused=frozenset({400, 403, 404}),
    ),
    Action(
        "claim B's project (API)", "partner A", "POST", "/api/v1/projects/{b_project}/claims", {"kind": "whole"}, True
    ),
    Action("claim B's project (page)", "partner A", "POST", "/projects/{b_project}/claim", {"kind": "whole"}),
    Action("acknowledge B's escalation (page)", "admin A", "POST", "/escalations/{b_escalation}/acknowledge"),
    Action(
        "acknowledge B's escalation (API)",
        "staff A",
        "POST",
        "/api/v1/escalations/{b_escalation}/acknowledge",
        {},
        True,
    ),
    Action(
        "escalate B's need (API)", "admin A", "POST", "/api/v1/needs/{b_project}/escalate", {"reason": "越街"}, True
    ),
    Action(
        "start a round for B (API)",
        "admin A",
        "POST",
        "/api/v1/rounds",
        {"street": "sep-b", "method": "greedy", "k": 5},
        True,
        frozenset({400, 403, 404}),
    ),
    Action(
        "propose a volunteer for B's shift (API)",
        "admin A",
        "POST",
        "/api/v1/needs/{b_project}/proposals",
        {"kind": "volunteers", "part_id": "b_shift", "candidate_id": "both_profile"},
        True,
    ),
    # Rule 5: a need of street A is matched only with volunteers and organizations serving A.
    Action(
        "propose B's volunteer for A's shift (API)",
        "admin A",
        "POST",
        "/api/v1/needs/{a_project}/proposals",
        {"kind": "volunteers", "part_id": "a_shift", "candidate_id": "b_profile"},
        True,
        frozenset({400, 403, 404, 409}),
    ),
    Action(
        "propose B's organization's offer for A's line (API)",
        "admin A",
        "POST",
        "/api/v1/needs/{a_project}/proposals",
        {"kind": "offers", "part_id": "a_line", "candidate_id": "b_offer"},
        True,
        frozenset({400, 403, 404, 409}),
    ),
]


def _placeholders(world: TwoStreets) -> dict[str, Any]:
    return {
        "a_claim": world.a.claim_id,
        "b_claim": world.b.claim_id,
        "b_pending_org": world.b.pending_organization.id,
        "b_org": world.b.organization.id,
        "b_review_need": world.b.needs[NeedStatus.UNDER_REVIEW].id,
        "b_submitted_need": world.b.needs[NeedStatus.SUBMITTED].id,
        "b_project": world.b.project.id,
        "b_street": world.b.street.id,
        "a_review_need": world.a.needs[NeedStatus.UNDER_REVIEW].id,
        "a_shift": world.a.shift.id,
        "a_escalation": world.a.escalation_id,
        "b_escalation": world.b.escalation_id,
        "a_line": world.a.line.id,
        "b_shift": world.b.shift.id,
        "b_profile": world.b.profile.id,
        "b_offer": world.b.offer.id,
        "both_profile": world.both_profile.id,
        "b_grid": world.b.grids[0].id,
        "a_project": world.a.project.id,
        "a_project_version": world.a.project.version,
        "b_project_version": world.b.project.version,
    }


def _resolve(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_resolve(item, names) for item in value]
    if isinstance(value, str) and value in names:
        return names[value]
    return value


def _take(client: TestClient[Litestar], world: TwoStreets, action: Action) -> Any:
    names = _placeholders(world)
    identity = world.identities[action.role]
    use(client, identity)
    path = action.path.format(**names)
    body = {key: _resolve(value, names) for key, value in (action.body or {}).items()}
    if action.api:
        return client.request(action.method, path, json=body, headers=identity.headers(), follow_redirects=False)
    form = {key: str(value) for key, value in body.items()} | {"csrf_token": identity.csrf}
    return client.request(action.method, path, data=form, follow_redirects=False)


def _succeeded(response: Any) -> bool:
    if 200 <= response.status_code < 300:
        return True
    return 300 <= response.status_code < 400 and not response.headers.get("location", "").startswith("/login")


@pytest.mark.parametrize("action", ACTIONS, ids=[action.name for action in ACTIONS])
def test_an_action_on_the_other_street_is_refused_and_changes_nothing(
    web: TestClient[Litestar], world: TwoStreets, engine: sa.Engine, box: Box, action: Action
) -> None:
    before = table_checksums(engine)
    response = _take(web, world, action)
    changed = changed_tables(before, table_checksums(engine))
    if changed:
        box.dirty = True
    bulk = "bulk" in action.path
    assert response.status_code < 500, f"{action.role} {action.method} {action.path}: {response.status_code}"
    assert not changed, f"{action.name}: {action.role}'s call ({response.status_code}) changed {', '.join(changed)}"
    if not bulk:  # bulk actions may answer 2xx listing what they skipped; nothing changed is what counts
        expected = sorted(action.refused)
        said = " ".join(response.text[:300].split())
        assert response.status_code in action.refused, (
            f"{action.name}: expected {expected}, got {response.status_code}: {said}"
        )
        if response.status_code == 400:
            named = ("street", "grid", "candidate")
            assert any(word in response.text for word in named), f"{action.name}: a 400 names the field: {said}"
    if action.role.startswith("partner") and response.status_code == 403:
        assert world.b.street.name_en in response.text or world.b.street.name in response.text, (
            "a partner refused a street is told which street"
        )


CONTROLS = [
    (Action("approve A's claim (page)", "admin A", "POST", "/review/{a_claim}/approve"), "match"),
    (Action("publish A's need (API)", "admin A", "POST", "/api/v1/needs/{a_review_need}/publish", {}, True), "need"),
    (Action("claim A's project (API)", "partner A", "POST", "/api/v1/projects/{a_project}/claims",
            {"kind": "whole"}, True), "match"),
    (Action("claim B's project as the partner serving both (API)", "partner both", "POST",
            "/api/v1/projects/{b_project}/claims", {"kind": "whole"}, True), "match"),
    (Action("acknowledge A's escalation (API)", "staff A", "POST", "/api/v1/escalations/{a_escalation}/acknowledge",
            {}, True), "escalation"),
    (Action("vet B's organization as the city admin (page)", "city admin", "POST",
            "/admin/organizations/{b_pending_org}/approve"), "organization"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "table"), CONTROLS, ids=[action.name for action, _ in CONTROLS])
def test_the_same_action_by_one_working_in_the_street_works_and_is_seen(
    web: TestClient[Litestar], world: TwoStreets, engine: sa.Engine, box: Box, action: Action, table: str
) -> None:
    """The control: the calls above are well formed (CSRF, body), so what refuses them is the street; and
    the checksum sees a change when one is made."""
    box.dirty = True
    before = table_checksums(engine)
    response = _take(web, world, action)
    assert _succeeded(response), f"{action.name}: {response.status_code} {response.text[:300]}"
    assert table in changed_tables(before, table_checksums(engine))
    if action.path.startswith("/review/"):
        with Session(engine) as db:
            assert db.get(Match, world.a.claim_id).status.value == "approved"  # type: ignore[union-attr]


def test_the_world_is_what_the_matrix_assumes(world: TwoStreets, street_factory: sessionmaker[Session]) -> None:
    assert world.city_admin.street_id is None and world.city_admin.role.value == "admin"
    assert world.a.admin.street_id == world.a.street.id and world.b.admin.street_id == world.b.street.id
    assert len(world.a.needs) == len(NeedStatus) and world.a.claim_id and world.b.claim_id
    assert json.dumps(MARKS) and re.search("BRAVOMARK", world.b.project.title)
