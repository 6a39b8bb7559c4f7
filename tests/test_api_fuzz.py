"""The API fuzzed with schemathesis against a real server: no server error, and every answer is one the
OpenAPI document describes (status, media type, headers, body), for each role.

The fast CI profile: Hypothesis draws a few positive and a few negative cases per operation with a fixed
seed (reproducible), for anonymous callers and API tokens of the four demo roles over Hudao Street, half
the path ids pointing at rows that exist. Every example is checked; the failures are collected and shown
together. The long run (50 positive and 50 negative cases per operation and role, the stateful phase
and schemathesis' own coverage phase, which also sends undeclared methods) is benchmarks/api_fuzz.py.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import sqlalchemy as sa

from marketplace.system.openapi_responses import NEVER_CONFLICT
from tests.fuzz_helpers import CHECKS, ROLES, fuzz_schema, known_ids, seed_world
from tests.live_app import LiveApp, live_app  # noqa: F401  (the fixture)

# Positive and as many negative cases per operation and role: about 350 requests a role.
CI_EXAMPLES = 3
CI_SEED = 2026


@pytest.fixture
def world(live_app: LiveApp, clean_engine: sa.Engine) -> Iterator[tuple[LiveApp, dict[str, str]]]:  # noqa: F811
    tokens = seed_world(clean_engine)
    yield live_app, tokens


@pytest.mark.slow
@pytest.mark.parametrize(
    "role", [pytest.param(role, marks=pytest.mark.xdist_group(f"api_fuzz_{role}")) for role in ROLES]
)
def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(
    role: str, world: tuple[LiveApp, dict[str, str]], clean_engine: sa.Engine
) -> None:
    live, tokens = world
    report = fuzz_schema(
        f"{live.base_url}/schema/openapi.json",
        role=role,
        token=tokens.get(role),
        ids=known_ids(clean_engine),
        max_examples=CI_EXAMPLES,
        seed=CI_SEED,
    )
    assert report.operations >= 60, report.summary()
    problems = "\n\n".join(str(failure) for failure in report.distinct_failures())
    assert not report.failures, f"{report.summary()}\n\n{problems}"
    # The seeded rows are reached: not every answer is a refusal or a 404.
    assert report.statuses[200] > 0, report.summary()


def _schema(live: LiveApp) -> dict[str, Any]:
    with live.client() as client:
        return client.get("/schema/openapi.json").json()


def test_409_is_documented_only_where_a_conflict_can_happen(live_app: LiveApp) -> None:  # noqa: F811
    schema = _schema(live_app)
    documented = {
        operation["operationId"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "409" in operation.get("responses", {})
    }
    assert not documented & NEVER_CONFLICT
    assert {"updateNeed", "createNeed", "decideMatch", "withdrawOffer", "signUpForShift", "checkIn"} <= documented
    assert "409" not in schema["paths"]["/api/v1/auth/logout"]["post"]["responses"]


def test_a_json_body_over_the_limit_is_the_documented_413(
    live_app: LiveApp,  # noqa: F811
    clean_engine: sa.Engine,
) -> None:
    tokens = seed_world(clean_engine)
    schema = _schema(live_app)
    assert "413" in schema["paths"]["/api/v1/needs"]["post"]["responses"]
    assert "413" in schema["paths"]["/api/v1/offers/import"]["post"]["responses"]
    assert "413" not in schema["paths"]["/api/v1/needs"]["get"]["responses"]  # reads no body
    body = b'{"title": "' + b"x" * 11_000_000 + b'"}'
    with live_app.client(token=tokens["staff"]) as client:
        response = client.post("/api/v1/needs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == 413


def test_an_unknown_schema_address_is_an_html_404_not_a_200(live_app: LiveApp) -> None:  # noqa: F811
    response = httpx.get(f"{live_app.base_url}/schema/nothing-here", timeout=30)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def _validated(live: LiveApp, path: str, method: str, response: httpx.Response, **case: Any) -> None:
    """Check a real answer against the served document with the fuzzing checks (raises when undocumented)."""
    response.request.read()  # a multipart request is streamed; the check reads what was sent
    operation = schemathesis.openapi.from_url(f"{live.base_url}/schema/openapi.json")[path][method]
    operation.Case(**case).validate_response(response, checks=CHECKS)


def test_signing_up_again_answers_the_documented_200_with_the_existing_sign_up(
    live_app: LiveApp,  # noqa: F811
    clean_engine: sa.Engine,
) -> None:
    tokens = seed_world(clean_engine)
    with clean_engine.connect() as connection:
        query = sa.text("SELECT id FROM shift WHERE starts_at > CURRENT_TIMESTAMP ORDER BY starts_at DESC")
        shift_ids = list(connection.execute(query).scalars())
    path = "/api/v1/shifts/{shift_id}/signups"
    with live_app.client(token=tokens["volunteer"]) as client:
        first = next(
            (r for r in (client.post(f"/api/v1/shifts/{i}/signups") for i in shift_ids[:40]) if r.status_code == 201),
            None,
        )
        assert first is not None, "no shift open to the demo volunteer"
        again = client.post(f"/api/v1/shifts/{first.json()['shift_id']}/signups")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    for response in (first, again):
        _validated(live_app, path, "POST", response, path_parameters={"shift_id": first.json()["shift_id"]})


def test_a_refused_import_answers_the_documented_400_report(
    live_app: LiveApp,  # noqa: F811
    clean_engine: sa.Engine,
) -> None:
    tokens = seed_world(clean_engine)
    with clean_engine.connect() as connection:
        grid_code = connection.execute(sa.text("SELECT code FROM grid ORDER BY id")).scalars().first()
    header = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"
    rows = header + f"material,renovation,水泥,,五袋,袋,,,,{grid_code}\n"  # a quantity that is no number
    with live_app.client(token=tokens["partner"]) as client:
        response = client.post("/api/v1/offers/import", files={"file": ("offers.csv", rows.encode(), "text/csv")})
    assert response.status_code == 400, response.text
    assert response.json()["invalid_rows"] == [2] and response.json()["imported"] == 0
    _validated(live_app, "/api/v1/offers/import", "POST", response, media_type="multipart/form-data", body={})


@pytest.mark.parametrize("path", ["/api/v1/grids", "/api/v1/projects?page=1", "/api/v1/stats", "/schema", "/healthz"])
def test_options_on_a_public_address_answers_the_allowed_methods(live_app: LiveApp, path: str) -> None:  # noqa: F811
    # Litestar's own OPTIONS handler took no weak reference in the hostile-input cache: a 500 (found by fuzzing).
    response = httpx.options(f"{live_app.base_url}{path}", timeout=30)
    assert response.status_code == 204, response.text
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/grids", "/"])
def test_an_undeclared_method_is_a_405_naming_the_allowed_ones(live_app: LiveApp, path: str) -> None:  # noqa: F811
    response = httpx.request("TRACE", f"{live_app.base_url}{path}", timeout=30)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def test_an_unusable_filter_is_a_400_not_a_logged_server_error(live_app: LiveApp) -> None:  # noqa: F811
    # Fuzzing filled the log with tracebacks ("unhandled error") for 400s of unknown filter values.
    for path in ("/api/v1/projects?community=999999", "/api/v1/projects/export?category=nope"):
        response = httpx.get(f"{live_app.base_url}{path}", timeout=30)
        assert response.status_code == 400, response.text
    assert "unhandled error" not in live_app.log()
