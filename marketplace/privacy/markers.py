"""What anonymised values look like: recognisable by their content, so no column says "anonymised"."""

import re

# A resident's name or address after anonymisation; the phone becomes NULL.
ANONYMISED = "已匿名"
# An erased user's display name and user name; the id keeps the record readable ("who approved this?").
ERASED_NAME = "已注销用户 #{id}"
ERASED_USERNAME = "erased-{id}"
ERASED_USERNAME_PATTERN = re.compile(r"^erased-\d+(-\d+)?$")


def erased_name(user_id: int) -> str:
    return ERASED_NAME.format(id=user_id)


def is_erased_username(username: str) -> bool:
    return bool(ERASED_USERNAME_PATTERN.match(username))
