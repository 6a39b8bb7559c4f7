"""Every 4xx the API answers carries a stable code and, where a field is at fault, names it (docs/api_refusals.md).

The sweep reads the served OpenAPI document and sends every operation malformed input, as each role: each query
parameter with a wrong type, an unknown choice, control characters and an oversized value; each body property
with a wrong type, an unknown choice, control characters and an oversized value; invalid JSON, a body that is
no object, a body of the wrong Content-Type. Each answer in 400-499 must carry ``extra.code`` (an object) or a
``code`` and a ``key`` in each entry of ``extra`` (field problems); the answers are collected and shown together.
"""

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from marketplace.settings import Settings
from tests.fuzz_helpers import auth_headers, known_ids, seed_world
from tests.security_helpers import csrf_for

# Each role reaches other routes past the guards; anonymous callers are refused before (401), once per operation.
ROLES = ("volunteer", "partner", "admin")
OVERSIZED = "x" * 20_000
BAD_QUERY_VALUES = ("zzz-not-a-choice", "a\x01b\x7f", "a\x00b", OVERSIZED, "99999999999999999999")
BAD_BODY_VALUES: tuple[Any, ...] = (
    "zzz-not-a-choice",
    "a\x07b\u202ec",
    "a\x00b",
    OVERSIZED,
    [],
    True,
    2**40,
)


def _problems(answer: dict[str, Any]) -> list[str]:
    """What a 4xx body lacks: a code, or a key in a field problem."""
    extra = answer.get("extra")
    if isinstance(extra, dict):
        return [] if extra.get("code") else ["extra.code missing"]
    if isinstance(extra, list) and extra:
        lacks = []
        for entry in extra:
            if not isinstance(entry, dict) or not entry.get("code"):
                lacks.append(f"entry without code: {entry!r}"[:200])
            elif not entry.get("key"):
                lacks.append(f"field problem without key: {entry!r}"[:200])
        return lacks
    return [f"no code (extra: {extra!r})"[:200]]


def _path(template: str, ids: dict[str, list[int]]) -> str:
    path = template
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        name = path[start + 1 : end].split(":")[0]
        found = ids.get(name) or [1]
        path = path[:start] + str(found[0]) + path[end + 1 :]
    return path


def _body_properties(operation: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = schemas.get(ref.removeprefix("#/components/schemas/"), {})
    return list(schema.get("properties", {}))


def _requests(schema: dict[str, Any], ids: dict[str, list[int]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx keyword arguments) for each malformed request of each operation."""
    schemas = schema.get("components", {}).get("schemas", {})
    sent: list[tuple[str, str, dict[str, Any]]] = []
    for template, item in schema["paths"].items():
        if not template.startswith("/api/"):
            continue
        path = _path(template, ids)
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    for value in BAD_QUERY_VALUES:
                        sent.append((method, path, {"params": {parameter["name"]: value}}))
            if "requestBody" not in operation:
                continue
            for name in _body_properties(operation, schemas):
                for value in BAD_BODY_VALUES:
                    sent.append((method, path, {"json": {name: value}}))
            for raw in (b"{", b"[1, 2]", b"\xff\xfe", b"{}"):
                sent.append((method, path, {"content": raw, "headers": {"Content-Type": "application/json"}}))
            sent.append((method, path, {"content": b"{}", "headers": {"Content-Type": "text/plain"}}))
    return sent


@pytest.fixture
def world(app: Litestar, clean_engine: sa.Engine) -> tuple[dict[str, str], dict[str, list[int]]]:
    return seed_world(clean_engine), known_ids(clean_engine, per_table=2)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_every_4xx_of_the_api_has_a_code_and_names_the_field(
    role: str, app: Litestar, world: tuple[dict[str, str], dict[str, list[int]]]
) -> None:
    tokens, ids = world
    lacking: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    headers = {**auth_headers(tokens.get(role)), "Accept-Language": "en"}
    with TestClient(app=app) as client:
        sweep = _requests(client.get("/schema/openapi.json").json(), ids)
        assert len(sweep) > 1000
        if role == "anonymous":  # refused before any input is read: once per operation
            sweep = [(method, path, {}) for method, path in dict.fromkeys((m, p) for m, p, _kwargs in sweep)]
        for method, path, kwargs in sweep:
            answer = client.request(
                method.upper(), path, **{**kwargs, "headers": {**headers, **kwargs.get("headers", {})}}
            )
            statuses[answer.status_code] += 1
            assert answer.status_code < 500, f"{role} {method.upper()} {path} {kwargs!r:.200}: {answer.text}"
            if not 400 <= answer.status_code < 500:
                continue
            problems = _problems(answer.json())
            label = f"{method.upper()} {path} {answer.status_code}"
            if problems and label not in lacking:
                lacking[label] = f"{role} {kwargs!r:.120}: {problems[0]}"
    if role != "anonymous":  # the malformed input reached the checks, not only the guards
        assert statuses[400] > 100, statuses
    assert not lacking, "\n".join(f"{label}: {why}" for label, why in sorted(lacking.items()))


def test_a_refusal_says_its_field_in_the_readers_language_with_a_code(
    client: TestClient[Litestar], settings: Settings
) -> None:
    """Litestar's own validation errors get a code and the sentence in the reader's language; the English
    message stays for programs as ``schema_message``."""
    client.headers["X-CSRF-Token"] = csrf_for(client, settings)
    for language, sentence in (("en", "This value has the wrong type."), ("zh-CN", "此值的类型不对。")):
        answer = client.post("/api/v1/track", json={"ref": 5, "phone": "1"}, headers={"Accept-Language": language})
        assert answer.status_code == 400
        (entry,) = answer.json()["extra"]
        assert (entry["key"], entry["code"], entry["message"]) == ("ref", "wrong_type", sentence)
        assert answer.json()["detail"] == f"ref: {sentence}"
        assert entry["schema_message"].startswith("Expected `str`")
    answer = client.post("/api/v1/track", json={"ref": "a\x00b", "phone": "1"}, headers={"Accept-Language": "en"})
    (entry,) = answer.json()["extra"]
    assert (answer.status_code, entry["key"], entry["code"]) == (400, "ref", "control_characters")
    answer = client.post("/api/v1/track", json={"ref": "nonsense", "phone": "13800138000"})
    (entry,) = answer.json()["extra"]
    assert (answer.status_code, entry["key"], entry["code"]) == (400, "ref", "not_a_reference")
    answer = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert (answer.status_code, answer.json()["extra"]["code"]) == (404, "not_found")
