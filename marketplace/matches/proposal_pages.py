"""The Accept and Decline buttons of the "Proposed to you" section (on My shifts and My claims).

Each POST calls marketplace.matches.round_proposals; success goes back to the page it came from with a
notice (303), a refusal renders that page again with the reason beside the proposal (409), or the
reason field's problem (400). Someone else's proposal does not exist (404).
"""

from typing import Annotated

from litestar import Controller, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.matches import field_problems as problems
from marketplace.matches import round_proposals
from marketplace.matches.page_forms import MAX_REASON, FormProblem, field_codes, reason_problem
from marketplace.matches.pages import ClaimPagesController, SignupPagesController
from marketplace.matches.services import Conflict
from marketplace.matches.street_scope import NotServed
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.query_filters import MAX_ID
from marketplace.security.deps import Actor
from marketplace.security.guards import roles, sessions_only
from marketplace.security.identity import CurrentUser

RowId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def refusal_message(error: Conflict) -> str:
    """Why an answer was refused: the service says it in the reader's language (refusals.py)."""
    if error.said:
        return str(error.detail)
    return _("That did not work: the data changed in the meantime. Please reload the page and try again.")


def decline_problems(error: ValidationException) -> dict[str, str]:
    """What the decline form says beside each field the service refused, chosen by the problem's code
    (``field_problems``), never by its English: the form's own words where it has them, else the service's
    sentence (already in the reader's language). Empty when no problem has a code of that domain."""
    fields: dict[str, str] = {}
    for key, code, said in field_codes(error):
        if code == "control_characters":
            fields[key] = _("Must not contain control characters.")
        elif code == "too_long":
            fields[key] = _("The reason must be at most %(n)s characters.") % {"n": MAX_REASON}
        elif code in problems.CODES:
            fields[key] = said
    return fields


def _home(actor: CurrentUser) -> str:
    return "/claims" if actor.role == Role.PARTNER else "/signups"


def _page(db: Session, actor: CurrentUser, problem: FormProblem, status_code: int) -> Template:
    page = ClaimPagesController._page if actor.role == Role.PARTNER else SignupPagesController._page
    return page(db, actor, problem=problem, status_code=status_code)


class ProposalPagesController(Controller):
    path = "/proposals"
    guards = [roles(Role.VOLUNTEER, Role.PARTNER), sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{match_id:int}/accept", name="matches:proposal-accept", sync_to_thread=True)
    def accept(self, db: DbSession, actor: Actor, match_id: RowId) -> Template | Redirect:
        try:
            round_proposals.accept(db, actor, match_id)
        except Conflict as error:
            db.rollback()
            problem = FormProblem(f"proposal-{match_id}", message=refusal_message(error))
            return _page(db, actor, problem, HTTP_409_CONFLICT)
        except NotServed as error:
            db.rollback()
            return _page(db, actor, FormProblem(f"proposal-{match_id}", message=str(error.detail)), HTTP_403_FORBIDDEN)
        return Redirect(f"{_home(actor)}?done=proposal_accepted", status_code=HTTP_303_SEE_OTHER)

    @post("/{match_id:int}/decline", name="matches:proposal-decline", sync_to_thread=True)
    def decline(self, db: DbSession, actor: Actor, match_id: RowId, data: FormData) -> Template | Redirect:
        form = f"proposal-{match_id}"
        reason = one(data, "reason").strip()
        message = reason_problem(reason)
        if message:
            problem = FormProblem(form, fields={"reason": message}, values={"reason": reason})
            return _page(db, actor, problem, HTTP_400_BAD_REQUEST)
        try:
            round_proposals.decline(db, actor, match_id, reason or None)
        except Conflict as error:
            db.rollback()
            return _page(db, actor, FormProblem(form, message=refusal_message(error)), HTTP_409_CONFLICT)
        except ValidationException as error:
            db.rollback()
            fields = decline_problems(error)
            if not fields:
                raise  # no field problem the form knows: the error page says what it is (400)
            problem = FormProblem(form, fields=fields, values={"reason": reason})
            return _page(db, actor, problem, HTTP_400_BAD_REQUEST)
        return Redirect(f"{_home(actor)}?done=proposal_declined", status_code=HTTP_303_SEE_OTHER)
