"""The organization route handlers, listed once for marketplace/routes.py."""

from typing import Any

from marketplace.organizations.api import OrganizationApiController
from marketplace.organizations.application_pages import AdminApplicationController, OwnApplicationController
from marketplace.organizations.directory_pages import OrganizationDirectoryController
from marketplace.organizations.pages import (
    OrganizationRegistrationController,
    OrganizationVettingController,
    OwnOrganizationController,
)

ORGANIZATION_ROUTE_HANDLERS: list[Any] = [
    OrganizationRegistrationController,
    OwnOrganizationController,
    OrganizationVettingController,
    OwnApplicationController,
    AdminApplicationController,
    OrganizationDirectoryController,
    OrganizationApiController,
]
