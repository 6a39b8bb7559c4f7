"""Small factories for test data: each adds one row (with believable defaults) and flushes it.

``build_street`` assembles a whole little street: a street, two communities, four grids, needs
in every status with resource lines and shifts, an organization with an offer, and a volunteer.
Beneficiary details use fixed fake strings so tests can assert they never leak.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift, ShiftSkill
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.places.models import Community, Grid, ServiceStation, Street
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.volunteers.models import Skill, VolunteerProfile, VolunteerSegment

# Strings that must never appear on a public page or in the public API.
BENEFICIARY_NAME = "林秀英测试"
BENEFICIARY_PHONE = "13900001234"
BENEFICIARY_ADDRESS = "秘密路99号3单元"

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

_serial = count(1)


def _next() -> int:
    return next(_serial)


def _save(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def make_street(session: Session, **overrides: Any) -> Street:
    n = _next()
    values: dict[str, Any] = {
        "code": f"street-{n}",
        "name": "湖岛街道",
        "name_en": "Hudao Street",
        "district": "市北区",
        "city": "青岛市",
    }
    return _save(session, Street(**(values | overrides)))


def make_community(session: Session, street: Street, **overrides: Any) -> Community:
    n = _next()
    values: dict[str, Any] = {"street_id": street.id, "name": f"第{n}社区", "name_en": f"Community {n}"}
    return _save(session, Community(**(values | overrides)))


def make_grid(session: Session, community: Community, number: int, **overrides: Any) -> Grid:
    n = _next()
    values: dict[str, Any] = {
        "code": f"G{n:03d}",
        "community_id": community.id,
        "number": number,
        "name": f"第{number}网格",
        "name_en": f"Grid {number}",
        "latitude": 36.1 + number / 1000,
        "longitude": 120.35 + number / 1000,
        "households": 300 + number,
    }
    return _save(session, Grid(**(values | overrides)))


def make_station(session: Session, grid: Grid, **overrides: Any) -> ServiceStation:
    values: dict[str, Any] = {
        "grid_id": grid.id,
        "name": f"{grid.name}服务站",
        "name_en": f"{grid.name_en} service station",
        "address": "杭州路12号",
        "opening_hours": "周一至周五 8:30–17:30",
    }
    return _save(session, ServiceStation(**(values | overrides)))


def make_need(session: Session, grid: Grid, status: NeedStatus = NeedStatus.PUBLISHED, **overrides: Any) -> Need:
    n = _next()
    created = overrides.pop("created_at", NOW - timedelta(minutes=n))
    public = status not in (NeedStatus.SUBMITTED, NeedStatus.UNDER_REVIEW, NeedStatus.REJECTED)
    values: dict[str, Any] = {
        "title": f"需求{n}",
        "description": f"需求{n}的说明",
        "category": Category.RENOVATION,
        "grid_id": grid.id,
        "channel": IntakeChannel.GRID_WALK,
        "urgency": Urgency.NORMAL,
        "status": status,
        "status_reason": "重复需求" if status == NeedStatus.REJECTED else None,
        "beneficiary_name": BENEFICIARY_NAME,
        "beneficiary_phone": BENEFICIARY_PHONE,
        "beneficiary_address": BENEFICIARY_ADDRESS,
        "created_at": created,
        "updated_at": created,
        "published_at": created + timedelta(hours=2) if public else None,
    }
    if status in (NeedStatus.COMPLETED, NeedStatus.VERIFIED):
        values["completed_at"] = created + timedelta(days=5)
    if status == NeedStatus.VERIFIED:
        values["verified_at"] = created + timedelta(days=6)
        values["satisfaction"] = 5
    return _save(session, Need(**(values | overrides)))


def add_resource_line(
    session: Session, need: Need, quantity: str = "100", still_needed: str | None = None, **overrides: Any
) -> ResourceLine:
    values: dict[str, Any] = {
        "need_id": need.id,
        "kind": ResourceKind.MATERIAL,
        "category": need.category,
        "description": "透水砖",
        "quantity": Decimal(quantity),
        "unit": "m²",
        "still_needed": Decimal(still_needed if still_needed is not None else quantity),
    }
    return _save(session, ResourceLine(**(values | overrides)))


def add_shift(
    session: Session, need: Need, slots: int = 4, confirmed: int = 0, skills: Sequence[Skill] = (), **overrides: Any
) -> Shift:
    starts = overrides.pop("starts_at", NOW + timedelta(days=3))
    values: dict[str, Any] = {
        "need_id": need.id,
        "title": "志愿服务",
        "location": "社区广场",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "slots": slots,
        "confirmed_count": confirmed,
    }
    shift = _save(session, Shift(**(values | overrides)))
    for skill in skills:
        _save(session, ShiftSkill(shift_id=shift.id, skill_id=skill.id))
    return shift


def make_skill(session: Session, **overrides: Any) -> Skill:
    n = _next()
    values: dict[str, Any] = {
        "code": f"skill-{n}",
        "group": "care",
        "name": "助老陪护",
        "name_en": "Elderly companionship",
    }
    return _save(session, Skill(**(values | overrides)))


def make_organization(
    session: Session, street: Street, status: OrganizationStatus = OrganizationStatus.APPROVED, **overrides: Any
) -> Organization:
    n = _next()
    values: dict[str, Any] = {
        "street_id": street.id,
        "name": f"红色合伙人企业{n}",
        "kind": OrganizationKind.ENTERPRISE,
        "credit_code": f"91370200MA{n:08d}",
        "contact_name": "王经理",
        "contact_phone": "13800000000",
        "status": status,
        "status_reason": "资料不全" if status in (OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED) else None,
        "approved_at": NOW if status == OrganizationStatus.APPROVED else None,
    }
    return _save(session, Organization(**(values | overrides)))


def make_offer(
    session: Session, organization: Organization, status: OfferStatus = OfferStatus.ACTIVE, **overrides: Any
) -> Offer:
    values: dict[str, Any] = {
        "organization_id": organization.id,
        "kind": ResourceKind.MATERIAL,
        "category": Category.RENOVATION,
        "title": "捐赠透水砖",
        "quantity": Decimal(3200),
        "unit": "m²",
        "remaining_quantity": Decimal(3200),
        "valid_from": NOW - timedelta(days=30),
        "status": status,
    }
    return _save(session, Offer(**(values | overrides)))


def make_volunteer(session: Session, grid: Grid, hours: str = "0", **overrides: Any) -> VolunteerProfile:
    n = _next()
    user = _save(session, User(username=f"volunteer{n}", display_name=f"志愿者{n}", role=Role.VOLUNTEER))
    values: dict[str, Any] = {
        "user_id": user.id,
        "home_grid_id": grid.id,
        "segment": VolunteerSegment.PARTY_MEMBER,
        "is_party_member": True,
        "hours_total": Decimal(hours),
    }
    return _save(session, VolunteerProfile(**(values | overrides)))


@dataclass
class StreetScenario:
    street: Street
    communities: list[Community]
    grids: list[Grid]
    needs: dict[str, Need] = field(default_factory=dict)
    skill: Skill | None = None

    @property
    def public_needs(self) -> list[Need]:
        return [need for need in self.needs.values() if need.status in PUBLIC_NEED_STATUSES]

    @property
    def private_needs(self) -> list[Need]:
        return [need for need in self.needs.values() if need.status not in PUBLIC_NEED_STATUSES]


PUBLIC_NEED_STATUSES = {
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
    NeedStatus.VERIFIED,
}


def build_street(session: Session) -> StreetScenario:
    """A small street with needs in every status; committed, so the app's own sessions see it."""
    street = make_street(session)
    north = make_community(session, street, name="湖岛社区", name_en="Hudao Community")
    south = make_community(session, street, name="杭州路社区", name_en="Hangzhou Road Community")
    grids = [
        make_grid(session, north, 1, name="湖岛一网格", name_en="Hudao Grid 1"),
        make_grid(session, north, 2, name="湖岛二网格", name_en="Hudao Grid 2"),
        make_grid(session, south, 1, name="杭州路一网格", name_en="Hangzhou Road Grid 1"),
        make_grid(session, south, 2, name="杭州路二网格", name_en="Hangzhou Road Grid 2"),
    ]
    make_station(session, grids[0])
    skill = make_skill(session)
    scenario = StreetScenario(street=street, communities=[north, south], grids=grids, skill=skill)
    needs = scenario.needs

    def days_ago(days: int) -> datetime:
        return NOW - timedelta(days=days)

    needs["bricks"] = make_need(
        session,
        grids[0],
        title="老旧小区透水砖铺设",
        urgency=Urgency.HIGH,
        due_date=date(2026, 6, 1),
        created_at=days_ago(10),
    )
    add_resource_line(session, needs["bricks"], "5000", "1800")
    needs["pavilion"] = make_need(
        session, grids[1], NeedStatus.PARTIALLY_MATCHED, title="修缮小区凉亭", created_at=days_ago(12)
    )
    add_resource_line(session, needs["pavilion"], "2", "1", kind=ResourceKind.SERVICE, unit="座", description="凉亭")
    needs["elderly"] = make_need(
        session,
        grids[2],
        NeedStatus.MATCHED,
        title="独居老人助餐",
        category=Category.ELDERLY_CARE,
        urgency=Urgency.CRITICAL,
        channel=IntakeChannel.HOTLINE_12345,
        created_at=days_ago(14),
    )
    add_shift(session, needs["elderly"], slots=4, confirmed=1, skills=[skill])
    needs["cleanup"] = make_need(
        session,
        grids[3],
        NeedStatus.IN_PROGRESS,
        title="背街小巷清扫",
        category=Category.SANITATION,
        created_at=days_ago(16),
    )
    add_shift(session, needs["cleanup"], slots=10, confirmed=10)
    needs["vaccination"] = make_need(
        session,
        grids[0],
        NeedStatus.COMPLETED,
        title="疫苗接种点值守",
        category=Category.EPIDEMIC_PREVENTION,
        created_at=days_ago(20),
    )
    needs["mediation"] = make_need(
        session,
        grids[2],
        NeedStatus.VERIFIED,
        title="邻里噪音调解",
        category=Category.MEDIATION,
        channel=IntakeChannel.RED_TEA_HOUSE,
        created_at=days_ago(25),
    )
    needs["submitted"] = make_need(session, grids[0], NeedStatus.SUBMITTED, title="待审核的私密需求")
    needs["review"] = make_need(session, grids[1], NeedStatus.UNDER_REVIEW, title="审核中的私密需求")
    needs["rejected"] = make_need(
        session, grids[2], NeedStatus.REJECTED, title="被驳回的重复需求", duplicate_of_id=needs["bricks"].id
    )
    needs["cancelled"] = make_need(session, grids[3], NeedStatus.CANCELLED, title="已取消的需求")
    organization = make_organization(session, street)
    make_organization(session, street, OrganizationStatus.PENDING)
    make_offer(session, organization)
    make_offer(session, organization, OfferStatus.EXHAUSTED, remaining_quantity=Decimal(0))
    make_volunteer(session, grids[0], hours="12.5")
    make_volunteer(session, grids[2], hours="3")
    session.commit()
    return scenario
