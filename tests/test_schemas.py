"""The validated input models: each refuses bad input naming the field, and accepts good input."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar, post
from litestar.params import JSONBody
from litestar.testing import TestClient
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.accounts.schemas import Login, PasswordChange, UserCreate, UserUpdate
from marketplace.matches.models import MatchKind, MatchSource
from marketplace.matches.schemas import ClaimCreate, MatchCreate, MatchDecision, MatchUpdate
from marketplace.needs.models import EscalationLevel
from marketplace.needs.schemas import (
    EscalationCreate,
    NeedCreate,
    NeedFeedback,
    NeedRejection,
    NeedUpdate,
    ResourceLineCreate,
    ResourceLineUpdate,
    ShiftCreate,
    ShiftUpdate,
)
from marketplace.offers.schemas import OfferCreate, OfferUpdate
from marketplace.organizations.schemas import OrganizationCreate, OrganizationDecision, OrganizationUpdate
from marketplace.places.schemas import (
    CommunityCreate,
    DepartmentCreate,
    GridCreate,
    GridUpdate,
    PartyBranchCreate,
    ServiceStationCreate,
    StreetCreate,
    StreetUpdate,
)
from marketplace.validation import street_today
from marketplace.vocabulary import Category, Urgency
from marketplace.volunteers.models import VolunteerSegment
from marketplace.volunteers.schemas import (
    AvailabilitySlotCreate,
    ShiftSignupCreate,
    SkillCreate,
    VolunteerCreate,
    VolunteerUpdate,
)

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
TENCENT = "9144030071526726XG"


def rejected(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    """The errors of invalid ``data``, by dotted location."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return {".".join(str(part) for part in error["loc"]): error["msg"] for error in info.value.errors()}


def assert_rejected(model: type[BaseModel], data: dict[str, Any], field: str, reason: str = "") -> None:
    errors = rejected(model, data)
    assert field in errors, errors
    assert reason in errors[field], errors


# --- shared rules, through the models that use them --------------------------------------------------

STREET = {"code": "HD", "name": "湖岛街道", "name_en": "Hudao Street", "district": "市北区", "city": "青岛市"}


def test_text_is_trimmed() -> None:
    street = StreetCreate.model_validate(STREET | {"name": "  湖岛街道 \t"})
    assert street.name == "湖岛街道"


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_blank_titles_are_rejected(title: str) -> None:
    assert_rejected(NeedCreate, NEED | {"title": title}, "title", "at least 1 character")


def test_titles_longer_than_the_column_are_rejected() -> None:
    assert_rejected(NeedCreate, NEED | {"title": "修" * 201}, "title", "at most 200")
    assert NeedCreate.model_validate(NEED | {"title": "修" * 200}).title == "修" * 200


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[0m"])
def test_control_characters_are_rejected(text: str) -> None:
    # PostgreSQL refuses NUL in text: it must be a 400 here, not a 500 there.
    assert_rejected(NeedCreate, NEED | {"description": text}, "description", "control characters")


def test_lone_surrogates_are_rejected() -> None:
    # No database encoding stores them; pydantic refuses them before our rules run.
    assert_rejected(NeedCreate, NEED | {"description": "lone \ud800"}, "description", "unicode")


def test_titles_are_one_line_but_descriptions_may_have_many() -> None:
    assert_rejected(NeedCreate, NEED | {"title": "上\n下"}, "title", "single line")
    assert NeedCreate.model_validate(NEED | {"description": "第一行\n第二行\r\n\t第三行"}).description


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("0532-82861234", "0532-82861234"),
        ("010-6552 9988", "010-65529988"),
        ("053282861234", "053282861234"),
        ("0532-8286123", "0532-8286123"),
        ("0532-82861234-806", "0532-82861234-806"),
    ],
)
def test_good_phone_numbers_are_accepted_and_compacted(given: str, stored: str) -> None:
    need = NeedCreate.model_validate(NEED | {"beneficiary_phone": given})
    assert need.beneficiary_phone == stored


BAD_PHONES = ["12800138000", "1380013800", "138001380001", "110", "12345", "0532-0286123", "532-82861234", "phone"]


@pytest.mark.parametrize("phone", [*BAD_PHONES, "+1 415 555 0100"])
def test_bad_phone_numbers_are_rejected(phone: str) -> None:
    assert_rejected(NeedCreate, NEED | {"beneficiary_phone": phone}, "beneficiary_phone", "Chinese mobile")


def test_a_blank_optional_field_means_not_given() -> None:
    # HTML forms post empty inputs as "".
    need = NeedCreate.model_validate(NEED | {"beneficiary_phone": "", "due_date": "", "beneficiary_name": "  "})
    assert need.beneficiary_phone is None and need.due_date is None and need.beneficiary_name is None


@pytest.mark.parametrize("email", ["li.lei@example.com", "x+tag@mail.qd.gov.cn", "A_B@Example.ORG"])
def test_good_emails_are_accepted(email: str) -> None:
    user = UserCreate.model_validate(USER | {"email": email})
    assert user.email is not None and user.email.split("@")[1] == email.split("@")[1].lower()


@pytest.mark.parametrize(
    "email", ["plain", "a@b", "a@@b.com", "a b@c.com", ".a@b.com", "a.@b.com", "a..b@c.com", "a@-b.com", "a@b.c"]
)
def test_bad_emails_are_rejected(email: str) -> None:
    assert_rejected(UserCreate, USER | {"email": email}, "email", "e-mail")


@pytest.mark.parametrize(
    ("ids", "reason"), [([], "at least 1"), ([1, 2, 1], "must not repeat [1]"), ([0], "greater than or equal to 1")]
)
def test_grid_id_lists_are_non_empty_unique_positive(ids: list[int], reason: str) -> None:
    assert_rejected(
        OrganizationCreate, ORGANIZATION | {"grid_ids": ids}, "grid_ids" + (".0" if ids == [0] else ""), reason
    )


def test_ids_beyond_an_integer_column_are_rejected() -> None:
    assert_rejected(NeedCreate, NEED | {"grid_id": 2**31}, "grid_id", "less than or equal")


def test_quantities_fit_numeric_14_2_and_are_plausible() -> None:
    line = {"kind": "material", "category": "renovation", "unit": "m²"}
    assert ResourceLineCreate.model_validate(line | {"quantity": "100000000"}).quantity
    for quantity, reason in [
        ("0", "greater than 0"),
        ("-5", "greater than 0"),
        ("1.005", "2 decimal places"),
        ("100000000.01", "less than or equal to 100000000"),
        ("9999999999.99", "less than or equal to 100000000"),
        ("1000000000000", "12 digits before the decimal point"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("lots", "valid decimal"),
    ]:
        assert_rejected(ResourceLineCreate, line | {"quantity": quantity}, "quantity", reason)


def test_naive_datetimes_are_rejected_and_aware_ones_stored_in_utc() -> None:
    shift = {"title": "值守", "slots": 2}
    start = SOON.astimezone().replace(tzinfo=None)
    assert_rejected(
        ShiftCreate, shift | {"starts_at": start, "ends_at": SOON + timedelta(hours=1)}, "starts_at", "timezone"
    )
    created = ShiftCreate.model_validate(
        shift | {"starts_at": "2030-05-01T09:00:00+08:00", "ends_at": "2030-05-01T11:00:00+08:00"}
    )
    assert created.starts_at == datetime(2030, 5, 1, 1, 0, tzinfo=UTC)
    assert created.starts_at.tzinfo is UTC


# --- places ------------------------------------------------------------------------------------------

GRID = {
    "code": "HD-01",
    "community_id": 1,
    "number": 1,
    "name": "第一网格",
    "name_en": "Grid 1",
    "latitude": 36.1,
    "longitude": 120.35,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", 90.01), ("latitude", -91), ("longitude", 180.5), ("number", 0), ("households", -1), ("code", "a b")],
)
def test_grid_rejects_out_of_range_values(field: str, value: Any) -> None:
    assert_rejected(GridCreate, GRID | {field: value}, field)


def test_grid_rejects_nan_coordinates() -> None:
    assert_rejected(GridCreate, GRID | {"latitude": float("nan")}, "latitude")


def test_places_build_their_rows() -> None:
    assert GridCreate.model_validate(GRID).to_row().code == "HD-01"
    assert StreetCreate.model_validate(STREET).to_row().name_en == "Hudao Street"
    assert CommunityCreate(street_id=1, name="湖岛社区", name_en="Hudao").to_row().street_id == 1
    assert PartyBranchCreate(street_id=1, name="一支部", name_en="Branch 1").to_row().name == "一支部"
    assert DepartmentCreate(street_id=1, name="城管", name_en="Urban management").to_row().name == "城管"
    station = ServiceStationCreate(grid_id=1, name="服务站", name_en="Station", address="湖岛路1号")
    assert station.to_row().opening_hours == ""


def test_an_update_refuses_null_for_a_required_column_but_may_clear_an_optional_one() -> None:
    assert_rejected(StreetUpdate, {"name": None}, "name", "may not be null")
    assert GridUpdate.model_validate({"party_branch_id": None}).changes() == {"party_branch_id": None}
    assert StreetUpdate.model_validate({"name": " 新名 "}).changes() == {"name": "新名"}
    assert StreetUpdate.model_validate({}).changes() == {}


# --- accounts ----------------------------------------------------------------------------------------

USER = {"username": "li_lei", "display_name": "李雷", "password": "correct horse", "role": "staff"}


def test_usernames_are_lower_cased_and_patterned() -> None:
    assert UserCreate.model_validate(USER | {"username": "  Li.Lei-2 "}).username == "li.lei-2"
    for username in ["ab", "1abc", "李雷", "li lei", "a" * 65, "li@lei"]:
        assert_rejected(UserCreate, USER | {"username": username}, "username")


def test_passwords_are_long_enough_and_never_trimmed() -> None:
    assert_rejected(UserCreate, USER | {"password": "short"}, "password", "at least 8")
    assert UserCreate.model_validate(USER | {"password": "  spaced  "}).password == "  spaced  "


def test_a_partner_needs_an_organization_and_only_a_partner_has_one() -> None:
    assert_rejected(UserCreate, USER | {"role": "partner"}, "organization_id", "required for a partner")
    assert_rejected(UserCreate, USER | {"organization_id": 3}, "organization_id", "only for a partner")
    assert_rejected(UserCreate, USER | {"is_org_manager": True}, "is_org_manager", "only a partner")
    partner = UserCreate.model_validate(USER | {"role": "partner", "organization_id": 3, "is_org_manager": True})
    assert partner.role is Role.PARTNER


def test_only_staff_are_scoped_to_grids() -> None:
    assert_rejected(UserCreate, USER | {"role": "volunteer", "grid_ids": [1]}, "grid_ids", "only staff")
    assert UserCreate.model_validate(USER | {"grid_ids": [1, 2]}).grid_ids == [1, 2]


def test_locale_is_a_supported_one() -> None:
    assert_rejected(UserUpdate, {"preferred_locale": "fr"}, "preferred_locale")
    assert UserUpdate.model_validate({"preferred_locale": "en"}).preferred_locale == "en"


def test_user_row_has_the_hash_never_the_password() -> None:
    row = UserCreate.model_validate(USER | {"grid_ids": [1]}).to_row(password_hash="argon2-hash")
    assert row.password_hash == "argon2-hash"
    assert "correct horse" not in repr(row.model_dump())


def test_password_change_must_change_it() -> None:
    same = {"current_password": "correct horse", "new_password": "correct horse"}
    assert_rejected(PasswordChange, same, "new_password", "must differ")
    assert_rejected(Login, {"username": "", "password": "x"}, "username")


# --- organizations -----------------------------------------------------------------------------------

ORGANIZATION = {
    "street_id": 1,
    "name": "深圳市腾讯计算机系统有限公司",
    "kind": "enterprise",
    "credit_code": TENCENT,
    "contact_name": "张三",
    "contact_phone": "0755-86013388",
    "grid_ids": [1, 2],
}


def test_credit_code_is_normalised_and_checked() -> None:
    organization = OrganizationCreate.model_validate(ORGANIZATION | {"credit_code": " 9144030071526726xg "})
    assert organization.credit_code == TENCENT
    assert organization.to_row().credit_code == TENCENT


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9144030071526726X", "18 characters"),
        ("9144030071526726XH", "bad check digit at position 18"),
        ("914403007152672OXG", "illegal character 'O' at position 16"),
        ("9144030071526727XG", "organization code check digit"),
    ],
)
def test_bad_credit_codes_are_rejected_with_the_reason(code: str, reason: str) -> None:
    assert_rejected(OrganizationCreate, ORGANIZATION | {"credit_code": code}, "credit_code", reason)
    assert_rejected(OrganizationUpdate, {"credit_code": code}, "credit_code", reason)


def test_organization_kind_is_the_enum() -> None:
    assert_rejected(OrganizationCreate, ORGANIZATION | {"kind": "company"}, "kind")


def test_rejecting_or_suspending_an_organization_needs_a_reason() -> None:
    assert_rejected(OrganizationDecision, {"status": "rejected"}, "reason", "required")
    assert_rejected(OrganizationDecision, {"status": "suspended", "reason": "   "}, "reason", "required")
    assert_rejected(OrganizationDecision, {"status": "pending"}, "status", "must be one of")
    assert OrganizationDecision.model_validate({"status": "approved"}).reason is None


def test_organization_update_keeps_grids_out_of_the_columns() -> None:
    update = OrganizationUpdate.model_validate({"grid_ids": [3], "contact_phone": "13800138000"})
    assert update.changes() == {"contact_phone": "13800138000"}
    assert update.grid_ids == [3]
    assert_rejected(OrganizationUpdate, {"grid_ids": []}, "grid_ids")


# --- offers ------------------------------------------------------------------------------------------

OFFER = {
    "kind": "material",
    "category": "renovation",
    "title": "透水砖",
    "quantity": "3200",
    "unit": "m²",
    "grid_ids": [1],
}


def test_offer_defaults_remaining_to_quantity_and_starts_now() -> None:
    row = OfferCreate.model_validate(OFFER).to_row(organization_id=7)
    assert row.remaining_quantity == row.quantity == Decimal(3200)
    assert row.organization_id == 7 and row.valid_from.tzinfo is not None


def test_offer_remaining_zero_is_kept() -> None:
    assert OfferCreate.model_validate(OFFER | {"remaining_quantity": 0}).to_row(1).remaining_quantity == 0


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"remaining_quantity": "3200.01"}, "remaining_quantity", "must not exceed"),
        ({"remaining_quantity": "-1"}, "remaining_quantity", "greater than or equal to 0"),
        ({"quantity": 0}, "quantity", "greater than 0"),
        ({"valid_from": SOON.isoformat(), "valid_until": SOON.isoformat()}, "valid_until", "after valid_from"),
        ({"valid_until": "2020-01-01T00:00:00+08:00"}, "valid_until", "in the future"),
        ({"kind": "goods"}, "kind", ""),
        ({"category": "misc"}, "category", ""),
        ({"grid_ids": []}, "grid_ids", "at least 1"),
    ],
)
def test_offer_rejects(change: dict[str, Any], field: str, reason: str) -> None:
    assert_rejected(OfferCreate, OFFER | change, field, reason)


def test_offer_update_needs_the_version_it_edits() -> None:
    assert_rejected(OfferUpdate, {"title": "新"}, "version", "required")
    assert_rejected(OfferUpdate, {"version": 0}, "version")
    assert OfferUpdate.model_validate({"version": 3, "title": "新"}).changes() == {"title": "新"}


def test_offer_update_checks_remaining_against_the_stored_quantity() -> None:
    offer = OfferCreate.model_validate(OFFER).to_row(organization_id=1)
    with pytest.raises(ValidationError, match="remaining_quantity"):
        OfferUpdate.model_validate({"version": 1, "remaining_quantity": 5000}).apply_to(offer)
    assert offer.remaining_quantity == 3200
    with pytest.raises(ValidationError, match="valid_until"):
        OfferUpdate.model_validate({"version": 1, "valid_until": offer.valid_from.isoformat()}).apply_to(offer)
    changed = OfferUpdate.model_validate({"version": 1, "quantity": 4000, "remaining_quantity": 3900}).apply_to(offer)
    assert changed == {"quantity": Decimal(4000), "remaining_quantity": Decimal(3900)}
    assert offer.remaining_quantity == 3900
    assert_rejected(OfferUpdate, {"version": 1, "quantity": 1, "remaining_quantity": 2}, "remaining_quantity")
    assert_rejected(OfferUpdate, {"version": 1, "quantity": None}, "quantity", "may not be null")


# --- needs -------------------------------------------------------------------------------------------

NEED = {"title": "凉亭修缮", "category": "renovation", "grid_id": 1, "channel": "door_visit"}


def _shift(**change: Any) -> dict[str, Any]:
    window = {"starts_at": SOON.isoformat(), "ends_at": (SOON + timedelta(hours=3)).isoformat()}
    return {"title": "搬运", "slots": 5} | window | change


def _line(**change: Any) -> dict[str, Any]:
    return {"kind": "material", "category": "renovation", "quantity": "3200", "unit": "m²"} | change


def test_a_full_need_is_accepted() -> None:
    need = NeedCreate.model_validate(
        NEED
        | {
            "urgency": "high",
            "due_date": street_today().isoformat(),
            "beneficiary_name": "林阿姨",
            "beneficiary_phone": "13800138000",
            "resource_lines": [_line()],
            "shifts": [_shift(skill_ids=[1, 2])],
            "idempotency_key": "e-home:2021:9472",
            "external_ref": "EH-9472",
        }
    )
    assert need.urgency is Urgency.HIGH and need.category is Category.RENOVATION
    row = need.to_row(created_by_id=4)
    assert row.created_by_id == 4 and row.beneficiary_phone == "13800138000"
    intake = need.intake_row(need_id=9, recorded_by_id=4)
    assert intake.idempotency_key == "e-home:2021:9472" and intake.channel == need.channel
    assert need.resource_lines[0].to_row(need_id=9).still_needed == Decimal(3200)
    assert need.shifts[0].to_row(need_id=9).slots == 5


def test_a_due_date_in_the_past_is_rejected() -> None:
    yesterday = street_today() - timedelta(days=1)
    assert_rejected(NeedCreate, NEED | {"due_date": yesterday.isoformat()}, "due_date", "in the past")
    assert_rejected(NeedUpdate, {"version": 1, "due_date": yesterday.isoformat()}, "due_date", "in the past")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"channel": "telegram"}, "channel", ""),
        ({"urgency": "asap"}, "urgency", ""),
        ({"grid_id": 0}, "grid_id", ""),
        ({"idempotency_key": "has space"}, "idempotency_key", ""),
        ({"due_date": "2030-02-30"}, "due_date", ""),
        ({"resource_lines": [_line(still_needed="3200.5")]}, "resource_lines.0.still_needed", "must not exceed"),
        ({"resource_lines": [_line(), _line(quantity="0")]}, "resource_lines.1.quantity", "greater than 0"),
        ({"shifts": [_shift(slots=0)]}, "shifts.0.slots", "greater than or equal to 1"),
        ({"shifts": [_shift(ends_at=SOON)]}, "shifts.0.ends_at", "after starts_at"),
        ({"shifts": [_shift(ends_at=SOON - timedelta(hours=1))]}, "shifts.0.ends_at", "after starts_at"),
        ({"shifts": [_shift(ends_at=SOON + timedelta(hours=25))]}, "shifts.0.ends_at", "24 hours"),
        ({"shifts": [_shift(skill_ids=[3, 3])]}, "shifts.0.skill_ids", "must not repeat"),
        (
            {"shifts": [_shift(starts_at=SOON - timedelta(days=5), ends_at=SOON - timedelta(days=5, hours=-2))]},
            "shifts.0.ends_at",
            "in the future",
        ),
    ],
)
def test_need_rejects(change: dict[str, Any], field: str, reason: str) -> None:
    assert_rejected(NeedCreate, NEED | change, field, reason)


def test_shift_update_keeps_confirmed_volunteers() -> None:
    shift = ShiftCreate.model_validate(_shift()).to_row(need_id=1)
    shift.confirmed_count = 3
    with pytest.raises(ValidationError, match="3 volunteers already confirmed"):
        ShiftUpdate.model_validate({"slots": 2}).apply_to(shift)
    with pytest.raises(ValidationError, match="after starts_at"):
        ShiftUpdate.model_validate({"ends_at": shift.starts_at.isoformat()}).apply_to(shift)
    assert ShiftUpdate.model_validate({"slots": 3, "skill_ids": [1]}).apply_to(shift) == {"slots": 3}


def test_resource_line_update_keeps_still_needed_within_quantity() -> None:
    line = ResourceLineCreate.model_validate(_line(still_needed="100")).to_row(need_id=1)
    with pytest.raises(ValidationError, match="still_needed"):
        ResourceLineUpdate.model_validate({"quantity": "99"}).apply_to(line)
    ResourceLineUpdate.model_validate({"quantity": "100"}).apply_to(line)
    assert line.quantity == 100


def test_rejection_needs_a_reason() -> None:
    assert_rejected(NeedRejection, {}, "reason", "required")
    assert_rejected(NeedRejection, {"reason": "  "}, "reason", "at least 1")
    assert NeedRejection.model_validate({"reason": "重复", "duplicate_of_id": 3}).duplicate_of_id == 3


@pytest.mark.parametrize("satisfaction", [0, 6, -1])
def test_satisfaction_is_one_to_five(satisfaction: int) -> None:
    assert_rejected(NeedFeedback, {"satisfaction": satisfaction}, "satisfaction")


def test_satisfaction_accepts_one_to_five() -> None:
    assert [NeedFeedback(satisfaction=s).satisfaction for s in range(1, 6)] == [1, 2, 3, 4, 5]


def test_escalation_to_a_department_names_it() -> None:
    deadline = SOON.isoformat()
    assert_rejected(
        EscalationCreate, {"level": "department", "reason": "吹哨", "deadline_at": deadline}, "department_id"
    )
    assert_rejected(
        EscalationCreate,
        {"level": "street", "department_id": 2, "reason": "吹哨", "deadline_at": deadline},
        "department_id",
    )
    assert_rejected(
        EscalationCreate,
        {"level": "street", "reason": "吹哨", "deadline_at": "2020-01-01T00:00:00Z"},
        "deadline_at",
        "in the future",
    )
    escalation = EscalationCreate.model_validate(
        {"level": "department", "department_id": 2, "reason": "吹哨", "deadline_at": deadline}
    ).to_row(need_id=5, opened_by_id=1)
    assert escalation.level is EscalationLevel.DEPARTMENT and escalation.deadline_at > escalation.opened_at


# --- volunteers --------------------------------------------------------------------------------------

VOLUNTEER = {"home_grid_id": 1, "segment": "resident"}


@pytest.mark.parametrize(
    ("slot", "field", "reason"),
    [
        ({"weekday": 7, "start_minute": 0, "end_minute": 60}, "weekday", "less than or equal to 6"),
        ({"weekday": -1, "start_minute": 0, "end_minute": 60}, "weekday", ""),
        ({"weekday": 0, "start_minute": -1, "end_minute": 60}, "start_minute", ""),
        ({"weekday": 0, "start_minute": 1440, "end_minute": 1440}, "start_minute", "less than 1440"),
        ({"weekday": 0, "start_minute": 0, "end_minute": 1441}, "end_minute", "less than or equal to 1440"),
        ({"weekday": 0, "start_minute": 600, "end_minute": 600}, "end_minute", "after start_minute"),
        ({"weekday": 0, "start_minute": 600, "end_minute": 540}, "end_minute", "after start_minute"),
    ],
)
def test_availability_slot_rejects(slot: dict[str, int], field: str, reason: str) -> None:
    assert_rejected(AvailabilitySlotCreate, slot, field, reason)
    assert_rejected(VolunteerCreate, VOLUNTEER | {"availability": [slot]}, f"availability.0.{field}", reason)


def test_a_whole_day_is_a_valid_window() -> None:
    slot = AvailabilitySlotCreate(weekday=6, start_minute=0, end_minute=1440)
    assert slot.to_row(volunteer_id=2).end_minute == 1440


def test_windows_of_one_day_must_not_overlap() -> None:
    windows = [
        {"weekday": 2, "start_minute": 480, "end_minute": 720},
        {"weekday": 3, "start_minute": 500, "end_minute": 600},
        {"weekday": 2, "start_minute": 700, "end_minute": 800},
    ]
    assert_rejected(VolunteerCreate, VOLUNTEER | {"availability": windows}, "availability.2", "overlaps")
    windows[2]["start_minute"] = 720
    assert len(VolunteerCreate.model_validate(VOLUNTEER | {"availability": windows}).availability) == 3


def test_volunteer_rules() -> None:
    assert_rejected(VolunteerCreate, VOLUNTEER | {"skill_ids": [4, 4]}, "skill_ids", "must not repeat")
    assert_rejected(VolunteerCreate, VOLUNTEER | {"weekly_hour_cap": 0}, "weekly_hour_cap")
    assert_rejected(VolunteerCreate, VOLUNTEER | {"weekly_hour_cap": 81}, "weekly_hour_cap")
    assert_rejected(VolunteerCreate, VOLUNTEER | {"segment": "party_member"}, "is_party_member", "must be true")
    assert_rejected(VolunteerCreate, VOLUNTEER | {"segment": "student"}, "segment")
    row = VolunteerCreate.model_validate(VOLUNTEER | {"skill_ids": [1, 2]}).to_row(user_id=8)
    assert row.user_id == 8 and row.weekly_hour_cap == 8 and row.segment is VolunteerSegment.RESIDENT


def test_volunteer_update_checks_segment_against_the_stored_flag() -> None:
    profile = VolunteerCreate.model_validate(VOLUNTEER).to_row(user_id=1)
    with pytest.raises(ValidationError, match="is_party_member"):
        VolunteerUpdate.model_validate({"segment": "party_member"}).apply_to(profile)
    VolunteerUpdate.model_validate({"segment": "party_member", "is_party_member": True}).apply_to(profile)
    assert profile.is_party_member


def test_skill_and_signup_rows() -> None:
    assert SkillCreate(code="first-aid", group="medical", name="急救", name_en="First aid").to_row().code == "first-aid"
    assert_rejected(SkillCreate, {"code": "first aid", "group": "g", "name": "n", "name_en": "n"}, "code")
    assert ShiftSignupCreate(shift_id=3).to_row(volunteer_id=4).volunteer_id == 4


# --- matches -----------------------------------------------------------------------------------------


def test_each_kind_of_match_carries_its_own_fields() -> None:
    line = {"need_id": 1, "kind": "offer_line", "resource_line_id": 2, "offer_id": 3, "quantity": "100"}
    assert MatchCreate.model_validate(line).to_row(proposed_by_id=5).quantity == 100
    assert_rejected(MatchCreate, line | {"quantity": None}, "quantity", "required when kind is offer_line")
    assert_rejected(MatchCreate, line | {"quantity": "0"}, "quantity", "greater than 0")
    assert_rejected(MatchCreate, line | {"volunteer_id": 4}, "volunteer_id", "must be empty")
    shift = {"need_id": 1, "kind": "volunteer_shift", "shift_id": 2, "volunteer_id": 3}
    assert MatchCreate.model_validate(shift).kind is MatchKind.VOLUNTEER_SHIFT
    assert_rejected(MatchCreate, shift | {"volunteer_id": None}, "volunteer_id", "required")
    assert_rejected(MatchCreate, {"need_id": 1, "kind": "whole_need"}, "organization_id", "required")
    assert_rejected(MatchCreate, shift | {"shown_rank": 0}, "shown_rank")
    assert_rejected(MatchCreate, shift | {"source": "robot"}, "source")


def test_a_claim_is_whole_or_a_complete_part() -> None:
    whole = ClaimCreate(need_id=1).to_match(organization_id=6)
    assert whole.kind is MatchKind.WHOLE_NEED and whole.source is MatchSource.PARTNER_CLAIM
    assert whole.organization_id == 6
    part = ClaimCreate(need_id=1, resource_line_id=2, offer_id=3, quantity=Decimal(50)).to_match(organization_id=6)
    assert part.kind is MatchKind.OFFER_LINE and part.organization_id is None
    assert_rejected(ClaimCreate, {"need_id": 1, "offer_id": 3, "quantity": 5}, "resource_line_id", "required")
    assert_rejected(ClaimCreate, {"need_id": 1, "resource_line_id": 2, "offer_id": 3}, "quantity", "required")


def test_rejecting_or_cancelling_a_match_needs_a_reason() -> None:
    assert_rejected(MatchDecision, {"status": "rejected"}, "reason", "required")
    assert_rejected(MatchDecision, {"status": "cancelled", "reason": ""}, "reason", "required")
    assert_rejected(MatchDecision, {"status": "proposed"}, "status", "must be one of")
    assert MatchDecision.model_validate({"status": "approved"}).reason is None
    assert MatchDecision.model_validate({"status": "rejected", "reason": "数量不足"}).reason == "数量不足"
    assert_rejected(MatchUpdate, {"quantity": None}, "quantity", "may not be null")


# --- rows built by the models are accepted by the database -------------------------------------------


def test_rows_from_validated_input_are_accepted_by_the_database(session: Session) -> None:
    def add(row: Any) -> Any:
        session.add(row)
        session.flush()
        return row

    street = add(StreetCreate.model_validate(STREET).to_row())
    community = add(CommunityCreate(street_id=street.id, name="湖岛社区", name_en="Hudao").to_row())
    grid = add(GridCreate.model_validate(GRID | {"community_id": community.id}).to_row())
    organization = add(OrganizationCreate.model_validate(ORGANIZATION | {"street_id": street.id}).to_row())
    user = add(UserCreate.model_validate(USER).to_row(password_hash="hash"))
    need_input = NeedCreate.model_validate(
        NEED | {"grid_id": grid.id, "resource_lines": [_line()], "shifts": [_shift()], "idempotency_key": "k-1"}
    )
    need = add(need_input.to_row(created_by_id=user.id))
    add(need_input.intake_row(need.id, recorded_by_id=user.id))
    line = add(need_input.resource_lines[0].to_row(need.id))
    shift = add(need_input.shifts[0].to_row(need.id))
    offer = add(OfferCreate.model_validate(OFFER | {"grid_ids": [grid.id]}).to_row(organization.id))
    volunteer_user = add(UserCreate.model_validate(USER | {"username": "han_meimei", "role": "volunteer"}).to_row("h"))
    volunteer = add(VolunteerCreate.model_validate(VOLUNTEER | {"home_grid_id": grid.id}).to_row(volunteer_user.id))
    claim = {"need_id": need.id, "resource_line_id": line.id, "offer_id": offer.id, "quantity": 100}
    add(ClaimCreate.model_validate(claim).to_match(organization.id).to_row())
    add(ShiftSignupCreate(shift_id=shift.id).to_row(volunteer.id))
    add(EscalationCreate(level="grid", reason="逾期", deadline_at=SOON).to_row(need.id, user.id))
    session.commit()


# --- Litestar turns a validation error into a 400 that names the field -------------------------------


@post("/needs", sync_to_thread=False)
def _create_need(data: JSONBody[NeedCreate]) -> dict[str, str]:
    return {"title": data.title}


def test_litestar_answers_400_naming_the_field() -> None:
    with TestClient(Litestar([_create_need])) as client:
        good = client.post("/needs", json=NEED | {"title": " 凉亭 "})
        assert good.status_code == 201 and good.json() == {"title": "凉亭"}
        bad = client.post("/needs", json=NEED | {"shifts": [_shift(slots=0)]})
        assert bad.status_code == 400
        assert [detail["key"] for detail in bad.json()["extra"]] == ["shifts.0.slots"]
        crossed = client.post("/needs", json=NEED | {"due_date": (date.today() - timedelta(days=3)).isoformat()})
        assert crossed.status_code == 400
        assert [detail["key"] for detail in crossed.json()["extra"]] == ["due_date"]
        assert "in the past" in crossed.json()["extra"][0]["message"]
