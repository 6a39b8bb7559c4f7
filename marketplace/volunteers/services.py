"""Volunteers: self-registration, the profile with skills and weekly availability, the hours summary, staff lists.

Every read goes through ``scope.volunteers_visible_to``: staff see volunteers of their grids, a
volunteer only themselves, admins everyone.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar.exceptions import NotFoundException
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import hash_password
from marketplace.audit.services import changed, record, snapshot
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.masking import mask_phone
from marketplace.matches.services import not_an_unaccepted_proposal_signup
from marketplace.needs.models import Shift
from marketplace.organizations.models import Organization
from marketplace.organizations.schemas import AccountCreate
from marketplace.organizations.services import FormProblem, organizations_visible_to, volunteers_visible_to
from marketplace.places.models import Grid, Street
from marketplace.places.services import street_of_grid
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import street_day
from marketplace.vocabulary import Category
from marketplace.volunteers.hours import VolunteerHours, credit_of, hours_of
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSkill,
    VolunteerStreet,
)
from marketplace.volunteers.schemas import AvailabilitySlotCreate, VolunteerCreate
from marketplace.whole_numbers import whole_number

if TYPE_CHECKING:
    from marketplace.volunteers.directory import FIGURE_SORTS as FIGURE_SORTS
    from marketplace.volunteers.directory import DirectoryRow as DirectoryRow
    from marketplace.volunteers.directory import VolunteerFilters as VolunteerFilters
    from marketplace.volunteers.directory import count_volunteers as count_volunteers
    from marketplace.volunteers.directory import export_listing as export_listing
    from marketplace.volunteers.directory import parse_filters as parse_filters
    from marketplace.volunteers.directory import year_start as year_start
    from marketplace.volunteers.hours import ZERO as ZERO
    from marketplace.volunteers.hours import Credit as Credit
    from marketplace.volunteers.hours import before_platform as before_platform
    from marketplace.volunteers.hours import credit_for as credit_for
    from marketplace.volunteers.hours import credit_of as credit_of
    from marketplace.volunteers.hours import credited_sum as credited_sum
    from marketplace.volunteers.hours import is_credited as is_credited
    from marketplace.volunteers.hours import notes as notes
    from marketplace.volunteers.hours import street_hours as street_hours
    from marketplace.volunteers.reminders import send_reminders as send_reminders

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "Credit": "hours",
    "DirectoryRow": "directory",
    "FIGURE_SORTS": "directory",
    "VolunteerFilters": "directory",
    "ZERO": "hours",
    "before_platform": "hours",
    "count_volunteers": "directory",
    "credit_for": "hours",
    "credit_of": "hours",
    "credited_sum": "hours",
    "export_listing": "directory",
    "is_credited": "hours",
    "notes": "hours",
    "parse_filters": "directory",
    "send_reminders": "reminders",
    "street_hours": "hours",
    "year_start": "directory",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


# The availability grid of the forms: weekday × three windows of the day (minutes from midnight).
WINDOWS: list[tuple[str, str, int, int]] = [
    ("morning", N_("Morning 8–12"), 8 * 60, 12 * 60),
    ("afternoon", N_("Afternoon 13–17"), 13 * 60, 17 * 60),
    ("evening", N_("Evening 18–21"), 18 * 60, 21 * 60),
]
WEEKDAYS = [N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")]
PROFILE_FIELDS = ["home_grid_id", "segment", "is_party_member", "employer_organization_id", "weekly_hour_cap"]


def slots_from_keys(keys: list[str]) -> list[dict[str, int]] | None:
    """Checkbox values such as "2-evening" → availability windows; None when one is not on the grid."""
    windows = {name: (start, end) for name, _label, start, end in WINDOWS}
    slots = []
    for key in keys:
        weekday, _sep, window = str(key).partition("-")
        day = whole_number(weekday, minimum=0, maximum=6)
        if day is None or window not in windows:
            return None
        start, end = windows[window]
        slots.append({"weekday": day, "start_minute": start, "end_minute": end})
    return slots


def keys_from_slots(slots: list[AvailabilitySlot] | list[AvailabilitySlotCreate]) -> list[str]:
    names = {(start, end): name for name, _label, start, end in WINDOWS}
    return [
        f"{slot.weekday}-{names[(slot.start_minute, slot.end_minute)]}"
        for slot in slots
        if (slot.start_minute, slot.end_minute) in names
    ]


def _check_references(db: Session, data: VolunteerCreate) -> None:
    if db.get(Grid, data.home_grid_id) is None:
        raise FormProblem("home_grid_id", _("Choose a grid from the list."))
    if data.skill_ids:
        found = set(db.execute(sa.select(Skill.id).where(Skill.id.in_(data.skill_ids))).scalars())  # type: ignore[union-attr]
        if found != set(data.skill_ids):
            raise FormProblem("skill_ids", _("Choose skills from the list."))
    if data.employer_organization_id is not None:
        employer = db.execute(
            organizations_visible_to(None).where(Organization.id == data.employer_organization_id)
        ).scalar_one_or_none()
        if employer is None:
            raise FormProblem("employer_organization_id", _("Choose an approved organization from the list."))


def _replace_skills_and_slots(db: Session, profile_id: int, data: VolunteerCreate) -> None:
    db.execute(sa.delete(VolunteerSkill).where(VolunteerSkill.volunteer_id == profile_id))
    db.execute(sa.delete(AvailabilitySlot).where(AvailabilitySlot.volunteer_id == profile_id))
    db.execute(sa.delete(VolunteerInterest).where(VolunteerInterest.volunteer_id == profile_id))
    for skill_id in sorted(set(data.skill_ids)):
        db.add(VolunteerSkill(volunteer_id=profile_id, skill_id=skill_id))
    for category in dict.fromkeys(data.interests):
        db.add(VolunteerInterest(volunteer_id=profile_id, category=category))
    for slot in data.availability:
        db.add(slot.to_row(profile_id))
    db.flush()


def _profile_snapshot(db: Session, profile: VolunteerProfile) -> dict[str, Any]:
    data = snapshot(profile, PROFILE_FIELDS) or {}
    assert profile.id is not None
    data["skill_ids"] = skill_ids_of(db, profile.id)
    data["street_codes"] = street_codes_of(db, profile.id)
    data["availability"] = [
        [slot.weekday, slot.start_minute, slot.end_minute] for slot in availability_of(db, profile.id)
    ]
    data["interests"] = interests_of(db, profile.id)
    return data


def register_volunteer(db: Session, account: AccountCreate, data: VolunteerCreate) -> tuple[User, VolunteerProfile]:
    """The account, profile, skills and availability in the caller's transaction; audited."""
    _check_references(db, data)
    user = User(
        username=account.username,
        display_name=account.display_name,
        phone=account.phone,
        password_hash=hash_password(account.password),
        role=Role.VOLUNTEER,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise FormProblem("username", _("This username is taken; choose another.")) from None
    assert user.id is not None
    profile = data.to_row(user.id)
    db.add(profile)
    db.flush()
    assert profile.id is not None
    _replace_skills_and_slots(db, profile.id, data)
    record(
        db,
        "user.register",
        object_type="user",
        object_id=user.id,
        after=snapshot(user, ["username", "display_name", "phone", "role"]),
        actor_id=user.id,
        actor_role=Role.VOLUNTEER.value,
    )
    record(
        db,
        "volunteer.register",
        object_type="volunteer",
        object_id=profile.id,
        after=_profile_snapshot(db, profile),
        actor_id=user.id,
        actor_role=Role.VOLUNTEER.value,
    )
    return user, profile


def own_profile(db: Session, actor: CurrentUser) -> VolunteerProfile:
    row = db.execute(volunteers_visible_to(actor).where(VolunteerProfile.user_id == actor.id)).scalar_one_or_none()
    if row is None:
        raise NotFoundException(_("You have no volunteer profile."))
    return row  # type: ignore[no-any-return]


def update_profile(
    db: Session,
    actor: CurrentUser,
    data: VolunteerCreate,
    *,
    display_name: str | None = None,
    phone: str | None = None,
    street_codes: list[str] | None = None,
) -> VolunteerProfile:
    """Replace the volunteer's own profile (skills and availability included; the streets they also serve when
    ``street_codes`` is given: the home grid's street among them is implied, not stored); audited with
    before/after."""
    profile = own_profile(db, actor)
    assert profile.id is not None
    _check_references(db, data)
    street_ids = _street_ids(db, street_codes) if street_codes is not None else None
    before = _profile_snapshot(db, profile)
    user = db.get(User, actor.id)
    assert user is not None
    before |= {"display_name": user.display_name, "phone": user.phone}
    for name in PROFILE_FIELDS:
        setattr(profile, name, getattr(data, name))
    if display_name is not None:
        user.display_name = display_name
    if phone is not None:
        user.phone = phone
    db.add_all([profile, user])
    db.flush()
    _replace_skills_and_slots(db, profile.id, data)
    # Rewritten even when unchanged: a new home grid may make one of them the (implied) home street.
    _replace_streets(db, profile, street_ids if street_ids is not None else _stored_street_ids(db, profile.id))
    after = _profile_snapshot(db, profile) | {"display_name": user.display_name, "phone": user.phone}
    old, new = changed(before, after)
    if new:
        record(db, "volunteer.update", object_type="volunteer", object_id=profile.id, before=old, after=new)
    return profile


# --- the streets a volunteer serves ------------------------------------------------------------------------


class StreetChoiceProblem(FormProblem):
    """A street the volunteer cannot choose to serve besides home; ``code`` is the API's stable refusal code
    (``unknown_street``, ``not_a_street_code``; docs/api_refusals.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("street_codes", message)
        self.code = code


def _street_ids(db: Session, codes: list[str]) -> list[int]:
    """The ids of streets named by code; an unknown code, or a street's number sent for its code, is a
    ``StreetChoiceProblem`` on ``street_codes``. The home street may be among them (always served: dropped)."""
    wanted = list(dict.fromkeys(str(code).strip() for code in codes))
    askable = [code for code in wanted if 0 < len(code) <= 32 and "\x00" not in code]  # PostgreSQL refuses NUL
    rows = db.execute(sa.select(Street.code, Street.id).where(Street.code.in_(askable)))  # type: ignore[attr-defined]
    found: dict[str, int] = {code: street_id for code, street_id in rows}
    unknown = [code for code in wanted if code not in found]
    if unknown and re.fullmatch(r"[0-9]+", unknown[0]):
        message = _("%(code)s is a number; name each street by its code (as listed under the streets).")
        raise StreetChoiceProblem("not_a_street_code", message % {"code": unknown[0]})
    if unknown:
        message = _("Unknown street: %(code)s. Choose streets from the list.") % {"code": unknown[0]}
        raise StreetChoiceProblem("unknown_street", message)
    return [found[code] for code in wanted]


def _replace_streets(db: Session, profile: VolunteerProfile, street_ids: list[int]) -> None:
    """Store the streets served besides home; the home grid's street is implied and never stored."""
    assert profile.id is not None
    home = street_of_grid(db, profile.home_grid_id)
    db.execute(sa.delete(VolunteerStreet).where(VolunteerStreet.volunteer_id == profile.id))  # type: ignore[arg-type]
    for street_id in sorted(set(street_ids) - {home}):
        db.add(VolunteerStreet(volunteer_id=profile.id, street_id=street_id))
    db.flush()


def _stored_street_ids(db: Session, profile_id: int) -> list[int]:
    return list(
        db.execute(sa.select(VolunteerStreet.street_id).where(VolunteerStreet.volunteer_id == profile_id)).scalars()
    )


def other_streets_of(db: Session, profile_id: int) -> list[Street]:
    """The streets a volunteer serves besides the one they live in, by code."""
    return list(
        db.execute(
            sa.select(Street)
            .join(VolunteerStreet, VolunteerStreet.street_id == Street.id)
            .where(VolunteerStreet.volunteer_id == profile_id)
            .order_by(Street.code)
        ).scalars()
    )


def street_codes_of(db: Session, profile_id: int) -> list[str]:
    return [street.code for street in other_streets_of(db, profile_id)]


def home_street_of(db: Session, profile: VolunteerProfile) -> Street | None:
    street_id = street_of_grid(db, profile.home_grid_id)
    return db.get(Street, street_id) if street_id is not None else None


def skill_ids_of(db: Session, profile_id: int) -> list[int]:
    return sorted(
        db.execute(sa.select(VolunteerSkill.skill_id).where(VolunteerSkill.volunteer_id == profile_id)).scalars()
    )


CATEGORY_ORDER = {category.value: position for position, category in enumerate(Category)}


def interests_of(db: Session, profile_id: int) -> list[str]:
    """The need categories the volunteer wants to work in, in the vocabulary's order."""
    found = db.execute(sa.select(VolunteerInterest.category).where(VolunteerInterest.volunteer_id == profile_id))
    return sorted((category.value for category in found.scalars()), key=CATEGORY_ORDER.__getitem__)


def availability_of(db: Session, profile_id: int) -> list[AvailabilitySlot]:
    return list(
        db.execute(
            sa.select(AvailabilitySlot)
            .where(AvailabilitySlot.volunteer_id == profile_id)
            .order_by(AvailabilitySlot.weekday, AvailabilitySlot.start_minute)
        ).scalars()
    )


# Names of the taxonomy's groups (the ``group`` column holds a code); an unknown group shows its code.
SKILL_GROUP_LABELS = {
    "care": N_("Care"),
    "medical": N_("Medical and health"),
    "repair": N_("Repair and building"),
    "professional": N_("Professional services"),
    "education": N_("Education and languages"),
    "culture": N_("Culture, sports and publicity"),
    "logistics": N_("Logistics and order"),
}


def skill_groups(db: Session) -> list[tuple[str, list[Skill]]]:
    """Skills grouped, each group under its translated name."""
    groups: dict[str, list[Skill]] = defaultdict(list)
    for skill in db.execute(sa.select(Skill).order_by(Skill.group, Skill.id)).scalars():
        groups[skill.group].append(skill)
    return [
        (_(SKILL_GROUP_LABELS[code]) if code in SKILL_GROUP_LABELS else code, rows) for code, rows in groups.items()
    ]


# --- hours ------------------------------------------------------------------------------------------------


@dataclass
class RecentSignup:
    shift_title: str
    starts_at: datetime
    status: SignupStatus
    hours: Decimal
    too_short: bool = False  # checked out after less than the 8 minutes that earn a quarter hour


@dataclass
class HoursSummary:
    """A volunteer's hours by the one definition (marketplace.volunteers.hours)."""

    total_hours: Decimal  # credited on the platform: completed sign-ups
    completed: int
    no_shows: int
    by_month: list[tuple[str, Decimal, int]]  # ("2026-05", hours, shifts), by the street month of the shift
    recent: list[RecentSignup]
    before_platform: Decimal = Decimal(0)  # from the street's earlier paper records, shown apart

    @property
    def all_time(self) -> Decimal:
        return self.total_hours + self.before_platform


def hours_summary(db: Session, profile_id: int, *, recent_limit: int = 10) -> HoursSummary:
    """Hours from the sign-ups themselves: credited hours of completed sign-ups, by the street month of the shift."""
    rows = db.execute(
        sa.select(ShiftSignup, Shift)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.volunteer_id == profile_id, not_an_unaccepted_proposal_signup())
        .order_by(Shift.starts_at.desc(), ShiftSignup.id.desc())  # type: ignore[attr-defined]
    ).all()
    profile = db.get(VolunteerProfile, profile_id)
    figures = hours_of(db, [profile] if profile is not None else [])
    months: dict[str, list[Any]] = {}
    for signup, shift in rows:
        if signup.status is SignupStatus.COMPLETED:
            month = months.setdefault(street_day(shift.starts_at).strftime("%Y-%m"), [Decimal(0), 0])
            month[0] += signup.hours_credited
            month[1] += 1
    recent = []
    for signup, shift in rows[:recent_limit]:
        credit = credit_of(signup, shift) if signup.status is SignupStatus.COMPLETED else None
        too_short = credit is not None and signup.hours_credited == 0
        recent.append(RecentSignup(shift.title, shift.starts_at, signup.status, signup.hours_credited, too_short))
    by_month = [(key, value[0], value[1]) for key, value in sorted(months.items(), reverse=True)]
    mine = figures.get(profile_id)
    return HoursSummary(
        total_hours=mine.credited if mine else Decimal(0),
        completed=sum(1 for signup, _shift in rows if signup.status is SignupStatus.COMPLETED),
        no_shows=sum(1 for signup, _shift in rows if signup.status is SignupStatus.NO_SHOW),
        by_month=by_month,
        recent=recent,
        before_platform=mine.before_platform if mine else Decimal(0),
    )


# --- staff and admins -----------------------------------------------------------------------------------


@dataclass
class VolunteerRow:
    profile: VolunteerProfile
    user: User
    grid: Grid
    phone_masked: str
    hours: VolunteerHours
    interests: list[Category] = field(default_factory=list)


def list_volunteers(
    db: Session, viewer: CurrentUser, *, grid_id: int | None = None, page: int = 1, page_size: int = 50
) -> tuple[list[VolunteerRow], int]:
    visible = volunteers_visible_to(viewer)
    if grid_id is not None:
        visible = visible.where(VolunteerProfile.home_grid_id == grid_id)
    total = int(db.execute(sa.select(sa.func.count()).select_from(visible.subquery())).scalar_one())
    subquery = visible.subquery()
    rows = db.execute(
        sa.select(VolunteerProfile, User, Grid)
        .join(subquery, subquery.c.id == VolunteerProfile.id)
        .join(User, User.id == VolunteerProfile.user_id)
        .join(Grid, Grid.id == VolunteerProfile.home_grid_id)
        .order_by(Grid.number, User.display_name, VolunteerProfile.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    figures = hours_of(db, [profile for profile, _user, _grid in rows])
    interests = interests_by_volunteer(db, [profile.id for profile, _user, _grid in rows])
    return [
        VolunteerRow(profile, user, grid, mask_phone(user.phone) or "", figures[profile.id], interests[profile.id])
        for profile, user, grid in rows
    ], total


def interests_by_volunteer(db: Session, profile_ids: list[Any]) -> dict[int, list[Category]]:
    """Each volunteer's interests in one query, in the vocabulary's order."""
    found: dict[int, list[Category]] = defaultdict(list)
    if profile_ids:
        query = sa.select(VolunteerInterest.volunteer_id, VolunteerInterest.category).where(
            VolunteerInterest.volunteer_id.in_(profile_ids)  # type: ignore[attr-defined]
        )
        for volunteer_id, category in db.execute(query):
            found[volunteer_id].append(category)
    for categories in found.values():
        categories.sort(key=lambda category: CATEGORY_ORDER[category.value])
    return found


def get_volunteer(db: Session, viewer: CurrentUser, profile_id: int) -> VolunteerRow:
    subquery = volunteers_visible_to(viewer).where(VolunteerProfile.id == profile_id).subquery()
    row = db.execute(
        sa.select(VolunteerProfile, User, Grid)
        .join(subquery, subquery.c.id == VolunteerProfile.id)
        .join(User, User.id == VolunteerProfile.user_id)
        .join(Grid, Grid.id == VolunteerProfile.home_grid_id)
    ).first()
    if row is None:
        raise NotFoundException(_("No such volunteer."))
    profile, user, grid = row
    return VolunteerRow(profile, user, grid, mask_phone(user.phone) or "", hours_of(db, [profile])[profile.id])


def skills_named(db: Session, skill_ids: list[int]) -> list[Skill]:
    if not skill_ids:
        return []
    return list(db.execute(sa.select(Skill).where(Skill.id.in_(skill_ids)).order_by(Skill.group, Skill.id)).scalars())  # type: ignore[union-attr]
