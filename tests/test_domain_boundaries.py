"""The house's layout holds: every domain names its modules the same way, and reaches another domain only
through that domain's services (or its models and schemas, the data they share).

A rule that lives in one module (who serves a street, what a claim may pair) can then change in one place:
no page or job of another domain reaches past the services into it.
"""

import ast
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "marketplace"
# Shared machinery every domain uses; not domains themselves.
INFRASTRUCTURE = {"db", "security", "i18n", "serving", "system", "static"}
SHARED = {"services", "models", "schemas"}
# Web-layer reuse, each with its reason: the recommendations API lives under the need API's path and answers
# its errors and its match rows exactly as the need and match APIs do; the matching CLI group shows the rounds
# command beside training and evaluation.
ALLOWED = {
    ("recommend", "marketplace.matches.api", "match_out"),
    ("recommend", "marketplace.needs.api", "NEED_EXCEPTION_HANDLERS"),
    ("recommend", "marketplace.rounds.cli", "round_command"),
}
# Names that say what a module is, one per kind: handlers of pages and of the JSON API, route lists,
# services, tables, schemas. Other names describe a topic (claims.py, board.py).
NOT_KIND_NAMES = {"controllers.py", "service.py", "views.py", "handlers.py", "endpoints.py"}


def domains() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - INFRASTRUCTURE


def crossings() -> list[str]:
    """Every import of another domain's module other than its services, models or schemas."""
    found = []
    known = domains()
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] not in known:
            continue
        own = parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("marketplace."):
                names = node.module.split(".")
                if names[1] not in known or names[1] == own:
                    continue
                for alias in node.names:
                    module = node.module if len(names) > 2 else f"{node.module}.{alias.name}"
                    if module.split(".")[2] in SHARED or (own, node.module, alias.name) in ALLOWED:
                        continue
                    found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {alias.name} from {module}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names = alias.name.split(".")
                    inside = names[0] == "marketplace" and len(names) > 2 and names[1] in known
                    if inside and names[1] != own and names[2] not in SHARED:
                        found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {alias.name}")
    return found


def test_a_domain_reaches_another_only_through_its_services() -> None:
    assert crossings() == []


def test_every_domain_names_its_modules_by_kind() -> None:
    misnamed = [
        str(path.relative_to(ROOT.parent))
        for name in domains()
        for path in (ROOT / name).glob("*.py")
        if path.name in NOT_KIND_NAMES
    ]
    assert misnamed == []


def surfaces() -> list[tuple[str, str, str]]:
    found = []
    for name in sorted(domains()):
        services = importlib.import_module(f"marketplace.{name}.services")
        for exported, sibling in getattr(services, "_SURFACE", {}).items():
            found.append((name, exported, sibling))
    return found


@pytest.mark.parametrize(("domain", "name", "sibling"), surfaces())
def test_each_name_a_domain_offers_is_there(domain: str, name: str, sibling: str) -> None:
    """A name in a services module's surface resolves to the sibling's own object (no stale entry)."""
    services = importlib.import_module(f"marketplace.{domain}.services")
    owner = importlib.import_module(f"marketplace.{domain}.{sibling}")
    assert getattr(services, name) is getattr(owner, name)


def test_a_name_a_domain_does_not_offer_is_an_attribute_error() -> None:
    services = importlib.import_module("marketplace.places.services")
    with pytest.raises(AttributeError, match="no_such_name"):
        services.no_such_name  # noqa: B018
