"""The volunteer's own profile as JSON."""

from typing import Any

from litestar import Controller, get, put
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.organizations.services import FormProblem
from marketplace.security.deps import Actor
from marketplace.security.guards import token_scope, volunteer_only
from marketplace.security.identity import CurrentUser
from marketplace.volunteers import services
from marketplace.volunteers.schemas import AvailabilitySlotCreate, VolunteerCreate, VolunteerUpdate


def profile_out(db: Session, actor: CurrentUser) -> dict[str, Any]:
    profile = services.own_profile(db, actor)
    assert profile.id is not None
    summary = services.hours_summary(db, profile.id, recent_limit=0)
    return {
        "id": profile.id,
        "username": actor.username,
        "display_name": actor.display_name,
        "home_grid_id": profile.home_grid_id,
        "segment": profile.segment.value,
        "is_party_member": profile.is_party_member,
        "employer_organization_id": profile.employer_organization_id,
        "weekly_hour_cap": profile.weekly_hour_cap,
        "skill_ids": services.skill_ids_of(db, profile.id),
        "interests": services.interests_of(db, profile.id),
        # The home grid's street, and the streets the volunteer serves besides it (their admins see them).
        "home_street_code": home.code if (home := services.home_street_of(db, profile)) else None,
        "street_codes": services.street_codes_of(db, profile.id),
        "availability": [
            {"weekday": s.weekday, "start_minute": s.start_minute, "end_minute": s.end_minute}
            for s in services.availability_of(db, profile.id)
        ],
        # Hours by the one definition (marketplace.volunteers.hours); hours_total is kept for older clients and
        # equals hours_credited. Hours from the street's earlier paper records are never mixed into it.
        "hours_credited": str(summary.total_hours),
        "hours_before_platform": str(summary.before_platform),
        "hours_all_time": str(summary.all_time),
        "hours_total": str(summary.total_hours),
        "shifts_completed": summary.completed,
        "no_shows": summary.no_shows,
        # A completion rate (0..1) from the street's earlier records, when staff imported one; read-only.
        "reliability_rate": profile.reliability_rate,
    }


class VolunteerApiController(Controller):
    path = "/api/v1/volunteers"
    tags = ["volunteers"]
    guards = [volunteer_only]

    @get(
        "/me",
        operation_id="getMyVolunteerProfile",
        summary="My volunteer profile",
        guards=[token_scope("profile:read")],
        sync_to_thread=True,
    )
    def me(self, reader: ReaderSession, actor: Actor) -> dict[str, Any]:
        return profile_out(reader, actor)

    @put(
        "/me",
        operation_id="updateMyVolunteerProfile",
        summary="Change my volunteer profile",
        guards=[token_scope("profile:write")],
        description=(
            "Only the fields sent change; skill_ids, availability, interests (need categories) and street_codes "
            "(streets served besides the home grid's street) replace the whole list. A street in street_codes "
            "lets you sign up for its shifts; removing one stops new sign-ups there (those made stay). 400 on "
            "street_codes: `unknown_street` (no street has the code), `not_a_street_code` (a number sent for a "
            "code). The home grid's street is always served: sent among them, it is not stored."
        ),
        sync_to_thread=True,
    )
    def update(self, db: DbSession, actor: Actor, data: JSONBody[VolunteerUpdate]) -> dict[str, Any]:
        profile = services.own_profile(db, actor)
        assert profile.id is not None
        current: dict[str, Any] = {name: getattr(profile, name) for name in services.PROFILE_FIELDS}
        current["skill_ids"] = services.skill_ids_of(db, profile.id)
        current["interests"] = services.interests_of(db, profile.id)
        current["availability"] = [
            AvailabilitySlotCreate(weekday=s.weekday, start_minute=s.start_minute, end_minute=s.end_minute)
            for s in services.availability_of(db, profile.id)
        ]
        merged = current | {name: getattr(data, name) for name in data.model_fields_set - {"street_codes"}}
        try:
            full = VolunteerCreate.model_validate(merged)
            services.update_profile(db, actor, full, street_codes=data.street_codes)
        except ValidationError as error:
            raise ValidationException(
                str(error.errors()[0].get("msg")),
                extra=[{"key": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()],
            ) from None
        except FormProblem as problem:
            entry = {"key": problem.field, "message": problem.message}
            if isinstance(problem, services.StreetChoiceProblem):
                entry["code"] = problem.code  # unknown_street, not_a_street_code
            raise ValidationException(f"{problem.field}: {problem.message}", extra=[entry]) from None
        return profile_out(db, actor)
