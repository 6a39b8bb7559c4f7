"""The organizations directory page (/directory/organizations) and its export, for staff and admins."""

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Redirect, Stream, Template

from marketplace.db.deps import ReaderSession
from marketplace.exchange.services import export_organizations
from marketplace.organizations import directory
from marketplace.organizations.models import OrganizationKind, OrganizationStatus
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import communities_of_streets, viewer_street_ids
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.vocabulary import Category

PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]
ExportFormat = Annotated[str, QueryParameter(pattern="^(csv|xlsx)$", description="csv (UTF-8 with BOM) or xlsx")]


class OrganizationDirectoryController(Controller):
    """Staff see the approved organizations serving their street; admins those of their scope, any status."""

    path = "/directory/organizations"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="organizations:directory", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, page: PageNumber = 1
    ) -> Template:
        filters = directory.parse_filters(request.query_params)
        found = directory.search_organizations(reader, actor, filters, page=page)
        query = filters.query()
        context = page_context(
            reader,
            found=found,
            filters=filters,
            query=query,
            export_query=urlencode(query),
            communities=communities_of_streets(reader, viewer_street_ids(actor)),
            kinds=list(OrganizationKind),
            statuses=list(OrganizationStatus) if actor.role.value == "admin" else [],
            categories=list(Category),
            sorts=directory.SORTS,
        )
        return Template("organizations/directory.html", context=context)

    @get("/export", name="organizations:directory-export", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        state: State,
        reader: ReaderSession,
        actor: Actor,
        format: ExportFormat = "xlsx",
    ) -> Stream | Redirect:
        return export_organizations(reader, actor, format, request.query_params, state)
