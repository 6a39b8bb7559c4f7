"""Two streets in one deployment, A and B, each with everything a street has, plus the people and
organizations that straddle them: the world of the street-separation access matrix.

Each street has two communities with a grid each; needs in every status; a published project with a
resource line and a shift; an approved and a pending organization with a partner and an offer; a
volunteer living there; a street admin and staff of its first community; a finished round of its
own; a partner's line claim and a volunteer's sign-up. Besides: an organization registered in A that
also serves a grid of B (with its partner and offer, claiming in both), a volunteer living in A who
also serves B (``volunteer_street``), and a city admin (role admin, no street).

Every name of street A's rows carries ``ALFAMARK``, every name of B's ``BRAVOMARK`` (the straddling
rows carry neither), so a page or a JSON list that shows the other street's rows is found by text.
Private values (phones, beneficiaries) are distinct per street for the same reason.

Rows go through the real services where a service makes them (claims, sign-ups); the rest through the
test factories. Everything is committed, so the application's own sessions see it.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.db.types import utcnow
from marketplace.matches import claims, signups
from marketplace.matches.claims import ClaimRequest
from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedStatus, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.rounds.models import MatchRound, RoundStatus, street_scope
from marketplace.security.identity import CurrentUser
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment, VolunteerStreet
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD
from tests.security_world import Identity, session_identity

MARKS = {"A": "ALFAMARK", "B": "BRAVOMARK"}
# The people of the matrix: name -> (role label, the street whose objects are theirs; None = every street).
ROLES = ("city admin", "admin A", "admin B", "staff A", "partner A", "partner both", "volunteer A")


@dataclass
class Side:
    """One street's rows."""

    key: str  # "A" or "B"
    street: Street
    communities: list[Community]
    grids: list[Grid]
    needs: dict[NeedStatus, Need]
    project: Need  # published, in the first community (the staff's), with a line and a shift
    line: ResourceLine
    shift: Shift
    organization: Organization
    pending_organization: Organization
    offer: Offer
    partner: User
    volunteer: User
    profile: VolunteerProfile
    admin: User
    staff: User
    round: MatchRound
    claim_id: int = 0  # the partner's pending line claim on the project
    signup_match_id: int = 0  # the volunteer's sign-up's match
    signup_id: int = 0
    escalation_id: int = 0  # an open community-level escalation of the project
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def mark(self) -> str:
        return MARKS[self.key]


@dataclass
class TwoStreets:
    a: Side
    b: Side
    both_organization: Organization  # registered in A, serving a grid of B too
    both_partner: User
    both_offer: Offer
    both_volunteer: User  # lives in A, serves B too
    both_profile: VolunteerProfile
    city_admin: User
    both_claim_ids: dict[str, int] = field(default_factory=dict)  # street key -> the both-partner's claim there
    identities: dict[str, Identity] = field(default_factory=dict)

    def side(self, key: str) -> Side:
        return self.a if key == "A" else self.b

    def user_of(self, role: str) -> User:
        return {
            "city admin": self.city_admin,
            "admin A": self.a.admin,
            "admin B": self.b.admin,
            "staff A": self.a.staff,
            "staff B": self.b.staff,
            "partner A": self.a.partner,
            "partner B": self.b.partner,
            "partner both": self.both_partner,
            "volunteer A": self.a.volunteer,
            "volunteer B": self.b.volunteer,
            "volunteer both": self.both_volunteer,
        }[role]


def actor(user: User, **extra: Any) -> CurrentUser:
    return CurrentUser(
        id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organization_id=user.organization_id,
        is_org_manager=user.is_org_manager,
        street_id=user.street_id,
        community_id=user.community_id,
        **extra,
    )


_PASSWORD_HASH: list[str] = []


def _user(session: Session, role: Role, username: str, display_name: str, phone: str, **fields: Any) -> User:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(DEFAULT_PASSWORD))
    row = User(
        username=username,
        display_name=display_name,
        password_hash=_PASSWORD_HASH[0],
        role=role,
        phone=phone,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def _profile(session: Session, user: User, grid: Grid) -> VolunteerProfile:
    row = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(row)
    session.flush()
    return row


def _credit_code(n: int) -> str:
    from marketplace.organizations.credit_code import credit_code_check_digit

    first17 = f"91370200MB{n:07d}"
    return first17 + credit_code_check_digit(first17)


def _side(session: Session, key: str, digit: str) -> Side:
    mark = MARKS[key]
    lower = key.lower()
    street = factories.make_street(
        session, code=f"sep-{lower}", name=f"{mark}街道", name_en=f"{mark} Street", district="市北区"
    )
    communities = [
        factories.make_community(session, street, name=f"{mark}社区{n}", name_en=f"{mark} Community {n}")
        for n in (1, 2)
    ]
    grids = [
        factories.make_grid(session, community, n + 1, name=f"{mark}网格{n + 1}", name_en=f"{mark} Grid {n + 1}")
        for n, community in enumerate(communities)
    ]
    secrets = {
        "beneficiary": f"{mark}居民",
        "beneficiary_phone": f"1390{digit}0{digit}0{digit}0{digit}",
        "org_phone": f"1391{digit}1{digit}1{digit}1{digit}",
        "volunteer_phone": f"1392{digit}2{digit}2{digit}2{digit}",
        "partner_phone": f"1393{digit}3{digit}3{digit}3{digit}",
        "staff_phone": f"1394{digit}4{digit}4{digit}4{digit}",
    }
    private = {"beneficiary_name": secrets["beneficiary"], "beneficiary_phone": secrets["beneficiary_phone"]}
    needs: dict[NeedStatus, Need] = {}
    for n, status in enumerate(NeedStatus):
        fields: dict[str, Any] = {}
        if status == NeedStatus.REJECTED:
            fields["status_reason"] = "重复需求"
        needs[status] = factories.make_need(
            session, grids[n % 2], status, title=f"{mark}需求{status.value}", **private, **fields
        )
        if status in (NeedStatus.SUBMITTED, NeedStatus.UNDER_REVIEW):
            # A need must ask for something to be published (the publish controls above publish these).
            factories.add_resource_line(session, needs[status], "5", description=f"{mark}待审物资")
    project = factories.make_need(
        session, grids[0], NeedStatus.PUBLISHED, title=f"{mark}项目", description=f"{mark}项目的说明", **private
    )
    line = factories.add_resource_line(session, project, "100", description=f"{mark}透水砖")
    shift = factories.add_shift(session, project, slots=6, starts_at=mf.soon(48 + 8 * int(digit)), title=f"{mark}值守")
    organization = factories.make_organization(
        session,
        street,
        name=f"{mark}企业",
        credit_code=_credit_code(int(digit) * 10 + 1),
        contact_phone=secrets["org_phone"],
    )
    pending = factories.make_organization(
        session,
        street,
        OrganizationStatus.PENDING,
        name=f"{mark}待审企业",
        credit_code=_credit_code(int(digit) * 10 + 2),
    )
    offer = factories.make_offer(
        session, organization, title=f"{mark}捐赠", quantity=Decimal(500), remaining_quantity=Decimal(500)
    )
    partner = _user(
        session,
        Role.PARTNER,
        f"sep-partner-{lower}",
        f"{mark}合伙人",
        secrets["partner_phone"],
        organization_id=organization.id,
        is_org_manager=True,
        street_id=street.id,
    )
    volunteer = _user(
        session,
        Role.VOLUNTEER,
        f"sep-volunteer-{lower}",
        f"{mark}志愿者",
        secrets["volunteer_phone"],
        street_id=street.id,
    )
    profile = _profile(session, volunteer, grids[0])
    admin = _user(session, Role.ADMIN, f"sep-admin-{lower}", f"{mark}管理员", f"1395{digit}5{digit}5{digit}5{digit}",
                  street_id=street.id)  # fmt: skip
    staff = _user(session, Role.STAFF, f"sep-staff-{lower}", f"{mark}工作人员", secrets["staff_phone"],
                  street_id=street.id, community_id=communities[0].id)  # fmt: skip
    round_row = MatchRound(
        status=RoundStatus.FINISHED,
        stage="done",
        street_id=street.id,
        scope=street_scope(street.id),
        started_by_id=admin.id,
    )
    session.add(round_row)
    escalation = Escalation(
        need_id=project.id or 0,
        level=EscalationLevel.COMMUNITY,
        reason=f"{mark}逾期未处理",
        deadline_at=utcnow() + timedelta(days=2),
    )
    session.add(escalation)
    session.commit()
    return Side(
        key=key,
        street=street,
        communities=communities,
        grids=grids,
        needs=needs,
        project=project,
        line=line,
        shift=shift,
        organization=organization,
        pending_organization=pending,
        offer=offer,
        partner=partner,
        volunteer=volunteer,
        profile=profile,
        admin=admin,
        staff=staff,
        round=round_row,
        secrets=secrets,
        escalation_id=escalation.id or 0,
    )


def build_two_streets(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    """Streets A and B with everything, the straddling organization and volunteer, a city admin; signed in."""
    a, b = _side(session, "A", "1"), _side(session, "B", "2")
    both = factories.make_organization(
        session, a.street, name="两街共建企业", credit_code=_credit_code(91), contact_phone="13917171717"
    )
    session.add(OrganizationGrid(organization_id=both.id or 0, grid_id=b.grids[0].id or 0))
    both_offer = factories.make_offer(
        session, both, title="两街共建捐赠", quantity=Decimal(500), remaining_quantity=Decimal(500)
    )
    both_partner = _user(session, Role.PARTNER, "sep-partner-both", "两街合伙人", "13936363636",
                         organization_id=both.id, is_org_manager=True, street_id=a.street.id)  # fmt: skip
    both_volunteer = _user(
        session, Role.VOLUNTEER, "sep-volunteer-both", "两街志愿者", "13926262626", street_id=a.street.id
    )
    # Their home grid lies in A's first community (the staff's) but carries no mark: street B's admin
    # sees them, home grid and all, without reading street A's names.
    shared_grid = factories.make_grid(session, a.communities[0], 9, name="两街共建网格", name_en="Shared Grid")
    both_profile = _profile(session, both_volunteer, shared_grid)
    session.add(VolunteerStreet(volunteer_id=both_profile.id or 0, street_id=b.street.id or 0))
    city_admin = _user(session, Role.ADMIN, "sep-city", "全市管理员", "13957575757", street_id=None)
    session.commit()
    world = TwoStreets(
        a=a,
        b=b,
        both_organization=both,
        both_partner=both_partner,
        both_offer=both_offer,
        both_volunteer=both_volunteer,
        both_profile=both_profile,
        city_admin=city_admin,
    )

    # Claims and sign-ups through the services, as a partner and a volunteer make them.
    for side in (a, b):
        made = claims.claim(
            session,
            actor(side.partner),
            side.project.id or 0,
            ClaimRequest("line", side.line.id, side.offer.id, Decimal(5)),
        )
        side.claim_id = made.id or 0
        mine = claims.claim(
            session,
            actor(both_partner),
            side.project.id or 0,
            ClaimRequest("line", side.line.id, both_offer.id, Decimal(3)),
        )
        world.both_claim_ids[side.key] = mine.id or 0
        signup, _ = signups.sign_up(session, actor(side.volunteer), side.shift.id or 0)
        side.signup_id = signup.id or 0
        side.signup_match_id = getattr(signup, "match_id", None) or 0
        signups.sign_up(session, actor(both_volunteer), side.shift.id or 0)
        session.commit()

    world.identities = {
        role: session_identity(session_factory, settings, world.user_of(role), role)
        for role in (*ROLES, "staff B", "partner B", "volunteer B")
    }
    return world


def street_row_count(session_factory: sessionmaker[Session]) -> int:
    """How many of the world's streets exist (2 while the world stands)."""
    with session_factory() as db:
        return int(db.execute(sa.select(sa.func.count()).where(Street.code.in_(["sep-a", "sep-b"]))).scalar() or 0)  # type: ignore[attr-defined]
