"""Fuzzing the API with schemathesis against a real server: the world, the identities and the loop.

Used by tests/test_api_fuzz.py (the fast CI profile) and benchmarks/api_fuzz.py (the long run).

* ``seed_world`` seeds Hudao Street (the demo's scenario, ~2 s) and gives each demo account an API
  token with every scope: a token never does more than its user's role allows, so the role decides.
* ``known_ids`` reads ids that exist, so that half the generated path ids hit real rows (schemathesis
  alone draws integers that are almost always 404s).
* ``fuzz_schema`` runs every operation of the served document with positive and negative data under
  Hypothesis and validates each answer with the checks below; it records every failure instead of
  stopping at the first, so one run reports them all.
"""

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.security.tokens import TOKEN_SCOPES, create_api_token

ROLES = ("anonymous", "volunteer", "partner", "staff", "admin")
# Server errors, and answers the document does not describe (status, media type, headers, body).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SERVER_ERROR_CHECKS = frozenset({"not_a_server_error"})
# Path parameter -> the table whose ids exist in the seeded world.
ID_TABLES = {
    "need_id": "need",
    "shift_id": "shift",
    "line_id": "resource_line",
    "match_id": "match",
    "signup_id": "shift_signup",
    "offer_id": "offer",
    "organization_id": "organization",
    "escalation_id": "escalation",
}


def seed_world(engine: sa.Engine) -> dict[str, str]:
    """Seed Hudao Street into the empty, migrated database; an API token per demo role (``role -> secret``)."""
    from seeds.demo_accounts import DEMO_ACCOUNTS
    from seeds.hudao import seed_hudao

    seed_hudao(engine)
    tokens: dict[str, str] = {}
    with Session(engine) as db:
        for account in DEMO_ACCOUNTS:
            user = db.execute(sa.select(User).where(User.username == account.username)).scalar_one()
            secret, _row = create_api_token(
                db,
                user_id=user.id,
                name="fuzz",
                scopes=list(TOKEN_SCOPES),
                created_by_id=None,  # type: ignore[arg-type]
            )
            tokens[account.role.value] = secret
        db.commit()
    return tokens


def known_ids(engine: sa.Engine, per_table: int = 40) -> dict[str, list[int]]:
    """Some existing ids for each path parameter (the lowest and highest, where fuzzing finds variety)."""
    found: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for name, table in ID_TABLES.items():
            ids = list(connection.exec_driver_sql(f'SELECT id FROM "{table}" ORDER BY id').scalars())
            half = per_table // 2
            found[name] = sorted(set(ids[:half] + ids[-half:]))
    return found


def auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass
class FuzzFailure:
    operation: str
    check: str
    status: int
    title: str
    detail: str

    @property
    def is_server_error(self) -> bool:
        return self.check == "ServerError" or self.status >= 500

    def __str__(self) -> str:
        return f"{self.operation}: {self.check} ({self.status}) {self.title}\n{self.detail}"


@dataclass
class FuzzReport:
    role: str
    operations: int = 0
    examples: int = 0
    stateful_steps: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[FuzzFailure] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def server_errors(self) -> list[FuzzFailure]:
        return [f for f in self.failures if f.is_server_error]

    @property
    def schema_violations(self) -> list[FuzzFailure]:
        return [f for f in self.failures if not f.is_server_error]

    def distinct_failures(self) -> list[FuzzFailure]:
        """One failure per operation, check and status (the same cause repeats across examples)."""
        seen: dict[tuple[str, str, int], FuzzFailure] = {}
        for failure in self.failures:
            seen.setdefault((failure.operation, failure.check, failure.status), failure)
        return list(seen.values())

    def summary(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "operations": self.operations,
            "examples": self.examples,
            "stateful_steps": self.stateful_steps,
            "server_errors": len(self.server_errors),
            "schema_violations": len(self.schema_violations),
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "elapsed_seconds": round(self.elapsed, 1),
        }


def _with_known_ids(strategy: st.SearchStrategy[Any], ids: dict[str, list[int]]) -> st.SearchStrategy[Any]:
    """Cases whose path ids are, half of the time each, an id that exists."""

    @st.composite
    def cases(draw: st.DrawFn) -> Any:
        case = draw(strategy)
        for name in list(case.path_parameters or {}):
            if ids.get(name) and draw(st.booleans()):
                case.path_parameters[name] = draw(st.sampled_from(ids[name]))
        return case

    return cases()


def _record(report: FuzzReport, label: str, status: int, failures: Iterable[Failure]) -> None:
    for failure in failures:
        detail = failure.message.strip().splitlines()
        report.failures.append(
            FuzzFailure(label, type(failure).__name__, status, failure.title, "\n".join(detail[:12])[:1500])
        )


def fuzz_schema(
    schema_url: str,
    *,
    role: str,
    token: str | None,
    ids: dict[str, list[int]],
    max_examples: int,
    seed: int = 12,
    include: Callable[[str], bool] = lambda label: True,
) -> FuzzReport:
    """Every operation of the served document, ``max_examples`` positive and as many negative cases each."""
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(schema_url)
    base_url = schema_url.split("/schema/")[0]
    headers = auth_headers(token)
    report = FuzzReport(role=role)
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if not include(label):
                continue
            report.operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_operation(operation, mode, report, label, session, base_url, headers, ids, max_examples, seed)
    report.elapsed = time.monotonic() - started
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    report: FuzzReport,
    label: str,
    session: requests.Session,
    base_url: str,
    headers: dict[str, str],
    ids: dict[str, list[int]],
    max_examples: int,
    seed: int,
) -> None:
    try:
        strategy = _with_known_ids(operation.as_strategy(generation_mode=mode), ids)
    except Exception as exc:  # e.g. no negative data possible for an operation without parameters
        if mode is GenerationMode.NEGATIVE:
            return
        raise AssertionError(f"{label}: no strategy: {exc}") from exc

    # Every example is sent and checked; failures are recorded, not raised, so Hypothesis neither
    # stops nor shrinks (on a live database shrinking replays writes). Seeded: a run is reproducible.
    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.seed(seed)
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
        report.examples += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            _record(report, label, response.status_code, group.exceptions)
        except Failure as failure:
            _record(report, label, response.status_code, [failure])

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # a negative mode with nothing to negate
        run()


def fuzz_stateful(
    schema_url: str, *, report: FuzzReport, token: str | None, max_examples: int, step_count: int = 10
) -> int:
    """Schemathesis' stateful phase: chains of calls along the links it infers (an id a response gave is
    used in the next path). Failures are added to ``report``; the number of links found is returned."""
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(schema_url)
    base_url = schema_url.split("/schema/")[0]
    headers = auth_headers(token)
    session = requests.Session()
    machine = schema.as_state_machine()
    links = schema.statistic.transitions.total

    class Recording(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "session": session, "headers": headers, "timeout": 60}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            label = f"{case.operation.method.upper()} {case.operation.path}"
            report.stateful_steps += 1
            report.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                _record(report, f"stateful {label}", response.status_code, group.exceptions)
            except Failure as failure:
                _record(report, f"stateful {label}", response.status_code, [failure])

    with session:
        Recording.run(settings=_stateful_settings(max_examples, step_count))
    report.elapsed += time.monotonic() - started
    return int(links)


def _stateful_settings(max_examples: int, step_count: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        stateful_step_count=step_count,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
