"""The recommendations page of a need: for staff and admins, the best offers and volunteers, explained."""

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Template

from marketplace.db.deps import ReaderSession
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.needs import services
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.recommend.service import candidate_names, recommend
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin

SHOWN = 10


class RecommendationPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/{need_id:int}/recommendations", name="recommend:need", sync_to_thread=True)
    def need_recommendations(
        self,
        reader: ReaderSession,
        actor: Actor,
        need_id: FromPath[int],
        kind: Annotated[Literal["offers", "volunteers"], Parameter(description="offers or volunteers")] = "offers",
    ) -> Template:
        try:
            need = services.get_visible_need(reader, actor, need_id)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        parts = recommend(reader, need, kind, SHOWN)
        names = candidate_names(reader, kind, {ranked.candidate_id for part in parts for ranked in part.ranked})
        context = page_context(
            reader,
            need=need,
            kind=kind,
            parts=parts,
            names=names,
            locale="en" if current_locale.get() == "en" else "zh",
            active_page="needs",
        )
        return Template("recommend/need.html", context=context)
