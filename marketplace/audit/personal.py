"""Residents' contacts in audit rows: masked on the way in, so no code path that records a need can forget.

The audit log keeps who changed what for years; it does not need to keep how to call or find the resident.
Masking is idempotent (a masked value masks to itself), so old rows can be rewritten safely any number of times
(``marketplace audit mask-contacts``).
"""

from collections.abc import Callable
from typing import Any

from marketplace.masking import mask_address, mask_name, mask_phone

# The keys of a snapshot that hold a resident's contact, and how each is masked (marketplace.masking).
MASKERS: dict[str, Callable[[str | None], str | None]] = {
    "beneficiary_name": mask_name,
    "beneficiary_phone": mask_phone,
    "beneficiary_address": mask_address,
}


def mask_personal(value: Any) -> Any:
    """The same JSON value with every known personal field, at any depth, masked."""
    if isinstance(value, dict):
        return {
            key: MASKERS[key](item) if key in MASKERS and isinstance(item, str | None) else mask_personal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_personal(item) for item in value]
    return value
