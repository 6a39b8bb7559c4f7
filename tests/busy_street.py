"""A street that grows around fixed viewers: each unit adds needs, lines, shifts, offers, volunteers,
sign-ups and claims that the same volunteer, partner, staff member and admin see on their pages.

The data goes through the real services (sign_up, claim, approve), so the rows are the ones the
application itself writes. Units are committed, so the application's own sessions see them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches import claims, review, signups
from marketplace.matches.claims import ClaimRequest
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization
from marketplace.places.models import Grid
from marketplace.rounds.models import MatchRound, RoundStatus
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import Skill, VolunteerProfile, VolunteerSegment
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user


def actor_of(user: User) -> CurrentUser:
    return CurrentUser(
        id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organization_id=user.organization_id,
    )


def volunteer_profile(session: Session, user: User, grid: Grid) -> VolunteerProfile:
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    return profile


@dataclass
class BusyStreet:
    """The viewers and the project their pages are about; ``grow`` adds units of rows they all see."""

    session: Session
    grid: Grid
    skill: Skill
    volunteer: User
    profile: VolunteerProfile
    partner: User
    rival: User  # another partner: the review queue shows several organizations
    admin: User
    staff: User
    project: Need  # the project of the take-part, detail and recommendations pages
    units: int = 0
    slots_taken: int = 0
    offers: list[Offer] = field(default_factory=list)

    def viewer(self, role: str) -> User | None:
        return {
            "anonymous": None,
            "volunteer": self.volunteer,
            "partner": self.partner,
            "staff": self.staff,
            "admin": self.admin,
        }[role]

    def grow(self, units: int) -> None:
        for _ in range(units):
            self._unit()

    def _when(self) -> datetime:
        """Start times five hours apart: the volunteer's sign-ups never overlap."""
        self.slots_taken += 1
        return mf.soon(24 + 5 * self.slots_taken)

    def _unit(self) -> None:
        session, n = self.session, self.units
        self.units += 1
        need = factories.make_need(session, self.grid, title=f"项目{n}", description=f"第{n}个项目的说明")
        line = factories.add_resource_line(session, need, "100")
        project_line = factories.add_resource_line(session, self.project, "100", description=f"材料{n}")
        mine = factories.add_shift(session, need, slots=4, skills=[self.skill], starts_at=self._when())
        gated = factories.add_shift(session, need, slots=4, requires_approval=True, starts_at=self._when())
        on_project = factories.add_shift(session, self.project, slots=6, skills=[self.skill], starts_at=self._when())
        past = factories.add_shift(session, need, slots=4, starts_at=self._when())
        helper = make_user(session, Role.VOLUNTEER, display_name=f"助手{n}")
        volunteer_profile(session, helper, self.grid)
        offer = self._offer(self.partner, f"捐赠物资{n}")
        rival_offer = self._offer(self.rival, f"对手物资{n}")
        session.commit()

        volunteer, partner, rival = actor_of(self.volunteer), actor_of(self.partner), actor_of(self.rival)
        for person, shift in ((volunteer, mine), (volunteer, on_project), (volunteer, past)):
            signups.sign_up(session, person, shift.id or 0)
        signups.sign_up(session, actor_of(helper), gated.id or 0)  # pending: the review queue shows it
        signups.sign_up(session, actor_of(helper), on_project.id or 0)
        line_claim = claims.claim(session, partner, need.id or 0, ClaimRequest("line", line.id, offer.id, Decimal(5)))
        claims.claim(session, rival, need.id or 0, ClaimRequest("line", line.id, rival_offer.id, Decimal(3)))
        claims.claim(
            session, partner, self.project.id or 0, ClaimRequest("line", project_line.id, offer.id, Decimal(2))
        )
        if n % 3 == 0:
            review.approve(session, actor_of(self.admin), line_claim.id or 0)
        if n % 2:
            # After the approval: while a whole claim stands no line claim is approved (matches/openings.py).
            claims.claim(session, rival if n % 4 == 1 else partner, need.id or 0, ClaimRequest("whole"))
        session.commit()
        # Gone by now: the volunteer's sign-up for it is on the past list of my shifts.
        past.starts_at = mf.soon(-100 - 5 * n)
        past.ends_at = past.starts_at + timedelta(hours=3)
        session.add(past)
        session.commit()

    def _offer(self, user: User, title: str) -> Offer:
        organization = self.session.get(Organization, user.organization_id)
        assert organization is not None
        offer = factories.make_offer(
            self.session, organization, title=title, quantity=Decimal(500), remaining_quantity=Decimal(500)
        )
        self.offers.append(offer)
        return offer


def build_busy_street(session: Session) -> BusyStreet:
    """The viewers, a skill and the project; no units yet."""
    grid = make_grid(session)
    skill = factories.make_skill(session)
    volunteer = make_user(session, Role.VOLUNTEER)
    profile = volunteer_profile(session, volunteer, grid)
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)
    project = factories.make_need(session, grid, title="湖岛新村老旧小区改造")
    session.commit()
    return BusyStreet(
        session=session,
        grid=grid,
        skill=skill,
        volunteer=volunteer,
        profile=profile,
        partner=make_user(session, Role.PARTNER),
        rival=make_user(session, Role.PARTNER),
        admin=make_user(session, Role.ADMIN),
        staff=staff,
        project=project,
    )


def finished_round(session: Session, started_by: User) -> MatchRound:
    row = MatchRound(status=RoundStatus.FINISHED, stage="done", started_by_id=started_by.id)
    session.add(row)
    session.commit()
    return row


def sign_in(client: TestClient[Litestar], user: User | None) -> None:
    """The client as ``user`` (anonymous for None), reading English pages."""
    client.cookies.clear()
    if user is not None:
        assert login(client, user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
