"""The audit log's before/after fields in the reader's language: one table for every key the code audits.

The page shows the label (``still_needed`` reads 尚缺 / Still needed) with the key kept as a tooltip for
searching; a key this version does not know shows as itself. Values that are enum codes (a need's status, a
match's kind) read with their enum's own label, chosen by the event's object type where codes differ.

The JSON export (``/api/v1/admin/audit``, ``AuditEntry.as_json``) keeps the raw keys and codes: programs read
it, and a key is stable where a label changes with the language and with wording.
tests/test_audit_field_labels.py reads every ``record(before=..., after=...)`` in the code and checks that
each key it can write has a label here, in both languages.
"""

from typing import Any

from marketplace.accounts.models import Role
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.jobs.models import JobStatus
from marketplace.matches.models import MatchKind, MatchSource, MatchStatus
from marketplace.needs import services as needs_services
from marketplace.needs.models import ConsentMethod, EscalationLevel, GridToConfirm, NeedStatus
from marketplace.offers.models import OfferStatus
from marketplace.organizations.models import OrganizationKind, OrganizationStatus
from marketplace.rounds.models import RoundMethod, RoundStatus
from marketplace.vocabulary import Category, IntakeChannel, LabelledEnum, ResourceKind, Urgency
from marketplace.volunteers.models import SignupStatus, VolunteerSegment

FIELD_LABELS: dict[str, str] = {
    "accepted_at": N_("Accepted at"),
    "address": N_("Address"),
    "anonymised": N_("Anonymised"),
    "approved_at": N_("Approved at"),
    "attempt": N_("Attempt number"),
    "attempts": N_("Attempts"),
    "audit_addresses": N_("Audit log addresses cleared"),
    "audit_rows_rewritten": N_("Audit rows rewritten"),
    "availability": N_("Availability"),
    "available_from": N_("Available from"),
    "beneficiary_address": N_("Resident's address"),
    "beneficiary_name": N_("Resident's name"),
    "beneficiary_phone": N_("Resident's phone"),
    "by": N_("Looked up by"),
    "calendar_feed_generation": N_("Calendar feed version"),
    "cancel_reason": N_("Reason for cancelling"),
    "cancelled_at": N_("Cancelled at"),
    "category": N_("Category"),
    "channel": N_("Intake channel"),
    "checked_in_at": N_("Checked in at"),
    "checked_out_at": N_("Checked out at"),
    "claims_reduced": N_("Claims reduced"),
    "claims_ended": N_("Claims and proposals ended"),
    "claims_released": N_("Claims released"),
    "client_addresses_cleared": N_("Client addresses cleared"),
    "closed": N_("Closed"),
    "closed_at": N_("Closed at"),
    "closed_reason": N_("Reason for closing"),
    "community_id": N_("Community"),
    "confirmed_count": N_("Confirmed volunteers"),
    "consent_id": N_("Consent record"),
    "contact_name": N_("Contact person"),
    "contact_phone": N_("Contact phone"),
    "copies_scrubbed": N_("Copies scrubbed"),
    "credit_code": N_("Unified social credit code"),
    "cutoff": N_("Cut-off time"),
    "daily_digest": N_("Daily digest"),
    "deadline_at": N_("Deadline"),
    "decided_by_id": N_("Decided by"),
    "decision_reason": N_("Reason for the decision"),
    "description": N_("Description"),
    "display_name": N_("Display name"),
    "due_date": N_("Due date"),
    "duplicate_of_id": N_("Duplicate of"),
    "email": N_("Email"),
    "employer_organization_id": N_("Employer"),
    "ends_at": N_("Ends at"),
    "error": N_("Error message"),
    "exclusions": N_("Not this item"),
    "expires_at": N_("Expires at"),
    "explored": N_("Shown for exploration"),
    "external_ref": N_("External reference"),
    "failed_sign_ins_forgotten": N_("Failed sign-ins forgotten"),
    "file": N_("File"),
    "files": N_("Files removed"),
    "fulfilled_at": N_("Fulfilled at"),
    "grid_id": N_("Grid"),
    "grid_to_confirm": N_("Grid to confirm"),
    "grid_ids": N_("Grids"),
    "home_grid_id": N_("Home grid"),
    "hours_credited": N_("Hours credited"),
    "id": N_("ID"),
    "imported": N_("Imported"),
    "intakes_moved": N_("Intake records moved"),
    "interests": N_("Interests"),
    "is_active": N_("Account active"),
    "is_org_manager": N_("Organization manager"),
    "is_party_member": N_("Party member"),
    "jobs": N_("Jobs removed"),
    "k": N_("Candidates per line (k)"),
    "at": N_("Time of day"),
    "enabled": N_("On a schedule"),
    "weekdays": N_("Days of the week"),
    "scheduled": N_("Started by the street's schedule"),
    "kept": N_("Session kept"),
    "key": N_("Item key"),
    "kind": N_("Kind"),
    "level": N_("Level"),
    "likely_duplicates": N_("Likely duplicates"),
    "line_proposals": N_("Line proposals"),
    "lines": N_("Resource lines"),
    "lines_changed": N_("Lines changed"),
    "lines_fulfilled": N_("Lines fulfilled"),
    "lines_seen": N_("Lines checked"),
    "login_failures": N_("Failed sign-ins"),
    "match_id": N_("Match"),
    "matches_cancelled": N_("Matches cancelled"),
    "matches_credited": N_("Matches credited"),
    "matches_released": N_("Matches released"),
    "matches_withdrawn": N_("Matches withdrawn"),
    "merged_need_id": N_("Merged need"),
    "method": N_("Method"),
    "name": N_("Name on record"),
    "name_en": N_("English name"),
    "name_zh": N_("Chinese name"),
    "need_id": N_("Need"),
    "need_ids": N_("Need numbers"),
    "needs": N_("Needs"),
    "new_manager_id": N_("New manager"),
    "notifications_deleted": N_("Notifications deleted"),
    "offer_id": N_("Offer"),
    "offer_ids": N_("Offer numbers"),
    "offers_changed": N_("Offers changed"),
    "offers_seen": N_("Offers checked"),
    "organization_id": N_("Organization"),
    "other_sessions_ended": N_("Other sessions ended"),
    "phone": N_("Phone"),
    "preferred_locale": N_("Language"),
    "prefix": N_("Token prefix"),
    "previous_manager_id": N_("Previous manager"),
    "proposed_by_id": N_("Proposed by"),
    "quantity": N_("Quantity"),
    "reason": N_("Reason"),
    "remaining_quantity": N_("Remaining quantity"),
    "reset_id": N_("Reset link"),
    "reset_links_expired": N_("Reset links expired"),
    "resource_line_id": N_("Resource line"),
    "resource_lines_added": N_("Resource lines added"),
    "retention_days": N_("Retention (days)"),
    "retired_at": N_("Retired at"),
    "revoked_at": N_("Revoked at"),
    "role": N_("Role"),
    "round_id": N_("Round number"),
    "rows": N_("Rows"),
    "satisfaction": N_("Satisfaction"),
    "satisfaction_comment": N_("Satisfaction comment"),
    "scopes": N_("Scopes"),
    "score": N_("Score"),
    "seconds": N_("Seconds"),
    "segment": N_("Volunteer group"),
    "session_id": N_("Session"),
    "sessions": N_("Sessions"),
    "sessions_ended": N_("Sessions ended"),
    "shift_id": N_("Shift"),
    "shift_proposals": N_("Shift proposals"),
    "shift_reminders": N_("Shift reminders"),
    "shifts": N_("Shifts"),
    "shifts_added": N_("Shifts added"),
    "shown_rank": N_("Rank shown"),
    "signup_id": N_("Sign-up"),
    "signups_released": N_("Sign-ups released"),
    "skill_ids": N_("Skills"),
    "skipped": N_("Skipped"),
    "skipped_rows": N_("Rows skipped"),
    "slots": N_("Slots"),
    "source": N_("Source"),
    "starts_at": N_("Starts at"),
    "status": N_("Status"),
    "status_reason": N_("Reason for the status"),
    "still_needed": N_("Still needed"),
    "street_codes": N_("Street codes"),
    "street_id": N_("Street"),
    "synonyms": N_("Synonyms"),
    "title": N_("Title"),
    "tokens_revoked": N_("Tokens revoked"),
    "unit": N_("Unit of measure"),
    "units": N_("Units of measure"),
    "urgency": N_("Urgency"),
    "user_id": N_("User"),
    "username": N_("Username"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "verified_at": N_("Verified at"),
    "version": N_("Version"),
    "volunteer_id": N_("Volunteer"),
    "volunteer_ids": N_("Volunteer numbers"),
    "weekly_hour_cap": N_("Weekly hour cap"),
    "withdrawn": N_("Withdrawn"),
    "withdrawn_match_id": N_("Withdrawn match"),
}

# Keys whose values are enum codes: the enum by the event's object type (None: any other object).
VALUE_ENUMS: dict[str, dict[str | None, type[LabelledEnum]]] = {
    "status": {
        "need": NeedStatus,
        "match": MatchStatus,
        "offer": OfferStatus,
        "organization": OrganizationStatus,
        "shift_signup": SignupStatus,
        "match_round": RoundStatus,
        "job": JobStatus,
    },
    "kind": {"match": MatchKind, "organization": OrganizationKind, None: ResourceKind},
    "category": {None: Category},
    "channel": {None: IntakeChannel},
    "urgency": {None: Urgency},
    "role": {None: Role},
    "segment": {None: VolunteerSegment},
    "level": {None: EscalationLevel},
    "grid_to_confirm": {None: GridToConfirm},
    "method": {"match_round": RoundMethod, "round_schedule": RoundMethod, "need": ConsentMethod},
    "source": {None: MatchSource},
}


# The application's own reason codes (a sign-in refused by the throttle reads "throttled").
REASON_CODES: dict[str, str] = {"throttled": N_("Too many attempts")}


def field_label(key: str) -> str:
    """The field in the reader's language; a key this version does not know shows as itself."""
    label = FIELD_LABELS.get(key)
    return _(label) if label else key


def value_label(object_type: str, key: str, value: Any) -> Any:
    """An enum code as its label (a need's "published" reads 已发布), yes/no for flags; anything else as is."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "reason" and isinstance(value, str):
        # Reasons the application writes itself are codes or English text; a person's own reason shows as typed.
        if value in REASON_CODES:
            return _(REASON_CODES[value])
        if object_type == "escalation":
            return needs_services.system_reason_label(value) or value
    enums = VALUE_ENUMS.get(key)
    if not enums or not isinstance(value, str):
        return value
    enum = enums.get(object_type) or enums.get(None)
    if enum is None:
        return value
    try:
        return enum(value).label
    except ValueError:
        return value
