"""What leaves the API and the pages of a job: plain values, the kind's label in the reader's language."""

from dataclasses import dataclass
from typing import Any

from marketplace.i18n import N_
from marketplace.i18n import gettext as _
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
}


def stage_label(stage: str) -> str:
    return _(STAGES[stage]) if stage in STAGES else stage


def kind_label(kind: str) -> str:
    found = KINDS.get(kind)
    return _(found.label) if found else kind


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
    def stage(self) -> str:
        return stage_label(self.row.stage)

    @property
    def polling(self) -> bool:
        return self.row.is_live

    @property
    def download(self) -> str | None:
        """A finished export's file, for the person who asked (the page shows the link to them only)."""
        if self.row.kind == "exchange.export" and self.row.status.value == "finished":
            return f"/admin/jobs/{self.row.id}/download"
        return None
