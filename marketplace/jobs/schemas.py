"""What leaves the API and the pages of a job: plain values, the kind's label in the reader's language."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job

# The stages jobs report, in words (a round's are the rounds page's own; others show as reported).
STAGES: dict[str, str] = {
    "queued": N_("Waiting to start"),
    "starting": N_("Starting"),
    "loading": N_("Reading the open lines and shifts"),
    "lines": N_("Ranking offers for the resource lines"),
    "shifts": N_("Ranking volunteers for the shifts"),
    "allocation": N_("Finding the best plan"),
    "writing": N_("Writing the results"),
    "waiting": N_("Waiting"),
    "volunteers": N_("Volunteers"),
    "offers": N_("Offers"),
    "done": N_("Done"),
    "checking": N_("Checking the rows"),
    "reading": N_("Reading the list"),
    "old_jobs": N_("Removing old jobs"),
    "old_files": N_("Removing old files"),
}


def stage_label(stage: str) -> str:
    return _(STAGES[stage]) if stage in STAGES else stage


def kind_label(kind: str) -> str:
    found = KINDS.get(kind)
    return _(found.label) if found else kind


# An import done in the request keeps its report on a finished row of this kind; its page is the report's.
IMPORT_REPORT = "exchange.import_report"
IMPORT_LISTS: dict[str, str] = {
    "needs": N_("Need list import"),
    "offers": N_("Offer list import"),
    "volunteers": N_("Volunteer list import"),
}


def job_title(row: Job) -> str:
    """What a person reads for the job: its kind's label, an import report's list named."""
    listing = str((row.arguments or {}).get("list") or "")
    if row.kind == IMPORT_REPORT and listing in IMPORT_LISTS:
        return _(IMPORT_LISTS[listing])
    return kind_label(row.kind)


def job_link(row: Job) -> str | None:
    """The page of what the job made or works on: a round's page, an import's report."""
    arguments = row.arguments or {}
    if row.kind == "match.round" and isinstance(arguments.get("round_id"), int):
        return f"/rounds/{arguments['round_id']}"
    if row.kind == IMPORT_REPORT and arguments.get("list") in IMPORT_LISTS and row.id:
        return f"/{arguments['list']}/import/{row.id}"
    return None


def _count(result: dict[str, Any], key: str) -> int:
    value = result.get(key)
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _rows_sentences(result: dict[str, Any]) -> list[str]:
    """An import's rows, as sentences: read, imported, with problems."""
    total, imported, invalid = (
        _count(result, "total_rows"),
        _count(result, "imported_ids"),
        _count(result, "invalid_rows"),
    )
    said = [
        counted("%(count)s row read.", "%(count)s rows read.", total, count=total),
        counted("%(count)s row imported.", "%(count)s rows imported.", imported, count=imported),
    ]
    if invalid:
        said.append(counted("%(count)s row with problems.", "%(count)s rows with problems.", invalid, count=invalid))
    if result.get("refused"):
        said.append(_("Nothing was imported: some rows had problems and the import was all or nothing."))
    return said


def result_sentences(row: Job) -> list[str]:
    """A finished job's result in words, per kind (never the stored JSON itself)."""
    result = row.result or {}
    kind = row.kind
    if not result:
        return []
    if kind in (IMPORT_REPORT, "exchange.import"):
        return _rows_sentences(result)
    if kind == "exchange.export":
        rows = _count(result, "rows")
        file_format = str(result.get("format", "")).upper()
        return [
            counted(
                "%(count)s row written to a %(format)s file.",
                "%(count)s rows written to a %(format)s file.",
                rows,
                count=rows,
                format=file_format,
            )
        ]
    if kind == "offers.expire":
        n = _count(result, "expired")
        return [counted("%(count)s offer expired.", "%(count)s offers expired.", n, count=n)]
    if kind == "needs.escalate":
        n = _count(result, "escalated")
        return [counted("%(count)s need escalated.", "%(count)s needs escalated.", n, count=n)]
    if kind == "shifts.remind":
        n = _count(result, "sent")
        return [counted("%(count)s reminder sent.", "%(count)s reminders sent.", n, count=n)]
    if kind == "notifications.digest":
        n = _count(result, "sent")
        return [counted("%(count)s digest sent.", "%(count)s digests sent.", n, count=n)]
    if kind == "privacy.retention":
        if "skipped" in result:
            return [_("Skipped: the retention period is 0, personal data is kept.")]
        n = _count(result, "needs")
        sessions = _count(result, "sessions")
        return [
            counted("%(count)s closed need anonymised.", "%(count)s closed needs anonymised.", n, count=n),
            counted("%(count)s ended session removed.", "%(count)s ended sessions removed.", sessions, count=sessions),
        ]
    if kind == "rounds.schedule":
        n, busy = _count(result, "started"), _count(result, "busy")
        sentences = [counted("%(count)s scheduled round started.", "%(count)s scheduled rounds started.", n, count=n)]
        if busy:
            sentences.append(
                counted(
                    "%(count)s street's round was still running; its time was left.",
                    "%(count)s streets' rounds were still running; their times were left.",
                    busy,
                    count=busy,
                )
            )
        return sentences
    if kind == "jobs.prune":
        n, files = _count(result, "jobs"), _count(result, "files")
        return [
            counted("%(count)s old job removed.", "%(count)s old jobs removed.", n, count=n),
            counted("%(count)s file removed.", "%(count)s files removed.", files, count=files),
        ]
    if kind == "match.train":
        n = _count(result, "results")
        return [counted("%(count)s ranker trained.", "%(count)s rankers trained.", n, count=n)]
    if kind == "system.check":
        return [_("The queue took the job and ran it.")]
    return []  # a round's figures are on its own page


def job_out(row: Job) -> dict[str, Any]:
    """A job as the JSON API answers it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "arguments": row.arguments,
        "status": row.status.value,
        "progress": {"stage": row.stage, "done": row.done, "total": row.total},
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "error": row.error,
        "result": row.result,
        "started_by_id": row.started_by_id,
        "street_id": row.street_id,
        "created_at": row.created_at.isoformat(),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "heartbeat_at": row.heartbeat_at.isoformat() if row.heartbeat_at else None,
    }


@dataclass(frozen=True)
class JobView:
    """A job for the pages, with what the template needs already looked up."""

    row: Job
    kind_label: str
    started_by: str
    link: str | None  # the page of what the job works on (a round's page), if it has one
    street: Any = None  # the street it works for (a places StreetRef), None for deployment-wide work

    @property
    def title(self) -> str:
        return job_title(self.row)

    @property
    def sentences(self) -> list[str]:
        return result_sentences(self.row)

    @property
    def stage(self) -> str:
        return stage_label(self.row.stage)

    @property
    def scheduled_at(self) -> datetime | None:
        """When a scheduled run was due (the minute its key names, UTC); None for any other job."""
        minute = (self.row.arguments or {}).get("scheduled")
        if not (self.row.key or "").startswith("schedule:") or not isinstance(minute, str):
            return None
        try:
            return datetime.strptime(minute, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        except ValueError:
            return None

    @property
    def polling(self) -> bool:
        return self.row.is_live

    @property
    def download(self) -> str | None:
        """A finished export's file, for the person who asked (the page shows the link to them only)."""
        if self.row.kind == "exchange.export" and self.row.status.value == "finished":
            return f"/admin/jobs/{self.row.id}/download"
        return None


@dataclass(frozen=True)
class ScheduledKind:
    """One entry of the schedule for the jobs page: its kind, cron (street time), next due time (UTC) and
    last run (None before the first)."""

    kind: str
    label: str
    cron: str
    next_due: datetime
    last: JobView | None

    @property
    def last_at(self) -> datetime | None:
        """When the last run ended, else when it started, else when it was recorded."""
        if self.last is None:
            return None
        row = self.last.row
        return row.finished_at or row.started_at or row.created_at
