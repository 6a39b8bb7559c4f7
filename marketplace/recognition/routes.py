"""The recognition domain's route handlers."""

from marketplace.recognition.api import (
    CertificateVerifyApiController,
    MyCalendarApiController,
    MyCertificatesApiController,
)
from marketplace.recognition.pages import (
    CalendarFeedController,
    CalendarPagesController,
    CertificatePagesController,
    CertificateVerifyPagesController,
    StationScanController,
    StationSheetController,
)

RECOGNITION_HANDLERS = [
    CertificatePagesController,
    CertificateVerifyPagesController,
    CertificateVerifyApiController,
    MyCertificatesApiController,
    MyCalendarApiController,
    CalendarPagesController,
    CalendarFeedController,
    StationSheetController,
    StationScanController,
]
