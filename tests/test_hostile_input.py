"""Values out of range never reach the database or break a page (issue 12).

Every route is enumerated from the running application (its route table and OpenAPI description), so
routes added later are covered too: integers that no INTEGER column can hold, NUL in any text, malformed
JSON bodies, each sent by each kind of caller, are a 4xx naming the field, never a 500. Dates and
quantities have plausible ranges, and a record with an extreme date already in the database (written
before these rules, or by hand) still renders on every page and export that shows it.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.hostile_input import MAX_JSON_DEPTH
from marketplace.needs.models import Need, Shift
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from tests.security_world import Identity, Route, World, anonymous, app_routes, build_world, use

CALLERS = ("anonymous", "admin", "staff of another community", "partner of another organization", "volunteer")
HUGE_INTS = (2**31, 2**63, 2**64)
JSON_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    built = build_world(session, session_factory, settings)
    built.identities["anonymous"] = anonymous(settings)
    return built


def _send(client: TestClient[Any], identity: Identity, method: str, url: str, **kwargs: Any) -> Any:
    use(client, identity)
    headers = identity.headers() | {"Accept": "application/json"} | kwargs.pop("headers", {})
    return client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


def _path_for(route: Route, world: World) -> str:
    """The route's address with real ids, so the request gets past "no such id" to its parameters."""
    candidates = world.candidates()
    values = {}
    for name, kind in route.params:
        if kind == "int":
            key = next((k for k in candidates if k in name and isinstance(candidates[k][0], int)), "*")
            values[name] = candidates[key][0]
        else:
            values[name] = candidates.get(name, ["x"])[0]
    return route.fill(values)


# --- the routes' parameters, from the application itself ------------------------------------------------


def _openapi(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].split("/")[-1]]
    return schema


def _kinds(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, components)
    kinds = set()
    declared = schema.get("type")
    kinds.update(declared if isinstance(declared, list) else [declared] if declared else [])
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            kinds |= _kinds(sub, components)
    return kinds


def _is_free_text(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    schema = _resolve(schema, components)
    if "string" in (schema.get("type") or []) or schema.get("type") == "string":
        return not schema.get("enum") and not schema.get("format")
    return any(_is_free_text(sub, components) for key in ("oneOf", "anyOf") for sub in schema.get(key, []))


def _handler_int_params(route: Route) -> set[str]:
    """Integer query parameters the handler (or a dependency it uses) declares, documented or not."""
    from marketplace.hostile_input import integer_query_names

    return set(integer_query_names(route.handler)) - {name for name, _ in route.params}


def query_params(app: Litestar) -> Iterator[tuple[Route, str, str]]:
    """(route, parameter, "int" or "str") for every query parameter of every GET route."""
    spec = _openapi(app)
    components = spec.get("components", {}).get("schemas", {})
    for route in app_routes(app):
        if route.method != "GET":
            continue
        seen: set[str] = set()
        operation = spec["paths"].get(route.path.replace(":int", "").replace(":str", ""), {}).get("get", {})
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            kinds = _kinds(parameter.get("schema", {}), components)
            if "integer" in kinds:
                seen.add(parameter["name"])
                yield route, parameter["name"], "int"
            elif _is_free_text(parameter.get("schema", {}), components):
                yield route, parameter["name"], "str"
        for name in sorted(_handler_int_params(route) - seen):
            yield route, name, "int"


def json_routes(app: Litestar) -> Iterator[tuple[Route, dict[str, Any], dict[str, Any]]]:
    """(route, body schema, components) for every route that takes a JSON body."""
    spec = _openapi(app)
    components = spec.get("components", {}).get("schemas", {})
    for route in app_routes(app):
        if route.method not in JSON_METHODS:
            continue
        path = spec["paths"].get(route.path.replace(":int", "").replace(":str", ""), {})
        content = path.get(route.method.lower(), {}).get("requestBody", {}).get("content", {})
        if "application/json" in content:
            yield route, _resolve(content["application/json"].get("schema", {}), components), components


def _fields(schema: dict[str, Any], components: dict[str, Any], kind: str) -> Iterator[tuple[str, bool]]:
    """Top-level properties of ``kind`` ("integer", "string"); True when the property is a list of them."""
    for name, sub in _resolve(schema, components).get("properties", {}).items():
        kinds = _kinds(sub, components)
        if kind in kinds:
            yield name, False
        elif "array" in kinds:
            items = next(
                (s.get("items") for s in [_resolve(sub, components), *sub.get("anyOf", [])] if "items" in s), {}
            )
            if kind in _kinds(items or {}, components):
                yield name, True


def _fails(response: Any) -> bool:
    return response.status_code >= 500


# --- 1. integers ----------------------------------------------------------------------------------------


def test_every_integer_query_parameter_refuses_what_no_column_holds(
    app: Litestar, client: TestClient[Any], world: World
) -> None:
    params = [(route, name) for route, name, kind in query_params(app) if kind == "int"]
    assert len(params) >= 15  # the sweep covers the application, not a handful of parameters
    failures, unnamed = [], []
    for who in CALLERS:
        for route, name in params:
            for huge in HUGE_INTS:
                response = _send(client, world.identities[who], "GET", f"{_path_for(route, world)}?{name}={huge}")
                if _fails(response):
                    failures.append(f"{who}: {route.label}?{name}={huge} → {response.status_code}")
                elif response.status_code == 400 and name not in response.text:
                    unnamed.append(f"{who}: {route.label}?{name}")
    assert failures == []
    assert unnamed == []


def test_every_integer_in_a_json_body_refuses_what_no_column_holds(
    app: Litestar, client: TestClient[Any], world: World
) -> None:
    cases = [
        (route, name, is_list)
        for route, schema, components in json_routes(app)
        for name, is_list in _fields(schema, components, "integer")
    ]
    assert len(cases) >= 20
    failures = []
    for who in CALLERS:
        for route, name, is_list in cases:
            for huge in HUGE_INTS:
                body = {name: [huge] if is_list else huge}
                response = _send(client, world.identities[who], route.method, _path_for(route, world), json=body)
                if _fails(response) or (response.status_code == 400 and name not in response.text):
                    failures.append(f"{who}: {route.label} {name}={huge} → {response.status_code}")
    assert failures == []


def test_the_reported_integers_are_a_400_naming_the_field(client: TestClient[Any], world: World) -> None:
    admin = world.identities["admin"]
    for method, url, body, field in [
        ("POST", "/api/v1/notifications/read", {"ids": [2015401790358]}, "ids.0"),
        ("GET", "/api/v1/offers?grid_id=2147483648", None, "grid_id"),
        ("POST", "/api/v1/matches/bulk-approve", {"ids": [39996908329]}, "ids.0"),
        ("GET", "/api/v1/audit?object_id=%C2%B2", None, "object_id"),
        ("GET", "/offers?grid_id=18446744073709551616", None, "grid_id"),
    ]:
        response = _send(client, admin, method, url, json=body)
        assert response.status_code == 400, (url, response.text)
        assert field in response.text


# --- 2. NUL in text -------------------------------------------------------------------------------------


def test_nul_in_any_query_text_is_a_400_naming_it(app: Litestar, client: TestClient[Any], world: World) -> None:
    params = [(route, name) for route, name, kind in query_params(app) if kind == "str"]
    # Parameters nobody declared are refused too (a page may read one from the request itself).
    params += [(route, "anything") for route in app_routes(app) if route.method == "GET" and not route.params]
    assert len(params) >= 30
    failures = []
    for who in ("anonymous", "admin", "partner of another organization"):
        for route, name in params:
            response = _send(client, world.identities[who], "GET", f"{_path_for(route, world)}?{name}=a%00b")
            # Refused before anything reads it: by the guards (401/403), or as a 400 naming the parameter.
            if (
                response.status_code < 300
                or response.status_code >= 500
                or (response.status_code == 400 and name not in response.text)
            ):
                failures.append(f"{who}: {route.label}?{name} → {response.status_code}")
    assert failures == []


def test_nul_in_any_json_text_or_form_field_is_a_400_naming_it(
    app: Litestar, client: TestClient[Any], world: World
) -> None:
    cases = [
        (route, name, is_list)
        for route, schema, components in json_routes(app)
        for name, is_list in _fields(schema, components, "string")
    ]
    assert len(cases) >= 20
    failures = []
    for who in CALLERS:
        for route, name, is_list in cases:
            body = {name: ["a\x00b"] if is_list else "a\x00b"}
            response = _send(client, world.identities[who], route.method, _path_for(route, world), json=body)
            if response.status_code >= 500 or (response.status_code == 400 and name not in response.text):
                failures.append(f"{who}: {route.label} {name} → {response.status_code}")
    assert failures == []
    # Forms: every unsafe route that takes one, with a NUL in a field.
    admin = world.identities["admin"]
    for route in app_routes(app):
        if route.method == "POST" and not route.path.startswith("/api/"):
            data = {"csrf_token": admin.csrf, "title": "a\x00b"}
            response = _send(client, admin, "POST", _path_for(route, world), data=data)
            assert response.status_code < 500, route.label
            if response.status_code == 400 and "title" not in response.text:
                failures.append(route.label)
    assert failures == []


def test_nul_in_an_address_is_a_404(client: TestClient[Any], world: World) -> None:
    for url in ("/static/%00", "/static/app.css%00", "/needs/%00", "/api/v1/needs/%00", "/schema/%00"):
        response = _send(client, world.identities["anonymous"], "GET", url)
        assert response.status_code == 404, url


# --- 4. malformed bodies ----------------------------------------------------------------------------


MALFORMED = {
    "invalid UTF-8": b'{"username": "\xff\xfe"}',
    "deeply nested": b"[" * 50_000,
    "nested past the limit": b"[" * (MAX_JSON_DEPTH + 2) + b"]" * (MAX_JSON_DEPTH + 2),
    "truncated": b'{"username": ',
    "a string": b'"admin"',
    "a list": b"[]",
    "a number": b"12",
    "null": b"null",
}


def test_the_anonymous_login_refuses_malformed_bodies(client: TestClient[Any], world: World) -> None:
    for label, body in MALFORMED.items():
        response = _send(
            client,
            world.identities["anonymous"],
            "POST",
            "/api/v1/auth/login",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, (label, response.status_code, response.text[:200])


def test_every_json_route_refuses_malformed_bodies(app: Litestar, client: TestClient[Any], world: World) -> None:
    routes = [route for route, _schema, _components in json_routes(app)]
    assert len(routes) >= 20
    failures = []
    for who in CALLERS:
        for route in routes:
            for label, body in MALFORMED.items():
                response = _send(
                    client,
                    world.identities[who],
                    route.method,
                    _path_for(route, world),
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                if response.status_code >= 500 or response.status_code in (200, 201, 204):
                    failures.append(f"{who}: {route.label} {label} → {response.status_code}")
    assert failures == []


# --- 3. dates and quantities ----------------------------------------------------------------------------


def _offer_body(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "material",
        "category": "renovation",
        "title": "捐赠透水砖",
        "quantity": "100",
        "unit": "m²",
    } | overrides


def test_offer_dates_and_quantities_have_a_plausible_range(client: TestClient[Any], world: World) -> None:
    partner = world.identities["partner of another organization"]
    far = (datetime.now(UTC) + timedelta(days=366 * 11)).isoformat()
    for overrides, field in [
        ({"valid_until": "9999-12-31T23:59:59+00:00"}, "valid_until"),
        ({"valid_until": "9999-12-31T23:59:59-14:00"}, "valid_until"),
        ({"valid_until": "9999-12-31"}, "valid_until"),
        ({"valid_until": far}, "valid_until"),
        ({"valid_from": "0001-01-01T00:00:00+14:00"}, "valid_from"),
        ({"valid_until": "2030-01-01T00:00:00+15:00"}, "valid_until"),
        ({"quantity": "9999999999.99"}, "quantity"),
    ]:
        body = _offer_body(grid_ids=[world.ids["grid_y"]], **overrides)
        response = _send(client, partner, "POST", "/api/v1/offers", json=body)
        assert response.status_code == 400, (overrides, response.status_code, response.text[:300])
        assert field in response.text
    # Any real UTC offset is fine, from -14:00 to +14:00.
    for offset in ("-14:00", "+14:00", "+08:00"):
        until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0, tzinfo=None).isoformat() + offset
        body = _offer_body(grid_ids=[world.ids["grid_y"]], valid_until=until)
        response = _send(client, partner, "POST", "/api/v1/offers", json=body)
        assert response.status_code == 201, (offset, response.text[:300])


def test_need_due_dates_and_shift_times_have_a_plausible_range(client: TestClient[Any], world: World) -> None:
    from marketplace.validation import street_today
    from tests.needs_helpers import need_body

    admin = world.identities["admin"]
    need = world.ids["need_x"]
    too_far = (street_today() + timedelta(days=366 * 5 + 2)).isoformat()
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        grid_id = db.get(Need, need).grid_id  # type: ignore[union-attr]
    for due in ("9999-12-31", too_far):
        response = _send(client, admin, "POST", "/api/v1/needs", json=need_body(grid_id, due_date=due))
        assert response.status_code == 400 and "due_date" in response.text, response.text[:300]
    for starts, ends in [
        ("9999-12-31T00:00:00Z", "9999-12-31T03:00:00Z"),
        ("0001-01-01T00:00:00+14:00", "2030-01-05T05:00:00Z"),
        (
            (datetime.now(UTC) + timedelta(days=366 * 6)).isoformat(),
            (datetime.now(UTC) + timedelta(days=367 * 6)).isoformat(),
        ),
    ]:
        shift = {"title": "送餐", "location": "3号楼", "starts_at": starts, "ends_at": ends, "slots": 2}
        response = _send(client, admin, "POST", "/api/v1/needs", json=need_body(grid_id, shifts=[shift]))
        assert response.status_code == 400 and "starts_at" in response.text, response.text[:300]


def test_the_offer_form_and_import_refuse_year_9999(client: TestClient[Any], world: World, settings: Settings) -> None:
    partner = world.identities["partner of another organization"]
    grid_id = world.ids["grid_y"]
    form = _offer_body(grid_ids=str(grid_id), valid_until="9999-12-31", csrf_token=partner.csrf)
    response = _send(client, partner, "POST", "/offers/new", data=form, headers={"Accept": "text/html"})
    assert response.status_code == 400 and "9999" in response.text, response.status_code
    # The same form with a real date is taken (so the 400 above was the date's).
    form["valid_until"] = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    response = _send(client, partner, "POST", "/offers/new", data=form, headers={"Accept": "text/html"})
    assert response.status_code in (201, 302, 303), response.status_code
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        from marketplace.places.models import Grid

        code = db.get(Grid, grid_id).code  # type: ignore[union-attr]
    table = (
        "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"
        f"material,renovation,透水砖,,3200,平方米,,,9999-12-31,{code}\n"
        f"material,renovation,水泥,,5,袋,,0001-01-01,,{code}\n"
    ).encode()
    for url in ("/api/v1/offers/import", "/offers/import"):
        use(client, partner)
        response = client.post(
            url,
            files={"file": ("offers.csv", table, "application/octet-stream")},
            data={"csrf_token": partner.csrf},
            headers=partner.headers(),
        )
        assert response.status_code == 400, (url, response.status_code, response.text[:300])


def test_audit_search_outside_the_log_years_is_a_400(client: TestClient[Any], world: World) -> None:
    admin = world.identities["admin"]
    for query, field in [("from=0001-01-01&to=9999-12-31", "from"), ("to=9999-12-31", "to")]:
        for base in ("/api/v1/audit", "/admin/audit"):
            response = _send(client, admin, "GET", f"{base}?{query}")
            assert response.status_code == 400 and field in response.text, (base, query, response.status_code)


# --- 3b. extreme values already stored ----------------------------------------------------------------


def test_pages_and_exports_survive_extreme_dates_already_stored(
    client: TestClient[Any], world: World, session: Session
) -> None:
    offer = session.get(Offer, world.ids["offer_a"])
    assert offer is not None
    offer.valid_until = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    need = session.get(Need, world.ids["need_x"])
    assert need is not None
    need.due_date = date(9999, 12, 31)
    session.add_all([offer, need])
    session.add(
        Shift(
            need_id=need.id,
            title="志愿服务",
            location="社区广场",
            starts_at=datetime(9999, 12, 31, 0, 0, tzinfo=UTC),
            ends_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
            slots=3,
        )
    )
    session.commit()
    urls = [
        "/offers",
        f"/offers/{offer.id}",
        "/offers/export?format=csv",
        "/offers/export?format=xlsx",
        "/api/v1/offers",
        f"/api/v1/offers/{offer.id}",
        "/api/v1/offers/export?format=csv",
        "/api/v1/offers/export?format=xlsx",
        f"/needs/{need.id}",
        f"/projects/{need.id}",
        "/needs",
        "/needs/export.csv",
        "/needs/export.xlsx",
        f"/api/v1/needs/{need.id}",
        "/board",
    ]
    failures = []
    for who in ("admin", "partner of another organization", "volunteer"):
        for locale in ("zh_CN", "en"):
            for url in urls:
                headers = {"Accept": "text/html", "Accept-Language": locale}
                response = _send(client, world.identities[who], "GET", url, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{who} {locale}: {url} → {response.status_code}")
    assert failures == []
    use(client, world.identities["admin"])
    page = client.get("/offers", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "9999" in page.text
    export = client.get("/offers/export?format=csv")
    assert export.status_code == 200 and "9999-12-31" in export.content.decode("utf-8-sig")


def test_huge_integers_in_any_page_form_are_never_a_server_error(
    app: Litestar, client: TestClient[Any], world: World
) -> None:
    # The integer fields of the JSON bodies, as the pages' forms name them too.
    names = {
        name for _route, schema, components in json_routes(app) for name, _ in _fields(schema, components, "integer")
    }
    assert {"grid_id", "version"} <= names
    routes = [route for route in app_routes(app) if route.method == "POST" and not route.path.startswith("/api/")]
    failures = []
    for who in ("admin", "staff of another community", "partner of another organization", "volunteer"):
        identity = world.identities[who]
        for route in routes:
            for huge in HUGE_INTS:
                data = {name: str(huge) for name in names} | {"csrf_token": identity.csrf}
                response = _send(client, identity, "POST", _path_for(route, world), data=data)
                if response.status_code >= 500:
                    failures.append(f"{who}: {route.label} → {response.status_code}")
    assert failures == []
