"""Passwords: the check against common ones, and how they are hashed and verified.

The check (ASVS 6.2.4): the 10,000 most common, from zxcvbn. ``data/common-passwords.txt`` names
its source and licence at its top. A password is refused when it is on the list, ignoring case,
or is a listed password with digits or symbols added at its end ("password2024!").

Hashes: Argon2id at the cost OWASP's Password Storage Cheat Sheet recommends (19 MiB of memory,
2 passes, 1 lane), made and checked here and nowhere else. Why not werkzeug's scrypt, which the
site used first: its default (N=2^15, r=8, p=1, 32 MiB) is below the cheat sheet's own floor for
scrypt (N=2^17, or 2^15 with p=3), and it cost 110 ms of CPU a sign-in on this project's 2-core
machine, where Argon2id at the recommended setting costs 20 ms. An application window is a
surge of sign-ins, and every core-second spent hashing is pages not served (docs/benchmarks.md,
"Sign-ins, translations, highlighting, garbage collection"). The setting is stored in each
hash, so a costlier one later only needs ``HASHER`` changed: older hashes still verify, and are
replaced at their owner's next sign-in (``needs_rehash``, ``services.accounts.renew_password_hash``),
as the scrypt ones are now.
"""

import os
import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

LIST = os.path.join(os.path.dirname(__file__), "data", "common-passwords.txt")
_TAIL = re.compile(r"[\d\W_]+$")
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_ARGON2 = "$argon2"
_stand_in: list[str] = []


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


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash (Argon2id, or scrypt from before). A hash
    that cannot be read matches nothing."""
    if not stored:
        return False
    if stored.startswith(_ARGON2):
        try:
            return HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:  # not a scheme werkzeug knows
        return False


def needs_rehash(stored: str | None) -> bool:
    """A hash made by an older scheme, or at another cost than ``HASHER``'s."""
    if not stored or not stored.startswith(_ARGON2):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def spend_a_check(password: str) -> None:
    """The work of one check against a hash of nothing anyone knows: when no account matches,
    a wrong address takes as long as a wrong password (the stand-in is made once, lazily)."""
    if not _stand_in:
        _stand_in.append(hash_password(secrets.token_hex(16)))
    verify(_stand_in[0], password)
