"""The certificate as a PDF, in Chinese: landscape A4, the street's red, the code and a QR code of the verify page.

The Chinese text uses the Adobe-GB1 font STSong-Light, which PDF readers supply themselves (nothing to
bundle, nothing to install on the server); the QR code is drawn as squares from segno's matrix.
"""

from datetime import date
from decimal import Decimal
from io import BytesIO

import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from marketplace.recognition.models import ServiceCertificate
from marketplace.recognition.services import grouped
from marketplace.street_clock import street_day

FONT = "STSong-Light"
RED = Color(0xC8 / 255, 0x10 / 255, 0x2E / 255)
GREY = Color(0.35, 0.39, 0.43)
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _month(day: date) -> str:
    return f"{day.year}年{day.month}月"


def issued_on(certificate: ServiceCertificate) -> str:
    """The day of issue as the certificate writes it (2026年12月7日), on the PDF and the printable page alike:
    the certificate is a Chinese document whatever the reader's language."""
    return _day(street_day(certificate.issued_at))


def _hours(hours: Decimal) -> str:
    """27.25 → "27.25", 9.50 → "9.5", 8.00 → "8": every quarter hour counts, no zeros trail."""
    return format(hours.normalize(), "f")


def sentence(certificate: ServiceCertificate) -> str:
    """兹证明……: the certificate's one sentence (the printable page shows the same)."""
    period = ""
    if certificate.first_day and certificate.last_day:
        period = f"自{_month(certificate.first_day)}至{_month(certificate.last_day)}，"
    return (
        f"兹证明 {certificate.holder_name} 同志在{certificate.street_name}参加志愿服务，{period}"
        f"累计服务 {_hours(certificate.hours)} 小时（完成服务 {certificate.shifts} 次）。"
    )


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    qr = segno.make(text, error="m")
    rows = list(qr.matrix_iter(scale=1, border=0))
    cell = size / len(rows)
    canvas.setFillColor(black)
    for row_index, row in enumerate(rows):
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(x + column_index * cell, y + size - (row_index + 1) * cell, cell, cell, stroke=0, fill=1)


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """Lines of at most ``width`` points (Chinese breaks between any two characters)."""
    lines, line = [], ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, FONT, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def render(certificate: ServiceCertificate, verify_url: str) -> bytes:
    """The PDF's bytes; ``verify_url`` is the public page the QR code and the footer point to."""
    buffer = BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(f"志愿服务时长证明 {grouped(certificate.code)}")
    canvas.setAuthor(certificate.street_name or "红色合伙人")
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(6)
    canvas.rect(28, 28, width - 56, height - 56)
    canvas.setLineWidth(1)
    canvas.rect(40, 40, width - 80, height - 80)

    canvas.setFillColor(RED)
    canvas.setFont(FONT, 36)
    canvas.drawCentredString(width / 2, height - 130, "志愿服务时长证明")
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 13)
    canvas.drawCentredString(width / 2, height - 156, "红色合伙人　街道需求与资源对接平台")

    canvas.setFillColor(black)
    y = height - 225
    for line in _wrapped(sentence(certificate), width - 220, 20):
        canvas.setFont(FONT, 20)
        canvas.drawString(110, y, line)
        y -= 34
    canvas.drawString(110, y - 4, "特发此证。")

    canvas.setFont(FONT, 16)
    canvas.drawRightString(width - 110, 150, certificate.street_name or "")
    canvas.drawRightString(width - 110, 126, issued_on(certificate))

    _draw_qr(canvas, verify_url, 70, 62, 84)
    canvas.setFont(FONT, 11)
    canvas.setFillColor(GREY)
    canvas.drawString(166, 126, f"验证码：{grouped(certificate.code)}")
    canvas.drawString(166, 108, "扫描二维码或访问以下地址核验本证明：")
    canvas.drawString(166, 90, verify_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
