"""Certificates in the API: anyone verifies a code; a volunteer lists and issues their own."""

from typing import Any

from litestar import Controller, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_409_CONFLICT

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.recognition import services
from marketplace.recognition.models import ServiceCertificate
from marketplace.security.deps import Actor
from marketplace.security.guards import PUBLIC, token_scope, volunteer_only


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
