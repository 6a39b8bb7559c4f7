"""How a person's name, phone and address look where they must not be read in full: one rule for every page,
export, API answer and audit row.

Every masker is idempotent (a masked value masks to itself, so stored rows can be re-masked any number of
times), keeps ``None`` as ``None`` (an audit snapshot still says "no phone") and never shows more of a short or
odd value than of a normal one: what it cannot read it hides whole.
"""

MASK = "*"
HIDDEN = "****"
ADDRESS_KEEP = 6  # street and building number at most: enough to tell two needs apart, not to knock on a door
# A masked phone shows at most seven digits (138****8000) or eight (0532-****1234); more digits beside a star
# mean the star was typed, not ours, and the value is masked like any other.
_MASKED_DIGITS = 8


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def mask_phone(phone: str | None) -> str | None:
    """13800138000 → 138****8000; 0532-82861234 → 0532-****1234; anything else keeps its last four digits."""
    if phone is None:
        return None
    text = phone.strip()
    if not text:
        return text
    digits = _digits(text)
    if MASK in text and len(digits) <= _MASKED_DIGITS:
        return text
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 138 0013 8000
    if len(digits) < 7:
        return HIDDEN  # too short to show four digits of it
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}{MASK * 4}{digits[-4:]}"
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        # A landline's area code names a city, not a person: 010 and 02x have three digits, the others four.
        area = digits[:3] if digits[1] in "12" else digits[:4]
        return f"{area}-{HIDDEN}{digits[-4:]}"
    return HIDDEN + digits[-4:]


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧**: a list shows that there is a person, not who."""
    if name is None:
        return None
    text = name.strip()
    if not text:
        return text
    return text[0] + MASK * max(1, min(len(text) - 1, 2))


def mask_address(address: str | None) -> str | None:
    """胡道街道3号楼2单元501 → 胡道街道3号***: at most the first six characters, at most half of it."""
    if address is None:
        return None
    text = address.strip()
    if not text or text.endswith(MASK * 3):
        return text
    return text[: min(ADDRESS_KEEP, max(1, len(text) // 2))] + MASK * 3
