"""A signed-in session's device as a person reads it ("Chrome 131 · Linux", "WeChat 8 · iPhone"), not the raw
User-Agent header ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, l…").

ua-parser (Browserscope's rules) does the reading. Its rules take a moment to compile on the first parse, so
``warm`` does that in a background thread at start-up, off any request; answers are cached by header.
"""

from functools import lru_cache

from ua_parser import parse

# What the account page shows of a header no rule names (a script, a bot): its first characters.
RAW_SHOWN = 60


@lru_cache(maxsize=2048)
def device_name(user_agent: str | None) -> str:
    """The browser (with its major version), then the device or operating system; "" when nothing is known."""
    header = (user_agent or "").strip()
    if not header:
        return ""
    found = parse(header)
    browser = found.user_agent
    if browser is None or browser.family == "Other":
        return header[:RAW_SHOWN]
    parts = [f"{browser.family} {browser.major}" if browser.major else browser.family]
    device = found.device.family if found.device and found.device.family not in ("Other", "") else None
    system = found.os.family if found.os and found.os.family != "Other" else None
    if device and device not in ("Mac", "Spider"):
        parts.append(device)
    elif system:
        parts.append(system)
    return " · ".join(parts)


def warm() -> None:
    """Compile the parser's rules once (about a second), so no request waits for it."""
    device_name.__wrapped__("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36")
