"""The organization and volunteer route handlers, listed once for marketplace/routes.py."""

from typing import Any

from marketplace.organizations.api import OrganizationApiController
from marketplace.organizations.controllers import (
    OrganizationRegistrationController,
    OrganizationVettingController,
    OwnOrganizationController,
)

ORGANIZATION_ROUTE_HANDLERS: list[Any] = [
    OrganizationRegistrationController,
    OwnOrganizationController,
    OrganizationVettingController,
    OrganizationApiController,
]
