"""Escalations (吹哨报到), notifications and audit events around the needs and matches already planned."""

import random
from datetime import datetime, timedelta
from typing import Any

from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import EscalationLevel, NeedStatus
from marketplace.organizations.models import OrganizationStatus
from marketplace.vocabulary import Category
from seeds.build.context import NeedInfo, SeedContext
from seeds.build.rounds import build_rounds

LEVELS = (EscalationLevel.GRID, EscalationLevel.COMMUNITY, EscalationLevel.STREET, EscalationLevel.DEPARTMENT)
SLA_DAYS = {
    EscalationLevel.GRID: 2,
    EscalationLevel.COMMUNITY: 3,
    EscalationLevel.STREET: 5,
    EscalationLevel.DEPARTMENT: 7,
}
DEPARTMENT_FOR = {
    Category.RENOVATION: "housing",
    Category.SANITATION: "urban",
    Category.ELDERLY_CARE: "civil",
    Category.TRAVEL_SAFETY: "urban",
    Category.CULTURE_SPORTS: "education",
    Category.EPIDEMIC_PREVENTION: "health",
    Category.MEDIATION: "justice",
    Category.LIVELIHOOD: "civil",
    Category.EDUCATION: "education",
    Category.HEALTH: "health",
}
# Problems only a department can fix; they are escalated first.
DEPARTMENT_WORDS = {"井盖": "urban", "水压": "water", "路灯": "urban", "管道": "housing"}
ESCALATION_REASONS = {
    EscalationLevel.GRID: "网格内协调未果，需社区统筹",
    EscalationLevel.COMMUNITY: "社区资源不足，提请街道协调",
    EscalationLevel.STREET: "超出街道职权范围，街道吹哨",
    EscalationLevel.DEPARTMENT: "请职能部门报到处置",
}
ESCALATABLE = (
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
    NeedStatus.VERIFIED,
)
RECENT_DAYS = 30


def build_activity(ctx: SeedContext, *, escalations: int) -> None:
    rng = ctx.rng("activity")
    build_rounds(ctx)  # first: the proposals take their round's moment before anyone hears of them
    build_escalations(ctx, rng, escalations)
    build_notifications(ctx, rng)
    build_audit_events(ctx, rng)


def _department_key(need: NeedInfo) -> str:
    for word, key in DEPARTMENT_WORDS.items():
        if word in need.row["title"]:
            return key
    return DEPARTMENT_FOR[need.category]


def build_escalations(ctx: SeedContext, rng: random.Random, count: int) -> None:
    """Stuck needs climb grid → community → street → department, each step with its SLA deadline."""
    eligible = [
        need
        for need in ctx.needs
        if need.status in ESCALATABLE
        and need.row["published_at"] is not None
        and (ctx.clock.now - need.row["published_at"]).days >= 8
        and need.id not in ctx.story.get("reserved_needs", ())
    ]
    eligible.sort(key=lambda need: (not any(word in need.row["title"] for word in DEPARTMENT_WORDS), need.id))
    for need in eligible[:count]:
        _escalate(ctx, rng, need)


def _escalate(ctx: SeedContext, rng: random.Random, need: NeedInfo) -> None:
    clock, users = ctx.clock, ctx.users
    grid = ctx.place.grids[need.grid_index]
    resolved = need.row["completed_at"]
    steps = rng.randint(2, 4) if resolved else 4
    opened = clock.after(need.row["published_at"], rng.uniform(24, 96))
    openers = {
        EscalationLevel.GRID: users.grid_staff.get(need.grid_index),
        EscalationLevel.COMMUNITY: users.community_staff.get(grid.community_index),
        EscalationLevel.STREET: users.admins[0],
        EscalationLevel.DEPARTMENT: users.admins[0],
    }
    acknowledgers = {
        EscalationLevel.GRID: users.community_staff.get(grid.community_index),
        EscalationLevel.COMMUNITY: users.admins[0],
        EscalationLevel.STREET: users.admins[-1],
        EscalationLevel.DEPARTMENT: None,  # the department reports in person, outside the system
    }
    reached = None
    for level in LEVELS[:steps]:
        if opened >= clock.now or (resolved and opened >= resolved):
            break
        deadline = opened + timedelta(days=SLA_DAYS[level])
        acknowledged = clock.after(opened, rng.uniform(2, 20))
        ctx.plan.add(
            "escalation",
            {
                "need_id": need.id,
                "level": level,
                "department_id": ctx.place.departments[_department_key(need)]
                if level == EscalationLevel.DEPARTMENT
                else None,
                "reason": ESCALATION_REASONS[level],
                "opened_by_id": openers[level],
                "opened_at": opened,
                "deadline_at": deadline,
                "acknowledged_by_id": acknowledgers[level] if acknowledged < clock.now else None,
                "acknowledged_at": acknowledged if acknowledged < clock.now else None,
                "resolved_at": resolved,
            },
        )
        need.row["escalation_level"] = reached = level
        opened = clock.after(opened, 24 * SLA_DAYS[level] * rng.uniform(0.6, 1.2))
    if reached is not None and not resolved:
        need.row["updated_at"] = max(need.row["updated_at"], min(opened, clock.ago(0.02)))


def _notification(
    ctx: SeedContext,
    rng: random.Random,
    user_id: int,
    kind: str,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any],
    created: datetime,
) -> dict[str, Any]:
    day = ctx.clock.local_date(created)
    old = (ctx.clock.now - created).days >= 3
    return {
        "user_id": user_id,
        "kind": kind,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "digest_key": f"{kind}:{user_id}:{day.isoformat()}",
        "payload": payload,
        "created_at": created,
        "read_at": ctx.clock.after(created, rng.uniform(1, 48)) if old and rng.random() < 0.7 else None,
    }


def _candidate_user(ctx: SeedContext, match: dict[str, Any]) -> int | None:
    """The volunteer's account, or the partner organization's manager, a match was proposed to."""
    if match["kind"] == MatchKind.VOLUNTEER_SHIFT:
        return ctx.volunteers.user_ids[match["volunteer_id"] - ctx.volunteers.first_id]
    return ctx.users.partner_managers.get(match["organization_id"])


def build_notifications(ctx: SeedContext, rng: random.Random) -> None:
    """Decisions of the last month told to whoever proposed; the review queue told to the admins."""
    clock = ctx.clock
    since = clock.ago(RECENT_DAYS)
    titles = {need.id: need.row["title"] for need in ctx.needs}
    rows: list[dict[str, Any]] = []
    for match in ctx.own_rows("match"):
        payload = {
            "match_id": match["id"],
            "need_id": match["need_id"],
            "need_title": titles[match["need_id"]],
            "status": match["status"].value,
        }
        if match["status"] == MatchStatus.PROPOSED and match["source"] == MatchSource.MATCHING_ROUND:
            # A round's proposal is an offer to its candidate, who hears of it (round_proposals.py).
            candidate = _candidate_user(ctx, match)
            if candidate is not None:
                offered = payload | {"match_kind": match["kind"].value}
                rows.append(
                    _notification(
                        ctx, rng, candidate, "proposal_offered", "match", match["id"], offered, match["created_at"]
                    )
                )
        if match["status"] == MatchStatus.PROPOSED and match["created_at"] >= since:
            for admin in ctx.users.admins[:1]:
                rows.append(
                    _notification(ctx, rng, admin, "match_proposed", "match", match["id"], payload, match["created_at"])
                )
            continue
        decided = match["decided_at"]
        if decided is None or decided < since or match["proposed_by_id"] is None:
            continue
        if match["decision_reason"]:
            payload["reason"] = match["decision_reason"]
        kind = "match_approved" if match["status"] in (MatchStatus.APPROVED, MatchStatus.FULFILLED) else "match_decided"
        rows.append(_notification(ctx, rng, match["proposed_by_id"], kind, "match", match["id"], payload, decided))
    shifts = {row["id"]: row for row in ctx.plan.rows.get("shift", [])}
    volunteers = ctx.volunteers
    for match in ctx.own_rows("match"):
        if match["kind"] != MatchKind.VOLUNTEER_SHIFT or match["status"] != MatchStatus.APPROVED:
            continue
        starts = shifts[match["shift_id"]]["starts_at"]
        if clock.now < starts <= clock.now + timedelta(days=3):
            user_id = volunteers.user_ids[match["volunteer_id"] - volunteers.first_id]
            payload = {
                "shift_id": match["shift_id"],
                "need_title": titles[match["need_id"]],
                "starts_at": starts.isoformat(),
            }
            rows.append(
                _notification(
                    ctx,
                    rng,
                    user_id,
                    "shift_reminder",
                    "shift",
                    match["shift_id"],
                    payload,
                    clock.ago(rng.uniform(0.05, 0.9)),
                )
            )
    rows.sort(key=lambda row: (row["created_at"], row["user_id"], row["subject_id"]))
    for row in rows:
        ctx.plan.add("notification", row)


def build_audit_events(ctx: SeedContext, rng: random.Random) -> None:
    """Organization vetting, and the last fortnight's publications and match decisions."""
    clock = ctx.clock
    since = clock.ago(14)
    admin = ctx.users.admins[0]
    events: list[dict[str, Any]] = []

    def event(
        action: str,
        object_type: str,
        object_id: int,
        before: dict,
        after: dict,
        at: datetime,
        actor: int | None = admin,
    ) -> None:
        events.append(
            {
                "actor_id": actor,
                "actor_role": "admin" if actor in ctx.users.admins else "staff",
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "before": before,
                "after": after,
                "client_address": f"10.37.{rng.randint(1, 20)}.{rng.randint(2, 250)}",
                "created_at": at,
            }
        )

    for org_row in ctx.own_rows("organization"):
        status = org_row["status"]
        if status == OrganizationStatus.PENDING:
            continue
        at = org_row["approved_at"] or clock.after(org_row["created_at"], rng.uniform(24, 120))
        event(
            "organization.approve" if status != OrganizationStatus.REJECTED else "organization.reject",
            "organization",
            org_row["id"],
            {"status": "pending"},
            {"status": "approved" if status != OrganizationStatus.REJECTED else "rejected"},
            at,
        )
        if status == OrganizationStatus.SUSPENDED:
            event(
                "organization.suspend",
                "organization",
                org_row["id"],
                {"status": "approved"},
                {"status": "suspended", "reason": org_row["status_reason"]},
                min(clock.after(at, 24 * 200), clock.ago(3)),
            )
    for need in ctx.needs:
        published = need.row["published_at"]
        if published is not None and published >= since:
            event(
                "need.publish",
                "need",
                need.id,
                {"status": "under_review"},
                {"status": "published"},
                published,
                actor=ctx.users.community_staff.get(ctx.place.grids[need.grid_index].community_index),
            )
    for match in ctx.own_rows("match"):
        decided = match["decided_at"]
        if decided is None or decided < since:
            continue
        status = match["status"]
        verb = {MatchStatus.REJECTED: "reject", MatchStatus.CANCELLED: "cancel"}.get(status, "approve")
        after = {"status": "approved" if verb == "approve" else status.value}
        if match["decision_reason"]:
            after["reason"] = match["decision_reason"]
        event(
            f"match.{verb}", "match", match["id"], {"status": "proposed"}, after, decided, actor=match["decided_by_id"]
        )
    events.sort(key=lambda row: (row["created_at"], row["object_type"], row["object_id"]))
    for row in events:
        ctx.plan.add("audit_event", row)
