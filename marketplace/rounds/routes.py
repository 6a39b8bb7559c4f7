"""Every handler of the matching rounds."""

from typing import Any

ROUND_HANDLERS: list[Any] = []
