"""Every route handler of the application, domain by domain."""

from typing import Any

from marketplace.accounts.api import AuthApiController
from marketplace.accounts.pages import AccountPagesController, AdminUsersController, MyAccountController, logout
from marketplace.admin.pages import ADMIN_ROUTE_HANDLERS
from marketplace.dashboard.pages import FiguresPageController, FiguresScreenController, StatsApiController
from marketplace.exchange.needs import NEED_EXCHANGE_HANDLERS
from marketplace.exchange.projects import ProjectExportController
from marketplace.home.api import HomeApiController
from marketplace.home.pages import HomePageController
from marketplace.items.api import ItemApiController
from marketplace.items.pages import ItemPagesController
from marketplace.jobs.api import JobApiController
from marketplace.jobs.pages import JOB_PAGE_HANDLERS
from marketplace.matches.api import MATCH_API_HANDLERS
from marketplace.matches.inbox_api import ReviewInboxApiController
from marketplace.matches.pages import TAKE_PART_PAGE_HANDLERS
from marketplace.matches.proposal_pages import ProposalPagesController
from marketplace.matches.proposals_api import ProposalsApiController
from marketplace.matches.review_pages import ReviewPagesController
from marketplace.needs.api import EscalationApiController, NeedApiController
from marketplace.needs.board_pages import ProjectApiController, ProjectPagesController
from marketplace.needs.consent_api import NeedContactApiController
from marketplace.needs.routes import NEED_PAGE_HANDLERS
from marketplace.needs.tracking_pages import TrackApiController
from marketplace.notifications.api import NotificationApiController
from marketplace.notifications.pages import NotificationPagesController
from marketplace.offers.api import OfferApiController
from marketplace.offers.pages import OfferPagesController
from marketplace.organizations.routes import ORGANIZATION_ROUTE_HANDLERS
from marketplace.places.api import GridApiController
from marketplace.privacy.api import my_data
from marketplace.privacy.pages import PRIVACY_PAGE_HANDLERS
from marketplace.recognition.routes import RECOGNITION_HANDLERS
from marketplace.recommend.api import RecommendationApiController
from marketplace.recommend.pages import RecommendationPagesController, RecommendedForMeController
from marketplace.rounds.pages import ROUND_HANDLERS
from marketplace.system.pages import SystemController
from marketplace.volunteers.routes import VOLUNTEER_ROUTE_HANDLERS


def route_handlers() -> list[Any]:
    return [
        SystemController,
        AccountPagesController,
        MyAccountController,
        AdminUsersController,
        AuthApiController,
        logout,
        ProjectPagesController,
        FiguresPageController,
        FiguresScreenController,
        ProjectApiController,
        NeedApiController,
        NeedContactApiController,
        TrackApiController,
        RecommendationApiController,
        RecommendationPagesController,
        RecommendedForMeController,
        *ROUND_HANDLERS,
        EscalationApiController,
        GridApiController,
        StatsApiController,
        NotificationPagesController,
        NotificationApiController,
        ProjectExportController,
        *ADMIN_ROUTE_HANDLERS,
        *ORGANIZATION_ROUTE_HANDLERS,
        *VOLUNTEER_ROUTE_HANDLERS,
        *MATCH_API_HANDLERS,
        ReviewInboxApiController,
        ReviewPagesController,
        *TAKE_PART_PAGE_HANDLERS,
        ProposalsApiController,
        ProposalPagesController,
        *NEED_PAGE_HANDLERS,
        *NEED_EXCHANGE_HANDLERS,
        OfferPagesController,
        OfferApiController,
        ItemPagesController,
        ItemApiController,
        JobApiController,
        *JOB_PAGE_HANDLERS,
        *PRIVACY_PAGE_HANDLERS,
        *RECOGNITION_HANDLERS,
        HomePageController,
        HomeApiController,
        my_data,
    ]
