"""The check against common passwords (ASVS 6.2.4): the 10,000 most common, from zxcvbn.

``data/common-passwords.txt`` names its source and licence at its top. A password is refused when
it is on the list, ignoring case, or is a listed password with digits or symbols added at its
end ("password2024!").
"""

import os
import re
from functools import cache

LIST = os.path.join(os.path.dirname(__file__), "data", "common-passwords.txt")
_TAIL = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    with open(LIST, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    words = common_passwords()
    lowered = (password or "").strip().lower()
    if lowered in words:
        return True
    stem = _TAIL.sub("", lowered)
    return len(stem) >= 4 and stem in words
