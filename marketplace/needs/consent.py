"""The resident's consent to share their contact with the partners and volunteers who work on their need.

Staff of the need's grid (and admins) record it, saying how it was obtained (口头 / 书面 / 电话), and may withdraw
it; both are audited (``need.consent_recorded`` / ``need.consent_withdrawn``). A withdrawn record stays as
history. At most one live record per need: the partial unique index decides between two staff recording at once,
and withdrawing is a conditional UPDATE, so a second withdrawal finds nothing to withdraw.
The note and the reason are free text and stay in the consent row, out of the audit log.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.needs import refusals, services
from marketplace.needs.models import ConsentMethod, Need, NeedConsent
from marketplace.security.identity import CurrentUser
from marketplace.validation import InputModel, Reason, optional, text

NOTE_MAX = 500


class ConsentIn(InputModel):
    """How the resident agreed, with an optional note (who signed, where the paper is kept)."""

    method: ConsentMethod
    note: optional(text(NOTE_MAX)) = None


class WithdrawalIn(InputModel):
    reason: optional(Reason) = None


class ConsentProblem(refusals.Said, Exception):
    """The consent's state refuses the request (already recorded, nothing to withdraw): a 409 naming ``consent``,
    said in the reader's language (needs.refusals) with a code stable whatever the wording (docs/api_refusals.md)."""

    status_code = 409

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self._said("consent", CODES[sentence], sentence, {})


ALREADY_RECORDED = refusals.CONSENT_ALREADY_RECORDED
NOTHING_TO_WITHDRAW = refusals.CONSENT_NOT_RECORDED
NO_CONTACT = refusals.CONSENT_NO_CONTACT
CODES = {
    ALREADY_RECORDED: "consent_already_recorded",
    NOTHING_TO_WITHDRAW: "consent_not_recorded",
    NO_CONTACT: "consent_no_contact",
}


def has_contact(need: Need) -> bool:
    """Whether the need holds anything of the resident's to share: a consent to share nothing means nothing."""
    return any(
        (value or "").strip() for value in (need.beneficiary_name, need.beneficiary_phone, need.beneficiary_address)
    )


def _live() -> sa.ColumnElement[bool]:
    return NeedConsent.withdrawn_at.is_(None)  # type: ignore[union-attr]


def live_consent(db: Session, need_id: int) -> NeedConsent | None:
    """The need's consent in force, if any."""
    statement = sa.select(NeedConsent).where(NeedConsent.need_id == need_id, _live())
    return db.execute(statement).scalars().first()  # type: ignore[no-any-return]


def live_consents(db: Session, need_ids: Iterable[int]) -> dict[int, NeedConsent]:
    """The consents in force of several needs at once (one query for a page of claims or sign-ups)."""
    wanted = sorted(set(need_ids))
    if not wanted:
        return {}
    statement = sa.select(NeedConsent).where(NeedConsent.need_id.in_(wanted), _live())  # type: ignore[attr-defined]
    return {row.need_id: row for row in db.execute(statement).scalars()}


@dataclass(frozen=True)
class ConsentView:
    """A consent as the staff need page shows it: the record and the names of who recorded and withdrew it."""

    consent: NeedConsent
    recorded_by: str | None
    withdrawn_by: str | None


def history(db: Session, need_id: int) -> list[ConsentView]:
    """The need's consents, newest first: the one in force (if any) and those withdrawn before (one query)."""
    recorder, withdrawer = aliased(User), aliased(User)
    rows = db.execute(
        sa.select(NeedConsent, recorder.display_name, withdrawer.display_name)
        .outerjoin(recorder, recorder.id == NeedConsent.recorded_by_id)
        .outerjoin(withdrawer, withdrawer.id == NeedConsent.withdrawn_by_id)
        .where(NeedConsent.need_id == need_id)
        .order_by(NeedConsent.id.desc())  # type: ignore[union-attr]
    ).all()
    return [ConsentView(row, recorded_by, withdrawn_by) for row, recorded_by, withdrawn_by in rows]


def consent_out(row: NeedConsent | None) -> dict[str, Any] | None:
    """A consent as the JSON API shows it (the note too: staff wrote it for staff)."""
    if row is None:
        return None
    return {
        "id": row.id,
        "need_id": row.need_id,
        "method": row.method.value,
        "note": row.note,
        "recorded_by_id": row.recorded_by_id,
        "recorded_at": row.recorded_at.isoformat(),
        "withdrawn_by_id": row.withdrawn_by_id,
        "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        "withdrawn_reason": row.withdrawn_reason,
    }


def record_consent(db: Session, actor: CurrentUser, need_id: int, data: ConsentIn) -> NeedConsent:
    """Record the resident's consent; NeedNotFound outside the actor's scope, ConsentProblem if one is in force."""
    need = services.get_visible_need(db, actor, need_id)
    if not has_contact(need):
        raise ConsentProblem(NO_CONTACT)
    if live_consent(db, need_id) is not None:
        raise ConsentProblem(ALREADY_RECORDED)
    row = NeedConsent(need_id=need_id, method=data.method, note=data.note, recorded_by_id=actor.id)
    try:
        db.add(row)
        db.flush()  # the partial unique index answers a concurrent recording here
    except IntegrityError:
        raise ConsentProblem(ALREADY_RECORDED) from None
    after = {"consent_id": row.id, "method": row.method.value}
    record(db, "need.consent_recorded", object_type="need", object_id=need_id, after=after, actor=actor)
    return row


def withdraw_consent(db: Session, actor: CurrentUser, need_id: int, data: WithdrawalIn) -> NeedConsent:
    """Withdraw the consent in force: from now on partners and volunteers see the office's directions only."""
    services.get_visible_need(db, actor, need_id)
    current = live_consent(db, need_id)
    if current is None:
        raise ConsentProblem(NOTHING_TO_WITHDRAW)
    statement = (
        sa.update(NeedConsent)
        .where(NeedConsent.id == current.id, _live())  # type: ignore[arg-type]
        .values(withdrawn_at=utcnow(), withdrawn_by_id=actor.id, withdrawn_reason=data.reason)
    )
    if db.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        raise ConsentProblem(NOTHING_TO_WITHDRAW)  # someone else withdrew it a moment ago
    db.refresh(current)
    before = {"consent_id": current.id, "method": current.method.value}
    record(
        db,
        "need.consent_withdrawn",
        object_type="need",
        object_id=need_id,
        before=before,
        after={"consent_id": current.id, "withdrawn": True},
        actor=actor,
    )
    return current
