"""Whether an organization's application still waits for someone, as an SQL condition.

A resubmitted application waits for the street's admins to review it (while it is pending); a rejected one
waits for its manager to correct it and send it again (while it is rejected). Once the organization's
status moved on, the notification that asked no longer applies; the notifications domain reads this with its
rows, in the statement it sends anyway (``notifications.waiting``).
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from marketplace.organizations.models import Organization, OrganizationStatus


def application_moved_on(organization_id: Any, waiting_in: str) -> sa.ColumnElement[bool]:
    """The organization ``organization_id`` (a column or a value) exists and is no longer in the status
    ``waiting_in`` (an OrganizationStatus value) its notification asked about. An unknown id has not moved on."""
    status = OrganizationStatus(waiting_in)
    return sa.exists().where(col(Organization.id) == organization_id, col(Organization.status) != status)
