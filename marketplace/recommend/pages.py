"""The recommendations page of a need: for staff and admins, the best offers and volunteers, explained."""

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, one
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.matches import services as matches_services
from marketplace.matches.services import Conflict, conflict_message, field_codes, row_id
from marketplace.needs import services
from marketplace.organizations.services import require_approved_organization
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.recommend import for_me, impressions
from marketplace.recommend.services import candidate_names, recommend, scorer_name
from marketplace.recommend.strength import strength
from marketplace.security.deps import Actor
from marketplace.security.guards import roles, sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
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
        proposed: FromQuery[int | None] = None,
    ) -> Template:
        notice = (
            _("Proposed. The candidate is asked to accept; it then waits in the review queue.") if proposed else None
        )
        return _page(request, reader, actor, need_id, kind, notice=notice)

    @post("/{need_id:int}/recommendations/propose", name="recommend:propose", sync_to_thread=True)
    def propose(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        """Propose one candidate of the list, as shown (its place and whether it was the explored one)."""
        kind = one(data, "kind")
        if kind not in ("offers", "volunteers"):
            kind = "offers"
        _visible(db, actor, need_id)
        part_id, candidate_id = row_id(one(data, "part_id")), row_id(one(data, "candidate_id"))
        rank = row_id(one(data, "shown_rank"))
        problem: tuple[str, int] | None = None
        if part_id is None or candidate_id is None:
            problem = (_("That candidate or part of the need does not exist."), HTTP_400_BAD_REQUEST)
        else:
            proposal = matches_services.StaffProposal(
                kind,  # type: ignore[arg-type]
                part_id,
                candidate_id,
                rank if rank is not None and rank <= 10_000 else None,
                one(data, "explored") == "1",
            )
            try:
                match = matches_services.propose(db, actor, need_id, proposal)
            except Conflict as error:
                db.rollback()
                problem = (_refusal(error), HTTP_409_CONFLICT)
            except ValidationException as error:
                db.rollback()
                problem = (_invalid(error), HTTP_400_BAD_REQUEST)
            else:
                db.commit()
                return Redirect(
                    f"/needs/{need_id}/recommendations?kind={kind}&proposed={match.id}", status_code=HTTP_303_SEE_OTHER
                )
        message, status = problem
        return _page(request, db, actor, need_id, kind, problem=message, status_code=status)


def _visible(db: Session, actor: CurrentUser, need_id: int) -> Any:
    try:
        return services.get_visible_need(db, actor, need_id)
    except services.NeedNotFound:
        raise NotFoundException(_("No such need in your scope.")) from None


def _refusal(error: Conflict) -> str:
    """Why a proposal was refused: the service says it in the reader's language (matches/refusals.py)."""
    return conflict_message(error)


def _invalid(error: ValidationException) -> str:
    """Why a proposal was refused (400), chosen by the field problem's code (matches/field_problems.py): the
    service's sentence, already in the reader's language, names the reason (an offer's status, why it cannot
    serve the line, its organization or street); an unknown candidate or part is said as one."""
    said = [message for _key, code, message in field_codes(error) if code not in MISSING and message]
    return " ".join(said) or _("That candidate or part of the need does not exist.")


# The field problems of a candidate or part that does not exist (or is not of this need): said as one.
MISSING = frozenset({"not_an_offer", "not_a_volunteer", "line_not_in_project", "shift_not_in_project", ""})


def _page(
    request: Request[Any, Any, Any],
    db: Session,
    actor: CurrentUser,
    need_id: int,
    kind: str,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    need = _visible(db, actor, need_id)
    settings = request.app.state.settings
    parts = recommend(db, need, kind, SHOWN, settings.var_dir, share=settings.match_exploration)
    scorer = scorer_name(kind, settings.var_dir)
    impressions.log_explored(request.app.state.session_factory, need_id, kind, parts, scorer)
    names = candidate_names(db, kind, {ranked.candidate_id for part in parts for ranked in part.ranked})
    context = page_context(
        db,
        need=need,
        kind=kind,
        parts=parts,
        learned=scorer == "learned",
        names=names,
        live=matches_services.live_pairs(db, kind, [part.part_id for part in parts]),
        strength=strength,
        locale="en" if current_locale.get() == "en" else "zh",
        notice=notice,
        problem=problem,
        active_page="needs",
    )
    return Template("recommend/need.html", context=context, status_code=status_code)


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
            # A partner's suggestions are its organization's to act on: one awaiting approval, rejected or
            # suspended gets the refusal every partner-only page gives (what it waits for, the street's reason).
            organization = require_approved_organization(reader, actor).id
            suggestions = for_me.projects_for_partner(reader, organization) if organization else []
        context = page_context(
            reader,
            suggestions=suggestions,
            is_volunteer=actor.role == Role.VOLUNTEER,
            has_profile=profile_id is not None,
            strength=strength,
            locale="en" if current_locale.get() == "en" else "zh",
            active_page="recommended",
        )
        return Template("recommend/for_me.html", context=context)
