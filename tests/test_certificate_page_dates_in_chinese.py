"""The printable certificate is a Chinese document whatever the page's language, its day of issue included: a
newcomer reading in English found "Dec 7, 2026" under 湖岛街道 on a certificate otherwise in Chinese (the PDF
said 2026年12月7日). The page and the PDF write the day the same way."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.recognition import pdf
from marketplace.recognition.models import ServiceCertificate
from marketplace.settings import Settings
from marketplace.street_clock import street_day
from tests.security_helpers import csrf_for
from tests.test_certificates import _sign_in, _volunteer_with_hours


def test_the_printable_certificate_dates_itself_in_chinese_for_an_english_reader(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person, _profile = _volunteer_with_hours(session)
    _sign_in(client, person, lang="en")
    issued = client.post(
        "/volunteer/certificates", data={"csrf_token": csrf_for(client, settings)}, follow_redirects=False
    )
    assert issued.status_code == 303
    page = client.get(issued.headers["location"]).text
    certificate = session.exec(select(ServiceCertificate)).one()
    day = street_day(certificate.issued_at)
    written = f"{day.year}年{day.month}月{day.day}日"
    assert pdf.issued_on(certificate) == written
    article = page[page.index('<article class="certificate"') : page.index("</article>")]
    assert written in article
    assert day.strftime("%b") not in article and str(day.year) + "-" not in article
