"""A resident's contact in full: who may see it, where to ask when one may not, and every showing audited.

- Staff whose scope covers the need's grid, and admins, may reveal it at any time (``need.contact_viewed``);
  the scope rule is ``services.get_visible_need``, the same for the page and the API.
- Partners with an approved claim on the need and volunteers confirmed on one of its shifts see it only while
  the resident's consent is recorded (``marketplace.matches.contact_sharing``, ``need.contact_shared``).
- Everyone else, and they too without consent, learn where the street office can be reached instead.

Every page and answer shows the phone masked unless it went through one of these doors. The number itself is
never written to the audit log: the row says who looked, at which need, when and from where.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.needs import services
from marketplace.needs.models import Need
from marketplace.places.models import Community, Grid, ServiceStation
from marketplace.security.identity import CurrentUser


@dataclass(frozen=True)
class Contact:
    """The beneficiary's name, phone and address as stored."""

    name: str | None
    phone: str | None
    address: str | None

    def as_json(self) -> dict[str, Any]:
        return {"beneficiary_name": self.name, "beneficiary_phone": self.phone, "beneficiary_address": self.address}


def contact_of(need: Need) -> Contact:
    return Contact(need.beneficiary_name, need.beneficiary_phone, need.beneficiary_address)


def reveal_to_staff(db: Session, actor: CurrentUser, need_id: int) -> tuple[Need, Contact]:
    """The full contact for staff of the need's grid and admins (NeedNotFound otherwise), audited."""
    need = services.get_visible_need(db, actor, need_id)
    record(db, "need.contact_viewed", object_type="need", object_id=need_id, actor=actor)
    return need, contact_of(need)


@dataclass(frozen=True)
class Office:
    """Where a partner or volunteer reaches the street about a resident whose contact is not shared: the need's
    grid, its community and the grid's service station (if it has one)."""

    grid: Grid | None
    community: Community | None
    station: ServiceStation | None
