"""Ids in the address must fit the database's INTEGER columns.

PostgreSQL answers a comparison of an INTEGER column with 2**40 by an error (a 500 for the visitor);
SQLite silently finds nothing. Checking every integer path parameter before any handler runs makes
both a 404 (nothing can have such an id) that names the parameter, on every route, present and future.
"""

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from marketplace.validation import MAX_INT


def refuse_out_of_range_ids(request: Request[Any, Any, Any]) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, int) and not -MAX_INT - 1 <= value <= MAX_INT:
            raise NotFoundException(f"{name}: no such id (ids are at most {MAX_INT})")
