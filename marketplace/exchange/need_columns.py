"""The need list's file: one row per need, with at most one resource line and one volunteer shift.

Import columns and export columns differ on purpose: the beneficiary's name, phone and address can be
imported (staff recording needs from a paper register or the hotline's spreadsheet), but an export is a
list, so it carries only the masked name and phone, under headers the importer does not read. More lines
and shifts of a need are added on its page or through the API. See docs/import-export.md.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from marketplace.exchange.columns import CellProblem, ColumnSpec, choice, day, decimal, text
from marketplace.exchange.grid_names import grid_finder
from marketplace.i18n import N_
from marketplace.masking import mask_name, mask_phone
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.street_clock import street_time
from marketplace.validation import STREET_TZ
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.whole_numbers import whole_number as typed_number

MOMENT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass
class NeedExportRow:
    """What one exported line needs: the need, its grid's code and names, its first line and shift, and the
    counts."""

    need: Need
    grid_code: str
    lines: list[ResourceLine] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    grid_name: str = ""
    grid_name_en: str = ""

    @property
    def line(self) -> ResourceLine | None:
        return self.lines[0] if self.lines else None

    @property
    def shift(self) -> Shift | None:
        return self.shifts[0] if self.shifts else None


def moment(value: str) -> datetime:
    """A time of day in the street's time zone (2026-12-05 09:00; also / or T, seconds optional), as UTC."""
    cleaned = value.strip().replace("/", "-").replace("T", " ").replace(".", "-")
    if " " not in cleaned:
        cleaned += " 00:00"  # the reader writes an Excel date-time cell at midnight as its date alone
    if len(cleaned) > 19:
        raise CellProblem(N_("Not a date and time; write it as 2026-12-31 09:00."))
    date_part, time_part = cleaned.split(" ", 1)
    parts = [typed_number(part, minimum=0, maximum=9999) for part in date_part.split("-")]
    if not time_part.isascii():  # strptime's %H reads any script's digits
        raise CellProblem(N_("Not a date and time; write it as 2026-12-31 09:00."))
    try:
        normalised = f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d} {time_part.strip()}"
    except (ValueError, IndexError, TypeError):  # TypeError: a part that is no number (None)
        raise CellProblem(N_("Not a date and time; write it as 2026-12-31 09:00.")) from None
    for pattern in MOMENT_FORMATS:
        try:
            return datetime.strptime(normalised, pattern).replace(tzinfo=STREET_TZ).astimezone(UTC)
        except ValueError:
            continue
        except OverflowError:  # 0001-01-01 00:00 in Qingdao is before year 1 in UTC
            break
    raise CellProblem(N_("Not a date and time; write it as 2026-12-31 09:00."))


def whole_number(value: str) -> int:
    cleaned = value.strip().removesuffix(".0")
    number = typed_number(cleaned, minimum=0, maximum=999_999)
    if number is None:
        raise CellProblem(N_("Not a whole number."))
    return number


def grid_parser(db: Session, street_ids: frozenset[int] | None = None) -> Callable[[str], int]:
    """One grid by its code or its name (Chinese or English), as its id; names are looked up in ``street_ids``
    (the importer's streets) first, a name several grids bear is refused (``grid_names``)."""
    find = grid_finder(db, street_ids)

    def parse(value: str) -> int:
        return int(find(value).id)

    return parse


def _local(value: datetime | None) -> datetime | None:
    """The street's wall-clock time, naive: the writer puts it in a date-time cell (CSV: 2026-12-05 09:00)."""
    return street_time(value).replace(tzinfo=None, second=0, microsecond=0) if value is not None else None


def _line(attribute: str) -> Callable[[NeedExportRow], Any]:
    return lambda row: getattr(row.line, attribute) if row.line is not None else None


def _shift(attribute: str) -> Callable[[NeedExportRow], Any]:
    return lambda row: getattr(row.shift, attribute) if row.shift is not None else None


def _column(name: str, zh: str, en: str, parse: Any, export: Any, **options: Any) -> ColumnSpec:
    return ColumnSpec(name, zh, en, parse, export, **options)


def _common_columns(grids: Callable[[str], Any]) -> list[ColumnSpec]:
    """Columns both imported and exported, in file order."""
    return [
        _column("title", "标题", "Title", text(200), lambda r: r.need.title, required=True, example="楼道灯损坏"),
        _column("description", "说明", "Description", text(4000), lambda r: r.need.description, example="3号楼2单元"),
        _column(
            "category",
            "类别",
            "Category",
            choice(Category.choices),
            lambda r: r.need.category,
            required=True,
            example="renovation",
        ),
        _column("grid", "网格", "Grid", grids, lambda r: r.grid_code, required=True, example="HD-01"),
        _column(
            "channel",
            "来源渠道",
            "Intake channel",
            choice(IntakeChannel.choices),
            lambda r: r.need.channel,
            required=True,
            example="hotline_12345",
        ),
        _column("urgency", "紧急程度", "Urgency", choice(Urgency.choices), lambda r: r.need.urgency, example="high"),
        _column("due_date", "期限", "Due date", day, lambda r: r.need.due_date, example="2026-12-31"),
    ]


def _personal_columns() -> list[ColumnSpec]:
    """Imported only: an export never writes a resident's contact in clear."""
    return [
        _column("beneficiary_name", "联系人", "Beneficiary", text(100), lambda r: None, example="张三"),
        _column("beneficiary_phone", "联系电话", "Phone", text(32), lambda r: None, example="13812348000"),
        _column("beneficiary_address", "联系地址", "Address", text(200), lambda r: None, example="3号楼2单元101"),
    ]


def _intake_columns() -> list[ColumnSpec]:
    return [
        _column("external_ref", "外部编号", "External ref", text(64), lambda r: None, example="12345-20261201-08"),
        _column("reporter_note", "反映人备注", "Reporter's note", text(2000), lambda r: None, example=""),
    ]


def _line_columns() -> list[ColumnSpec]:
    return [
        _column(
            "line_kind", "资源类型", "Resource kind", choice(ResourceKind.choices), _line("kind"), example="material"
        ),
        _column(
            "line_category",
            "资源类别",
            "Resource category",
            choice(Category.choices),
            _line("category"),
            example="renovation",
        ),
        _column(
            "line_description", "资源说明", "Resource description", text(500), _line("description"), example="灯泡"
        ),
        _column(
            "line_quantity", "资源数量", "Resource quantity", decimal(allow_zero=False), _line("quantity"), example="6"
        ),
        _column("line_unit", "资源单位", "Resource unit", text(32), _line("unit"), example="个"),
        _column("line_still_needed", "仍需数量", "Still needed", decimal(), _line("still_needed"), example="6"),
    ]


def _shift_columns() -> list[ColumnSpec]:
    return [
        # Renamed to the app's word for a shift (班次), the times said to be the shift's (班次开始时间, not 开始时间);
        # the old headers still import (docs/import-export.md).
        _column("shift_title", "班次", "Shift", text(200), _shift("title"), example="更换灯泡", aliases=("志愿岗位",)),
        _column(
            "shift_location",
            "班次地点",
            "Shift location",
            text(200),
            _shift("location"),
            example="3号楼",
            aliases=("岗位地点",),
        ),
        _column(
            "shift_starts_at",
            "班次开始时间",
            "Shift starts",
            moment,
            lambda r: _local(r.shift.starts_at) if r.shift else None,
            example="2026-12-05 09:00",
            aliases=("开始时间",),
        ),
        _column(
            "shift_ends_at",
            "班次结束时间",
            "Shift ends",
            moment,
            lambda r: _local(r.shift.ends_at) if r.shift else None,
            example="2026-12-05 11:00",
            aliases=("结束时间",),
        ),
        _column("shift_slots", "志愿者人数", "Volunteer slots", whole_number, _shift("slots"), example="2"),
    ]


def import_columns(db: Session | None = None, street_ids: frozenset[int] | None = None) -> list[ColumnSpec]:
    """The columns the importer reads; with ``db`` the grid column can parse grid codes and names (names looked
    up in ``street_ids``, the importer's streets)."""
    grids = grid_parser(db, street_ids) if db is not None else (lambda value: value)
    common = _common_columns(grids)
    return [*common, *_personal_columns(), *_intake_columns(), *_line_columns(), *_shift_columns()]


def _status(row: NeedExportRow) -> NeedStatus:
    return row.need.status


def export_columns(language: str = "zh") -> list[ColumnSpec]:
    """The exported file: the importable columns without contacts, plus read-only ones the importer ignores;
    the grid's name beside its code, in the file's language (its English name in English, where it has one)."""
    english = language == "en"

    def ignored(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return _column(name, zh, en, lambda v: v, export, help=N_("Ignored on import."))

    common = _common_columns(lambda value: value)
    after_grid = [column.name for column in common].index("grid") + 1
    grid_name = ignored(
        "grid_name", "网格名称", "Grid name", lambda r: (english and r.grid_name_en) or r.grid_name or None
    )
    return [
        ignored("id", "编号", "ID", lambda r: r.need.id),
        *common[:after_grid],
        grid_name,
        *common[after_grid:],
        ignored("status", "状态", "Status", _status),
        ignored(
            "beneficiary_masked",
            "联系人（已遮蔽）",
            "Beneficiary (masked)",
            lambda r: mask_name(r.need.beneficiary_name),
        ),
        ignored("phone_masked", "联系电话（已遮蔽）", "Phone (masked)", lambda r: mask_phone(r.need.beneficiary_phone)),
        ignored("recorded_on", "登记日期", "Recorded on", lambda r: street_time(r.need.created_at).date()),
        *_line_columns(),
        *_shift_columns(),
        ignored("line_count", "资源项数", "Resource lines", lambda r: len(r.lines)),
        ignored("shift_count", "班次数", "Shifts", lambda r: len(r.shifts)),
    ]


LINE_FIELDS = ("line_kind", "line_category", "line_description", "line_quantity", "line_unit", "line_still_needed")
SHIFT_FIELDS = ("shift_title", "shift_location", "shift_starts_at", "shift_ends_at", "shift_slots")
