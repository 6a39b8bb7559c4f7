"""A fixture that records every template rendered during a test and whether it ran on the event loop."""

from typing import Any

import jinja2
import pytest

from marketplace.db.engine import _on_event_loop


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every template rendered while the test runs, with whether it was on the event loop."""
    seen: list[tuple[str, bool]] = []
    original = jinja2.Template.render

    def render(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        seen.append((self.name or "", _on_event_loop()))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", render)
    return seen
