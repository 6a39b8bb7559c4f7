"""Ids in the address must fit the database's INTEGER columns; an address with NUL names nothing.

PostgreSQL answers a comparison of an INTEGER column with 2**40 by an error (a 500 for the visitor);
SQLite silently finds nothing. Checking every integer path parameter before any handler runs makes
both a 404 (nothing can have such an id) that names the parameter, on every route, present and future.
The same hook then refuses hostile query values and bodies (``hostile_input``) with a 400.
"""

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from marketplace.hostile_input import refuse_hostile_input
from marketplace.validation import MAX_INT, MIN_INT


async def refuse_out_of_range_ids(request: Request[Any, Any, Any]) -> None:
    if "\x00" in request.scope["path"]:
        raise NotFoundException("no such page (the address contains a NUL character)")
    for name, value in request.path_params.items():
        if isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            raise NotFoundException(f"{name}: no such id (ids are at most {MAX_INT})")
        if isinstance(value, str) and "\x00" in value:
            raise NotFoundException(f"{name}: no such page (the address contains a NUL character)")
    await refuse_hostile_input(request)
