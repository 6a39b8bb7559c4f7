"""Every table model, imported in one place so ``SQLModel.metadata`` knows the whole schema."""

from marketplace.accounts.credentials import ApiToken, LoginFailure, PasswordReset, UserSession
from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.audit.models import AuditEvent
from marketplace.items.models import ItemTerm
from marketplace.jobs.models import Job, JobStatus
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import (
    ConsentMethod,
    Escalation,
    EscalationLevel,
    Need,
    NeedConsent,
    NeedIntake,
    NeedStatus,
    ResourceLine,
    Shift,
    ShiftSkill,
)
from marketplace.needs.submissions import NeedSubmission
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationKind, OrganizationStatus
from marketplace.places.models import Community, Department, Grid, PartyBranch, ServiceStation, Street
from marketplace.recognition.models import ServiceCertificate
from marketplace.recommend.models import ShownList
from marketplace.rounds.models import MatchRound, RoundMethod, RoundSchedule, RoundStatus
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
    VolunteerStreet,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AvailabilitySlot",
    "Community",
    "ConsentMethod",
    "Department",
    "Escalation",
    "EscalationLevel",
    "Grid",
    "ItemTerm",
    "Job",
    "JobStatus",
    "LoginFailure",
    "Match",
    "MatchKind",
    "MatchRound",
    "MatchSource",
    "MatchStatus",
    "Need",
    "NeedConsent",
    "NeedIntake",
    "NeedStatus",
    "NeedSubmission",
    "Notification",
    "Offer",
    "OfferGrid",
    "OfferStatus",
    "Organization",
    "OrganizationGrid",
    "OrganizationKind",
    "OrganizationStatus",
    "PartyBranch",
    "PasswordReset",
    "ResourceLine",
    "Role",
    "RoundMethod",
    "RoundSchedule",
    "RoundStatus",
    "ServiceCertificate",
    "ServiceStation",
    "Shift",
    "ShiftSignup",
    "ShiftSkill",
    "ShownList",
    "SignupStatus",
    "Skill",
    "StaffGrid",
    "Street",
    "User",
    "UserSession",
    "VolunteerProfile",
    "VolunteerSegment",
    "VolunteerSkill",
    "VolunteerStreet",
]
