"""What the audit log's codes mean, in the reader's language: the page shows these, the code stays for searches."""

from marketplace.accounts.models import Role
from marketplace.i18n import N_
from marketplace.i18n import gettext as _

ACTION_LABELS: dict[str, str] = {
    "auth.login": N_("Signed in"),
    "auth.login_failed": N_("Failed sign-in"),
    "auth.logout": N_("Signed out"),
    "auth.password_changed": N_("Changed the password"),
    "auth.password_reset": N_("Reset the password"),
    "auth.sessions_ended": N_("Ended other sessions"),
    "user.register": N_("Registered"),
    "user.create": N_("Created a user"),
    "user.profile_update": N_("Updated a profile"),
    "user.role_change": N_("Changed a role"),
    "user.disable": N_("Disabled a user"),
    "user.enable": N_("Enabled a user"),
    "user.sessions_ended": N_("Ended a user's sessions"),
    "user.password_reset_issued": N_("Issued a password reset"),
    "user.password_reset_shown": N_("Was shown a password reset link (once)"),
    "calendar.reset": N_("Reset the calendar address"),
    "organization.register": N_("Registered an organization"),
    "organization.update": N_("Updated an organization"),
    "organization.resubmit": N_("Corrected and resent an organization's application"),
    "organization.edit": N_("Corrected an organization's application"),
    "organization.approve": N_("Approved an organization"),
    "organization.reject": N_("Rejected an organization"),
    "organization.suspend": N_("Suspended an organization"),
    "organization.reinstate": N_("Reinstated an organization"),
    "volunteer.register": N_("Registered as a volunteer"),
    "volunteer.update": N_("Updated a volunteer profile"),
    "volunteer.import": N_("Imported volunteers"),
    "token.create": N_("Created an API token"),
    "token.secret_shown": N_("Was shown an API token's secret (once)"),
    "token.revoke": N_("Revoked an API token"),
    "offer.create": N_("Published an offer"),
    "offer.update": N_("Updated an offer"),
    "offer.withdraw": N_("Withdrew an offer"),
    "offer.import": N_("Imported offers"),
    "item.create": N_("Added an item"),
    "item.update": N_("Updated an item"),
    "item.retire": N_("Retired an item"),
    "item.restore": N_("Restored an item"),
    "item.reresolve": N_("Resolved items again"),
    "match.claim": N_("Claimed"),
    "match.approve": N_("Approved a match"),
    "match.reject": N_("Rejected a match"),
    "match.cancel": N_("Cancelled a match"),
    "match.deliver": N_("Recorded a delivery"),
    "match.propose": N_("Proposed a match"),
    "proposal.accept": N_("Accepted a proposal"),
    "proposal.decline": N_("Declined a proposal"),
    "signup.create": N_("Signed up for a shift"),
    "signup.cancel": N_("Cancelled a sign-up"),
    "signup.check_in": N_("Checked in"),
    "signup.check_out": N_("Checked out"),
    "signup.no_show": N_("Recorded a no-show"),
    "need.verify": N_("Verified a need"),
    "need.create": N_("Recorded a need"),
    "need.update": N_("Updated a need"),
    "need.grid_set": N_("Set a need's grid"),
    "need.review": N_("Reviewed a need"),
    "need.publish": N_("Published a need"),
    "need.reject": N_("Rejected a need"),
    "need.merge": N_("Merged needs"),
    "need.merge_into": N_("Merged into another need"),
    "need.cancel": N_("Cancelled a need"),
    "need.escalate": N_("Escalated a need"),
    "need.import": N_("Imported needs"),
    "need.contact_viewed": N_("Viewed a resident's contact"),
    "need.contact_shared": N_("Shared a resident's contact"),
    "need.consent_recorded": N_("Recorded consent"),
    "need.consent_withdrawn": N_("Consent withdrawn"),
    "round.start": N_("Started a matching round"),
    "round.finish": N_("A matching round finished"),
    "round.fail": N_("A matching round failed"),
    "round_schedule.update": N_("Changed a street's round schedule"),
    "job.retry": N_("Retried a job"),
    "job.check": N_("Checked the job queue"),
    "job.prune_run": N_("Removed old jobs"),
    "escalation.acknowledge": N_("Acknowledged an escalation"),
    "privacy.exported": N_("Exported personal data"),
    "privacy.resident_anonymised": N_("Anonymised a resident"),
    "privacy.erasure_requested": N_("Asked for erasure"),
    "privacy.erasure_withdrawn": N_("Withdrew an erasure request"),
    "privacy.erased": N_("Erased personal data"),
    "privacy.retention_run": N_("Ran the retention rules"),
}

OBJECT_LABELS: dict[str, str] = {
    "api_token": N_("API token"),
    "escalation": N_("Escalation"),
    "item_term": N_("Item"),
    "job": N_("Job"),
    "match": N_("Match"),
    "match_round": N_("Matching round"),
    "round_schedule": N_("Round schedule"),
    "need": N_("Need"),
    "offer": N_("Offer"),
    "organization": N_("Organization"),
    "resident": N_("Resident"),
    "resource_line": N_("Resource line"),
    "retention": N_("Retention"),
    "shift": N_("Shift"),
    "shift_signup": N_("Shift sign-up"),
    "user": N_("User"),
    "volunteer": N_("Volunteer"),
}


def action_label(code: str) -> str:
    """The action in the reader's language; an action this version does not know shows its code."""
    label = ACTION_LABELS.get(code)
    return _(label) if label else code


def object_label(code: str) -> str:
    label = OBJECT_LABELS.get(code)
    return _(label) if label else code


def role_label(code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return Role(code).label
    except ValueError:
        return code
