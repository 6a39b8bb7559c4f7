"""How a domain's services.py offers other domains what they use of its modules (``_SURFACE``).

Every domain reaches another only through that domain's ``services`` (tests/test_domain_boundaries.py). A
services module names the functions of its sibling modules that others use and resolves each on first
use: importing them eagerly would make every sibling that imports its own domain's services a cycle.
"""

import importlib
from typing import Any


def surface_attribute(module_name: str, surface: dict[str, str], name: str) -> Any:
    """The module-level ``__getattr__`` of a services module: ``name`` from the sibling module it lives in."""
    sibling = surface.get(name)
    if sibling is None:
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    package = module_name.rpartition(".")[0]
    return getattr(importlib.import_module(f"{package}.{sibling}"), name)
