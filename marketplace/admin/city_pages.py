"""The city page (/admin/city) and its JSON twin (GET /api/v1/city/streets): every street side by side.

For city admins only (an admin whose account names no street); a street admin gets 403.
"""

from typing import Annotated

from litestar import Controller, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from msgspec import Struct

from marketplace.admin.city import (
    SORT_KEYS,
    CityTotals,
    StreetRow,
    UnknownSort,
    by_district,
    city_streets,
    city_totals,
    parse_sort,
    sort_streets,
)
from marketplace.db.deps import ReaderSession
from marketplace.i18n import gettext as _
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import is_city_admin
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.guards import admin_only, sessions_only, signed_in, token_scope

SortParameter = Annotated[
    str | None,
    QueryParameter(description="Column to sort by (" + ", ".join(SORT_KEYS) + "); a leading '-' sorts descending"),
]


def city_admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Only an admin over every street; a street admin is refused (403)."""
    if not is_city_admin(signed_in(connection)):
        raise PermissionDeniedException("Only a city admin may compare the streets")


def _sorted_rows(reader: ReaderSession, sort: str | None) -> tuple[list[StreetRow], str, bool]:
    try:
        key, descending = parse_sort(sort)
    except UnknownSort:
        raise InvalidFilter("sort", _("unknown column to sort by")) from None
    return sort_streets(city_streets(reader), key, descending), key, descending


class CityPageController(Controller):
    path = "/admin/city"
    guards = [admin_only, sessions_only, city_admin_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="admin:city", sync_to_thread=True)
    def city(self, reader: ReaderSession, sort: SortParameter = None) -> Template | Redirect:
        rows, key, descending = _sorted_rows(reader, sort)
        context = page_context(
            reader,
            districts=by_district(rows),
            totals=city_totals(rows),
            sort_key=key,
            descending=descending,
        )
        return Template("admin/city.html", context=context)


class CityStreetsResponse(Struct):
    sort: str
    streets: list[StreetRow]
    totals: CityTotals


class CityApiController(Controller):
    """The city page's numbers as JSON (a city admin's session, or their token with the scope city:read)."""

    path = "/api/v1/city/streets"
    tags = ["city"]
    guards = [admin_only, token_scope("city:read"), city_admin_only]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get(
        "/",
        operation_id="listCityStreets",
        summary="Every street's figures side by side (city admins)",
        description="Per street: needs collected, open and solved, completion rate, average days to close, "
        "overdue and escalated needs, partners, volunteers, volunteer hours and the last matching round; "
        "the same numbers as /admin/city and as each street's /api/v1/stats?street=<code>.",
        sync_to_thread=True,
    )
    def streets(self, reader: ReaderSession, sort: SortParameter = None) -> CityStreetsResponse:
        rows, key, descending = _sorted_rows(reader, sort)
        return CityStreetsResponse(sort=("-" if descending else "") + key, streets=rows, totals=city_totals(rows))
