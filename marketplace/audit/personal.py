"""Residents' contacts in audit rows: masked on the way in, so no code path that records a need can forget.

The audit log keeps who changed what for years; it does not need to keep how to call or find the resident.
Masking is idempotent (a masked value masks to itself), so old rows can be rewritten safely any number of times
(``marketplace audit mask-contacts``).
"""

from collections.abc import Callable
from typing import Any

ADDRESS_KEEP = 6  # street and building number at most: enough to tell two needs apart, not to knock on a door


def mask_address(address: str | None) -> str | None:
    """胡道街道3号楼2单元501 → 胡道街道3号***; already masked text stays as it is."""
    if not address or address.endswith("***"):
        return address
    return address[: min(ADDRESS_KEEP, max(1, len(address) // 2))] + "***"


def _maskers() -> dict[str, Callable[[str | None], str | None]]:
    # Imported when called: the need services record audit events, so importing them at load time is a cycle.
    from marketplace.needs.services import mask_name, mask_phone

    return {"beneficiary_name": mask_name, "beneficiary_phone": mask_phone, "beneficiary_address": mask_address}


def mask_personal(value: Any) -> Any:
    """The same JSON value with every known personal field, at any depth, masked."""
    if isinstance(value, dict):
        maskers = _maskers()
        return {
            key: maskers[key](item) if key in maskers and isinstance(item, str | None) else mask_personal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_personal(item) for item in value]
    return value
