"""Certificates in the API: anyone verifies a code; a volunteer lists and issues their own. A volunteer's calendar
feed: its address, and a reset that gives it a new one (the old one opens nothing from then on)."""

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.recognition import calendar, services
from marketplace.recognition.models import ServiceCertificate
from marketplace.security.deps import Actor
from marketplace.security.guards import PUBLIC, token_scope, volunteer_only
from marketplace.security.identity import CurrentUser


def certificate_out(certificate: ServiceCertificate) -> dict[str, Any]:
    return {
        "code": services.grouped(certificate.code),
        "holder": certificate.holder_name,
        "street": certificate.street_name,
        "hours": float(certificate.hours),
        "shifts": certificate.shifts,
        "first_day": certificate.first_day.isoformat() if certificate.first_day else None,
        "last_day": certificate.last_day.isoformat() if certificate.last_day else None,
        "issued_at": certificate.issued_at.isoformat(),
        "verify_path": f"/certificates/{certificate.code}",
        "pdf_path": f"/volunteer/certificates/{certificate.code}/pdf",
    }


class CertificateVerifyApiController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]
    opt = PUBLIC

    @get(
        "/{code:str}",
        operation_id="verifyCertificate",
        summary="Verify a certificate of service hours by its code (the holder's name masked)",
        sync_to_thread=True,
    )
    def verify(self, reader: ReaderSession, code: FromPath[str]) -> dict[str, Any]:
        verification = services.verify(reader, code)
        if verification is None:
            raise NotFoundException("no certificate has this code")
        return verification.as_json()


class MyCertificatesApiController(Controller):
    path = "/api/v1/volunteers/me/certificates"
    tags = ["volunteers"]
    guards = [volunteer_only]

    @get(
        "/",
        operation_id="listMyCertificates",
        summary="My certificates of service hours",
        guards=[token_scope("profile:read")],
        sync_to_thread=True,
    )
    def mine(self, reader: ReaderSession, actor: Actor) -> dict[str, Any]:
        return {"certificates": [certificate_out(row) for row in services.own_certificates(reader, actor)]}

    @post(
        "/",
        operation_id="issueMyCertificate",
        summary="Issue a certificate of my service hours as they stand (the latest again when nothing changed)",
        guards=[token_scope("profile:write")],
        sync_to_thread=True,
    )
    def issue(self, db: DbSession, actor: Actor) -> dict[str, Any]:
        try:
            return certificate_out(services.issue(db, actor))
        except services.NoHoursYet:
            raise HTTPException(
                status_code=HTTP_409_CONFLICT, detail="there are no service hours to certify yet"
            ) from None


@dataclass(frozen=True)
class CalendarFeed:
    """Where a volunteer's calendar app subscribes to their shifts; whoever holds the address reads them."""

    feed_url: str  # https://.../calendar/<key>/shifts.ics
    webcal_url: str  # the same address as webcal://, for apps that subscribe on a click


def calendar_out(request: Request[Any, Any, Any], db: Any, volunteer: CurrentUser) -> CalendarFeed:
    key = calendar.own_feed_key(db, request.app.state.settings.secret_key, volunteer)
    feed = calendar.feed_url(str(request.base_url).rstrip("/"), key)
    return CalendarFeed(feed_url=feed, webcal_url="webcal://" + feed.split("://", 1)[1])


class MyCalendarApiController(Controller):
    path = "/api/v1/me/calendar"
    tags = ["volunteers"]
    guards = [volunteer_only]

    @get(
        "/",
        operation_id="myCalendarFeed",
        summary="The address of my shifts' calendar feed (iCalendar), to subscribe to from a calendar app",
        description="Whoever holds the address reads the feed without signing in: keep it secret. "
        "`webcal_url` is the same address for calendar apps that subscribe on a click.",
        guards=[token_scope("profile:read")],
        sync_to_thread=True,
    )
    def address(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> CalendarFeed:
        return calendar_out(request, reader, actor)

    @post(
        "/reset",
        operation_id="resetMyCalendarFeed",
        summary="Give my calendar feed a new address: the old one answers 404 from now on",
        description="Every calendar subscribed with the old address stops receiving shifts and must subscribe "
        "again with the new `feed_url` returned here. Two resets at the same time both take effect.",
        guards=[token_scope("profile:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def reset(self, request: Request[Any, Any, Any], db: DbSession, actor: Actor) -> CalendarFeed:
        try:
            calendar.reset(db, actor)
        except calendar.NotAVolunteer:
            raise NotFoundException("you have no calendar feed") from None
        return calendar_out(request, db, actor)
