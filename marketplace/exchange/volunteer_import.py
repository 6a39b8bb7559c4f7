"""The volunteer list's import, for staff: the street's earlier register (a spreadsheet of names, grids, the work
people signed up for, how reliably they turned up) becomes volunteer profiles.

Rules as for offers (marketplace/exchange/offers.py): every row is checked first, all or nothing unless only the
valid rows are asked for, one transaction, one audit row. Staff import only into the grids they work in. An
imported volunteer has no password: they set one through a password reset before signing in.
"""

import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record
from marketplace.exchange.columns import CellProblem, ColumnSpec, choice, text
from marketplace.exchange.grid_names import grid_finder
from marketplace.exchange.importer import CheckedTable, check_table
from marketplace.exchange.offers import ImportResult
from marketplace.exchange.readers import Table
from marketplace.forms import field_errors
from marketplace.i18n import N_, current_locale
from marketplace.i18n import gettext as _
from marketplace.places.services import admin_street_ids, viewer_street_ids
from marketplace.security.identity import CurrentUser
from marketplace.validation import _phone
from marketplace.vocabulary import Category
from marketplace.volunteers.models import VolunteerInterest, VolunteerSegment
from marketplace.volunteers.schemas import VolunteerCreate
from marketplace.whole_numbers import decimal_number, whole_number

SEPARATORS = (";", "；", "、", "|", ",", "，", "/")
# Words registers use for the kinds of work, beyond the categories' own codes and labels (both languages).
INTEREST_SYNONYMS: dict[str, str] = {
    "改造": "renovation",
    "维修": "renovation",
    "旧改": "renovation",
    "repair": "renovation",
    "环境": "sanitation",
    "卫生": "sanitation",
    "保洁": "sanitation",
    "cleaning": "sanitation",
    "environment": "sanitation",
    "助老": "elderly_care",
    "养老": "elderly_care",
    "为老": "elderly_care",
    "助残": "elderly_care",
    "elderly": "elderly_care",
    "elderly care": "elderly_care",
    "交通": "travel_safety",
    "出行": "travel_safety",
    "平安": "travel_safety",
    "safety": "travel_safety",
    "文体": "culture_sports",
    "文化": "culture_sports",
    "体育": "culture_sports",
    "culture": "culture_sports",
    "sports": "culture_sports",
    "防疫": "epidemic_prevention",
    "疫情": "epidemic_prevention",
    "epidemic": "epidemic_prevention",
    "调解": "mediation",
    "纠纷": "mediation",
    "conflict": "mediation",
    "民生": "livelihood",
    "救助": "livelihood",
    "帮扶": "livelihood",
    "aid": "livelihood",
    "教育": "education",
    "助学": "education",
    "青少年": "education",
    "youth": "education",
    "健康": "health",
    "医疗": "health",
    "义诊": "health",
    "medical": "health",
}
# The profile model's fields as the file's columns, for problems found across columns.
COLUMN_OF = {"home_grid_id": "grid", "is_party_member": "party_member"}


def _split(value: str) -> list[str]:
    parts = [value]
    for separator in SEPARATORS:
        parts = [piece for part in parts for piece in part.split(separator)]
    return [part.strip() for part in parts if part.strip()]


def _category_words() -> dict[str, str]:
    """Every word naming a category: its code, its label in both languages, and the synonyms."""
    words = dict(INTEREST_SYNONYMS)
    for locale in ("zh_CN", "en"):
        token = current_locale.set(locale)
        try:
            words |= {label.lower(): code for code, label in Category.choices()}
        finally:
            current_locale.reset(token)
    return words | {category.value: category.value for category in Category}


def interests(value: str) -> list[str]:
    """ "助老; 健康服务, mediation" → ["elderly_care", "health", "mediation"] (each once, in the file's order)."""
    words = _category_words()
    found: list[str] = []
    for part in _split(value):
        code = words.get(part.lower())
        if code is None:
            raise CellProblem(
                N_("Unknown kind of work “%(item)s”; use one of: %(choices)s."),
                item=part,
                choices=", ".join(category.value for category in Category),
            )
        found.append(code)
    return list(dict.fromkeys(found))


def completion_rate(value: str) -> float:
    """ "92%", "92" or "0.92" → 0.92: a share of tasks completed, as a percentage or a fraction of 1."""
    found = decimal_number(value.strip().rstrip("%％").strip())  # ASCII digits (whole_numbers): no "１", "1e3", "nan"
    if found is None:
        raise CellProblem(N_("Not a rate; write a percentage such as 92 or a fraction such as 0.92."))
    number = float(found)
    percent = value.strip().endswith(("%", "％")) or number > 1
    rate = number / 100 if percent else number
    if not 0 <= rate <= 1 or rate != rate:
        raise CellProblem(N_("A rate is between 0 and 100 percent."))
    return round(rate, 4)


def yes_no(value: str) -> bool:
    answer = value.strip().lower()
    if answer in ("1", "是", "yes", "y", "true", "党员"):
        return True
    if answer in ("0", "否", "no", "n", "false", ""):
        return False
    raise CellProblem(N_("Write 是 or 否 (yes or no)."))


def hours_cap(value: str) -> int:
    hours = whole_number(value.strip(), maximum=80)
    if hours is None:
        raise CellProblem(N_("A whole number of hours from 1 to 80."))
    return hours


def phone(value: str) -> str:
    try:
        return _phone(value)
    except ValueError:
        raise CellProblem(N_("Not a phone number (a mobile such as 13912345678, or 0532-82861234).")) from None


def _grid_parser(db: Session, viewer: CurrentUser) -> Callable[[str], int]:
    find = grid_finder(db, viewer_street_ids(viewer))  # names in the viewer's street first (grid_names)

    def allowed(row: Any) -> bool:
        if viewer.role == Role.ADMIN:  # a street admin fills their street's grids only; a city admin any street's
            streets = admin_street_ids(viewer)
            return streets is None or row.street_id in streets
        return row.id in (viewer.grid_ids or ()) or row.community_id == viewer.community_id

    def parse(value: str) -> int:
        row = find(value)
        if not allowed(row):
            raise CellProblem(N_("You do not work in the grid “%(grid)s”."), grid=value)
        return int(row.id)

    return parse


def volunteer_import_columns(db: Session | None = None, viewer: CurrentUser | None = None) -> list[ColumnSpec]:
    """The columns the import reads; with ``db`` and ``viewer`` the grid column checks the viewer's grids."""
    grids = _grid_parser(db, viewer) if db is not None and viewer is not None else (lambda value: value)

    def column(name: str, zh: str, en: str, parse: Any, required: bool = False, example: str = "") -> ColumnSpec:
        return ColumnSpec(name, zh, en, parse, lambda row: None, required=required, example=example)

    return [
        column("name", "姓名", "Name", text(100), required=True, example="李小丽"),
        column("phone", "电话", "Phone", phone, example="13912345678"),
        column("grid", "网格", "Grid", grids, required=True, example="HD01"),
        column("segment", "类别", "Group", choice(VolunteerSegment.choices), example="党员"),
        column("party_member", "党员", "Party member", yes_no, example="是"),
        column("weekly_hour_cap", "每周最多小时", "Hours per week at most", hours_cap, example="6"),
        column("interests", "意向服务类型", "Work they want to do", interests, example="助老; 健康服务"),
        column("completion_rate", "履约率", "Completion rate", completion_rate, example="92%"),
        column("username", "用户名", "Username", text(64), example="xiaoli"),
    ]


def _profile_input(values: dict[str, Any]) -> dict[str, Any]:
    segment = values.get("segment") or VolunteerSegment.RESIDENT.value
    return {
        "home_grid_id": values["grid"],
        "segment": segment,
        # A party-member group implies the flag; the column may say so as well.
        "is_party_member": bool(values.get("party_member")) or segment == VolunteerSegment.PARTY_MEMBER.value,
        "weekly_hour_cap": values.get("weekly_hour_cap", 8),
        "interests": values.get("interests", []),
    }


def _username(values: dict[str, Any]) -> str:
    if values.get("username"):
        return str(values["username"])
    return f"v{values['phone']}" if values.get("phone") else f"volunteer-{secrets.token_hex(4)}"


def _row_checker(db: Session) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    taken: set[str] = set()

    def check(values: dict[str, Any]) -> list[tuple[str, str]]:
        try:
            VolunteerCreate.model_validate(_profile_input(values))
        except ValidationError as error:
            return [(COLUMN_OF.get(name, name), message) for name, message in field_errors(error).items()]
        given = values.get("username")
        username = _username(values)
        values["username"] = username  # a generated one too: the import uses the name checked here
        exists = db.execute(sa.select(User.id).where(User.username == username)).first() is not None
        if exists or username in taken:
            reason = _("The username %(name)s is taken.") % {"name": username}
            return [("username" if given else "phone", reason)]
        taken.add(username)
        return []

    return check


def check_volunteer_table(db: Session, viewer: CurrentUser, table: Table) -> CheckedTable:
    return check_table(table, volunteer_import_columns(db, viewer), _row_checker(db))


def import_volunteers(
    db: Session, viewer: CurrentUser, table: Table, *, only_valid: bool = False, filename: str = ""
) -> ImportResult:
    """Create the table's volunteers (accounts without passwords, profiles, interests) in one transaction."""
    checked = check_volunteer_table(db, viewer, table)
    result = ImportResult(checked=checked, only_valid=only_valid)
    if result.refused or not checked.valid:
        return result
    for _number, values in checked.valid:
        user = User(
            username=values["username"], display_name=values["name"], phone=values.get("phone"), role=Role.VOLUNTEER
        )
        db.add(user)
        db.flush()
        data = VolunteerCreate.model_validate(_profile_input(values))
        profile = data.to_row(user.id or 0)
        profile.reliability_rate = values.get("completion_rate")
        db.add(profile)
        db.flush()
        for category in data.interests:
            db.add(VolunteerInterest(volunteer_id=profile.id or 0, category=category))
        result.imported_ids.append(profile.id or 0)
    db.flush()
    record(
        db,
        "volunteer.import",
        object_type="volunteer",
        object_id=None,
        after={
            "file": filename[:200],
            "rows": checked.total_rows,
            "imported": len(result.imported_ids),
            "skipped_rows": checked.invalid_rows,
            "volunteer_ids": result.imported_ids,
        },
        actor=viewer,
    )
    return result
