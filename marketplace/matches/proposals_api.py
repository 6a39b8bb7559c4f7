"""Round proposals as JSON: the candidate lists what the street proposes to them and accepts or declines it."""

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.matches import round_proposals
from marketplace.matches.api import READ, WRITE, match_out
from marketplace.matches.round_proposals import ProposalRow
from marketplace.security.deps import Actor
from marketplace.security.guards import roles
from marketplace.validation import Reason, optional

candidates_only = roles(Role.VOLUNTEER, Role.PARTNER)


class DeclineIn(BaseModel):
    reason: optional(Reason) = None


def proposal_out(row: ProposalRow) -> dict[str, Any]:
    data = match_out(row.match, own=True) | {"need_title": row.need.title}
    if row.shift is not None:
        data["shift"] = {
            "id": row.shift.id,
            "title": row.shift.title,
            "starts_at": row.shift.starts_at.isoformat(),
            "ends_at": row.shift.ends_at.isoformat(),
            "location": row.shift.location,
        }
    if row.line is not None:
        data["resource_line"] = {"id": row.line.id, "description": row.line.description, "unit": row.line.unit}
    if row.offer is not None:
        data["offer"] = {"id": row.offer.id, "title": row.offer.title}
    return data


class ProposalsApiController(Controller):
    path = "/api/v1/proposals"
    tags = ["proposals"]
    guards = [candidates_only]

    @get(
        "/",
        operation_id="listMyProposals",
        summary="What a matching round proposes to me, waiting for my answer",
        description="Volunteers see the shifts proposed to them; partners the offer-line proposals of their "
        "organization. A proposal is not a sign-up or a claim until you accept it; the street approves it after.",
        guards=[READ],
        sync_to_thread=True,
    )
    def list_mine(self, reader: ReaderSession, actor: Actor) -> dict[str, Any]:
        rows = round_proposals.proposals_for(reader, actor)
        return {"total": len(rows), "items": [proposal_out(row) for row in rows]}

    @post(
        "/{match_id:int}/accept",
        operation_id="acceptProposal",
        summary="Accept a proposal; it then waits for the street's approval",
        description="Only the candidate (the volunteer, or a user of the partner organization); others get 404. "
        "409 when it was declined, accepted or decided already, or the shift is over.",
        guards=[WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def accept(self, db: DbSession, actor: Actor, match_id: FromPath[int]) -> dict[str, Any]:
        return match_out(round_proposals.accept(db, actor, match_id), own=True)

    @post(
        "/{match_id:int}/decline",
        operation_id="declineProposal",
        summary="Decline a proposal, with an optional reason; it is cancelled and the place freed",
        description="Only the candidate; others get 404. 409 when it was answered or decided already.",
        guards=[WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def decline(
        self, db: DbSession, actor: Actor, match_id: FromPath[int], data: JSONBody[DeclineIn | None] = None
    ) -> dict[str, Any]:
        return match_out(round_proposals.decline(db, actor, match_id, data.reason if data else None), own=True)
