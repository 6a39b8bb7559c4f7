"""The organization and volunteer route handlers, listed once for marketplace/routes.py."""

from typing import Any

from marketplace.organizations.api import OrganizationApiController
from marketplace.organizations.application_pages import AdminApplicationController, OwnApplicationController
from marketplace.organizations.controllers import (
    OrganizationRegistrationController,
    OrganizationVettingController,
    OwnOrganizationController,
)
from marketplace.organizations.directory_pages import OrganizationDirectoryController
from marketplace.volunteers.api import VolunteerApiController
from marketplace.volunteers.controllers import (
    VolunteerDirectoryController,
    VolunteerProfileController,
    VolunteerRegistrationController,
)

ORGANIZATION_ROUTE_HANDLERS: list[Any] = [
    OrganizationRegistrationController,
    OwnOrganizationController,
    OrganizationVettingController,
    OwnApplicationController,
    AdminApplicationController,
    OrganizationDirectoryController,
    OrganizationApiController,
    VolunteerRegistrationController,
    VolunteerProfileController,
    VolunteerDirectoryController,
    VolunteerApiController,
]
