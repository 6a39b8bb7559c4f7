"""The organization and volunteer route handlers, listed once for marketplace/routes.py."""

from typing import Any

from marketplace.organizations.api import OrganizationApiController
from marketplace.organizations.application_pages import AdminApplicationController, OwnApplicationController
from marketplace.organizations.directory_pages import OrganizationDirectoryController
from marketplace.organizations.pages import (
    OrganizationRegistrationController,
    OrganizationVettingController,
    OwnOrganizationController,
)
from marketplace.volunteers.api import VolunteerApiController
from marketplace.volunteers.pages import (
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
