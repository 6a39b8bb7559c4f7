"""The report of an import done in the request, kept so its form can redirect (Post/Redirect/Get).

An import page's form used to answer with its report at the form's address: a reload sent the file
again and imported it twice. Now the import writes its rows and its report in one transaction and the
form redirects to the report's own address (/needs/import/<id>, /offers/import/<id>,
/volunteers/import/<id>): a reload there shows the same report and imports nothing.

The report is kept on a finished job row (kind ``exchange.import_report``): the record a large import,
run by a job, already keeps its report on, with who started it, the street it was for and the rule of
who may see it (jobs.services.may_see: the importer, and the admins of its street). A refused import
(all or nothing, with problems) writes nothing and keeps nothing: its page is the form again, with the
report, as before.
"""

from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import NotFoundException
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.services import may_see
from marketplace.security.identity import CurrentUser

KIND = "exchange.import_report"
LISTS = ("needs", "offers", "volunteers")


@dataclass(frozen=True)
class ReportProblem:
    row: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class ReportNeed:
    """An imported need, with its likely duplicates: (need id, title, similarity)."""

    row: int
    need_id: int
    title: str
    duplicates: list[tuple[int, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import page shows of an import, kept or just refused: the same fields either way."""

    listing: str
    filename: str
    total_rows: int
    valid_rows: int
    invalid_rows: list[int]
    imported_ids: list[int]
    only_valid: bool
    problems: list[ReportProblem]
    imported: list[ReportNeed]  # the needs import's rows with titles and duplicates (empty for the others)
    id: int | None = None

    @property
    def refused(self) -> bool:
        """Nothing was written because some rows failed and the importer wanted all or nothing."""
        return bool(self.problems) and not self.only_valid

    @property
    def flagged(self) -> list[ReportNeed]:
        return [item for item in self.imported if item.duplicates]

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.listing,
            "filename": self.filename,
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "imported_ids": self.imported_ids,
            "only_valid": self.only_valid,
            "problems": [vars(problem) for problem in self.problems],
            "imported": [vars(item) for item in self.imported],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], report_id: int | None = None) -> "ImportReport":
        return cls(
            listing=str(data.get("list", "")),
            filename=str(data.get("filename", "")),
            total_rows=int(data.get("total_rows", 0)),
            valid_rows=int(data.get("valid_rows", 0)),
            invalid_rows=[int(row) for row in data.get("invalid_rows", [])],
            imported_ids=[int(item) for item in data.get("imported_ids", [])],
            only_valid=bool(data.get("only_valid")),
            problems=[ReportProblem(**problem) for problem in data.get("problems", [])],
            imported=[
                ReportNeed(
                    int(item["row"]),
                    int(item["need_id"]),
                    str(item["title"]),
                    [(int(d[0]), str(d[1]), float(d[2])) for d in item.get("duplicates", [])],
                )
                for item in data.get("imported", [])
            ],
            id=report_id,
        )


def report_of(listing: str, result: Any, filename: str) -> ImportReport:
    """The report of an import's result (needs, offers or volunteers: they share ``checked``, ``only_valid``
    and ``imported_ids``; the needs' also lists its imported needs with their likely duplicates)."""
    checked = result.checked
    imported = [
        ReportNeed(item.row, item.need_id, item.title, [(d[0], d[1], d[2]) for d in item.duplicates])
        for item in getattr(result, "imported", [])
    ]
    return ImportReport(
        listing=listing,
        filename=filename[:200],
        total_rows=checked.total_rows,
        valid_rows=len(checked.valid),
        invalid_rows=list(checked.invalid_rows),
        imported_ids=list(result.imported_ids),
        only_valid=bool(result.only_valid),
        problems=[ReportProblem(p.row, p.column, p.value, p.reason) for p in checked.problems],
        imported=imported,
    )


def keep_report(db: Session, actor: CurrentUser, report: ImportReport) -> int:
    """Keep the report in the import's transaction (it lands with the rows or not at all); its id."""
    now = utcnow()
    row = Job(
        kind=KIND,
        arguments={
            "list": report.listing,
            "filename": report.filename,
            "rows": report.total_rows,
            "only_valid": report.only_valid,
            "language": str(current_locale.get()),
        },
        status=JobStatus.FINISHED,
        stage="done",
        done=report.total_rows,
        total=report.total_rows,
        result=report.as_dict(),
        started_by_id=actor.id,
        street_id=actor.street_id,
        created_at=now,
        started_at=now,
        finished_at=now,
    )
    db.add(row)
    db.flush()
    assert row.id is not None
    return row.id


def find_report(reader: Session, viewer: CurrentUser, listing: str, report_id: int) -> ImportReport:
    """A kept report of this list, for its importer and the admins who may see it; 404 for anyone else."""
    row = reader.get(Job, report_id)
    if (
        row is None
        or row.kind != KIND
        or row.arguments.get("list") != listing
        or row.result is None
        or not may_see(viewer, row)
    ):
        raise NotFoundException(_("There is no such import report."))
    return ImportReport.from_dict(row.result, row.id)
