"""A certificate of service hours: the figures as they stood when it was issued, under a code anyone can check."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from marketplace.db.types import QUANTITY, UTCDateTime, utcnow


class ServiceCertificate(SQLModel, table=True):
    __tablename__ = "service_certificate"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="service_certificate_hours_not_negative"),
        CheckConstraint("shifts >= 0", name="service_certificate_shifts_not_negative"),
        CheckConstraint("length(code) = 12", name="service_certificate_code_length"),
        CheckConstraint(
            "first_day IS NULL OR last_day IS NULL OR first_day <= last_day", name="service_certificate_period_order"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Twelve characters of Crockford's base32 (60 bits): printed in groups of four, typed on the verify page.
    code: str = Field(max_length=12, unique=True)
    volunteer_id: int = Field(foreign_key="volunteer_profile.id", index=True, ondelete="CASCADE")
    # As printed: the holder's name and the street at the time of issue (the verify page masks the name).
    holder_name: str = Field(max_length=100)
    street_name: str = Field(max_length=100)
    street_name_en: str = Field(max_length=100)
    hours: Decimal = Field(sa_type=QUANTITY, nullable=False)  # credited on the platform plus earlier records
    shifts: int = 0
    first_day: date | None = None
    last_day: date | None = None
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
