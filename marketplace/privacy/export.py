"""A signed-in user's own data as one JSON document (PIPL's right of access and portability).

What is in it: the account, a volunteer's profile, sign-ups and hours, the matches they made or were part of,
their notifications, what the audit log recorded them doing, and their sessions and tokens (metadata only:
never a password hash or a token's digest). What is not: other people's data. Audit rows about other objects
keep only what was done and when; their before/after snapshots describe someone else's need or organisation.
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from marketplace.accounts.models import StaffGrid, User
from marketplace.accounts.services import ApiToken, UserSession
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import plain
from marketplace.db.types import utcnow
from marketplace.matches.models import Match
from marketplace.matches.services import reason_fields
from marketplace.needs.models import Need, Shift
from marketplace.notifications.models import Notification
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import AvailabilitySlot, ShiftSignup, Skill, VolunteerProfile, VolunteerSkill
from marketplace.volunteers.services import HoursSummary, hours_summary, interests_of

FORMAT_VERSION = 1
ACCOUNT_FIELDS = [
    "id", "username", "display_name", "email", "phone", "role", "is_active", "organization_id", "is_org_manager",
    "street_id", "community_id", "preferred_locale", "created_at", "last_login_at",
]  # fmt: skip
SESSION_FIELDS = ["id", "created_at", "last_seen_at", "expires_at", "revoked_at", "client_address", "user_agent"]
TOKEN_FIELDS = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
MATCH_FIELDS = [
    "id", "need_id", "kind", "source", "status", "quantity", "shift_id", "offer_id", "organization_id",
    "created_at", "decided_at", "fulfilled_at", "accepted_at",
]  # fmt: skip


def fields_of(row: SQLModel, names: list[str]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


def _all(db: Session, query: Any) -> list[Any]:
    return list(db.execute(query).scalars())


def _volunteer(db: Session, user_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    profile = db.execute(sa.select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)).scalar()
    if profile is None or profile.id is None:
        return None, []
    skills = _all(
        db,
        sa.select(Skill)
        .join(VolunteerSkill, VolunteerSkill.skill_id == Skill.id)  # type: ignore[arg-type]
        .where(VolunteerSkill.volunteer_id == profile.id),
    )
    slots = _all(db, sa.select(AvailabilitySlot).where(AvailabilitySlot.volunteer_id == profile.id))
    summary = hours_summary(db, profile.id, recent_limit=0)
    out = fields_of(
        profile,
        [
            "id",
            "home_grid_id",
            "segment",
            "is_party_member",
            "employer_organization_id",
            "weekly_hour_cap",
            "fulfilled_count",
            "no_show_count",
            "reliability_rate",
            "created_at",
        ],
    )
    out |= {
        "skills": [{"code": s.code, "name": s.name, "name_en": s.name_en} for s in skills],
        "interests": interests_of(db, profile.id or 0),
        "availability": [fields_of(s, ["weekday", "start_minute", "end_minute"]) for s in slots],
        "hours_credited": str(summary.total_hours),
        "hours_before_platform": str(summary.before_platform),
        "shifts_completed": summary.completed,
        "no_shows": summary.no_shows,
        "hours_by_month": [{"month": m, "hours": str(h), "shifts": n} for m, h, n in summary.by_month],
    }
    rows = db.execute(
        sa.select(ShiftSignup, Shift)
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(ShiftSignup.volunteer_id == profile.id)
        .order_by(ShiftSignup.id)
    ).all()
    signups = [
        fields_of(
            signup,
            ["id", "shift_id", "match_id", "status", "checked_in_at", "checked_out_at", "hours_credited", "created_at"],
        )
        | {
            "need_id": shift.need_id,
            "shift_title": shift.title,
            "starts_at": plain(shift.starts_at),
            "ends_at": plain(shift.ends_at),
            "location": shift.location,
        }
        for signup, shift in rows
    ]
    return out, signups


def _audit(db: Session, user_id: int) -> list[dict[str, Any]]:
    rows = _all(
        db,
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_id == user_id,
                sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id == user_id),
            )
        )
        .order_by(AuditEvent.id),
    )
    out = []
    for event in rows:
        about_them = event.object_type == "user" and event.object_id == user_id
        item = fields_of(
            event, ["id", "action", "object_type", "object_id", "actor_role", "client_address", "created_at"]
        )
        if about_them:
            item |= {"before": event.before, "after": event.after}
        out.append(item)
    return out


def collect(db: Session, user_id: int) -> dict[str, Any]:
    """Everything held about the user, as JSON-ready data."""
    user = db.get(User, user_id)
    assert user is not None
    volunteer, signups = _volunteer(db, user_id)
    profile_id = volunteer["id"] if volunteer else None
    made = Match.proposed_by_id == user_id
    matches = _all(
        db,
        sa.select(Match)
        .where(sa.or_(made, Match.volunteer_id == profile_id) if profile_id else made)
        .order_by(Match.id),
    )
    needs = _all(db, sa.select(Need).where(Need.created_by_id == user_id).order_by(Need.id))
    return {
        "format": "marketplace.personal-data",
        "version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "account": fields_of(user, ACCOUNT_FIELDS),
        "staff_grid_ids": list(db.execute(sa.select(StaffGrid.grid_id).where(StaffGrid.user_id == user_id)).scalars()),
        "volunteer_profile": volunteer,
        "shift_signups": signups,
        # Their own matches: the reason in the reader's language, and as stored (matches.reason_fields).
        "matches": [fields_of(m, MATCH_FIELDS) | reason_fields(m, own=True) for m in matches],
        # Needs they recorded: what and when, not the resident's contact (that is the resident's data).
        "needs_recorded": [fields_of(n, ["id", "title", "status", "created_at"]) for n in needs],
        "notifications": [
            fields_of(n, ["id", "kind", "subject_type", "subject_id", "payload", "created_at", "read_at"])
            for n in _all(db, sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        ],
        "audit_events": _audit(db, user_id),
        "sessions": [
            fields_of(s, SESSION_FIELDS)
            for s in _all(db, sa.select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id))
        ],
        "api_tokens": [
            fields_of(t, TOKEN_FIELDS)
            for t in _all(db, sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
        ],
    }


def account_and_hours(db: Session, user_id: int) -> tuple[User | None, HoursSummary | None]:
    """The account row and, for a volunteer, their hours: what the data page shows above the download."""
    profile_id = db.execute(sa.select(VolunteerProfile.id).where(VolunteerProfile.user_id == user_id)).scalar()
    return db.get(User, user_id), (hours_summary(db, profile_id, recent_limit=0) if profile_id else None)


def summary(db: Session, user_id: int) -> dict[str, int]:
    """How many of each kind the export holds, counted by the database (an admin may have 100,000 audit rows)."""

    def count(model: Any, *conditions: Any) -> int:
        return int(db.execute(sa.select(sa.func.count()).select_from(model).where(*conditions)).scalar_one())

    profile_id = db.execute(sa.select(VolunteerProfile.id).where(VolunteerProfile.user_id == user_id)).scalar()
    mine = Match.proposed_by_id == user_id
    return {
        "signups": count(ShiftSignup, ShiftSignup.volunteer_id == profile_id) if profile_id else 0,
        "matches": count(Match, sa.or_(mine, Match.volunteer_id == profile_id) if profile_id else mine),
        "notifications": count(Notification, Notification.user_id == user_id),
        "audit_events": count(
            AuditEvent,
            sa.or_(
                AuditEvent.actor_id == user_id,
                sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id == user_id),
            ),
        ),
        "sessions": count(UserSession, UserSession.user_id == user_id),
        "api_tokens": count(ApiToken, ApiToken.user_id == user_id),
    }


def export_own(db: Session, actor: CurrentUser) -> dict[str, Any]:
    """The actor's own data. Not audited: it is a read (no GET writes a row), like viewing one's own account,
    and it discloses nothing to anyone but the person themself."""
    return collect(db, actor.id)
