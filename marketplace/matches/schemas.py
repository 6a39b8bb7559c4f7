"""Validated input for matches: proposals by staff, partners' claims, and the admins' decisions."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.validation import (
    TYPED_INTEGER,
    Id,
    InputModel,
    Quantity,
    Reason,
    UpdateModel,
    one_of,
    optional,
    require,
)

# The fields each kind of match pairs; a match carries its own kind's fields and no other kind's.
KIND_FIELDS: dict[MatchKind, tuple[str, ...]] = {
    MatchKind.OFFER_LINE: ("resource_line_id", "offer_id", "quantity"),
    MatchKind.VOLUNTEER_SHIFT: ("shift_id", "volunteer_id"),
    MatchKind.WHOLE_NEED: ("organization_id",),
}
# Statuses a decision may set (a match is created proposed).
DECIDED = tuple(status for status in MatchStatus if status is not MatchStatus.PROPOSED)
REASON_REQUIRED = (MatchStatus.REJECTED, MatchStatus.CANCELLED)


class MatchCreate(InputModel):
    """A proposed pairing: a resource line with an offer (and a quantity), a shift with a volunteer,
    or the whole need with an organization."""

    need_id: Id
    kind: MatchKind
    source: MatchSource = MatchSource.STAFF
    resource_line_id: optional(Id) = None
    offer_id: optional(Id) = None
    quantity: optional(Quantity) = None
    shift_id: optional(Id) = None
    volunteer_id: optional(Id) = None
    organization_id: optional(Id) = None
    # Where the candidate stood in the list the proposer saw (1 = top), for training the ranker.
    shown_rank: optional(Annotated[int, Field(ge=1, le=10_000), TYPED_INTEGER]) = None
    # The candidate was in the list's explored slot (matching/exploration.py): their rank was drawn at random,
    # which is what lets training estimate how much the rank itself sways the decision.
    explored: bool = False

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> Self:
        for kind, fields in KIND_FIELDS.items():
            for name in fields:
                value = getattr(self, name)
                if kind is self.kind:
                    require(value is not None, type(self), name, f"is required when kind is {kind.value}", value)
                else:
                    require(value is None, type(self), name, f"must be empty when kind is {self.kind.value}", value)
        return self

    def to_row(self, proposed_by_id: int | None = None) -> Match:
        return Match.model_validate(self.model_dump() | {"proposed_by_id": proposed_by_id})


class ClaimCreate(InputModel):
    """A partner claims a project: the whole of it, or part of a resource line from one of its offers."""

    need_id: Id
    resource_line_id: optional(Id) = None
    offer_id: optional(Id) = None
    quantity: optional(Quantity) = None

    @model_validator(mode="after")
    def _whole_or_part(self) -> Self:
        # No line fields claims the whole project; all three claim part of a line; anything between is incomplete.
        fields = KIND_FIELDS[MatchKind.OFFER_LINE]
        missing = [name for name in fields if getattr(self, name) is None]
        if 0 < len(missing) < len(fields):
            require(False, type(self), missing[0], "is required to claim part of a resource line", None)
        return self

    @property
    def is_whole(self) -> bool:
        return self.resource_line_id is None

    def to_match(self, organization_id: int) -> MatchCreate:
        """The proposal this claim makes for the claiming partner's organization."""
        if self.is_whole:
            return MatchCreate(
                need_id=self.need_id,
                kind=MatchKind.WHOLE_NEED,
                source=MatchSource.PARTNER_CLAIM,
                organization_id=organization_id,
            )
        return MatchCreate(
            need_id=self.need_id,
            kind=MatchKind.OFFER_LINE,
            source=MatchSource.PARTNER_CLAIM,
            resource_line_id=self.resource_line_id,
            offer_id=self.offer_id,
            quantity=self.quantity,
        )


class MatchUpdate(UpdateModel):
    """Adjust a proposed offer match's quantity before it is decided."""

    quantity: Quantity | None = None


class MatchDecision(InputModel):
    """Approve, reject, cancel, or record the outcome of a match; rejecting and cancelling need a reason."""

    status: Annotated[MatchStatus, one_of(*DECIDED)]
    reason: optional(Reason) = None

    @model_validator(mode="after")
    def _reason_when_refused(self) -> Self:
        needed = self.status in REASON_REQUIRED
        require(not needed or self.reason is not None, type(self), "reason", "is required to reject or cancel", None)
        return self
