"""The API fuzzed with schemathesis against a real server: no server error, and every answer is one the
OpenAPI document describes (status, media type, headers, body), for each role.

The fast CI profile: Hypothesis draws a few positive and a few negative cases per operation with a fixed
seed (reproducible), for anonymous callers and API tokens of the four demo roles over Hudao Street, half
the path ids pointing at rows that exist. Every example is checked; the failures are collected and shown
together. The long run (>= 100 examples per operation and role, plus the stateful phase) is
benchmarks/api_fuzz.py.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from marketplace.system.openapi_responses import NEVER_CONFLICT
from tests.fuzz_helpers import ROLES, fuzz_schema, known_ids, seed_world
from tests.live_app import LiveApp, live_app  # noqa: F401  (the fixture)

# Positive and as many negative cases per operation and role: about 400 requests a role.
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
