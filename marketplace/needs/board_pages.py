"""The public project board: its pages (/projects) and its JSON API (/api/v1/projects)."""

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_302_FOUND

from marketplace.accounts.models import Role
from marketplace.db.deps import ReaderSession
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.items.services import item_labels
from marketplace.needs.board import (
    MAX_API_PAGE_SIZE,
    BoardFilters,
    BoardPage,
    ProjectDetail,
    PublicStatus,
    check_filters_exist,
    get_project,
    list_projects,
    parse_filters,
    with_street,
)
from marketplace.needs.models import PUBLIC_STATUSES, NeedStatus
from marketplace.needs.services import may_work_in_grid
from marketplace.page_cache import COMPRESSED_HERE, page_cache_middleware
from marketplace.pages import HTMX_FRAGMENT_HEADERS, PAGE_EXCEPTION_HANDLERS, page_context, wants_fragment
from marketplace.places.services import filter_places, list_streets
from marketplace.query_filters import MAX_ID, InvalidFilter, invalid_filter_response
from marketplace.security.deps import Viewer
from marketplace.security.guards import PUBLIC
from marketplace.vocabulary import Category

PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="Page number, from 1")]


def board_address(filters: BoardFilters, page: int) -> str:
    """The board's canonical address for these filters: only the parameters that are set."""
    params = {
        "category": filters.category,
        "community": filters.community_id,
        "grid": filters.grid_id,
        "status": filters.status,
        "street": filters.street.code if filters.street else None,
        "page": page if page > 1 else None,
    }
    query = urlencode([(key, str(value)) for key, value in params.items() if value is not None])
    return f"/?{query}" if query else "/"


def _line_names(reader: ReaderSession, results: BoardPage) -> dict[int, str]:
    """What the cards call each line they list, by line id, in the reader's language where there is one.

    The street types a line's text in Chinese ("医用外科口罩（独立包装）"). On an English page a line with an
    item key is named by the item's English name; a line without one shows its text as typed (there is no
    translation to give), and a line without text its kind."""
    lines = [line for card in results.items for line in card.resources_still_needed]
    english = current_locale.get().startswith("en")
    labels = item_labels(reader, [line.item_key for line in lines]) if english else {}
    return {line.id: labels.get(line.item_key) or line.description or line.kind_label for line in lines}


def _page_size(request: Request[Any, Any, Any]) -> int:
    return int(request.app.state.settings.page_size)


class ProjectPagesController(Controller):
    """The board (the home page) and a project's page, for people; the board's list is also an htmx fragment."""

    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]

    path = "/"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="projects:board", sync_to_thread=True)
    def board(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        category: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        grid: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        street: FromQuery[str | None] = None,
        page: PageNumber = 1,
    ) -> Template:
        # A GET form sends empty fields for "any", so the page parses its filters itself.
        filters = parse_filters(category=category, community=community, grid=grid, status=status)
        filters = with_street(reader, filters, street)
        check_filters_exist(reader, filters)
        results = list_projects(reader, filters, page=page, page_size=_page_size(request))
        context: dict[str, Any] = {"results": results, "filters": filters, "line_names": _line_names(reader, results)}
        if wants_fragment(request):
            # The form sends its empty fields too; the address pushed to history leaves them out.
            address = board_address(filters, page)
            headers = HTMX_FRAGMENT_HEADERS | {"HX-Push-Url": address}
            context["current_url"] = address
            return Template("needs/partials/board_fragment.html", context=context, headers=headers)
        context |= {
            "categories": list(Category),
            "statuses": list(PUBLIC_STATUSES),
            "communities": filter_places(reader, filters.street_id, filters.community_id, filters.grid_id),
            "streets": list_streets(reader),
        }
        if filters.street is not None:
            context["street"] = filters.street
        return Template("needs/board.html", context=page_context(reader, **context), headers=HTMX_FRAGMENT_HEADERS)

    @get("/projects", name="projects:redirect")
    async def board_alias(self, request: Request[Any, Any, Any]) -> Redirect:
        """/projects is where people guess the board is; its canonical address is the home page."""
        query = request.url.query
        return Redirect(path=f"/?{query}" if query else "/", status_code=HTTP_302_FOUND)

    @get("/projects/{need_id:int}", name="projects:detail", sync_to_thread=True)
    def detail(self, reader: ReaderSession, viewer: Viewer, need_id: FromPath[int]) -> Template:
        project = get_project(reader, need_id)
        if project is None:
            raise NotFoundException()
        labels = item_labels(reader, [line.item_key for line in project.resources])
        # Staff and admins get links to the need's own page and its recommendations only where they work:
        # elsewhere both answer 404, a dead end that reads as "the project may not be published yet".
        manages = (
            viewer is not None
            and viewer.role in (Role.STAFF, Role.ADMIN)
            and may_work_in_grid(reader, viewer, project.grid.id)
        )
        context = page_context(reader, project=project, item_labels=labels, manages=manages)
        return Template("needs/detail.html", context=context)


class ProjectApiController(Controller):
    """Published projects as JSON; beneficiaries' personal data is never part of them."""

    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]

    path = "/api/v1/projects"
    tags = ["projects"]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get(
        "/",
        operation_id="listProjects",
        summary="The public project board",
        description="Published projects, open ones first, then by urgency, due date and newest; filtered and paged.",
        sync_to_thread=True,
    )
    def list_projects(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        category: FromQuery[Category | None] = None,
        community: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Community id")] = None,
        grid: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Grid id (see /api/v1/grids)")] = None,
        status: FromQuery[PublicStatus | None] = None,  # type: ignore[valid-type]
        street: Annotated[str | None, QueryParameter(description="Street code; every street when omitted")] = None,
        page: PageNumber = 1,
        page_size: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_API_PAGE_SIZE, description="Projects per page (default 20)")
        ] = None,
    ) -> BoardPage:
        filters = BoardFilters(
            category=category,
            community_id=community,
            grid_id=grid,
            status=NeedStatus(status) if status is not None else None,
        )
        filters = with_street(reader, filters, street)
        check_filters_exist(reader, filters)
        return list_projects(reader, filters, page=page, page_size=page_size or _page_size(request))

    @get(
        "/{need_id:int}",
        operation_id="getProject",
        summary="One public project",
        description="Everything public about a published project; 404 when it does not exist or is not public.",
        sync_to_thread=True,
    )
    def get_project(self, reader: ReaderSession, need_id: FromPath[int]) -> ProjectDetail:
        project = get_project(reader, need_id)
        if project is None:
            raise NotFoundException(detail=_("No public project with id %(id)s") % {"id": need_id})
        return project
