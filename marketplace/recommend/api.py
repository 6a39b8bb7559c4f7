"""GET /api/v1/needs/{id}/recommendations: the best offers or volunteers for a need, explained."""

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, Parameter
from pydantic import BaseModel, Field

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.matches import services as matches_services
from marketplace.matches.api import match_out
from marketplace.needs import services
from marketplace.needs.api import NEED_EXCEPTION_HANDLERS
from marketplace.recommend import impressions
from marketplace.recommend.services import candidate_names, recommend, scorer_name
from marketplace.security.deps import Actor
from marketplace.security.guards import staff_or_admin, token_scope
from marketplace.validation import TYPED_INTEGER, Id


class ReasonOut(BaseModel):
    feature: str = Field(description="The feature that contributed, e.g. skill_coverage, proximity")
    value: float = Field(description="The feature's value for this pair, 0–1 (distance features in km)")
    contribution: float = Field(description="What it added to the score")
    zh: str
    en: str


class CandidateOut(BaseModel):
    rank: int = Field(description="1 for the best candidate")
    id: int = Field(description="The offer id or the volunteer profile id")
    name: str = Field(description="The offer's title and organization, or the volunteer's name")
    score: float
    reasons: list[ReasonOut] = Field(description="The main contributing factors, largest first")
    explored: bool = Field(
        default=False,
        description="Placed here by exploration (MARKETPLACE_MATCH_EXPLORATION): a candidate from just below the "
        "list in a slot drawn at random (the list is logged as shown). Propose from it with POST "
        "/api/v1/needs/{need_id}/proposals, sending explored=true and the rank as shown_rank.",
    )


class PartOut(BaseModel):
    part_id: int = Field(description="The resource line id (offers) or shift id (volunteers)")
    title: str
    candidates: list[CandidateOut]


class RecommendationsOut(BaseModel):
    need_id: int
    kind: Literal["offers", "volunteers"]
    scorer: str = Field(
        description="default: the documented weighted scorer; learned: the ranker trained on "
        "the street's decisions (marketplace match train)"
    )
    parts: list[PartOut]


class ProposalIn(BaseModel):
    kind: Literal["offers", "volunteers"] = Field(description="offers (for a resource line) or volunteers (a shift)")
    part_id: Id = Field(description="The resource line id (offers) or the shift id (volunteers)")
    candidate_id: Id = Field(description="The offer id or the volunteer profile id")
    shown_rank: Annotated[int, Field(ge=1, le=10_000), TYPED_INTEGER] | None = Field(
        default=None, description="Where the candidate stood in the list you proposed from (1 = top)"
    )
    explored: bool = Field(default=False, description="The candidate was in the list's explored slot")


class RecommendationApiController(Controller):
    path = "/api/v1/needs"
    tags = ["matching"]
    guards = [staff_or_admin]
    exception_handlers = NEED_EXCEPTION_HANDLERS

    @get(
        "/{need_id:int}/recommendations",
        operation_id="needRecommendations",
        summary="Ranked, explained candidates for a need",
        description="For each open resource line the best active offers (kind=offers), or for each open shift "
        "the best volunteers (kind=volunteers), with a score and the main reasons in Chinese and English. "
        "Staff see the needs of their grids or community; admins all.",
        guards=[token_scope("needs:read")],
        sync_to_thread=True,
    )
    def recommendations(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        actor: Actor,
        need_id: FromPath[int],
        kind: Annotated[Literal["offers", "volunteers"], Parameter(description="offers or volunteers")],
        k: Annotated[int, Parameter(ge=1, le=50, description="How many per line or shift, 1–50")] = 10,
    ) -> RecommendationsOut:
        need = services.get_visible_need(reader, actor, need_id)
        var_dir = request.app.state.settings.var_dir
        parts = recommend(reader, need, kind, k, var_dir, share=request.app.state.settings.match_exploration)
        names = candidate_names(reader, kind, {ranked.candidate_id for part in parts for ranked in part.ranked})
        scorer = scorer_name(kind, var_dir)
        impressions.log_explored(request.app.state.session_factory, need_id, kind, parts, scorer)
        return RecommendationsOut(
            need_id=need_id,
            kind=kind,
            scorer=scorer,
            parts=[
                PartOut(
                    part_id=part.part_id,
                    title=part.title,
                    candidates=[
                        CandidateOut(
                            rank=position,
                            id=ranked.candidate_id,
                            name=names.get(ranked.candidate_id, ""),
                            score=round(ranked.score, 4),
                            reasons=[
                                ReasonOut(
                                    feature=reason.feature,
                                    value=round(reason.value, 4),
                                    contribution=round(reason.contribution, 4),
                                    zh=reason.zh,
                                    en=reason.en,
                                )
                                for reason in ranked.reasons
                            ],
                            explored=position - 1 == part.explored_slot,
                        )
                        for position, ranked in enumerate(part.ranked, start=1)
                    ],
                )
                for part in parts
            ],
        )

    @post(
        "/{need_id:int}/proposals",
        operation_id="proposeCandidate",
        summary="Propose an offer or a volunteer from the need's recommendations",
        description="Writes what a matching round would for the pair: a proposed match (source staff) that the "
        "candidate accepts or declines, and an admin approves once accepted; a volunteer's place is held by a "
        "pending sign-up. An offer is proposed for what the line still needs, up to what it has left. 400 "
        "names the field (a part not of this need, an offer that cannot serve the line, with the reason); 409 "
        "when the project, line or shift takes nobody now or the pair already has a live match.",
        guards=[token_scope("matches:write")],
        status_code=201,
        sync_to_thread=True,
    )
    def propose(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], data: JSONBody[ProposalIn]
    ) -> dict[str, Any]:
        services.get_visible_need(db, actor, need_id)
        proposal = matches_services.StaffProposal(
            data.kind, data.part_id, data.candidate_id, data.shown_rank, data.explored
        )
        return match_out(matches_services.propose(db, actor, need_id, proposal)) | {
            "shown_rank": data.shown_rank,
            "explored": data.explored,
        }
