"""What the rounds pages show of a round: its stage in words, the step it is on, who started it, its street."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.places.models import Street
from marketplace.rounds import schedule
from marketplace.rounds.models import MatchRound
from marketplace.rounds.services import is_stale

# The stages a round goes through, in order, as the library and the service name them.
STAGES: dict[str, str] = {
    "queued": N_("Waiting to start"),
    "loading": N_("Reading the open lines and shifts"),
    "lines": N_("Ranking offers for the resource lines"),
    "shifts": N_("Ranking volunteers for the shifts"),
    "allocation": N_("Finding the best plan"),
    "writing": N_("Writing the proposals"),
    "done": N_("Done"),
}
_ORDER = list(STAGES)


@dataclass(frozen=True)
class StreetName:
    """The street a round planned, as the page names it (``localized_name``)."""

    id: int
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class RoundView:
    row: MatchRound
    started_by: str
    street: StreetName | None = None  # None: the round planned every street at once

    @property
    def interrupted(self) -> bool:
        """Live on paper, but its heartbeat stopped: the process running it is gone."""
        return is_stale(self.row)

    @property
    def polling(self) -> bool:
        return self.row.is_live and not self.interrupted

    @property
    def stage(self) -> str:
        return _(STAGES.get(self.row.stage, self.row.stage))

    @property
    def step(self) -> int:
        """1 for loading … 5 for writing (queued is 0)."""
        return _ORDER.index(self.row.stage) if self.row.stage in _ORDER else 0

    @property
    def steps(self) -> int:
        return len(_ORDER) - 2  # neither "queued" nor "done" is a step of work

    @property
    def percent(self) -> int:
        """How far the current stage is, 0–100."""
        if self.row.total <= 0:
            return 0
        return min(100, round(100 * self.row.done / self.row.total))


def street_name(street: Street) -> StreetName:
    return StreetName(street.id or 0, street.code, street.name, street.name_en)


def view_of(db: Session, row: MatchRound) -> RoundView:
    user = db.get(User, row.started_by_id) if row.started_by_id else None
    street = db.get(Street, row.street_id) if row.street_id is not None else None
    started_by = user.display_name if user else _("the street's schedule") if row.scheduled else _("command line")
    return RoundView(row, started_by, street_name(street) if street is not None else None)


@dataclass(frozen=True)
class ScheduleView:
    """A street's round schedule as the rounds page shows it (None fields: not set)."""

    street: StreetName
    enabled: bool
    weekdays: list[str]  # codes: mon … sun
    at: str  # "09:00"
    method: str
    k: int
    next_at: datetime | None  # when the next scheduled round starts (UTC)
    last_round_id: int | None


def schedule_views(db: Session, streets: list[Street], now: datetime) -> list[ScheduleView]:
    rows = schedule.of_streets(db, [street.id or 0 for street in streets])
    views = []
    for street in streets:
        row = rows.get(street.id or 0)
        if row is None:
            views.append(ScheduleView(street_name(street), False, [], "09:00", "optimal", 20, None, None))
            continue
        next_at = schedule.next_slot(row.weekdays, row.at_minute, now) if row.enabled else None
        views.append(
            ScheduleView(
                street_name(street),
                row.enabled,
                schedule.weekday_codes(row.weekdays),
                schedule.clock_text(row.at_minute),
                row.method.value,
                row.k,
                next_at,
                row.last_round_id,
            )
        )
    return views
