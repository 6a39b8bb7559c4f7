"""The staff need list's filters, defined once: read from the query string, written back into links, and kept
in a background job's arguments.

The list page (needs/staff_pages.py), its CSV and Excel exports and their export job (marketplace/exchange)
all take their ``NeedFilters`` from here, so an export selects exactly the rows the list shows: a filter added
to the list is a parameter added to ``staff_list_filters`` and a line in ``filter_query``, nowhere else.
"""

from dataclasses import asdict, fields
from enum import Enum
from typing import Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from marketplace.i18n import gettext as _
from marketplace.needs import submissions, tracking
from marketplace.needs.models import NeedStatus
from marketplace.needs.services import NeedFilters
from marketplace.query_filters import InvalidFilter
from marketplace.vocabulary import Category, IntakeChannel, Urgency

# The query parameter of each NeedFilters field whose name differs (the list's links have always said so).
_PARAMETER = {"grid_id": "grid", "community_id": "community", "need_id": "q"}
_ENUMS: dict[str, type[Enum]] = {
    "status": NeedStatus,
    "category": Category,
    "channel": IntakeChannel,
    "urgency": Urgency,
}


def reference_filter(text: str | None) -> int | None:
    """The need id of a reference number as residents quote it (XQ-000202, xq202, 202); empty: no filter."""
    reference = (text or "").strip()[:64]
    if not reference:
        return None
    try:
        return tracking.parse_reference(reference)
    except tracking.TrackingProblem as problem:
        raise InvalidFilter("q", _(problem.message)) from None


def staff_list_filters(
    status: FromQuery[NeedStatus | None] = None,
    category: FromQuery[Category | None] = None,
    grid: FromQuery[int | None] = None,
    community: FromQuery[int | None] = None,
    channel: FromQuery[IntakeChannel | None] = None,
    urgency: FromQuery[Urgency | None] = None,
    to_review: FromQuery[bool] = False,
    overdue: FromQuery[bool] = False,
    ready_to_verify: FromQuery[bool] = False,
    q: FromQuery[str | None] = None,
) -> NeedFilters:
    """The filters of the staff need list's query string (a Litestar dependency: a value it cannot use is the
    same 400 naming the parameter on the list and on its exports)."""
    return NeedFilters(
        status=status,
        category=category,
        grid_id=grid,
        community_id=community,
        channel=channel,
        urgency=urgency,
        to_review=to_review,
        need_id=reference_filter(q),
        overdue=overdue,
        ready_to_verify=ready_to_verify,
    )


# Handlers declare ``filters: ListFilters`` with ``dependencies=LIST_FILTERS``: the list and its exports.
ListFilters: TypeAlias = NamedDependency[NeedFilters]
LIST_FILTERS = {"filters": Provide(staff_list_filters, sync_to_thread=False)}


def filter_query(filters: NeedFilters) -> dict[str, str]:
    """The query string that gives ``staff_list_filters`` these filters again: the export links, the paging."""
    query: dict[str, str] = {}
    for key, value in asdict(filters).items():
        if value is None or value is False:
            continue
        name = _PARAMETER.get(key, key)
        if key == "need_id":
            query[name] = submissions.reference_number(value)
        elif value is True:
            query[name] = "true"
        else:
            query[name] = str(getattr(value, "value", value))
    return query


def filters_out(filters: NeedFilters) -> dict[str, Any]:
    """The filters as JSON, for a background job's arguments (enums as their codes)."""
    return {key: getattr(value, "value", value) for key, value in asdict(filters).items() if value not in (None, False)}


def filters_in(values: dict[str, Any]) -> NeedFilters:
    """``filters_out`` read back: every field of NeedFilters, by its kind; unknown keys are ignored."""
    out: dict[str, Any] = {}
    for field in fields(NeedFilters):
        if field.name not in values:
            continue
        value = values[field.name]
        if field.name in _ENUMS:
            out[field.name] = _ENUMS[field.name](value)
        elif isinstance(field.default, bool):
            out[field.name] = bool(value)
        else:
            out[field.name] = int(value)
    return NeedFilters(**out)
