"""Certificate pages: the volunteer's own (list, issue, printable, PDF) and the public verify page."""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.i18n import gettext as _
from marketplace.needs.services import may_work_in_grid
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.recognition import calendar, pdf, services, station
from marketplace.recognition.models import ServiceCertificate
from marketplace.security.deps import Actor
from marketplace.security.guards import PUBLIC, sessions_only, staff_or_admin, volunteer_only
from marketplace.security.identity import CurrentUser
from marketplace.volunteers import services as volunteers

TypedCode = Annotated[str | None, QueryParameter(max_length=40, description="A certificate's code, as printed")]


def verify_url(request: Request[Any, Any, Any], code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/certificates/{code}"


def _own_or_404(reader: Any, actor: CurrentUser, code: str) -> ServiceCertificate:
    certificate = services.own_certificate(reader, actor, code)
    if certificate is None:
        raise NotFoundException(_("You have no certificate with this code."))
    return certificate


class CertificatePagesController(Controller):
    """A volunteer's certificates of service hours."""

    path = "/volunteer/certificates"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _list_page(self, reader: Any, actor: CurrentUser, *, problem: str | None = None, status: int = 200) -> Template:
        profile = volunteers.own_profile(reader, actor)
        summary = volunteers.hours_summary(reader, profile.id or 0, recent_limit=0)
        certificates = services.own_certificates(reader, actor)
        context = page_context(
            reader, summary=summary, certificates=certificates, grouped=services.grouped, problem=problem
        )
        return Template("recognition/certificates.html", context=context, status_code=status)

    @get("/", name="recognition:certificates", sync_to_thread=True)
    def index(self, reader: ReaderSession, actor: Actor) -> Template:
        return self._list_page(reader, actor)

    @post("/", name="recognition:issue", sync_to_thread=True)
    def issue(self, db: DbSession, actor: Actor) -> Template | Redirect:
        try:
            certificate = services.issue(db, actor)
        except services.NoHoursYet:
            problem = _("There are no service hours to certify yet: complete a shift first.")
            return self._list_page(db, actor, problem=problem, status=HTTP_409_CONFLICT)
        return Redirect(f"/volunteer/certificates/{certificate.code}", status_code=HTTP_303_SEE_OTHER)

    @get("/{code:str}", name="recognition:certificate", sync_to_thread=True)
    def printable(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, code: FromPath[str]
    ) -> Template:
        certificate = _own_or_404(reader, actor, code)
        context = page_context(
            reader,
            certificate=certificate,
            code=services.grouped(certificate.code),
            sentence=pdf.sentence(certificate),
            issued_on=pdf.issued_on(certificate),
            verify_url=verify_url(request, certificate.code),
        )
        return Template("recognition/certificate.html", context=context)

    @get("/{code:str}/pdf", name="recognition:certificate-pdf", sync_to_thread=True)
    def download(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, code: FromPath[str]
    ) -> Response[bytes]:
        certificate = _own_or_404(reader, actor, code)
        body = pdf.render(certificate, verify_url(request, certificate.code))
        filename = f"certificate-{services.grouped(certificate.code)}.pdf"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        return Response(body, media_type="application/pdf", headers=headers)


class CertificateVerifyPagesController(Controller):
    """Anyone holding a certificate checks it here, by its code or its QR code."""

    path = "/certificates"
    opt = PUBLIC
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="recognition:verify-form", sync_to_thread=True)
    def form(self, reader: ReaderSession, code: TypedCode = None) -> Template | Redirect:
        if code:
            normalised = services.normalise_code(code)
            if normalised is not None:
                return Redirect(f"/certificates/{normalised}", status_code=HTTP_303_SEE_OTHER)
            context = page_context(reader, typed=code, verification=None, problem=_("This is not a certificate code."))
            return Template("recognition/verify.html", context=context, status_code=400)
        context = page_context(reader, typed="", verification=None, problem=None)
        return Template("recognition/verify.html", context=context)

    @get("/{code:str}", name="recognition:verify", sync_to_thread=True)
    def verify(self, reader: ReaderSession, code: FromPath[str]) -> Template:
        verification = services.verify(reader, code)
        context = page_context(
            reader,
            typed=code,
            verification=verification,
            grouped=services.grouped,
            problem=None if verification else _("No certificate has this code. Check it against the paper."),
        )
        return Template(
            "recognition/verify.html", context=context, status_code=200 if verification else HTTP_404_NOT_FOUND
        )


class CalendarPagesController(Controller):
    """Where a volunteer finds the address of their shifts' calendar feed."""

    path = "/volunteer/calendar"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="recognition:calendar", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        base = str(request.base_url).rstrip("/")
        key = calendar.own_feed_key(reader, request.app.state.settings.secret_key, actor)
        feed = calendar.feed_url(base, key)
        webcal = "webcal://" + feed.split("://", 1)[1]
        notice = None
        if request.query_params.get("done") == "reset":
            notice = _("Your calendar has a new address. The old one no longer works: subscribe again with this one.")
        context = page_context(reader, feed=feed, webcal=webcal, notice=notice)
        return Template("recognition/calendar.html", context=context)

    @post("/reset", name="recognition:calendar-reset", sync_to_thread=True)
    def reset(self, db: DbSession, actor: Actor) -> Redirect:
        try:
            calendar.reset(db, actor)
        except calendar.NotAVolunteer:
            raise NotFoundException(_("You have no calendar to reset.")) from None
        return Redirect("/volunteer/calendar?done=reset", status_code=HTTP_303_SEE_OTHER)


class CalendarFeedController(Controller):
    """The feed itself: opened by the key in its address (calendar apps send no cookies)."""

    path = "/calendar"
    opt = PUBLIC
    include_in_schema = False

    @get("/{key:str}/shifts.ics", name="recognition:calendar-feed", sync_to_thread=True)
    def feed(self, request: Request[Any, Any, Any], reader: ReaderSession, key: FromPath[str]) -> Response[bytes]:
        volunteer = calendar.user_for_key(reader, request.app.state.settings.secret_key, key)
        if volunteer is None:
            raise NotFoundException("no calendar at this address")
        body = calendar.shifts_calendar(reader, volunteer, utcnow(), str(request.base_url).rstrip("/"))
        headers = {"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="shifts.ics"'}
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


def _station_shift(reader: Any, shift_id: int) -> station.ShiftAtStation:
    found = station.shift_at_station(reader, shift_id)
    if found is None:
        raise NotFoundException(_("No such shift."))
    return found


def _checked_action(request: Request[Any, Any, Any], shift_id: int, action: str, key: str) -> station.Action:
    """The action of a printed code whose key is right; anything else is as good as a missing page."""
    try:
        chosen = station.Action(action)
    except ValueError:
        raise NotFoundException(_("No such shift.")) from None
    if not station.key_is_valid(request.app.state.settings.secret_key, shift_id, chosen, key):
        raise NotFoundException(_("This code is not one the station printed."))
    return chosen


class StationSheetController(Controller):
    """Staff print a shift's check-in and check-out QR codes for the service station."""

    path = "/station/shifts"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/{shift_id:int}/qr", name="recognition:station-qr", sync_to_thread=True)
    def sheet(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, shift_id: FromPath[int]
    ) -> Template:
        found = _station_shift(reader, shift_id)
        if not may_work_in_grid(reader, actor, found.need.grid_id):
            raise NotFoundException(_("No such shift."))
        secret, base = request.app.state.settings.secret_key, str(request.base_url).rstrip("/")
        codes = []
        for action in station.Action:
            url = base + station.scan_path(secret, shift_id, action)
            opens, closes = station.window(found.shift, action)
            codes.append({"action": action.value, "svg": station.qr_svg(url), "opens": opens, "closes": closes})
        context = page_context(reader, shift=found.shift, need=found.need, codes=codes)
        return Template("recognition/station_qr.html", context=context)


class StationScanController(Controller):
    """What a volunteer's phone opens from a printed code: one button that checks them in (or out)."""

    path = "/station/scan"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self,
        db: Any,
        actor: CurrentUser,
        shift_id: int,
        action: station.Action,
        *,
        problem: str | None = None,
        status: int = 200,
    ) -> Template:
        found = _station_shift(db, shift_id)
        opens, closes = station.window(found.shift, action)
        now = utcnow()
        signup = station.own_signup_for(db, actor, shift_id, now)
        if problem is None and signup is None:
            problem, status = _("You have no sign-up for this shift."), HTTP_409_CONFLICT
        elif problem is None and not opens <= now < closes:
            problem, status = _("This code works only during the shift (see the times below)."), HTTP_409_CONFLICT
        context = page_context(
            db, shift=found.shift, need=found.need, action=action.value, opens=opens, closes=closes, problem=problem
        )
        return Template("recognition/station_scan.html", context=context, status_code=status)

    @get("/{shift_id:int}/{action:str}/{key:str}", name="recognition:station-scan", sync_to_thread=True)
    def scan(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        actor: Actor,
        shift_id: FromPath[int],
        action: FromPath[str],
        key: FromPath[str],
    ) -> Template:
        return self._page(reader, actor, shift_id, _checked_action(request, shift_id, action, key))

    @post("/{shift_id:int}/{action:str}/{key:str}", name="recognition:station-act", sync_to_thread=True)
    def act(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        actor: Actor,
        shift_id: FromPath[int],
        action: FromPath[str],
        key: FromPath[str],
    ) -> Template | Redirect:
        chosen = _checked_action(request, shift_id, action, key)
        found = _station_shift(db, shift_id)
        now = utcnow()
        opens, closes = station.window(found.shift, chosen)
        signup = station.own_signup_for(db, actor, shift_id, now)
        if signup is None or not opens <= now < closes:
            return self._page(db, actor, shift_id, chosen)
        try:
            done = station.act(db, actor, signup, chosen, now)
        except ClientException as refused:
            return self._page(db, actor, shift_id, chosen, problem=str(refused.detail), status=HTTP_409_CONFLICT)
        notice = "checked_in" if chosen is station.Action.CHECK_IN else "checked_out"
        return Redirect(f"/signups?done={notice}&signup={done.id}", status_code=HTTP_303_SEE_OTHER)
