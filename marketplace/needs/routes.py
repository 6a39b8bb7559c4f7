"""Every page handler of the need list: staff pages, the public submission and tracking forms, open escalations."""

from typing import Any

from marketplace.needs.cancellation_pages import NeedCancellationPagesController
from marketplace.needs.change_pages import NeedChangePagesController
from marketplace.needs.consent_pages import NeedConsentPagesController
from marketplace.needs.escalation_pages import EscalationPagesController
from marketplace.needs.grid_pages import NeedGridPagesController
from marketplace.needs.intake_pages import NeedIntakePagesController
from marketplace.needs.staff_pages import NeedStaffPagesController
from marketplace.needs.submit_pages import NeedSubmitPagesController
from marketplace.needs.tracking_pages import TrackPagesController

NEED_PAGE_HANDLERS: list[Any] = [
    NeedStaffPagesController,
    NeedChangePagesController,
    NeedCancellationPagesController,
    NeedConsentPagesController,
    NeedGridPagesController,
    NeedIntakePagesController,
    NeedSubmitPagesController,
    TrackPagesController,
    EscalationPagesController,
]
