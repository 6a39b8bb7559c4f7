"""Each role's home: the numbers that say what waits for them, each linking to the list showing those items.

Every number comes from the owning domain's services with the same conditions as the list it links to,
and within the viewer's scope (staff their grids, a street admin their street, a city admin every
street). Nothing here queries a table directly.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.home.schemas import Card, Home, Item, Link, Section
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.matches import services as matches_services
from marketplace.matches.models import MatchKind, MatchStatus
from marketplace.matches.services import ClaimFilters
from marketplace.needs import services as needs
from marketplace.needs import services as needs_services
from marketplace.offers import services as offers
from marketplace.offers.models import OfferStatus
from marketplace.organizations import services as organizations
from marketplace.organizations.models import OrganizationStatus
from marketplace.places.services import admin_street_ids, is_city_admin
from marketplace.quantity_display import unit_name
from marketplace.recommend import services as recommend_services
from marketplace.rounds import services as rounds
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_start, street_time, street_today
from marketplace.volunteers import services as volunteers

SHOWN = 5  # rows of a short list on a home page; the linked list has them all
# Round proposals waiting for an answer are listed at the top of My claims and My shifts.
PARTNER_PROPOSALS = "/claims#proposals-heading"
VOLUNTEER_PROPOSALS = "/signups#proposals-heading"
PROPOSED, APPROVED, FULFILLED = MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.FULFILLED


def _claims(status: MatchStatus, delivered_in: int | None = None) -> str:
    """My claims filtered to exactly the claims a partner's number counts."""
    return ClaimFilters(status, delivered_in).href


@dataclass(frozen=True)
class Ages:
    """The street days a home page's "today / 1–3 days / older" buckets stand for."""

    today: date
    today_starts: datetime  # UTC
    recent_starts: datetime  # the start of the street day three days ago

    @classmethod
    def at(cls, now: datetime) -> "Ages":
        today = street_today(now)
        return cls(today, day_start(today), day_start(today - timedelta(days=3)))

    def links(self, path: str) -> tuple[str, str, str]:
        """``path`` (the review inbox, the escalations) filtered to each bucket by inclusive street days."""
        day = self.today
        return (
            f"{path}?" + urlencode({"from": day.isoformat()}),
            f"{path}?"
            + urlencode({"from": (day - timedelta(days=3)).isoformat(), "to": (day - timedelta(days=1)).isoformat()}),
            f"{path}?" + urlencode({"to": (day - timedelta(days=4)).isoformat()}),
        )


def _when(moment: datetime) -> str:
    return street_time(moment).strftime("%m-%d %H:%M")


def _window(starts: datetime, ends: datetime) -> str:
    start, end = street_time(starts), street_time(ends)
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%m-%d %H:%M} – {end:%m-%d %H:%M}"


def _amount(value: Decimal) -> int | float:
    """A quantity or hours as JSON and the page show it: 12 not 12.00, 2.5 not 2.50."""
    normal = Decimal(value).normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _text(value: Decimal) -> str:
    """A quantity as the pages write numbers: "3,200", "2.5", in the reader's language."""
    from marketplace.web import format_number  # the pages' own number formatting

    return format_number(Decimal(value))


def _with_unit(value: Decimal, unit: str) -> str:
    """A quantity with its unit as the pages write it: "5,000 m²", "12,500元"."""
    from marketplace.web import with_unit

    return with_unit(Decimal(value), unit)


def bring_up_to_date(reader: Session, writers: sessionmaker[Session], viewer: CurrentUser) -> None:
    """Run the sweeps the linked lists run when opened (overdue escalations, expired offers), so that the
    home's numbers and the lists agree; each writes only when its probe finds work."""
    if viewer.role in (Role.ADMIN, Role.STAFF):
        needs_services.escalate_overdue_when_due(reader, writers)
    elif viewer.role == Role.PARTNER:
        offers.sweep_expired(reader, writers)


def home_for(db: Session, viewer: CurrentUser, now: datetime | None = None) -> Home:
    """The viewer's home, by role."""
    now = now or utcnow()
    if viewer.role == Role.ADMIN:
        return admin_home(db, viewer, now)
    if viewer.role == Role.STAFF:
        return staff_home(db, viewer, now)
    if viewer.role == Role.PARTNER:
        return partner_home(db, viewer, now)
    return volunteer_home(db, viewer, now)


# --- staff ------------------------------------------------------------------------------------------------


def _escalation_cards(db: Session, viewer: CurrentUser, now: datetime, ages: Ages) -> tuple[list[Card], list[Card]]:
    counts = needs_services.escalation_counts(
        db, viewer, now=now, today_starts=ages.today_starts, recent_starts=ages.recent_starts
    )
    state = [
        Card(
            "escalations_waiting", _("Waiting for acknowledgement"), counts.waiting, "/escalations?waiting=true", "act"
        ),
        Card("escalations_overdue", _("Past the deadline"), counts.overdue, "/escalations?overdue=true", "act"),
        Card("escalations_open", _("Open escalation steps"), counts.total, "/escalations"),
    ]
    today_link, recent_link, older_link = ages.links("/escalations")
    by_age = [
        Card("escalations_today", _("Opened today"), counts.today, today_link),
        Card("escalations_recent", _("1–3 days ago"), counts.recent, recent_link),
        Card("escalations_older", _("Older"), counts.older, older_link, "act"),
    ]
    return state, by_age


def _ready_to_verify_card(db: Session, viewer: CurrentUser) -> Card:
    """Ready to verify (待验收): delivered in full, or ended with places unfilled, nothing left to wait for;
    counted within the viewer's grids (staff) or street (an admin; a city admin: every street), linking to
    the need list's filter, which shows the same needs."""
    to_verify = needs.count_needs(db, viewer, needs.NeedFilters(ready_to_verify=True))
    return Card("needs_to_verify", _("Ready to verify"), to_verify, "/needs?ready_to_verify=true", "act")


def staff_home(db: Session, viewer: CurrentUser, now: datetime) -> Home:
    ages = Ages.at(now)
    to_review = needs.count_needs(db, viewer, needs.NeedFilters(to_review=True))
    overdue = needs.count_needs(db, viewer, needs.NeedFilters(overdue=True))
    escalated, _by_age = _escalation_cards(db, viewer, now, ages)
    need_section = Section(
        "needs",
        _("Needs in your grids"),
        cards=[
            Card("needs_to_review", _("To review and publish"), to_review, "/needs?to_review=true", "act"),
            Card("needs_overdue", _("Overdue"), overdue, "/needs?overdue=true", "act"),
            _ready_to_verify_card(db, viewer),
            escalated[0],
            escalated[2],
        ],
        links=[Link(_("Record a need"), "/needs/new"), Link(_("Need list"), "/needs")],
    )
    shifts = needs_services.shifts_between(db, viewer, ages.today_starts, day_start(ages.today + timedelta(days=1)))
    shift_section = Section(
        "shifts_today",
        _("Today's shifts in your grids"),
        cards=[Card("shifts_today", _("Shifts today"), len(shifts), "#shifts_today-list")],
        items=[
            Item(
                f"{shift.title} · {shift.need_title}",
                _("%(when)s · %(confirmed)d of %(slots)d confirmed")
                % {"when": _window(shift.starts_at, shift.ends_at), "confirmed": shift.confirmed, "slots": shift.slots}
                + (f" · {shift.location}" if shift.location else ""),
                f"/needs/{shift.need_id}",
            )
            for shift in shifts
        ],
        empty=_("No shift starts today in your grids."),
    )
    return Home(
        "staff",
        _("My home"),
        _("What waits for you in the grids you work in today."),
        [need_section, shift_section],
    )


# --- admins -----------------------------------------------------------------------------------------------


def _round_section(db: Session, viewer: CurrentUser) -> Section:
    latest = rounds.recent(db, 1, admin_street_ids(viewer))
    title = _("The last matching round")
    if not latest:
        return Section(
            "last_round",
            title,
            empty=_("No matching round has run yet."),
            links=[Link(_("Run a matching round"), "/rounds")],
        )
    row = latest[0]
    detail = counted(
        "%(status)s · started %(when)s · %(proposals)d proposal",
        "%(status)s · started %(when)s · %(proposals)d proposals",
        row.proposals,
        status=row.status.label,
        when=_when(row.started_at or row.created_at),
        proposals=row.proposals,
        also_counts=("proposals",),
    )
    return Section(
        "last_round",
        title,
        cards=[
            Card(
                "round_proposals_pending",
                _("Its proposals waiting for review"),
                matches_services.round_pending(db, viewer, row.id or 0),
                f"/review?round={row.id}",
                "act",
            )
        ],
        items=[Item(_("Round %(id)d") % {"id": row.id}, detail, f"/rounds/{row.id}")],
        links=[Link(_("All matching rounds"), "/rounds")],
    )


def admin_home(db: Session, viewer: CurrentUser, now: datetime) -> Home:
    ages = Ages.at(now)
    queue = matches_services.review_queue(db, viewer, today_starts=ages.today_starts, recent_starts=ages.recent_starts)
    needs_to_review = needs.count_needs(db, viewer, needs.NeedFilters(to_review=True))
    pending = organizations.list_organizations(db, viewer, status=OrganizationStatus.PENDING, page_size=SHOWN)
    today_link, recent_link, older_link = ages.links("/review")
    queue_section = Section(
        "review_queue",
        _("Review queue"),
        cards=[
            Card("queue_total", _("Waiting for review"), queue.total, "/review", "act"),
            Card(
                "queue_whole_need",
                _("Whole-project claims"),
                queue.kinds.get(MatchKind.WHOLE_NEED, 0),
                "/review?kind=whole_need",
            ),
            Card(
                "queue_offer_line",
                _("Resource line claims"),
                queue.kinds.get(MatchKind.OFFER_LINE, 0),
                "/review?kind=offer_line",
            ),
            Card(
                "queue_volunteer_shift",
                _("Volunteer sign-ups"),
                queue.kinds.get(MatchKind.VOLUNTEER_SHIFT, 0),
                "/review?kind=volunteer_shift",
            ),
            Card("needs_to_review", _("Needs to review and publish"), needs_to_review, "/needs?to_review=true", "act"),
            _ready_to_verify_card(db, viewer),
            Card(
                "organizations_pending",
                _("Organizations to vet"),
                pending.total,
                "/admin/organizations?status=pending",
                "act",
            ),
        ],
    )
    age_section = Section(
        "queue_age",
        _("How long items have waited"),
        lead=_("Claims, sign-ups and proposals in the review queue, by the day they came in."),
        cards=[
            Card("queue_today", _("Today"), queue.today, today_link),
            Card("queue_recent", _("1–3 days"), queue.recent, recent_link),
            Card("queue_older", _("Older"), queue.older, older_link, "act"),
        ],
    )
    vetting = Section(
        "organizations",
        _("Organizations to vet"),
        items=[
            Item(row.name, _("registered %(when)s") % {"when": _when(row.created_at)}, f"/admin/organizations/{row.id}")
            for row in pending.rows
        ],
        links=[Link(_("All organizations"), "/admin/organizations")],
        empty=_("No organization waits to be vetted."),
    )
    state, by_age = _escalation_cards(db, viewer, now, ages)
    escalations = Section("escalations", _("Escalations"), cards=[*state, *by_age])
    round_section = _round_section(db, viewer)
    sections = [queue_section, age_section, vetting, round_section, escalations]
    if is_city_admin(viewer):
        sections.insert(
            0,
            Section(
                "city",
                _("Every street"),
                lead=_("You work for the whole city: each street's queue, needs and rounds side by side."),
                links=[Link(_("Streets at a glance"), "/admin/city")],
            ),
        )
    return Home("admin", _("My home"), _("What waits for the street's decision, oldest first."), sections)


# --- partners ---------------------------------------------------------------------------------------------


def partner_home(db: Session, viewer: CurrentUser, now: datetime) -> Home:
    if not viewer.organization_approved:
        status = viewer.organization_status or ""
        message = {
            "pending": _(
                "Your organization's registration waits for the street's review. "
                "You can publish offers and claim projects once it is approved."
            ),
            "suspended": _("Your organization is suspended; its claims and offers stay in view."),
            "rejected": _("Your organization's registration was not approved. Its page says why."),
        }.get(status, _("Your account belongs to no approved organization yet."))
        sections = [
            Section(
                "organization", _("Our organization"), lead=message, links=[Link(_("My organization"), "/organization")]
            )
        ]
        if status != "suspended":
            return Home(
                "partner", _("My home"), _("What our organization offers, claims and has contributed."), sections
            )
    else:
        sections = []
    listing = offers.list_offers(db, viewer, offers.OfferFilters(status=OfferStatus.ACTIVE), page=1, page_size=SHOWN)
    offer_section = Section(
        "offers",
        _("Our offers"),
        cards=[
            Card("offers_active", _("Active offers"), listing.counts.get("active", 0), "/offers?status=active"),
            Card(
                "offers_exhausted",
                _("Given out in full"),
                listing.counts.get("exhausted", 0),
                "/offers?status=exhausted",
            ),
        ],
        items=[
            Item(
                row.title,
                _("%(remaining)s of %(quantity)s %(unit)s remain")
                % {
                    "remaining": _text(row.remaining_quantity),
                    "quantity": _text(row.quantity),
                    "unit": unit_name(row.unit, row.quantity),
                },
                f"/offers/{row.id}",
            )
            for row in listing.rows
        ],
        empty=_("No active offer. Publish what your organization can give: materials, services, a venue, expertise."),
        links=[Link(_("Publish an offer"), "/offers/new")] if viewer.organization_approved else [],
    )
    proposals = matches_services.proposals_for(db, viewer)
    claims = matches_services.claim_counts(db, viewer.organization_id)
    act_section = Section(
        "to_act_on",
        _("To act on"),
        cards=[
            Card("proposals_awaiting", _("Proposals to accept or decline"), len(proposals), PARTNER_PROPOSALS, "act"),
            Card("claims_to_deliver", _("Approved claims to deliver"), claims.to_deliver, _claims(APPROVED), "act"),
            Card("claims_waiting", _("Claims waiting for the street"), claims.waiting, _claims(PROPOSED)),
        ],
        items=[
            Item(row.need.title, _("proposed %(when)s") % {"when": _when(row.match.created_at)}, PARTNER_PROPOSALS)
            for row in proposals[:SHOWN]
        ],
        links=[Link(_("Recommended projects"), "/recommended")] if viewer.organization_approved else [],
    )
    year = street_today(now).year
    given = matches_services.contribution(db, viewer.organization_id, year_starts=day_start(date(year, 1, 1)))
    contributed = Section(
        "contributed",
        _("What we contributed"),
        cards=[
            Card("claims_fulfilled", _("Claims delivered"), given.fulfilled, _claims(FULFILLED)),
            Card("claims_fulfilled_this_year", _("Delivered this year"), given.this_year, _claims(FULFILLED, year)),
            # The delivered claims' page says on how many projects they are.
            Card("projects_served", _("Projects served"), given.projects, _claims(FULFILLED)),
        ],
        items=[Item(_with_unit(quantity, unit), _("delivered from our offers")) for unit, quantity in given.units],
        empty="" if given.fulfilled else _("Nothing delivered yet. Claims count here once they are delivered."),
    )
    return Home(
        "partner",
        _("My home"),
        _("What our organization offers, claims and has contributed."),
        [*sections, act_section, offer_section, contributed],
    )


# --- volunteers -------------------------------------------------------------------------------------------


def volunteer_home(db: Session, viewer: CurrentUser, now: datetime) -> Home:
    profile_id = matches_services.profile_id_of(db, viewer)
    lead = _("Tasks that suit you, your next shifts and your hours.")
    if profile_id is None:
        section = Section(
            "profile",
            _("Your volunteer profile"),
            lead=_("Fill in your skills, availability and home grid to get tasks that suit you."),
            links=[Link(_("My profile"), "/volunteer/profile")],
        )
        return Home("volunteer", _("My home"), lead, [section])
    suggestions = recommend_services.tasks_for_volunteer(db, profile_id, limit=3)
    recommended = Section(
        "recommended",
        _("Recommended tasks"),
        items=[
            Item(
                f"{row.shift.title} · {row.need.title}" if row.shift else row.need.title,
                _window(row.shift.starts_at, row.shift.ends_at) if row.shift else "",
                f"/projects/{row.need.id}/take-part",
            )
            for row in suggestions
        ],
        links=[Link(_("All recommended tasks"), "/recommended")],
        empty=_("No open shift suits you right now. New projects are published every week."),
    )
    signups = matches_services.signups_page(db, viewer, now)
    upcoming = [row for row in signups.current if not row.is_over]
    proposals = matches_services.proposals_for(db, viewer)
    shifts = Section(
        "next_shifts",
        _("My next shifts"),
        cards=[
            Card("shifts_upcoming", _("Shifts ahead"), len(upcoming), "/signups"),
            Card("proposals_awaiting", _("Proposals to accept or decline"), len(proposals), VOLUNTEER_PROPOSALS, "act"),
        ],
        items=[
            Item(
                f"{row.shift.title}" + (f" · {row.need.title}" if row.need else ""),
                _window(row.shift.starts_at, row.shift.ends_at)
                + (f" · {row.shift.location}" if row.shift.location else ""),
                "/signups",
            )
            for row in upcoming[:3]
        ],
        links=[Link(_("Add my shifts to my calendar"), "/volunteer/calendar"), Link(_("My shifts"), "/signups")],
        empty=_("No shift ahead. Sign up for a recommended task above."),
    )
    summary = volunteers.hours_summary(db, profile_id, recent_limit=0)
    year = str(street_today(now).year)
    this_year = sum((hours for month, hours, _count in summary.by_month if month.startswith(year)), Decimal(0))
    hours = Section(
        "hours",
        _("My hours"),
        cards=[
            Card("hours_this_year", _("Hours this year"), _amount(this_year), "/volunteer/hours"),
            Card("hours_all_time", _("Hours in all"), _amount(summary.all_time), "/volunteer/hours"),
            Card("shifts_completed", _("Shifts completed"), summary.completed, "/volunteer/hours"),
        ],
        links=[Link(_("My hours"), "/volunteer/hours"), Link(_("My certificates"), "/volunteer/certificates")],
    )
    return Home("volunteer", _("My home"), lead, [recommended, shifts, hours])
