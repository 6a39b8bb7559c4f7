"""Every invariant the database holds, proven on the real database (SQLite or PostgreSQL).

Rows go in through SQLAlchemy Core, bypassing the validated input models, so only the schema stands
between a bad row and the table. Each case first commits a valid row (so the test can fail), then
asserts the violating statement raises ``IntegrityError``. Coverage tests fail when a constraint is
added to the models without a case here.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from marketplace.organizations.credit_code import credit_code_check_digit, organization_code_check_digit

T0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
MISSING_ID = 999_999

Overrides = dict[str, Any]
Step = Overrides | Callable[["World"], Any]


def _table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


def _credit_code(n: int) -> str:
    first16 = f"91370203{n:08d}"
    first17 = first16 + organization_code_check_digit(first16[8:])
    return first17 + credit_code_check_digit(first17)


@dataclass
class World:
    """A small street committed to the database, and a builder of one valid row per table."""

    engine: sa.Engine
    ids: dict[str, int] = field(default_factory=dict)
    serial: Iterator[int] = field(default_factory=lambda: count(1))

    def insert(self, table: str, **overrides: Any) -> int | None:
        """Insert a valid row of ``table`` changed by ``overrides``, in its own transaction."""
        values = self.row(table) | overrides
        with self.engine.begin() as connection:
            result = connection.execute(_table(table).insert().values(values))
            key = result.inserted_primary_key
            return key[0] if key and len(key) == 1 else None

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(sql), params)

    def row(self, table: str) -> Overrides:
        n = next(self.serial)
        return getattr(self, f"_{table}")(n)

    # One valid row per table; rows that must be unique per parent get a fresh parent.
    def _street(self, n: int) -> Overrides:
        return {"code": f"S{n}", "name": f"街道{n}", "name_en": f"Street {n}", "district": "市北区", "city": "青岛市"}

    def _community(self, n: int) -> Overrides:
        return {"street_id": self.ids["street"], "name": f"社区{n}", "name_en": f"Community {n}"}

    def _party_branch(self, n: int) -> Overrides:
        return {"street_id": self.ids["street"], "name": f"支部{n}", "name_en": f"Branch {n}"}

    def _department(self, n: int) -> Overrides:
        return {"street_id": self.ids["street"], "name": f"部门{n}", "name_en": f"Department {n}"}

    def _grid(self, n: int) -> Overrides:
        return {
            "code": f"G{n}",
            "community_id": self.ids["community"],
            "party_branch_id": self.ids["party_branch"],
            "number": n,
            "name": f"网格{n}",
            "name_en": f"Grid {n}",
            "latitude": 36.07,
            "longitude": 120.38,
            "households": 300,
        }

    def _service_station(self, n: int) -> Overrides:
        return {
            "grid_id": self.insert("grid"),
            "name": f"服务站{n}",
            "name_en": f"Station {n}",
            "address": "湖岛路1号",
            "opening_hours": "",
        }

    def _organization(self, n: int) -> Overrides:
        return {
            "street_id": self.ids["street"],
            "name": f"伙伴{n}",
            "kind": "enterprise",
            "credit_code": _credit_code(n),
            "contact_name": "张三",
            "contact_phone": "13800138000",
            "address": "",
            "description": "",
            "status": "pending",
            "created_at": T0,
        }

    def _organization_grid(self, n: int) -> Overrides:
        return {"organization_id": self.insert("organization"), "grid_id": self.ids["grid"]}

    def _user_account(self, n: int) -> Overrides:
        return {
            "username": f"user{n}",
            "display_name": f"User {n}",
            "role": "staff",
            "is_active": True,
            "is_org_manager": False,
            "created_at": T0,
        }

    def _staff_grid(self, n: int) -> Overrides:
        return {"user_id": self.insert("user_account"), "grid_id": self.ids["grid"]}

    def _audit_event(self, n: int) -> Overrides:
        return {"actor_id": self.ids["staff"], "action": "need.create", "object_type": "need", "created_at": T0}

    def _user_session(self, n: int) -> Overrides:
        return {
            "token_hash": f"{n:064x}",
            "user_id": self.ids["staff"],
            "created_at": T0,
            "last_seen_at": T0,
            "expires_at": T0 + timedelta(hours=12),
        }

    def _api_token(self, n: int) -> Overrides:
        return {
            "user_id": self.ids["staff"],
            "name": f"token {n}",
            "prefix": f"rpm_{n}",
            "token_hash": f"{n:064x}",
            "scopes": "needs:write",
            "created_at": T0,
        }

    def _password_reset(self, n: int) -> Overrides:
        return {
            "user_id": self.ids["staff"],
            "token_hash": f"{n:064x}",
            "created_at": T0,
            "expires_at": T0 + timedelta(hours=24),
        }

    def _login_failure(self, n: int) -> Overrides:
        return {"account": f"user{n}", "client_address": "127.0.0.1", "failed_at": T0}

    def _match_round(self, n: int) -> Overrides:
        counts = ("done", "total", "lines", "shifts", "line_candidates", "shift_candidates")
        return {
            "scope": "all",
            "status": "finished",
            "method": "optimal",
            "k": 20,
            "stage": "done",
            **dict.fromkeys((*counts, "line_proposals", "shift_proposals", "skipped"), 0),
            "started_by_id": self.ids["staff"],
            "created_at": T0,
            "heartbeat_at": T0,
        }

    def _job(self, n: int) -> Overrides:
        return {
            "kind": "match.round",
            "arguments": {"round_id": n},
            "status": "queued",
            "stage": "queued",
            "done": 0,
            "total": 0,
            "attempts": 0,
            "max_attempts": 3,
            "started_by_id": self.ids["staff"],
            "created_at": T0,
        }

    def _need_submission(self, n: int) -> Overrides:
        return {"client_address": f"127.0.0.{n}", "submitted_at": T0}

    def _notification(self, n: int) -> Overrides:
        return {
            "user_id": self.ids["staff"],
            "kind": "match.proposed",
            "subject_type": "match",
            "subject_id": 1,
            "digest_key": f"k{n}",
            "payload": {},
            "created_at": T0,
        }

    def _skill(self, n: int) -> Overrides:
        return {"code": f"K{n}", "group": "care", "name": f"技能{n}", "name_en": f"Skill {n}"}

    def _volunteer_profile(self, n: int) -> Overrides:
        return {
            "user_id": self.insert("user_account", role="volunteer"),
            "home_grid_id": self.ids["grid"],
            "segment": "resident",
            "is_party_member": False,
            "weekly_hour_cap": 8,
            "hours_total": Decimal(0),
            "fulfilled_count": 0,
            "no_show_count": 0,
            "created_at": T0,
        }

    def _volunteer_interest(self, n: int) -> Overrides:
        return {"volunteer_id": self.insert("volunteer_profile"), "category": "renovation"}

    def _service_certificate(self, n: int) -> Overrides:
        return {
            "code": f"{n:012d}",
            "volunteer_id": self.ids["volunteer"],
            "holder_name": "刘志强",
            "street_name": "湖岛街道",
            "street_name_en": "Hudao Street",
            "hours": 9.5,
            "shifts": 2,
            "issued_at": T0,
        }

    def _volunteer_street(self, n: int) -> Overrides:
        return {"volunteer_id": self.insert("volunteer_profile"), "street_id": self.ids["street"], "created_at": T0}

    def _volunteer_skill(self, n: int) -> Overrides:
        return {"volunteer_id": self.ids["volunteer"], "skill_id": self.insert("skill")}

    def _availability_slot(self, n: int) -> Overrides:
        return {"volunteer_id": self.ids["volunteer"], "weekday": n % 7, "start_minute": n, "end_minute": 1440}

    def _need(self, n: int) -> Overrides:
        return {
            "title": f"需求{n}",
            "description": "",
            "category": "renovation",
            "grid_id": self.ids["grid"],
            "channel": "door_visit",
            "urgency": "normal",
            "status": "submitted",
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }

    def _need_consent(self, n: int) -> Overrides:
        return {"need_id": self.ids["need"], "method": "oral", "recorded_by_id": self.ids["staff"], "recorded_at": T0}

    def _need_intake(self, n: int) -> Overrides:
        return {"need_id": self.ids["need"], "channel": "hotline_12345", "reporter_note": "", "received_at": T0}

    def _resource_line(self, n: int) -> Overrides:
        return {
            "need_id": self.ids["need"],
            "kind": "material",
            "category": "renovation",
            "description": "",
            "quantity": Decimal(10),
            "unit": "m²",
            "still_needed": Decimal(10),
        }

    def _shift(self, n: int) -> Overrides:
        return {
            "need_id": self.ids["need"],
            "title": f"班次{n}",
            "location": "",
            "starts_at": T0,
            "ends_at": T0 + timedelta(hours=2),
            "slots": 3,
            "confirmed_count": 0,
            "requires_approval": False,
        }

    def _shift_skill(self, n: int) -> Overrides:
        return {"shift_id": self.ids["shift"], "skill_id": self.insert("skill")}

    def _shift_signup(self, n: int) -> Overrides:
        return {
            "shift_id": self.insert("shift"),
            "volunteer_id": self.ids["volunteer"],
            "status": "pending",
            "hours_credited": Decimal(0),
            "created_at": T0,
        }

    def _escalation(self, n: int) -> Overrides:
        return {
            "need_id": self.insert("need"),
            "level": "grid",
            "reason": "逾期未办",
            "opened_at": T0,
            "deadline_at": T0 + timedelta(days=1),
        }

    def _offer(self, n: int) -> Overrides:
        return {
            "organization_id": self.ids["organization"],
            "kind": "material",
            "category": "renovation",
            "title": f"资源{n}",
            "description": "",
            "quantity": Decimal(100),
            "unit": "m²",
            "remaining_quantity": Decimal(100),
            "valid_from": T0,
            "status": "active",
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }

    def _item_term(self, n: int) -> Overrides:
        return {
            "key": f"item_{n}",
            "category": "renovation",
            "kind": "material",
            "name_zh": f"物品{n}",
            "name_en": f"Item {n}",
            "synonyms": [],
            "units": ["个"],
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }

    def _round_schedule(self, n: int) -> Overrides:
        # One schedule per street: the street is the key.
        return {
            "street_id": self.insert("street"),
            "enabled": True,
            "weekdays": 1,
            "at_minute": 540,
            "method": "optimal",
            "k": 20,
            "last_round_id": self.insert("match_round"),
            "updated_by_id": self.ids["staff"],
            "updated_at": T0,
        }

    def _shown_list(self, n: int) -> Overrides:
        return {
            "kind": "volunteers",
            "need_id": self.ids["need"],
            "part_id": n,
            "candidate_ids": [1, 2, 3],
            "explored_slot": 1,
            "explored_candidate_id": 2,
            "scorer": "default",
            "shown_at": T0,
        }

    def _offer_grid(self, n: int) -> Overrides:
        return {"offer_id": self.insert("offer"), "grid_id": self.ids["grid"]}

    def _match(self, n: int) -> Overrides:
        return {
            "need_id": self.ids["need"],
            "kind": "offer_line",
            "source": "staff",
            "resource_line_id": self.ids["resource_line"],
            "offer_id": self.ids["offer"],
            "quantity": Decimal(5),
            "status": "proposed",
            "created_at": T0,
        }


@pytest.fixture
def world(clean_engine: sa.Engine) -> World:
    world = World(clean_engine)
    for table in ("street", "community", "party_branch", "grid", "department", "organization", "need"):
        world.ids[table] = world.insert(table)
    world.ids["staff"] = world.insert("user_account")
    world.ids["volunteer"] = world.insert("volunteer_profile")
    world.ids["volunteer_user"] = world.insert("user_account", role="volunteer")
    for table in ("resource_line", "shift", "offer", "skill"):
        world.ids[table] = world.insert(table)
    return world


@dataclass(frozen=True)
class Case:
    """``valid`` must be accepted and then ``invalid`` refused; each is overrides of a fresh row of
    ``table``, or a function of the world that runs its own statements."""

    constraint: str
    table: str
    valid: Step
    invalid: Step
    note: str = ""
    # For unique constraints and indexes: the key columns the database reports.
    columns: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.constraint}-{self.note}" if self.note else self.constraint


def _run(world: World, table: str, step: Step) -> None:
    if callable(step):
        step = step(world)
    if isinstance(step, dict):
        world.insert(table, **step)


def _check(table: str, name: str, valid: Step, invalid: Step, note: str = "") -> Case:
    return Case(f"{table}.{name}", table, valid, invalid, note)


def _unique(table: str, columns: str, values: Step, note: str = "") -> Case:
    """The same row twice (``values`` fix the ``columns`` of the constraint): the second is refused."""
    return Case(f"{table}({columns})", table, values, values, note, tuple(columns.split(",")))


def _need_duplicate_of(target: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        need_id = world.insert("need")
        other = world.ids["need"] if target == "other" else need_id
        world.execute("UPDATE need SET duplicate_of_id = :other WHERE id = :id", other=other, id=need_id)

    return step


def _match_whole(status: str = "proposed", **extra: Any) -> Callable[[World], Overrides]:
    def overrides(world: World) -> Overrides:
        values = {"kind": "whole_need", "resource_line_id": None, "offer_id": None, "quantity": None}
        return values | {"organization_id": world.ids["organization"], "status": status} | extra

    return overrides


def _match_shift(**extra: Any) -> Callable[[World], Overrides]:
    def overrides(world: World) -> Overrides:
        values = {"kind": "volunteer_shift", "resource_line_id": None, "offer_id": None, "quantity": None}
        return values | {"shift_id": world.ids["shift"], "volunteer_id": world.ids["volunteer"]} | extra

    return overrides


def _with_ids(**names: str) -> Callable[[World], Overrides]:
    """Overrides naming rows of the world: ``_with_ids(organization_id="organization")``."""
    return lambda world: {column: world.ids[name] for column, name in names.items()}


def _partner(**extra: Any) -> Callable[[World], Overrides]:
    return lambda world: {"role": "partner", "organization_id": world.ids["organization"]} | extra


CHECK_CASES: list[Case] = [
    # Certificates: hours and shifts not negative, a twelve-character code, a period in order.
    _check("service_certificate", "service_certificate_hours_not_negative", {"hours": 0}, {"hours": -0.25}),
    _check("service_certificate", "service_certificate_shifts_not_negative", {"shifts": 0}, {"shifts": -1}),
    _check("service_certificate", "service_certificate_code_length", {"code": "ABCDEFGHJKMN"}, {"code": "ABC"}),
    _check(
        "service_certificate",
        "service_certificate_period_order",
        {"first_day": date(2026, 5, 1), "last_day": date(2026, 5, 1)},
        {"first_day": date(2026, 5, 2), "last_day": date(2026, 5, 1)},
    ),
    # A resident's consent is withdrawn after it was given, never before.
    _check(
        "need_consent",
        "need_consent_withdrawn_after",
        {"withdrawn_at": T0 + timedelta(seconds=1)},
        {"withdrawn_at": T0 - timedelta(seconds=1)},
    ),
    # Places
    _check("grid", "grid_latitude_range", {"latitude": 90}, {"latitude": 90.5}),
    _check(
        "user_session",
        "user_session_expires_after_creation",
        {"expires_at": T0 + timedelta(seconds=1)},
        {"expires_at": T0},
    ),
    _check(
        "password_reset",
        "password_reset_expires_after_creation",
        {"expires_at": T0 + timedelta(seconds=1)},
        {"expires_at": T0},
    ),
    _check("grid", "grid_number_positive", {"number": 1}, {"number": 0}),
    _check("grid", "grid_households_not_negative", {"households": 0}, {"households": -1}),
    _check("grid", "grid_latitude_range", {"latitude": -90}, {"latitude": -90.5}, "south"),
    _check("grid", "grid_longitude_range", {"longitude": 180}, {"longitude": 180.5}),
    _check("grid", "grid_longitude_range", {"longitude": -180}, {"longitude": -180.5}, "west"),
    # Organizations and accounts
    _check("organization", "organization_credit_code_length", {}, {"credit_code": "91370203MA3C4K5"}),
    _check(
        "organization",
        "organization_reason_required",
        {"status": "rejected", "status_reason": "资料不全"},
        {"status": "rejected", "status_reason": None},
    ),
    _check(
        "organization",
        "organization_reason_required",
        {"status": "suspended", "status_reason": "投诉核实"},
        {"status": "suspended"},
        "suspended",
    ),
    _check("user_account", "user_account_partner_has_organization", _partner(), {"role": "partner"}),
    _check(
        "user_account",
        "user_account_partner_has_organization",
        {"role": "staff"},
        _with_ids(organization_id="organization"),
        "staff-with-organization",
    ),
    _check(
        "user_account",
        "user_account_manager_is_partner",
        _partner(is_org_manager=True),
        {"role": "staff", "is_org_manager": True},
    ),
    # Offers: the capacity invariant
    _check(
        "offer",
        "offer_quantity_positive",
        {"quantity": Decimal("0.01"), "remaining_quantity": Decimal(0)},
        {"quantity": Decimal(0), "remaining_quantity": Decimal(0)},
    ),
    _check("offer", "offer_remaining_not_negative", {"remaining_quantity": Decimal(0)}, {"remaining_quantity": -1}),
    _check(
        "offer",
        "offer_remaining_within_quantity",
        {"remaining_quantity": Decimal(100)},
        {"remaining_quantity": Decimal("100.01")},
    ),
    _check("offer", "offer_valid_window", {"valid_until": T0 + timedelta(seconds=1)}, {"valid_until": T0}),
    _check("offer", "offer_version_positive", {"version": 1}, {"version": 0}),
    # An offer starts no later than it ends.
    _check(
        "offer",
        "offer_available_before_until",
        {"available_from": T0 + timedelta(days=2), "valid_until": T0 + timedelta(days=2)},
        {"available_from": T0 + timedelta(days=2, seconds=1), "valid_until": T0 + timedelta(days=2)},
    ),
    # Needs, lines, shifts, escalations
    _check("need", "need_rejection_has_reason", {"status": "rejected", "status_reason": "重"}, {"status": "rejected"}),
    _check("need", "need_not_duplicate_of_itself", _need_duplicate_of("other"), _need_duplicate_of("itself")),
    _check("need", "need_satisfaction_range", {"satisfaction": 5}, {"satisfaction": 6}),
    _check("need", "need_satisfaction_range", {"satisfaction": 1}, {"satisfaction": 0}, "zero"),
    _check("need", "need_version_positive", {"version": 1}, {"version": 0}),
    _check("resource_line", "resource_line_quantity_positive", {}, {"quantity": 0, "still_needed": 0}),
    _check("resource_line", "resource_line_still_needed_not_negative", {"still_needed": 0}, {"still_needed": -1}),
    _check(
        "resource_line",
        "resource_line_still_needed_within_quantity",
        {"still_needed": Decimal(10)},
        {"still_needed": Decimal("10.01")},
    ),
    _check("shift", "shift_ends_after_start", {"ends_at": T0 + timedelta(minutes=1)}, {"ends_at": T0}),
    _check("shift", "shift_slots_positive", {"slots": 1}, {"slots": 0}),
    _check("shift", "shift_confirmed_within_slots", {"confirmed_count": 3}, {"confirmed_count": 4}),
    _check("shift", "shift_confirmed_within_slots", {"confirmed_count": 0}, {"confirmed_count": -1}, "negative"),
    _check(
        "escalation",
        "escalation_deadline_after_open",
        {"deadline_at": T0 + timedelta(seconds=1)},
        {"deadline_at": T0},
    ),
    _check(
        "escalation",
        "escalation_names_department",
        lambda w: {"level": "department", "department_id": w.ids["department"]},
        {"level": "department"},
    ),
    # Volunteers
    _check("volunteer_profile", "volunteer_hours_not_negative", {"hours_total": 0}, {"hours_total": Decimal("-0.01")}),
    _check("volunteer_profile", "volunteer_counts_not_negative", {"no_show_count": 0}, {"no_show_count": -1}),
    _check(
        "volunteer_profile",
        "volunteer_counts_not_negative",
        {"fulfilled_count": 0},
        {"fulfilled_count": -1},
        "fulfilled",
    ),
    _check("volunteer_profile", "volunteer_weekly_cap_range", {"weekly_hour_cap": 80}, {"weekly_hour_cap": 81}),
    _check(
        "volunteer_profile", "volunteer_reliability_rate_range", {"reliability_rate": 1}, {"reliability_rate": 1.01}
    ),
    _check(
        "volunteer_profile",
        "volunteer_reliability_rate_range",
        {"reliability_rate": 0},
        {"reliability_rate": -0.01},
        "negative",
    ),
    _check("volunteer_profile", "volunteer_weekly_cap_range", {"weekly_hour_cap": 1}, {"weekly_hour_cap": 0}, "zero"),
    _check("availability_slot", "availability_weekday_range", {"weekday": 6}, {"weekday": 7}),
    _check("availability_slot", "availability_weekday_range", {"weekday": 0}, {"weekday": -1}, "negative"),
    _check(
        "availability_slot",
        "availability_minutes_range",
        {"start_minute": 0, "end_minute": 1440},
        {"start_minute": 0, "end_minute": 1441},
    ),
    _check(
        "availability_slot",
        "availability_minutes_range",
        {"weekday": 1, "start_minute": 0, "end_minute": 60},
        {"weekday": 1, "start_minute": -1, "end_minute": 60},
        "negative-start",
    ),
    _check(
        "availability_slot",
        "availability_start_before_end",
        {"start_minute": 600, "end_minute": 601},
        {"start_minute": 600, "end_minute": 600},
    ),
    _check(
        "shift_signup",
        "shift_signup_hours_not_negative",
        {"hours_credited": Decimal(0)},
        {"hours_credited": Decimal("-0.5")},
    ),
    _check(
        "shift_signup",
        "shift_signup_checkout_after_checkin",
        {"checked_in_at": T0, "checked_out_at": T0},
        {"checked_in_at": T0, "checked_out_at": T0 - timedelta(seconds=1)},
    ),
    _check(
        "shift_signup",
        "shift_signup_checkout_after_checkin",
        {"checked_in_at": T0},
        {"checked_out_at": T0},
        "without-checkin",
    ),
    # Matches
    _check("match", "match_offer_line_complete", {}, {"offer_id": None}),
    _check("match", "match_offer_line_complete", {"quantity": Decimal("0.01")}, {"quantity": 0}, "zero-quantity"),
    _check("match", "match_offer_line_complete", {}, {"quantity": None}, "no-quantity"),
    _check("match", "match_volunteer_shift_complete", _match_shift(), _match_shift(volunteer_id=None)),
    _check("match", "match_whole_need_complete", _match_whole(), _match_whole(organization_id=None)),
    # A match of one kind carries none of another kind's references.
    _check("match", "match_offer_line_complete", {}, _with_ids(shift_id="shift"), "with-shift"),
    _check("match", "match_volunteer_shift_complete", _match_shift(), _match_shift(quantity=1), "with-quantity"),
    _check(
        "match",
        "match_whole_need_complete",
        _match_whole(),
        lambda w: _match_whole()(w) | {"volunteer_id": w.ids["volunteer"]},
        "with-volunteer",
    ),
    _check(
        "match",
        "match_reason_required",
        {"status": "rejected", "decision_reason": "数量不足"},
        {"status": "rejected"},
    ),
    _check(
        "match",
        "match_reason_required",
        {"status": "cancelled", "decision_reason": "取消"},
        {"status": "cancelled"},
        "cancelled",
    ),
    _check("match", "match_shown_rank_positive", {"shown_rank": 1}, {"shown_rank": 0}),
    _check("match_round", "match_round_k_in_range", {"k": 50}, {"k": 0}),
    # A street's round schedule: k in range, a minute of the day, the seven weekday bits.
    _check("round_schedule", "round_schedule_k_in_range", {"k": 100}, {"k": 101}),
    _check("round_schedule", "round_schedule_minute_of_day", {"at_minute": 1439}, {"at_minute": 1440}),
    _check("round_schedule", "round_schedule_weekday_bits", {"weekdays": 127}, {"weekdays": 128}),
    # Jobs: a kind, progress that is not negative, attempts within their limit, failures that say why.
    _check("job", "job_kind_not_empty", {"kind": "x"}, {"kind": ""}),
    _check("job", "job_progress_not_negative", {"done": 0, "total": 0}, {"done": -1}),
    _check("job", "job_progress_not_negative", {"done": 3, "total": 5}, {"total": -5}, "total"),
    _check("job", "job_attempts_in_range", {"attempts": 3, "max_attempts": 3}, {"attempts": 4, "max_attempts": 3}),
    _check("job", "job_max_attempts_in_range", {"max_attempts": 20}, {"max_attempts": 0}),
    _check(
        "job",
        "job_failed_has_error",
        {"status": "failed", "error": "boom", "finished_at": T0},
        {"status": "failed", "error": None, "finished_at": T0},
    ),
    _check(
        "job",
        "job_ended_has_finished_at",
        {"status": "finished", "finished_at": T0},
        {"status": "finished", "finished_at": None},
    ),
    # The item vocabulary: keys lower-case, 2 to 64 long, no spaces; both names given; versions from 1.
    _check("shown_list", "shown_list_kind_known", {"kind": "offers"}, {"kind": "shifts"}),
    _check("shown_list", "shown_list_explored_slot_in_range", {"explored_slot": 0}, {"explored_slot": -1}),
    _check("shown_list", "shown_list_explored_slot_in_range", {"explored_slot": 99}, {"explored_slot": 100}, "top"),
    _check("shown_list", "shown_list_part_id_positive", {"part_id": 1}, {"part_id": 0}),
    _check("item_term", "item_term_key_length", {"key": "ab"}, {"key": "a"}),
    _check("item_term", "item_term_key_lower", {"key": "led_lamp"}, {"key": "LED_lamp"}),
    _check("item_term", "item_term_key_lower", {"key": "solar_lamp"}, {"key": "solar lamp"}, "space"),
    _check("item_term", "item_term_names_given", {"name_zh": "砖"}, {"name_zh": ""}),
    _check("item_term", "item_term_names_given", {"name_en": "bricks"}, {"name_en": ""}, "english"),
    _check("item_term", "item_term_version_positive", {"version": 1}, {"version": 0}),
]

UNIQUE_CASES: list[Case] = [
    _unique("street", "code", {"code": "DUP"}),
    _unique("community", "street_id,name", {"name": "同名社区"}),
    _unique("party_branch", "street_id,name", {"name": "同名支部"}),
    _unique("department", "street_id,name", {"name": "同名部门"}),
    _unique("grid", "code", {"code": "G-DUP"}),
    _unique("grid", "community_id,number", {"number": 77}),
    _unique("service_station", "grid_id", _with_ids(grid_id="grid")),
    _unique("organization", "credit_code", {"credit_code": "9144030071526726XG"}),
    _unique("user_account", "username", {"username": "same"}),
    _unique("skill", "code", {"code": "K-DUP"}),
    _unique("user_session", "token_hash", {"token_hash": "a" * 64}),
    _unique("api_token", "token_hash", {"token_hash": "b" * 64}),
    _unique("password_reset", "token_hash", {"token_hash": "c" * 64}),
    _unique("volunteer_profile", "user_id", _with_ids(user_id="volunteer_user")),
    _unique("availability_slot", "volunteer_id,weekday,start_minute", {"weekday": 2, "start_minute": 480}),
    # Systems feeding needs in resend; the same key never makes two intakes.
    _unique("need_intake", "idempotency_key", {"idempotency_key": "hotline-2021-000123"}),
    _unique("escalation", "need_id,level", lambda w: {"need_id": w.ids["need"], "level": "street"}),
    # Link tables: their primary key is the pair.
    _unique("offer_grid", "offer_id,grid_id", _with_ids(offer_id="offer", grid_id="grid")),
    _unique("organization_grid", "organization_id,grid_id", _with_ids(organization_id="organization", grid_id="grid")),
    _unique("staff_grid", "user_id,grid_id", _with_ids(user_id="staff", grid_id="grid")),
    _unique("volunteer_skill", "volunteer_id,skill_id", _with_ids(volunteer_id="volunteer", skill_id="skill")),
    _unique("volunteer_interest", "volunteer_id,category", lambda w: {"volunteer_id": w.ids["volunteer"]}),
    _unique("service_certificate", "code", lambda w: {"code": "ABCDEFGHJKMN"}),
    _unique("volunteer_street", "volunteer_id,street_id", _with_ids(volunteer_id="volunteer", street_id="street")),
    _unique("shift_skill", "shift_id,skill_id", _with_ids(shift_id="shift", skill_id="skill")),
    # Offers and lines store the key: one item per key, retired ones included.
    _unique("item_term", "key", {"key": "same_item"}),
    # The partial unique indexes: one live whole-project claim, one live pairing of volunteer and shift.
    Case("match_one_live_whole_claim", "match", _match_whole(), _match_whole("approved"), columns=("need_id",)),
    Case(
        "match_one_live_volunteer_per_shift",
        "match",
        _match_shift(),
        _match_shift(status="fulfilled"),
        columns=("shift_id", "volunteer_id"),
    ),
    Case(
        "shift_signup_once_per_volunteer",
        "shift_signup",
        _with_ids(shift_id="shift", volunteer_id="volunteer"),
        _with_ids(shift_id="shift", volunteer_id="volunteer"),
        columns=("shift_id", "volunteer_id"),
    ),
    # One live consent per need: two staff recording at once cannot both succeed.
    Case("need_consent_one_live", "need_consent", {}, {}, columns=("need_id",)),
    # A scheduled run's slot is recorded once, however many workers schedule it.
    _unique("job", "key", {"key": "schedule:offers.expire:2030-01-01T08:00"}),
    # A reminder per sign-up and start, a digest per user and day: a second row with the once-key is refused.
    _unique("notification", "once_key", {"once_key": "shift_reminder:1:2030-01-01T08:00"}),
    # One matching round at a time: a queued one while another runs is refused.
    Case("match_round_one_live", "match_round", {"status": "running"}, {"status": "queued"}, columns=("scope",)),
]


@pytest.mark.parametrize("case", CHECK_CASES + UNIQUE_CASES, ids=lambda case: case.id)
def test_constraint_refuses_violating_row(world: World, case: Case) -> None:
    _run(world, case.table, case.valid)
    with pytest.raises(IntegrityError) as refused:
        _run(world, case.table, case.invalid)
    # Refused by this very constraint, not by some other one the row happened to break.
    message = str(refused.value.orig)
    if not case.columns:
        assert case.constraint.split(".", 1)[1] in message, message
    elif world.engine.dialect.name == "sqlite":
        assert ", ".join(f"{case.table}.{column}" for column in case.columns) in message, message
    else:
        assert f"Key ({', '.join(case.columns)})" in message, message


def _enum_columns() -> list[tuple[str, str, sa.Enum]]:
    return [
        (table.name, column.name, column.type)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Enum) and column.type.create_constraint
    ]


@pytest.mark.parametrize(
    ("table", "column", "enum"), _enum_columns(), ids=[f"{t}.{e.name}({c})" for t, c, e in _enum_columns()]
)
def test_enum_check_refuses_unknown_value(world: World, table: str, column: str, enum: sa.Enum) -> None:
    # Raw SQL: the Enum type would refuse the value in Python before the database saw it.
    row_id = world.insert(table)
    # The row by its key: "id", or a table keyed by its parent (round_schedule by street_id).
    [key] = [key.name for key in SQLModel.metadata.tables[table].primary_key.columns]
    update = f'UPDATE "{table}" SET "{column}" = :value WHERE "{key}" = :id'
    with world.engine.connect() as connection:
        current = connection.execute(sa.text(f'SELECT "{column}" FROM "{table}" WHERE "{key}" = :id'), {"id": row_id})
        # A nullable enum (need.escalation_level) starts empty: any member will do.
        value = current.scalar_one() or enum.enums[0]
    world.execute(update, value=value, id=row_id)
    with pytest.raises(IntegrityError, match=enum.name):
        world.execute(update, value="not_a_value", id=row_id)


@pytest.mark.parametrize("table", [t.name for t in SQLModel.metadata.sorted_tables])
def test_a_valid_row_of_every_table_is_accepted(world: World, table: str) -> None:
    world.insert(table)


def _foreign_keys() -> list[tuple[str, str]]:
    return sorted(
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.foreign_keys
    )


@pytest.mark.parametrize(("table", "column"), _foreign_keys(), ids=[f"{t}.{c}" for t, c in _foreign_keys()])
def test_foreign_key_refuses_missing_parent(world: World, table: str, column: str) -> None:
    # Enforced on SQLite too: the engine turns PRAGMA foreign_keys on for every connection.
    # A partner's organization is the one column whose row must change more to stay valid otherwise.
    context = {"role": "partner"} if (table, column) == ("user_account", "organization_id") else {}
    if table == "match" and column in ("shift_id", "volunteer_id"):
        context = _match_shift()(world)  # only a volunteer match may name a shift or a volunteer
    with pytest.raises(IntegrityError, match=r"(?i)foreign key constraint"):
        world.insert(table, **(context | {column: MISSING_ID}))


def test_a_cancelled_sign_up_does_not_stop_signing_up_again(world: World) -> None:
    world.insert("shift_signup", shift_id=world.ids["shift"], volunteer_id=world.ids["volunteer"], status="cancelled")
    world.insert("shift_signup", shift_id=world.ids["shift"], volunteer_id=world.ids["volunteer"])
    with pytest.raises(IntegrityError):
        world.insert("shift_signup", shift_id=world.ids["shift"], volunteer_id=world.ids["volunteer"])


def test_a_need_in_a_nonexistent_grid_is_refused(world: World) -> None:
    world.insert("need", grid_id=world.ids["grid"])
    with pytest.raises(IntegrityError):
        world.insert("need", grid_id=MISSING_ID)


def test_a_grid_with_needs_cannot_be_deleted(world: World) -> None:
    with pytest.raises(IntegrityError):
        world.execute("DELETE FROM grid WHERE id = :id", id=world.ids["grid"])


def test_deleting_a_need_deletes_its_lines_and_shifts(world: World) -> None:
    need_id = world.insert("need")
    world.insert("resource_line", need_id=need_id)
    world.insert("shift", need_id=need_id)
    world.execute("DELETE FROM need WHERE id = :id", id=need_id)
    with world.engine.connect() as connection:
        for table in ("resource_line", "shift"):
            left = connection.execute(sa.text(f"SELECT count(*) FROM {table} WHERE need_id = :id"), {"id": need_id})
            assert left.scalar_one() == 0


def test_a_rejected_whole_claim_frees_the_project(world: World) -> None:
    world.insert("match", **_match_whole("rejected", decision_reason="资质不符")(world))
    world.insert("match", **_match_whole("cancelled", decision_reason="撤回")(world))
    world.insert("match", **_match_whole("proposed")(world))
    with pytest.raises(IntegrityError):
        world.insert("match", **_match_whole("proposed")(world))


def test_whole_claims_of_different_needs_do_not_collide(world: World) -> None:
    world.insert("match", **_match_whole()(world))
    world.insert("match", **(_match_whole()(world) | {"need_id": world.insert("need")}))


def test_intakes_without_idempotency_key_do_not_collide(world: World) -> None:
    world.insert("need_intake", idempotency_key=None)
    world.insert("need_intake", idempotency_key=None)


def test_a_volunteer_may_pair_again_with_a_shift_after_a_rejection(world: World) -> None:
    world.insert("match", **_match_shift(status="rejected", decision_reason="时间冲突")(world))
    world.insert("match", **_match_shift()(world))


def test_a_shift_at_capacity_refuses_one_more_confirmation(world: World) -> None:
    # The conditional update services use: it may touch no row, and the CHECK backs it up.
    shift_id = world.insert("shift", slots=1, confirmed_count=0)
    world.execute("UPDATE shift SET confirmed_count = confirmed_count + 1 WHERE id = :id", id=shift_id)
    with pytest.raises(IntegrityError):
        world.execute("UPDATE shift SET confirmed_count = confirmed_count + 1 WHERE id = :id", id=shift_id)


def test_an_offer_cannot_be_drawn_below_zero(world: World) -> None:
    offer_id = world.insert("offer", quantity=Decimal(10), remaining_quantity=Decimal(10))
    world.execute("UPDATE offer SET remaining_quantity = remaining_quantity - 10 WHERE id = :id", id=offer_id)
    with pytest.raises(IntegrityError):
        world.execute("UPDATE offer SET remaining_quantity = remaining_quantity - 1 WHERE id = :id", id=offer_id)


# --- coverage: a new constraint in the models needs a case here --------------------------------------


def _declared_checks() -> set[str]:
    return {
        f"{table.name}.{constraint.name}"
        for table in SQLModel.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint)
    }


def _declared_uniques() -> set[str]:
    keys = set()
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                keys.add(f"{table.name}({','.join(c.name for c in constraint.columns)})")
        for index in table.indexes:
            if index.unique:
                columns = ",".join(c.name for c in index.columns)
                keys.add(index.name if _is_partial(index) else f"{table.name}({columns})")
        if len(table.primary_key.columns) > 1:
            keys.add(f"{table.name}({','.join(c.name for c in table.primary_key.columns)})")
    return keys


def _is_partial(index: sa.Index) -> bool:
    return any(index.dialect_options[dialect].get("where") is not None for dialect in ("sqlite", "postgresql"))


def test_every_check_constraint_has_a_case() -> None:
    covered = {case.constraint for case in CHECK_CASES}
    covered |= {f"{table}.{enum.name}" for table, _column, enum in _enum_columns()}
    assert _declared_checks() - covered == set(), "add a case to CHECK_CASES for these constraints"
    assert covered - _declared_checks() == set(), "these cases name constraints the models no longer declare"


def test_every_unique_constraint_and_index_has_a_case() -> None:
    covered = {case.constraint for case in UNIQUE_CASES}
    assert _declared_uniques() - covered == set(), "add a case to UNIQUE_CASES for these constraints"
    assert covered - _declared_uniques() == set(), "these cases name constraints the models no longer declare"
