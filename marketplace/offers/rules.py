"""The rules an offer obeys whoever writes it: the service (form, JSON API, import) and the seeds.

The service reads the rows these rules need from the database (``services.service_area_problem``); the
seeds, which plan their rows in memory and load them in bulk, hand them over as plain values
(``check_seeded``). Either way the same functions decide.
"""

from collections.abc import Collection, Mapping
from typing import Any, Self

from pydantic import ValidationError, model_validator

from marketplace.offers.schemas import OfferCreate, check_offer


def area_outside(area_streets: Mapping[int, int | None], served: Collection[int]) -> list[int]:
    """The grids of a service area (grid id → the street it lies in) lying in no street the organization
    serves: nobody there would see the offer, and it could not be matched there."""
    return sorted(
        grid_id for grid_id, street_id in area_streets.items() if street_id is None or street_id not in served
    )


class OfferRecord(OfferCreate):
    """An offer as it stood when it was published, for rows written in bulk: every rule of ``OfferCreate``
    (kinds, units, titles, quantities, the window and the first day of use) except that its window is still
    open today, since such data holds offers that have expired since."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        remaining = self.quantity if self.remaining_quantity is None else self.remaining_quantity
        check_offer(type(self), self.quantity, remaining, self.valid_from, self.valid_until, self.available_from)
        return self


class BrokenOffer(ValueError):
    """A seeded offer that breaks a rule the service would have refused it for."""


def check_seeded(
    values: Mapping[str, Any],
    area_streets: Mapping[int, int | None],
    served: Collection[int],
    *,
    organization_approved: bool,
) -> None:
    """Refuse (``BrokenOffer``, naming the rule) an offer row the service would not have published: of an
    organization that was never approved, with a field or window ``OfferCreate`` refuses, or with a service
    area outside the streets its organization serves."""
    title = values.get("title")
    if not organization_approved:
        raise BrokenOffer(f"offer {title!r}: only an approved organization publishes offers")
    fields = {name: values[name] for name in OfferRecord.model_fields if name != "grid_ids" and name in values}
    try:
        OfferRecord.model_validate(fields | {"grid_ids": sorted(area_streets)})
    except ValidationError as error:
        raise BrokenOffer(f"offer {title!r}: {error}") from None
    outside = area_outside(area_streets, served)
    if outside:
        raise BrokenOffer(f"offer {title!r}: grids {outside} lie in no street its organization serves")
