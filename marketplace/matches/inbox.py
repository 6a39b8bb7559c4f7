"""The admins' review inbox in SQL: filters, sort, paging and counts over the pending matches.

A page costs a fixed handful of queries however many items wait: one for the counts of the filters with
fixed values (kind, source, answer, conflicts, due today) and the number matching, one each for the
counts per community and per round, two for the page (the ids of its rows in the inbox's order, joining
only what the filters and the sort read; then everything its cards show, by those ids), and one for the
overlapping shifts of the page's sign-ups. No query loads every pending row into Python. A street admin's
street is a condition on the need's indexed grid_id (``_in_streets``), so their queries start from their
street's needs rather than from every pending item of the city.

The conflicts SQL can tell (not enough left, a full or past shift, an expired offer, an organization
that is not approved, an overlapping shift) are filters and counts here; the cards show the notes of
conflicts.py, computed in Python for the page's rows only.
"""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.matches import compatibility
from marketplace.matches.conflicts import MESSAGES, ConflictNote, Subject, notes_of, overlaps_of
from marketplace.matches.held_time import SLOT_HOLDERS, held_until
from marketplace.matches.models import PROPOSAL_SOURCES, Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.needs.services import reference_number
from marketplace.notifications.services import day_bounds, street_day
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid
from marketplace.places.services import admin_street_ids, grids_of_streets
from marketplace.query_filters import InvalidFilter
from marketplace.security.identity import CurrentUser
from marketplace.validation import MAX_INT
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile
from marketplace.web import localized_name
from marketplace.whole_numbers import decimal_number, whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000
MAX_SEARCH = 100
MAX_SCORE = 1_000_000.0
ANY_CONFLICT = "any"
_E = TypeVar("_E", bound=StrEnum)
_REFERENCE = re.compile(r"XQ-?0*([0-9]{1,10})", re.IGNORECASE)


class InboxSort(StrEnum):
    DUE = "due"
    URGENCY = "urgency"
    SHIFT = "shift"
    OLDEST = "oldest"
    NEWEST = "newest"
    SCORE = "score"


class Answer(StrEnum):
    """Where a matching round's proposal stands with its partner or volunteer."""

    AWAITING = "awaiting"
    ACCEPTED = "accepted"


SORT_LABELS = {
    InboxSort.DUE: N_("Decide today first"),
    InboxSort.URGENCY: N_("Most urgent"),
    InboxSort.SHIFT: N_("Shift start"),
    InboxSort.OLDEST: N_("Oldest first"),
    InboxSort.NEWEST: N_("Newest first"),
    InboxSort.SCORE: N_("Highest score"),
}
ANSWER_LABELS = {
    Answer.AWAITING: N_("Awaiting the candidate's answer"),
    Answer.ACCEPTED: N_("Accepted by the candidate"),
}
# The query parameter of each filter, in the order links and hidden fields carry them.
PARAMETERS = {
    "kind": "kind",
    "community_id": "community",
    "grid_id": "grid",
    "need_id": "need",
    "round_id": "round",
    "source": "source",
    "proposed_from": "from",
    "proposed_to": "to",
    "min_score": "score",
    "conflict": "conflict",
    "answer": "answer",
    "due_today": "due",
    "q": "q",
}


@dataclass(frozen=True)
class Clock:
    """Now, and the street's today (Asia/Shanghai): "due today" is the street's day, not UTC's."""

    now: datetime
    today: date
    day_ends: datetime  # the end of the street's today, in UTC
    # Pending line claims whose offer cannot serve the line: the unit table is Python's, not SQL's.
    incompatible: frozenset[int] = frozenset()
    dialect: str = "sqlite"

    @classmethod
    def at(
        cls, now: datetime | None = None, db: Session | None = None, streets: frozenset[int] | None = None
    ) -> "Clock":
        """``streets``: judge only those streets' pending claims (None: the city's), as the inbox shows."""
        now = now or utcnow()
        today = street_day(now)
        incompatible = compatibility.incompatible_pending(db, streets) if db is not None else frozenset()
        dialect = db.get_bind().dialect.name if db is not None else "sqlite"
        return cls(now=now, today=today, day_ends=day_bounds(today)[1], incompatible=incompatible, dialect=dialect)

    def is_incompatible(self) -> ColumnElement[bool]:
        """``Match.id`` among the incompatible ids, as ONE bound value however many there are (an IN list of
        thousands costs more to render than the query takes to run)."""
        if not self.incompatible:
            return sa.false()
        ids = sorted(self.incompatible)
        if self.dialect == "postgresql":
            return col(Match.id) == sa.any_(sa.bindparam("incompatible_ids", ids, type_=ARRAY(sa.Integer)))
        listed = sa.func.json_each(sa.bindparam("incompatible_ids", json.dumps(ids))).table_valued("value")
        return col(Match.id).in_(sa.select(listed.c.value))


def _conflict_conditions(clock: Clock) -> dict[str, ColumnElement[bool]]:
    """The conflicts of conflicts.notes_of that SQL can tell, over the joined rows of ``_joined``."""
    offer_line = Match.kind == MatchKind.OFFER_LINE
    volunteer_shift = Match.kind == MatchKind.VOLUNTEER_SHIFT
    other = aliased(Shift)
    overlap = (
        sa.select(ShiftSignup.id)
        .join(other, other.id == ShiftSignup.shift_id)
        .where(
            ShiftSignup.volunteer_id == Match.volunteer_id,
            col(ShiftSignup.status).in_(SLOT_HOLDERS),
            other.id != Shift.id,
            other.starts_at < Shift.ends_at,
            held_until(ShiftSignup, other) > Shift.starts_at,
        )
        .exists()
    )
    return {
        "organization_not_approved": sa.and_(
            col(Match.organization_id).is_not(None),
            sa.or_(col(Organization.id).is_(None), Organization.status != OrganizationStatus.APPROVED),
        ),
        "offer_expired": sa.and_(
            offer_line,
            sa.or_(
                col(Offer.status).not_in([OfferStatus.ACTIVE, OfferStatus.EXHAUSTED]),
                sa.and_(col(Offer.valid_until).is_not(None), col(Offer.valid_until) <= clock.now),
            ),
        ),
        "offer_short": sa.and_(offer_line, col(Offer.remaining_quantity) < Match.quantity),
        "line_short": sa.and_(offer_line, col(ResourceLine.still_needed) < Match.quantity),
        "shift_full": sa.and_(volunteer_shift, col(Shift.confirmed_count) >= Shift.slots),
        "shift_over": sa.and_(volunteer_shift, col(Shift.ends_at) <= clock.now),
        "shift_overlap": sa.and_(volunteer_shift, overlap),
        "incompatible": clock.is_incompatible(),
    }


# The conflicts offered as filters, in the order the filter lists them.
SQL_CONFLICTS = tuple(code for code in MESSAGES if code in _conflict_conditions(Clock.at()))


# The conflict filter's values, for the API schema: any conflict, or one of them.
ConflictFilter = StrEnum("ConflictFilter", {code.upper(): code for code in (ANY_CONFLICT, *SQL_CONFLICTS)})  # type: ignore[misc]


class Due(StrEnum):
    TODAY = "today"


def conflict_label(code: str) -> str:
    return N_("Any conflict") if code == ANY_CONFLICT else MESSAGES[code]


def _problem(parameter: str, message: str) -> InvalidFilter:
    return InvalidFilter(parameter, message)


@dataclass(frozen=True)
class InboxFilters:
    """What the admin narrowed the inbox to; every field empty shows everything pending."""

    kind: MatchKind | None = None
    community_id: int | None = None
    grid_id: int | None = None
    need_id: int | None = None
    round_id: int | None = None
    source: MatchSource | None = None
    proposed_from: date | None = None  # street days, inclusive
    proposed_to: date | None = None
    min_score: float | None = None
    conflict: str | None = None  # a code of SQL_CONFLICTS, or "any"
    answer: Answer | None = None
    due_today: bool = False
    q: str | None = None
    # The streets the admin works in (None: every street): set from the viewer (``within``), never from the
    # address, so a street admin's inbox, counts and bulk decisions leave other streets out.
    streets: frozenset[int] | None = None

    def __post_init__(self) -> None:
        for name in ("community_id", "grid_id", "need_id", "round_id"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= MAX_INT:
                raise _problem(PARAMETERS[name], N_("A positive whole number"))
        if self.proposed_from and self.proposed_to and self.proposed_to < self.proposed_from:
            raise _problem("to", N_("The end date is before the start date"))
        if self.min_score is not None and not (math.isfinite(self.min_score) and abs(self.min_score) <= MAX_SCORE):
            raise _problem("score", N_("A number such as 0.5"))
        if self.conflict is not None and self.conflict not in (ANY_CONFLICT, *SQL_CONFLICTS):
            raise _problem("conflict", N_("Choose a valid value."))
        if self.q is not None and (len(self.q) > MAX_SEARCH or "\x00" in self.q):
            raise _problem("q", N_("At most 100 characters"))

    @property
    def active(self) -> bool:
        return any(getattr(self, item.name) not in (None, False, "") for item in fields(self) if item.name != "streets")

    def within(self, viewer: CurrentUser) -> "InboxFilters":
        """These filters kept to the streets the viewer works in."""
        return replace(self, streets=admin_street_ids(viewer))

    def params(self) -> list[tuple[str, str]]:
        """The filters as query parameters, in a fixed order: for links, hidden fields and redirects."""
        found = []
        for name, parameter in PARAMETERS.items():
            value = getattr(self, name)
            if value is None or value is False or value == "":
                continue
            if value is True:
                value = "today"
            elif isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, float):
                value = format(value, "g")
            found.append((parameter, str(value)))
        return found


def _text(values: Mapping[str, Any], parameter: str) -> str | None:
    raw = values.get(parameter)
    if isinstance(raw, list):
        raw = raw[-1] if raw else None
    text = "" if raw is None else str(raw).strip()
    return text or None


def _whole(values: Mapping[str, Any], parameter: str) -> int | None:
    text = _text(values, parameter)
    if text is None:
        return None
    number = whole_number(text, maximum=MAX_INT)
    if number is None:
        raise _problem(parameter, N_("A positive whole number"))
    return number


def _choice(values: Mapping[str, Any], parameter: str, choices: type[_E]) -> _E | None:
    text = _text(values, parameter)
    if text is None:
        return None
    try:
        return choices(text)
    except ValueError:
        raise _problem(parameter, N_("Choose a valid value.")) from None


def _day(values: Mapping[str, Any], parameter: str) -> date | None:
    text = _text(values, parameter)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _problem(parameter, N_("A date like 2026-05-01")) from None


def _score(values: Mapping[str, Any]) -> float | None:
    text = _text(values, "score")
    if text is None:
        return None
    number = decimal_number(text.removeprefix("-"))
    if number is None:
        raise _problem("score", N_("A number such as 0.5"))
    return -float(number) if text.startswith("-") else float(number)


def parse_filters(values: Mapping[str, Any]) -> InboxFilters:
    """The filters from query parameters or form fields (empty means any); a bad one is an InvalidFilter."""
    due = _text(values, "due")
    if due not in (None, "today"):
        raise _problem("due", N_("Choose a valid value."))
    return InboxFilters(
        kind=_choice(values, "kind", MatchKind),
        community_id=_whole(values, "community"),
        grid_id=_whole(values, "grid"),
        need_id=_whole(values, "need"),
        round_id=_whole(values, "round"),
        source=_choice(values, "source", MatchSource),
        proposed_from=_day(values, "from"),
        proposed_to=_day(values, "to"),
        min_score=_score(values),
        conflict=_text(values, "conflict"),
        answer=_choice(values, "answer", Answer),
        due_today=due == "today",
        q=_text(values, "q"),
    )


def parse_sort(values: Mapping[str, Any]) -> InboxSort:
    return _choice(values, "sort", InboxSort) or InboxSort.DUE


def parse_page(values: Mapping[str, Any]) -> int:
    text = _text(values, "page")
    if text is None:
        return 1
    number = whole_number(text, maximum=MAX_PAGE)
    if number is None:
        raise _problem("page", N_("A positive whole number"))
    return number


# --- SQL ---------------------------------------------------------------------------------------------


def _joined(statement: sa.Select[Any], *, people: bool) -> sa.Select[Any]:
    """The pending matches with the rows filters and cards read; ``people`` adds the volunteer's user."""
    statement = (
        statement.select_from(Match)
        .join(Need, col(Need.id) == Match.need_id)
        .join(Grid, col(Grid.id) == Need.grid_id)
        .outerjoin(Organization, col(Organization.id) == Match.organization_id)
        .outerjoin(Offer, col(Offer.id) == Match.offer_id)
        .outerjoin(ResourceLine, col(ResourceLine.id) == Match.resource_line_id)
        .outerjoin(Shift, col(Shift.id) == Match.shift_id)
    )
    if people:
        statement = statement.outerjoin(VolunteerProfile, col(VolunteerProfile.id) == Match.volunteer_id).outerjoin(
            User, col(User.id) == VolunteerProfile.user_id
        )
    return statement.where(Match.status == MatchStatus.PROPOSED)


def due_condition(clock: Clock) -> ColumnElement[bool]:
    """Due today: a shift starting today or earlier (street days), a need due today or overdue, or critical;
    and the admin can decide it now: a round's proposal still awaiting its candidate's answer cannot be approved
    (a newcomer found "decide today" full of items that said 对方尚未接受该推荐)."""
    return sa.and_(
        sa.or_(
            sa.and_(Match.kind == MatchKind.VOLUNTEER_SHIFT, col(Shift.starts_at) < clock.day_ends),
            col(Need.due_date) <= clock.today,
            Need.urgency == Urgency.CRITICAL,
        ),
        sa.not_(_answer_condition(Answer.AWAITING)),
    )


def _answer_condition(answer: Answer) -> ColumnElement[bool]:
    round_proposal = col(Match.source).in_(PROPOSAL_SOURCES)
    if answer is Answer.AWAITING:
        return sa.and_(round_proposal, col(Match.accepted_at).is_(None))
    return sa.and_(round_proposal, col(Match.accepted_at).is_not(None))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> ColumnElement[bool]:
    """A reference number (XQ-000123) finds its need; other text the need's or offer's title, the
    organization's or volunteer's name; a bare number also the need or item with that id."""
    reference = _REFERENCE.fullmatch(q)
    if reference is not None:
        number = whole_number(reference.group(1), minimum=0, maximum=MAX_INT)
        return col(Need.id) == number if number is not None else sa.false()
    pattern = _like(q)
    options: list[ColumnElement[bool]] = [
        col(Need.title).ilike(pattern, escape="\\"),
        col(Offer.title).ilike(pattern, escape="\\"),
        col(Organization.name).ilike(pattern, escape="\\"),
        col(Organization.name_en).ilike(pattern, escape="\\"),  # as an English reader sees it
        col(User.display_name).ilike(pattern, escape="\\"),
    ]
    number = whole_number(q.lstrip("#"), maximum=MAX_INT)
    if number is not None:
        options += [col(Need.id) == number, col(Match.id) == number]
    return sa.or_(*options)


def _in_streets(streets: frozenset[int], clock: Clock) -> ColumnElement[bool]:
    """The need lies in one of these streets' grids, as a condition on the need's own ``grid_id``.

    On PostgreSQL the grids are ONE array, computed once before the scan (an InitPlan), so the condition
    is a plain filter on the need that its grid_id index answers: the planner starts from the street's
    needs and reaches their pending matches by index. Written as ``IN (subquery)`` it became a semi join
    that PostgreSQL placed after joining every pending item of the city (227 ms for a street's 136 of
    27,764). SQLite runs the subquery once into a lookup table either way.
    """
    grids = grids_of_streets(streets)
    if clock.dialect == "postgresql":
        return col(Need.grid_id) == sa.any_(sa.func.array(grids.scalar_subquery()))
    return col(Need.grid_id).in_(grids)


def _conditions(filters: InboxFilters, clock: Clock) -> dict[str, ColumnElement[bool]]:
    """Each set filter's condition, keyed by its parameter, so a count can leave its own filter out."""
    found: dict[str, ColumnElement[bool]] = {}
    if filters.streets is not None:
        found["street"] = _in_streets(filters.streets, clock)
    if filters.kind is not None:
        found["kind"] = Match.kind == filters.kind
    if filters.community_id is not None:
        found["community"] = Grid.community_id == filters.community_id
    if filters.grid_id is not None:
        found["grid"] = Need.grid_id == filters.grid_id
    if filters.need_id is not None:
        found["need"] = Match.need_id == filters.need_id
    if filters.round_id is not None:
        found["round"] = Match.round_id == filters.round_id
    if filters.source is not None:
        found["source"] = Match.source == filters.source
    if filters.proposed_from is not None:
        found["from"] = col(Match.created_at) >= day_bounds(filters.proposed_from)[0]
    if filters.proposed_to is not None:
        found["to"] = col(Match.created_at) < day_bounds(filters.proposed_to)[1]
    if filters.min_score is not None:
        found["score"] = col(Match.score) >= filters.min_score
    if filters.conflict is not None:
        conflicts = _conflict_conditions(clock)
        found["conflict"] = (
            sa.or_(*conflicts.values()) if filters.conflict == ANY_CONFLICT else conflicts[filters.conflict]
        )
    if filters.answer is not None:
        found["answer"] = _answer_condition(filters.answer)
    if filters.due_today:
        found["due"] = due_condition(clock)
    if filters.q:
        found["q"] = search_condition(filters.q)
    return found


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return sa.and_(sa.true(), *conditions)


# Filters with a fixed set of values: their counts come from one row of sums.
_FIXED_FACETS = ("kind", "source", "answer", "conflict", "due")


@dataclass
class InboxCounts:
    """How many pending items match, and how many each filter value would show with the other filters kept."""

    total: int = 0
    kinds: dict[MatchKind, int] = field(default_factory=dict)
    sources: dict[MatchSource, int] = field(default_factory=dict)
    answers: dict[Answer, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    due_today: int = 0
    communities: dict[int, int] = field(default_factory=dict)
    rounds: list[tuple[int, int]] = field(default_factory=list)  # (round id, items), newest round first
    upto: int = 0  # the newest matching item when counted: a bulk decision on the filter goes no further


def _chosen(filters: InboxFilters) -> dict[str, Any]:
    """The value each set fixed-valued filter chose, as a key of ``_fixed_values``."""
    chosen = {"kind": filters.kind, "source": filters.source, "answer": filters.answer, "conflict": filters.conflict}
    found = {facet: value for facet, value in chosen.items() if value is not None}
    return found | ({"due": True} if filters.due_today else {})


def _fixed_values(clock: Clock) -> dict[str, dict[Any, ColumnElement[bool]]]:
    """Each value of the fixed-valued filters with its condition, as ``_conditions`` writes it."""
    conflicts = _conflict_conditions(clock)
    return {
        "kind": {kind: Match.kind == kind for kind in MatchKind},
        "source": {source: Match.source == source for source in MatchSource},
        "answer": {answer: _answer_condition(answer) for answer in Answer},
        "conflict": {code: conflicts[code] for code in conflicts},
        "due": {True: due_condition(clock)},
    }


def count_inbox(db: Session, filters: InboxFilters, clock: Clock) -> InboxCounts:
    """Two or three queries: the sums for the fixed-valued filters with the counts per community, and the
    counts per round (and per community, when a community is chosen).

    The sums read the pending rows once: an inner query gives each row its community and one column per
    value of the fixed-valued filters (each condition evaluated once, the overlapping-shift probe among
    them), and the outer one counts those columns per community, each value with the other set filters'
    columns. "Any conflict" is the OR of the conflicts' columns. The inner query is fenced (OFFSET 0) so
    neither database folds it into the outer one, which would evaluate every condition again for each
    count that reads it. The sums are grouped by community: with no community chosen, each community's
    count of the rows the other filters keep is what the community filter offers, and the other counts
    add the communities' up; a second pass over the pending rows for the communities took 40-60 ms of a
    city admin's page at 27,600 pending items. With a community chosen the sums read that community's
    rows only (the overlapping-shift probe runs for them alone) and the communities are a query of their
    own, which evaluates no conflict.
    """
    conditions = _conditions(filters, clock)
    people = bool(filters.q)
    values = _fixed_values(clock)
    names: dict[tuple[str, Any], str] = {}
    columns: list[Any] = [col(Match.id).label("id"), col(Grid.community_id).label("community_id")]
    for facet, choices in values.items():
        for value, condition in choices.items():
            names[(facet, value)] = f"v{len(names)}"
            columns.append(condition.label(names[(facet, value)]))
    base = [condition for name, condition in conditions.items() if name not in _FIXED_FACETS]
    pending = _joined(sa.select(*columns), people=people).where(*base).offset(0).subquery("pending")

    def value_is(facet: str, value: Any) -> ColumnElement[bool]:
        if facet == "conflict" and value == ANY_CONFLICT:
            return sa.or_(*(pending.c[names[("conflict", code)]] for code in values["conflict"]))
        return pending.c[names[(facet, value)]]

    chosen = _chosen(filters)
    kept = [value_is(facet, value) for facet, value in chosen.items()]
    sums: list[Any] = [sa.func.count().filter(_all(kept)), sa.func.max(pending.c.id).filter(_all(kept))]
    keys: list[tuple[str, Any]] = []
    shown = {facet: list(choices) for facet, choices in values.items()}
    shown["conflict"] = [ANY_CONFLICT, *SQL_CONFLICTS]
    for facet, choices in shown.items():
        others = [value_is(other, value) for other, value in chosen.items() if other != facet]
        for value in choices:
            keys.append((facet, value))
            sums.append(sa.func.count().filter(_all([value_is(facet, value), *others])))
    rows = db.execute(
        sa.select(pending.c.community_id, *sums).select_from(pending).group_by(pending.c.community_id)
    ).all()
    counts = InboxCounts()
    added = [0] * len(keys)
    for row in rows:
        counts.total += int(row[1])
        counts.upto = max(counts.upto, int(row[2] or 0))
        added = [a + int(number) for a, number in zip(added, row[3:], strict=True)]
    for (facet, value), number in zip(keys, added, strict=True):
        if facet == "kind":
            counts.kinds[value] = number
        elif facet == "source":
            counts.sources[value] = number
        elif facet == "answer":
            counts.answers[value] = number
        elif facet == "conflict":
            counts.conflicts[value] = number
        else:
            counts.due_today = number
    if filters.community_id is None:
        counts.communities = {int(row[0]): int(row[1]) for row in rows if row[1]}
    else:
        except_community = [c for name, c in conditions.items() if name != "community"]
        counts.communities = {
            community_id: int(number)
            for community_id, number in db.execute(
                _joined(sa.select(Grid.community_id, sa.func.count()), people=people)
                .where(*except_community)
                .group_by(Grid.community_id)
            ).all()
        }
    except_round = [c for name, c in conditions.items() if name != "round"]
    counts.rounds = [
        (int(round_id), int(number))
        for round_id, number in db.execute(
            _joined(sa.select(Match.round_id, sa.func.count()), people=people)
            .where(col(Match.round_id).is_not(None), *except_round)
            .group_by(Match.round_id)
            .order_by(col(Match.round_id).desc())
        ).all()
    ]
    return counts


_URGENCY_RANK = sa.case(
    {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}, value=Need.urgency, else_=4
)


def _order(sort: InboxSort, clock: Clock) -> list[Any]:
    no_shift = sa.case((col(Shift.starts_at).is_(None), 1), else_=0)
    no_due_date = sa.case((col(Need.due_date).is_(None), 1), else_=0)
    oldest = [col(Match.created_at), col(Match.id)]
    if sort is InboxSort.DUE:
        due_first = sa.case((due_condition(clock), 0), else_=1)
        return [due_first, _URGENCY_RANK, no_shift, col(Shift.starts_at), no_due_date, col(Need.due_date), *oldest]
    if sort is InboxSort.URGENCY:
        return [_URGENCY_RANK, no_shift, col(Shift.starts_at), no_due_date, col(Need.due_date), *oldest]
    if sort is InboxSort.SHIFT:
        return [no_shift, col(Shift.starts_at), *oldest]
    if sort is InboxSort.NEWEST:
        return [col(Match.created_at).desc(), col(Match.id).desc()]
    if sort is InboxSort.SCORE:
        return [sa.case((col(Match.score).is_(None), 1), else_=0), col(Match.score).desc(), *oldest]
    return oldest


def matching_ids(
    db: Session, filters: InboxFilters, sort: InboxSort, *, upto: int | None, limit: int, clock: Clock | None = None
) -> list[int]:
    """The ids of the pending items matching ``filters`` (none newer than ``upto``), the first ``limit`` in
    the inbox's order: what "select all matching the filter" decides."""
    clock = clock or Clock.at(db=db, streets=filters.streets)
    statement = _joined(sa.select(Match.id), people=bool(filters.q)).where(*_conditions(filters, clock).values())
    if upto is not None:
        statement = statement.where(col(Match.id) <= upto)
    return [int(i) for i in db.execute(statement.order_by(*_order(sort, clock)).limit(limit)).scalars()]


def count_matching(db: Session, filters: InboxFilters, *, upto: int | None, clock: Clock | None = None) -> int:
    """How many pending items match ``filters`` (none newer than ``upto``)."""
    clock = clock or Clock.at(db=db, streets=filters.streets)
    statement = _joined(sa.select(sa.func.count()), people=bool(filters.q)).where(*_conditions(filters, clock).values())
    if upto is not None:
        statement = statement.where(col(Match.id) <= upto)
    return int(db.execute(statement).scalar_one())


# --- one page ----------------------------------------------------------------------------------------


@dataclass
class InboxCard:
    """One pending item with everything its card shows (loaded by the page's query, nothing lazy)."""

    match: Match
    need: Need
    reference: str
    community: Community | None
    grid: Grid | None
    who: str
    offer: Offer | None
    line: ResourceLine | None
    shift: Shift | None
    conflicts: list[ConflictNote]
    due_today: bool

    @property
    def awaiting_answer(self) -> bool:
        return self.match.source in PROPOSAL_SOURCES and self.match.accepted_at is None


@dataclass
class InboxPage:
    filters: InboxFilters
    sort: InboxSort
    counts: InboxCounts
    cards: list[InboxCard]
    page: int = 1
    pages: int = 1
    page_size: int = PAGE_SIZE


def _who(match: Match, organization: Organization | None, volunteer_name: str | None) -> str:
    if match.kind is MatchKind.VOLUNTEER_SHIFT:
        return volunteer_name or ""
    return localized_name(organization) if organization is not None else ""  # English name to an English reader


def page_ids(
    db: Session, filters: InboxFilters, sort: InboxSort, clock: Clock, *, offset: int, limit: int
) -> list[int]:
    """The ids of one page's items, in the inbox's order: the first of the page's two queries.

    It selects the id alone, so the outer joins no filter or sort reads fall away (PostgreSQL drops them,
    and the volunteer's rows are joined only for a search): the planner is free to start from a street
    admin's street's needs and reach their pending matches by index, instead of joining every pending item
    of the city with everything its card shows and keeping the street's last (PostgreSQL keeps the written
    join order past eight tables). The order ends with the match's id, so it is total and the page exact.
    """
    statement = (
        _joined(sa.select(Match.id), people=bool(filters.q))
        .where(*_conditions(filters, clock).values())
        .order_by(*_order(sort, clock))
        .offset(offset)
        .limit(limit)
    )
    return [int(i) for i in db.execute(statement).scalars()]


def _rows_of(db: Session, ids: list[int], clock: Clock) -> list[Any]:
    """Everything the cards of these pending items show, in the order of ``ids``: the second query, which
    reaches each row by its primary key. An item decided since the first query has left the inbox and is
    left out, as a page read a moment later would leave it out."""
    statement = (
        _joined(
            sa.select(
                Match,
                Need,
                Community,
                Grid,
                Organization,
                Offer,
                ResourceLine,
                Shift,
                User.display_name,
                due_condition(clock),
            ),
            people=True,
        )
        .join(Community, col(Community.id) == Grid.community_id)
        .where(col(Match.id).in_(ids))
    )
    found = {row[0].id: row for row in db.execute(statement).all()}
    return [found[match_id] for match_id in ids if match_id in found]


def inbox_page(
    db: Session,
    filters: InboxFilters,
    sort: InboxSort = InboxSort.DUE,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> InboxPage:
    """One page of the inbox with its counts; past the last page shows the last one."""
    clock = Clock.at(now, db, filters.streets)
    counts = count_inbox(db, filters, clock)
    pages = max(1, -(-counts.total // page_size))
    page = min(max(page, 1), pages)
    cards: list[InboxCard] = []
    ids = page_ids(db, filters, sort, clock, offset=(page - 1) * page_size, limit=page_size) if counts.total else []
    if ids:
        rows = _rows_of(db, ids, clock)
        shifts = {row[7].id: row[7] for row in rows if row[7] is not None}  # the sign-ups' own shifts
        overlaps = overlaps_of(db, [row[0] for row in rows], shifts)
        for match, need, community, grid, organization, offer, line, shift, volunteer_name, due in rows:
            subject = Subject(match, organization, offer, line, shift, overlaps.get(match.id or 0))
            cards.append(
                InboxCard(
                    match=match,
                    need=need,
                    reference=reference_number(need.id or 0),
                    community=community,
                    grid=grid,
                    who=_who(match, organization, volunteer_name),
                    offer=offer,
                    line=line,
                    shift=shift,
                    conflicts=notes_of(subject, clock.now),
                    due_today=bool(due),
                )
            )
    return InboxPage(filters, sort, counts, cards, page, pages, page_size)
