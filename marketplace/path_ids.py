"""Ids in the address must fit the database's INTEGER columns; an address with NUL names nothing.

PostgreSQL answers a comparison of an INTEGER column with 2**40 by an error (a 500 for the visitor);
SQLite silently finds nothing. Checking every integer path parameter before any handler runs makes
both a 404 (nothing can have such an id) that names the parameter, on every route, present and future.
Litestar reads an ``{id:int}`` segment with ``int()``, which takes "１", "٣", " 3", "+3" and "3_000": the
segment as sent must be ASCII digits (``whole_numbers.is_plain_integer``), else the address names nothing.
The same hook then refuses hostile query values and bodies (``hostile_input``) with a 400.
"""

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from marketplace.hostile_input import refuse_hostile_input
from marketplace.validation import MAX_INT, MIN_INT
from marketplace.whole_numbers import is_plain_integer


def _typed_segments(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Each path parameter's text as sent, by its name (a parameter is always one whole segment)."""
    template = str(request.scope.get("path_template") or "")
    sent = request.scope["path"].rstrip("/").split("/")
    parts = template.rstrip("/").split("/")
    if len(parts) != len(sent):
        return {}
    return {part[1:-1]: text for part, text in zip(parts, sent, strict=True) if part.startswith("{")}


async def refuse_out_of_range_ids(request: Request[Any, Any, Any]) -> None:
    if "\x00" in request.scope["path"]:
        raise NotFoundException("no such page (the address contains a NUL character)")
    typed = _typed_segments(request) if any(isinstance(v, int) for v in request.path_params.values()) else {}
    for name, value in request.path_params.items():
        if isinstance(value, int) and name in typed and not is_plain_integer(typed[name]):
            raise NotFoundException(f"{name}: no such id (an id is written in the digits 0-9)")
        if isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            raise NotFoundException(f"{name}: no such id (ids are at most {MAX_INT})")
        if isinstance(value, str) and "\x00" in value:
            raise NotFoundException(f"{name}: no such page (the address contains a NUL character)")
    await refuse_hostile_input(request)
