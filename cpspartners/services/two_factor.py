"""The second factor of staff accounts: TOTP (RFC 6238, pyotp) and one-time recovery codes.

A code is accepted once: the time step it belongs to is stored, and a code of that step or an
earlier one is refused afterwards (a code seen over a shoulder cannot be replayed). Recovery
codes are random (50 bits each) and stored as SHA-256 hashes; each works once.
"""

import hashlib
import hmac
import secrets
import time

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import RecoveryCode, User
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.accounts import end_sessions
from cpspartners.services.audit import record
from cpspartners.services.errors import NotAllowed, RuleBroken

ISSUER = "CPS Partners"
RECOVERY_CODES = 10
STEP = 30  # seconds per TOTP code
DRIFT = 1  # steps accepted either side of now (a phone clock a little off)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// text an authenticator app reads (shown as text, and as a QR code nowhere)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _digits(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code is ``code`` (within DRIFT of now), or None."""
    code = _digits(code)
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


def recovery_code_row(user: User, code: str) -> RecoveryCode:
    """A stored (hashed) recovery code for ``code`` (the demo accounts' known one)."""
    return RecoveryCode(user_id=user.id, code_hash=_hash(code))


def _new_codes(user: User) -> list[str]:
    """Fresh recovery codes (shown once), replacing any the account had."""
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 10 hex digits: 40 bits, shown as xxxxx-xxxxx
        codes.append("%s-%s" % (raw[:5], raw[5:]))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    return codes


@transaction
def enrol(user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Save ``secret`` as the account's second factor once ``code`` proves the app has it;
    returns the recovery codes, to be shown once."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise RuleBroken(_l("That code is not right. Type the 6 digits your app shows now."))
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step
    codes = _new_codes(user)
    record(user, "two_factor_enrolled", "user", user.id)
    return codes


@transaction
def verify(user: User, code: str, now: float | None = None) -> bool:
    """True (once) for a current code of the account's app, or for an unused recovery code."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # already used: a replay
        user.totp_last_step = step
        return True
    return _use_recovery_code(user, code)


def _use_recovery_code(user: User, code: str) -> bool:
    wanted = _hash(code or "")
    for stored in db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(stored.code_hash, wanted):
            stored.used_at = utcnow()
            record(user, "recovery_code_used", "user", user.id)
            return True
    return False


def codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


@transaction
def new_recovery_codes(user: User) -> list[str]:
    """A new set of recovery codes for a signed-in account (the old ones stop working)."""
    codes = _new_codes(user)
    record(user, "recovery_codes_renewed", "user", user.id)
    return codes


def is_set_up(user: User) -> bool:
    """The account has a second step to pass (recovery codes work only beside its secret)."""
    return bool(user.totp_secret)


@transaction
def reset(actor: User, user: User) -> None:
    """An admin clears ``user``'s second step: the secret, the last step used and every recovery
    code go, every session ends, and the next sign-in sets the step up again. Audited; the
    owner is told by email (``accounts.emails.send_second_factor_reset``, by the caller)."""
    if not policy.can_reset_second_factor(actor, user):
        raise NotAllowed(_l("Only another administrator can reset an account's second sign-in step."))
    if not is_set_up(user):
        raise RuleBroken(_l("This account has no second sign-in step to reset."))
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    record(actor, "two_factor_reset", "user", user.id)
