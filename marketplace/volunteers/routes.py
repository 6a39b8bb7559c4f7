"""The volunteer route handlers, listed once for marketplace/routes.py."""

from typing import Any

from marketplace.volunteers.api import VolunteerApiController
from marketplace.volunteers.pages import (
    VolunteerDirectoryController,
    VolunteerProfileController,
    VolunteerRegistrationController,
)

VOLUNTEER_ROUTE_HANDLERS: list[Any] = [
    VolunteerRegistrationController,
    VolunteerProfileController,
    VolunteerDirectoryController,
    VolunteerApiController,
]
