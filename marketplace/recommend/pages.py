"""The recommendations page of a need: for staff and admins, the best offers and volunteers, explained."""

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Template

from marketplace.accounts.models import Role
from marketplace.db.deps import ReaderSession
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.needs import services
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.recommend import for_me
from marketplace.recommend.service import candidate_names, recommend, scorer_name
from marketplace.security.deps import Actor
from marketplace.security.guards import roles, sessions_only, staff_or_admin
from marketplace.volunteers.models import VolunteerProfile

SHOWN = 10


class RecommendationPagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/{need_id:int}/recommendations", name="recommend:need", sync_to_thread=True)
    def need_recommendations(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        actor: Actor,
        need_id: FromPath[int],
        kind: Annotated[Literal["offers", "volunteers"], Parameter(description="offers or volunteers")] = "offers",
    ) -> Template:
        try:
            need = services.get_visible_need(reader, actor, need_id)
        except services.NeedNotFound:
            raise NotFoundException(_("No such need in your scope.")) from None
        var_dir = request.app.state.settings.var_dir
        parts = recommend(reader, need, kind, SHOWN, var_dir, share=request.app.state.settings.match_exploration)
        names = candidate_names(reader, kind, {ranked.candidate_id for part in parts for ranked in part.ranked})
        context = page_context(
            reader,
            need=need,
            kind=kind,
            parts=parts,
            learned=scorer_name(kind, var_dir) == "learned",
            names=names,
            locale="en" if current_locale.get() == "en" else "zh",
            active_page="needs",
        )
        return Template("recommend/need.html", context=context)


class RecommendedForMeController(Controller):
    """Partners' "recommended projects" and volunteers' "recommended tasks"."""

    path = "/recommended"
    guards = [roles(Role.PARTNER, Role.VOLUNTEER), sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="recommend:for-me", sync_to_thread=True)
    def for_me(self, reader: ReaderSession, actor: Actor) -> Template:
        profile_id = None
        if actor.role == Role.VOLUNTEER:
            profile_id = reader.execute(
                sa.select(VolunteerProfile.id).where(VolunteerProfile.user_id == actor.id)
            ).scalar()
            suggestions = for_me.tasks_for_volunteer(reader, profile_id) if profile_id else []
        else:
            organization = actor.organization_id
            suggestions = for_me.projects_for_partner(reader, organization) if organization else []
        context = page_context(
            reader,
            suggestions=suggestions,
            is_volunteer=actor.role == Role.VOLUNTEER,
            has_profile=profile_id is not None,
            locale="en" if current_locale.get() == "en" else "zh",
            active_page="recommended",
        )
        return Template("recommend/for_me.html", context=context)
