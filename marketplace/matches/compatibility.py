"""Whether an offer can serve a resource line: the one place the web app decides it.

The rule is the matching library's (``matching.units.can_serve``: the kinds agree, the units measure the
same thing, a generic 个 only for the same item); this module adapts rows to it and turns a refusal into
what each caller needs: a 400 naming ``offer_id`` for a claim, a 409 for an approval, a note in the review
queue, a filter for the take-part form. Quantities are never converted between units (see docs/units.md):
a match's quantity is one number in the line's unit, reserved from the offer and given back as it is.
Units are stored as the unit table spells them by the input models (``marketplace.validation.Unit``).
"""

from functools import lru_cache

import sqlalchemy as sa
from litestar.exceptions import ValidationException
from sqlmodel import Session

from marketplace.i18n import current_locale
from marketplace.matches import field_problems
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import field_problem
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer
from marketplace.places.services import grids_of_streets
from matching.units import Side, Verdict, can_serve

INCOMPATIBLE = "incompatible"
# The review queue's note when the offer cannot serve the line (an approval's 409 is refusals.CANNOT_SERVE).
CANNOT_SERVE = "The offer cannot serve this resource line"


def offer_side(offer: Offer) -> Side:
    return Side(offer.kind.value, offer.category.value, offer.unit, offer.title, offer.item_key or "")


def line_side(line: ResourceLine) -> Side:
    return Side(line.kind.value, line.category.value, line.unit, line.description, line.item_key or "")


def verdict(offer: Offer, line: ResourceLine) -> Verdict:
    """Can ``offer`` serve ``line``, and if not, why (in Chinese and English)."""
    return can_serve(offer_side(offer), line_side(line))


def serves(offer: Offer, line: ResourceLine) -> bool:
    return verdict(offer, line).ok


def reason(found: Verdict) -> str:
    """The refusal in the reader's language (the request's locale)."""
    return found.reason(current_locale.get())


def offers_for(line: ResourceLine, offers: list[Offer]) -> list[Offer]:
    """The offers that can serve the line, likeliest fit first: the line's own item (the vocabulary's key),
    then its category; otherwise in their order."""
    fitting = [offer for offer in offers if serves(offer, line)]
    return sorted(
        fitting,
        key=lambda offer: (not line.item_key or offer.item_key != line.item_key, offer.category != line.category),
    )


def refused_claim(found: Verdict) -> ValidationException:
    """A claim of an offer that cannot serve the line: 400 naming ``offer_id`` and the reason.

    Shaped as ``services.field_problem`` (``message`` in the reader's language, the code ``incompatible``); the
    extra entry also carries why (``reason_code``, the verdict's code) and the reason as a Chinese and an English
    page say it (units named in English there).
    """
    said = {"reason": reason(found)}
    return field_problem(
        "offer_id",
        field_problems.INCOMPATIBLE,
        INCOMPATIBLE,
        said,
        reason_code=found.code,
        reason_zh=found.zh,
        reason_en=found.en_named or found.en,
    )


def refused_reason(error: ValidationException) -> str | None:
    """The reader's-language reason of a ``refused_claim``, or None for any other error."""
    for extra in error.extra if isinstance(error.extra, list) else []:
        if isinstance(extra, dict) and extra.get("code") == INCOMPATIBLE:
            return str(extra["reason_en"] if current_locale.get().startswith("en") else extra["reason_zh"])
    return None


def require_serves(offer: Offer, line: ResourceLine) -> None:
    """Refuse a claim (400 on ``offer_id``) when the offer cannot serve the line."""
    found = verdict(offer, line)
    if not found.ok:
        raise refused_claim(found)


def match_problem(db: Session, match: Match) -> Verdict | None:
    """Why the offer of a proposed line claim cannot serve its line (the refusing verdict, for a 409), or None
    when it can (or the rows are gone: approval then fails on them for its own reasons)."""
    offer = db.get(Offer, match.offer_id) if match.offer_id is not None else None
    line = db.get(ResourceLine, match.resource_line_id) if match.resource_line_id is not None else None
    if offer is None or line is None:
        return None
    found = verdict(offer, line)
    return None if found.ok else found


def incompatible_pending(db: Session, streets: frozenset[int] | None = None) -> frozenset[int]:
    """The pending line claims whose offer cannot serve their line (one query; each distinct pair judged once
    per process); with ``streets``, only the claims on those streets' needs (a street admin's inbox read
    every pending claim of the city: 180 ms of its 600 on a seeded city).

    The rule is Python's (the unit table), so the review queue filters and counts on these ids.
    """
    # The pending claims first, in a fence PostgreSQL cannot flatten: joined to their offers and lines at
    # once, it walked ix_match_offer_id across every match of the city for a merge join (391,700 rows read
    # for 5,611 kept, 115-165 ms); fenced, it reads the pending rows through ix_match_status and hashes
    # the offers and lines (about 40 ms).
    pending = sa.select(Match.id, Match.offer_id, Match.resource_line_id).where(
        Match.kind == MatchKind.OFFER_LINE, Match.status == MatchStatus.PROPOSED
    )
    if streets is not None:
        pending = pending.join(Need, Need.id == Match.need_id).where(Need.grid_id.in_(grids_of_streets(streets)))  # type: ignore[arg-type,attr-defined]
    claims = pending.cte("pending_claims").prefix_with("MATERIALIZED", dialect="postgresql")
    query = (
        sa.select(
            claims.c.id,
            # Plain strings: thousands of rows, no need to make enums of them first.
            sa.type_coerce(Offer.kind, sa.String).label("offer_kind"),
            sa.type_coerce(Offer.category, sa.String).label("offer_category"),
            Offer.unit,
            Offer.title,
            Offer.item_key,
            sa.type_coerce(ResourceLine.kind, sa.String).label("line_kind"),
            sa.type_coerce(ResourceLine.category, sa.String).label("line_category"),
            ResourceLine.unit,
            ResourceLine.description,
            ResourceLine.item_key.label("line_item_key"),  # type: ignore[union-attr]
        )
        .select_from(claims)
        .join(Offer, Offer.id == claims.c.offer_id)  # type: ignore[arg-type]
        .join(ResourceLine, ResourceLine.id == claims.c.resource_line_id)  # type: ignore[arg-type]
    )
    rows = db.execute(query).all()
    return frozenset(int(match_id) for match_id, *pair in rows if not _pair_serves(*pair))


@lru_cache(maxsize=65536)
def _pair_serves(
    o_kind: str,
    o_category: str,
    o_unit: str,
    o_title: str,
    o_item: str | None,
    l_kind: str,
    l_category: str,
    l_unit: str,
    l_text: str,
    l_item: str | None,
) -> bool:
    # The rule is a pure function of these ten values: a pair judged once is judged for the process.
    offer = Side(o_kind, o_category, o_unit, o_title, o_item or "")
    return can_serve(offer, Side(l_kind, l_category, l_unit, l_text, l_item or "")).ok
