"""Every number a person typed (a form field, a query value, an address, a JSON string, a spreadsheet cell, a
command-line argument) is read in ASCII digits by one parser (``marketplace.whole_numbers``), never by a bare
``int()``, ``float()`` or ``Decimal()``: those take "１", "٣", " 3", "+3", "3_000", and the last two "1e3",
"nan" and "inf" too, so a token asked for "１" day lived one day, a claim of "１" brick was one brick and a query
``?page=1e3`` was page 1000. Such text is now answered like any other text that is no number: a 4xx naming the
field (an address naming nothing: a 404), never a 500 and never a number nobody wrote.

The class is held in three places: an AST scan of the app for conversions of request text outside the parser
(with a short allow-list, each with its reason), a scan of every input model's numeric fields for the shared
digits-only check (``validation.TYPED_INTEGER``/``TYPED_DECIMAL``/``TYPED_FLOAT``), and Litestar's own ``{id:int}``
path parameters (read with ``int()``) checked once for every route (``path_ids``).
"""

import ast
import functools
import importlib
import pkgutil
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

import marketplace
from marketplace.accounts.credentials import ApiToken
from marketplace.accounts.models import Role
from marketplace.cli import main
from marketplace.exchange.columns import CellProblem, day, decimal
from marketplace.exchange.volunteer_import import completion_rate
from marketplace.matches.models import Match
from marketplace.matches.page_forms import parse_quantity
from marketplace.needs.tracking import TrackingProblem, parse_reference
from marketplace.settings import Settings, SettingsError, parse_exploration
from marketplace.validation import InputModel
from marketplace.whole_numbers import TypedNumber, decimal_number, whole_number
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user, post_form, reading
from tests.security_world import session_identity, use

APP = Path(__file__).resolve().parents[1] / "marketplace"
# Text int(), float() or Decimal() read as a number, and nobody typing means: each is refused everywhere.
LOOSE = ("１", "٣", "3_000", "+3", "1e3", "¹")
CONVERTERS = {"int", "float", "Decimal"}

# --- the scan: no int()/float()/Decimal() of request text outside the parser ----------------------------------

# Calls on text-like values (methods of str, request/form/query/cell names, a str parameter) that a person never
# typed, each with its reason. A new entry needs one too; typed text goes through marketplace.whole_numbers.
ALLOWED = {
    "whole_numbers.py::whole_number": "the parser itself, after its ASCII-digits check",
    "whole_numbers.py::decimal_number": "the parser itself, after its ASCII pattern",
    "hostile_input.py::_check_int_text": "after whole_numbers.is_plain_integer",
    "forms.py::many": "ASCII digits checked on the same line (isascii() and isdigit())",
    "exchange/jobs.py::run_export": "a job's arguments, written by the app when the export was asked for",
    "jobs/kinds.py::system_check": "a job's arguments, written by `marketplace worker --check`",
    "rounds/jobs.py::run_round_job": "a job's arguments, written by the app when the round was started",
    "matches/claims.py::_line": "a ClaimRequest's quantity, already a Decimal from a parser",
    "organizations/credit_code.py::_org_value": "a character of a code already checked against its ASCII alphabet",
    "recognition/services.py::_period": "months the app wrote itself (strftime %Y-%m)",
    "matches/reasons.py::_line_now_needs": "a stored reason the app wrote, its quantity matched by [0-9]+(.[0-9]+)?",
    "dashboard/figure_charts.py::month_label": "months the database grouped by (YYYY-MM)",
    "serving/metrics_files.py::pids_with_metrics": "file names this app wrote (metrics-<pid>)",
    "serving/metrics_files.py::use_metrics_dir": "file names this app wrote (metrics-<pid>)",
}
_TEXT_METHODS = {"strip", "lstrip", "rstrip", "split", "rsplit", "partition", "group", "groups", "replace"}
_TEXT_METHODS |= {"removesuffix", "removeprefix", "lower", "upper", "decode", "getenv"}
_TEXT_NAMES = {"request", "form", "query_params", "params", "cell", "cells", "text", "typed", "raw", "arguments"}
_TEXT_NAMES |= {"argv", "environ", "path_params", "headers", "cookies"}
# What comes from the database, the settings or an ORM row is no typed text.
_NOT_TEXT = {"execute", "scalar_one", "scalar", "scalars", "rowcount", "total_seconds", "id", "settings", "state"}
_PARSERS = {"whole_number", "decimal_number", "typed_number", "is_plain_integer"}


def _text_annotation(node: ast.expr | None) -> bool:
    if node is None:
        return False
    parts = {part.strip() for part in ast.unparse(node).replace("Optional[", "").rstrip("]").split("|")}
    return "str" in parts


def _calls(nodes: list[ast.AST], names: set[str]) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names for node in nodes
    )


_WALKED: dict[int, tuple[ast.AST, list[ast.AST]]] = {}


def _walk(expr: ast.AST) -> list[ast.AST]:
    found = _WALKED.get(id(expr))
    if found is None or found[0] is not expr:
        found = _WALKED[id(expr)] = (expr, list(ast.walk(expr)))
    return found[1]


def _texty(expr: ast.AST, tainted: set[str]) -> bool:
    nodes = _walk(expr)
    if any(isinstance(node, ast.Attribute) and node.attr in _NOT_TEXT for node in nodes) or _calls(nodes, _PARSERS):
        return False
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TEXT_METHODS:
            return True
        if isinstance(node, ast.Name) and (node.id in _TEXT_NAMES or node.id in tainted):
            return True
        if isinstance(node, ast.Attribute) and node.attr in _TEXT_NAMES:
            return True
    return False


def _tainted(function: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST]) -> set[str]:
    """The names in ``function`` holding text: its str parameters and what is computed from text (3 hops)."""
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    names = {a.arg for a in every if _text_annotation(a.annotation)}
    bindings = [
        (node.value, node.targets) if isinstance(node, ast.Assign) else (node.iter, [node.target])
        for node in nodes
        if isinstance(node, ast.Assign | ast.comprehension | ast.For)
    ]
    for _hop in range(3):
        for value, targets in bindings:
            if _texty(value, names):
                names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def loose_conversions(root: Path = APP) -> list[str]:
    """``file::function: call`` for each int()/float()/Decimal() whose argument looks like text."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            nodes = list(ast.walk(function))
            tainted = set() if isinstance(function, ast.Lambda) else _tainted(function, nodes)
            for node in nodes:
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in CONVERTERS
                    and len(node.args) == 1
                    and not isinstance(node.args[0], ast.Constant)
                    and _texty(node.args[0], tainted)
                ):
                    where = f"{path.relative_to(root)}::{getattr(function, 'name', '<lambda>')}"
                    found.add(f"{where}: {ast.unparse(node)}")
        _WALKED.clear()
    return sorted(found)


@functools.cache
def _app_scan() -> tuple[str, ...]:
    return tuple(loose_conversions())


def test_no_int_float_or_decimal_of_typed_text_outside_the_parser() -> None:
    loose = [line for line in _app_scan() if line.split(": ", 1)[0] not in ALLOWED]
    assert loose == [], "read typed numbers with marketplace.whole_numbers (or allow one, with its reason):\n" + (
        "\n".join(loose)
    )


def test_the_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(
        "def days(form: dict, text: str, cell: str) -> None:\n"
        "    a = int(form['days'])\n"
        "    b = float(text)\n"
        "    part = cell.strip()\n"
        "    c = Decimal(part)\n"
        "    d = [int(piece) for piece in cell.split('-')]\n"
        "    e = int(db.execute(q).scalar_one())\n"
        "    f = int(whole_number(text) or 0)\n",
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in loose_conversions(tmp_path)]
    assert found == ["Decimal(part)", "float(text)", "int(form['days'])", "int(piece)"]


def test_the_allow_list_names_only_what_is_still_there() -> None:
    present = {line.split(": ", 1)[0] for line in _app_scan()}
    assert set(ALLOWED) <= present, sorted(set(ALLOWED) - present)


# --- input models: every number field carries the digits-only check ---------------------------------------------


def _checked(metadata: tuple[Any, ...]) -> bool:
    return any(getattr(getattr(item, "func", None), "typed_digits", False) for item in metadata)


def _unchecked(annotation: Any, where: str, seen: set[type], out: set[str], metadata: tuple[Any, ...] = ()) -> None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *_rest = typing.get_args(annotation)
        _unchecked(inner, where, seen, out, (*metadata, *annotation.__metadata__))
    elif origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, dict):
        for argument in typing.get_args(annotation):
            _unchecked(argument, where, seen, out, metadata)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _model_unchecked(annotation, seen, out)
    elif annotation in (int, float, Decimal) and not _checked(metadata):
        out.add(where)


def _model_unchecked(model: type[BaseModel], seen: set[type], out: set[str]) -> None:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        _unchecked(
            field.annotation, f"{model.__module__}.{model.__qualname__}.{name}", seen, out, tuple(field.metadata)
        )


def _subclasses(model: type) -> list[type]:
    return [sub for direct in model.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _import_every_module() -> None:
    """Every input model exists only once its module is imported; the scan must not depend on which
    modules earlier tests happened to import (CI found models this file alone never saw)."""
    for module in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def test_every_number_field_of_an_input_model_is_read_in_ascii_digits(app: Litestar) -> None:
    out: set[str] = set()
    seen: set[type] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                _unchecked(data.annotation, handler.handler_name, seen, out)
    _import_every_module()
    for model in _subclasses(InputModel):
        _model_unchecked(model, seen, out)
    assert seen and out == set(), "give these fields validation.TYPED_INTEGER / TYPED_DECIMAL / TYPED_FLOAT:\n" + (
        "\n".join(sorted(out))
    )


# --- the parsers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [*LOOSE, "nan", "inf", "-3", "3.", ".5e1"])
def test_the_parsers_read_ascii_digits_only(typed: str) -> None:
    assert whole_number(typed) is None and decimal_number(typed) is None and parse_quantity(typed) is None
    for cell in (decimal(), completion_rate):
        with pytest.raises(CellProblem):
            cell(typed) if typed != "-3" else cell("-x")
    with pytest.raises(CellProblem):
        day(f"{typed}-01-02")
    with pytest.raises(TrackingProblem):
        parse_reference(f"XQ-{typed}" if typed != "-3" else "XQ-3-")


def test_what_the_parsers_read() -> None:
    assert (whole_number("3"), whole_number("007"), decimal_number("2.50")) == (3, 7, Decimal("2.50"))
    assert parse_quantity(" 2,500 ") == 2500 and parse_quantity("2.5") == Decimal("2.5")
    assert decimal()("1,000.5") == Decimal("1000.5") and completion_rate("92%") == 0.92
    assert day("2026-12-31").isoformat() == "2026-12-31" and parse_reference("XQ-000202") == 202


@pytest.mark.parametrize("typed", LOOSE)
def test_settings_and_the_command_line_refuse_them(typed: str) -> None:
    with pytest.raises(SettingsError):
        parse_exploration(typed)
    with pytest.raises(click.BadParameter):
        TypedNumber(1, 10**9).convert(typed, None, None)
    # A token of "１" day was a token of one day; click's IntRange reads int() too.
    result = CliRunner().invoke(
        main, ["token", "create", "--user", "x", "--name", "n", "--scope", "needs:read", "--expires-days", typed]
    )
    assert result.exit_code == 2 and "--expires-days" in result.output, result.output
    result = CliRunner().invoke(main, ["match", "round", "--k", typed])
    assert result.exit_code == 2 and "--k" in result.output, result.output
    assert TypedNumber(1, 50).convert("20", None, None) == 20


# --- the forms, the API and the addresses ----------------------------------------------------------------------


def _spelled(number: int) -> list[str]:
    """``number`` as int() reads it and nobody writes it in an address."""
    digits = str(number)
    return [
        f"+{digits}",
        f" {digits}",
        f"0_{digits}",
        digits.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    ]


def test_litestar_path_ids_in_other_digits_name_nothing(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, make_grid(session))
    make_user(session, Role.ADMIN, username="root")
    session.commit()
    assert login(client, "root", DEFAULT_PASSWORD).status_code == 303
    assert client.get(f"/needs/{need.id}").status_code == 200
    assert client.get(f"/api/v1/needs/{need.id}").status_code == 200
    for typed in _spelled(need.id or 0):
        page, api = client.get(f"/needs/{typed}"), client.get(f"/api/v1/needs/{typed}")
        assert (page.status_code, api.status_code) == (404, 404), typed
        assert "need_id" in api.json()["detail"], (typed, api.text)


@pytest.mark.parametrize("typed", LOOSE)
def test_typed_query_integers_are_400_naming_the_parameter(
    client: TestClient[Any], session: Session, typed: str
) -> None:
    make_user(session, Role.ADMIN, username="root")
    session.commit()
    assert login(client, "root", DEFAULT_PASSWORD).status_code == 303
    answer = client.get("/api/v1/needs", params={"page": typed})
    assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "page", answer.text
    client.cookies.set("lang", "en")
    review = client.get("/review", params={"score": typed})
    assert review.status_code == 400 and "score" in review.text, typed


@pytest.mark.parametrize("typed", [*LOOSE, "nan"])
def test_a_claim_of_other_digits_is_400_on_the_quantity_by_form_and_by_api(
    client: TestClient[Any], session: Session, settings: Settings, typed: str
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="30")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": typed}
    api = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=person.headers)
    assert api.status_code == 400 and "quantity" in api.text, (typed, api.text)
    for field in ("resource_line_id", "offer_id"):
        api = client.post(
            f"/api/v1/projects/{need.id}/claims", json=body | {"quantity": "2", field: typed}, headers=person.headers
        )
        assert api.status_code == 400 and field in api.text, (typed, field, api.text)
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    form = {key: str(value) for key, value in body.items()}
    page = post_form(client, settings, f"/projects/{need.id}/claim", form)
    assert page.status_code == 400 and f'id="line-{line.id}-quantity-error"' in page.text, typed
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(Match)).scalar_one() == 0


@pytest.mark.parametrize("typed", [*LOOSE, " 3"])
def test_the_token_form_and_api_refuse_a_lifetime_in_other_digits(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings, typed: str
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    client.cookies.set("lang", "en")
    data = {"csrf_token": identity.csrf, "name": "hotline", "scopes": ["needs:read"], "user": str(admin.id)}
    answer = client.post("/admin/tokens", data=data | {"expires_days": typed}, follow_redirects=False)
    if typed == " 3":  # the spaces around a field are trimmed, as in every field: three days
        assert answer.status_code == 303, answer.text
        with reading(session) as fresh:
            [token] = fresh.execute(sa.select(ApiToken)).scalars().all()
            assert (
                token.expires_at is not None
                and round((token.expires_at - token.created_at).total_seconds() / 86400) == 3
            )
        return
    assert answer.status_code == 400 and "A whole number of days" in answer.text, typed
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "Write the number in the digits 0-9"), ("zh_CN", "请用半角数字 0-9 填写")]
)
def test_a_quantity_in_full_width_digits_is_told_which_digits_to_use(
    client: TestClient[Any], session: Session, settings: Settings, lang: str, said: str
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "50")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="30")
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)
    form = {"kind": "line", "resource_line_id": str(line.id), "offer_id": str(offer.id), "quantity": "２５"}
    page = post_form(client, settings, f"/projects/{need.id}/claim", form)
    assert page.status_code == 400 and said in page.text and 'value="２５"' in page.text
    form["quantity"] = "abc"
    assert said not in post_form(client, settings, f"/projects/{need.id}/claim", form).text
