"""The OpenAPI document lists every answer the API really gives (what a client, or schemathesis, checks):
the error answers of each operation with the JSON error body, the file media types of the exports, and
no boolean passes for an integer."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from tests.needs_helpers import need_body, staff_with_token, token_for

FILE_TYPES = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _documented(schema: dict[str, Any], path: str, method: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def _is_public(client: TestClient[Any], path: str, method: str) -> bool:
    """Public means an anonymous caller is not turned away with a 401."""
    handler_paths = {
        route.path_format: route
        for route in client.app.routes
        if hasattr(route, "route_handlers") and route.path_format == path
    }
    route = handler_paths[path]
    handlers = [h for h in route.route_handlers if method.upper() in h.http_methods]  # type: ignore[attr-defined]
    return all(handler.opt.get("public") for handler in handlers)


def test_every_operation_documents_validation_and_access_errors(
    client: TestClient[Any], schema: dict[str, Any]
) -> None:
    missing: list[str] = []
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        expected = {"400"}
        if not _is_public(client, path, method):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if path.startswith("/api/"):
            expected.add("503")
        missing += [f"{method.upper()} {path}: {code}" for code in sorted(expected - codes)]
    assert not missing


def test_error_answers_carry_the_error_body(schema: dict[str, Any]) -> None:
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"status_code", "detail"}
    answer = schema["paths"]["/api/v1/needs"]["post"]["responses"]["401"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_specific_answers_are_documented_where_they_happen(schema: dict[str, Any]) -> None:
    assert {"401", "429"} <= _documented(schema, "/api/v1/auth/login", "post")
    assert "429" in _documented(schema, "/api/v1/track", "post")
    assert "413" in _documented(schema, "/api/v1/offers/import", "post")
    assert "409" in _documented(schema, "/api/v1/needs/{need_id}", "patch")
    assert "409" in _documented(schema, "/api/v1/matches/{match_id}/decision", "post")
    assert "401" not in _documented(schema, "/api/v1/projects", "get")  # public


def test_an_unknown_documentation_address_is_a_documented_html_404(
    client: TestClient[Any], schema: dict[str, Any]
) -> None:
    response = client.get("/schema/nothing-here")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "text/html" in schema["paths"]["/schema/{path}"]["get"]["responses"]["404"]["content"]


def test_exports_list_their_file_media_types(schema: dict[str, Any]) -> None:
    exports = [(path, method) for path, method, op in _operations(schema) if op["operationId"].startswith("export")]
    assert {path for path, _ in exports} >= {"/api/v1/offers/export", "/api/v1/projects/export"}
    for path, method in exports:
        content = schema["paths"][path][method]["responses"]["200"]["content"]
        assert set(content) == FILE_TYPES, path


def test_the_reference_page_lists_the_same_answers(client: TestClient[Any]) -> None:
    page = client.get("/schema")
    assert page.status_code == 200
    assert "409" in page.text and "503" in page.text and "text/csv" in page.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grid_id": True}, "grid_id"),
        (
            {
                "shifts": [
                    {
                        "title": "x",
                        "starts_at": "2030-01-05T03:00:00Z",
                        "ends_at": "2030-01-05T05:00:00Z",
                        "slots": True,
                    }
                ]
            },
            "shifts.0.slots",
        ),
    ],
)
def test_a_boolean_for_an_integer_is_a_400_naming_the_field(
    client: TestClient[Any], session: Session, change: dict[str, Any], field: str
) -> None:
    staff = staff_with_token(session)
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id) | change, headers=staff.headers)
    assert response.status_code == 400, response.text
    assert field in {item["key"] for item in response.json()["extra"]}


def test_booleans_stay_booleans_where_the_model_says_boolean(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    assert response.status_code == 201, response.text


def test_real_error_answers_are_documented_for_their_operation(
    client: TestClient[Any], session: Session, schema: dict[str, Any]
) -> None:
    staff = staff_with_token(session)
    reader = {"Authorization": f"Bearer {token_for(session, staff.user, ('needs:read',))}"}
    created = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    assert created.status_code == 201, created.text
    need = f"/api/v1/needs/{created.json()['id']}"
    assert client.patch(need, json={"version": 1, "title": "新标题"}, headers=staff.headers).status_code == 200
    answers = [
        ("/api/v1/needs", "get", client.get("/api/v1/needs")),  # anonymous
        ("/api/v1/needs", "post", client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=reader)),
        ("/api/v1/needs/{need_id}", "get", client.get("/api/v1/needs/999999", headers=staff.headers)),
        (
            "/api/v1/needs/{need_id}",
            "patch",
            client.patch(need, json={"version": 1, "title": "旧"}, headers=staff.headers),
        ),
        ("/api/v1/needs", "post", client.post("/api/v1/needs", json={"grid_id": "x"}, headers=staff.headers)),
        ("/api/v1/offers/import", "post", client.post("/api/v1/offers/import")),  # anonymous, no CSRF
    ]
    statuses = [response.status_code for _, _, response in answers]
    assert statuses == [401, 403, 404, 409, 400, 403]  # the last: no CSRF token
    for path, method, response in answers:
        assert str(response.status_code) in _documented(schema, path, method), (path, method, response.status_code)
        assert {"status_code", "detail"} <= set(response.json()), response.text
