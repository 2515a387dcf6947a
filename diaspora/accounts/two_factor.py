"""Two-factor sign-in for staff: an authenticator app (TOTP, RFC 6238, through pyotp) and
ten one-time recovery codes.

Moderators and admins enrol before they can use a staff page; each new login then asks a
code after the password. Whether a session passed that step is kept in the session
(`sessions.mark_two_factor`) and consulted by `permissions.is_staff`, so every staff rule
refuses an unverified session. A staff member who loses the device signs in with a
recovery code, or an admin (another one: nobody resets their own) resets them.

What is stored: the base32 secret (staff_totp, never shown after enrolment, never in the
data download or a log), the last accepted time step (a code is refused a second time),
and each recovery code as a salted SHA-256. Recovery codes carry 50 random bits, so a
fast hash is enough: password hashing is slow to protect guessable secrets, these are not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pyotp
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from diaspora.accounts import service as accounts
from diaspora.accounts.deeplink import qr_svg
from diaspora.accounts.models import RecoveryCode, StaffTotp, User
from diaspora.accounts.permissions import has_staff_role, require
from diaspora.errors import InvalidTransition, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import audit

ISSUER = "Mekendesh"
RECOVERY_CODE_COUNT = 10
# One 30-second step either side of now: a phone clock a little off, a code typed slowly.
VALID_WINDOW = 1
# No 0/o, 1/l/i: a code copied from paper is read without doubt.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # 10 of 31 symbols: about 50 bits
_TOTP_CODE = re.compile(r"\d{6}")

WRONG_CODE = _l("This code is not right. Check the time on your phone and try again.")
USED_CODE = _l("This code was already used. Wait for the next one.")


def required(user: Any) -> bool:
    """Must this account pass the second step (enrol first) before staff pages?"""
    return has_staff_role(user)


def enrolment_of(user: User) -> StaffTotp | None:
    return db.session.get(StaffTotp, user.id)


def is_enrolled(user: User) -> bool:
    return enrolment_of(user) is not None


def new_secret() -> str:
    """A fresh secret for an enrolment not yet confirmed: the page keeps it in the session
    until the first code proves the authenticator has it (a GET stores nothing)."""
    return pyotp.random_base32()


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str

    @property
    def qr(self) -> Markup:
        return qr_svg(self.uri, title=ISSUER)

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type into an authenticator by hand."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def enrolment(user: User, secret: str) -> Enrolment:
    require(user, "two_factor.use")
    label = user.email or f"user {user.id}"
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER))


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:64]


def _matching_step(secret: str, code: str) -> int | None:
    """The time step `code` belongs to, within the window around now (None: no match)."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(user: User, secret: str, code: str | None) -> list[str]:
    """The first code from the authenticator: enrolled. Returns the recovery codes, shown
    this once."""
    require(user, "two_factor.use")
    if is_enrolled(user):
        raise InvalidTransition(_l("Your authenticator is already set up."))
    code = _clean(code)
    if not _TOTP_CODE.fullmatch(code):
        raise ValidationError(_l("Enter the 6-digit code your authenticator app shows."),
                              field="code")
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationError(WRONG_CODE, field="code")
    db.session.add(StaffTotp(user_id=user.id, totp_secret=secret, last_step=step))
    codes = _replace_recovery_codes(user)
    audit.record(user, "two_factor.enrol", user)
    db.session.commit()
    return codes


def verify(user: User, code: str | None) -> str:
    """The second step: an authenticator code, or one of the recovery codes (used up).
    Returns which it was ("totp" or "recovery")."""
    require(user, "two_factor.use")
    enrolled = enrolment_of(user)
    if enrolled is None:
        raise InvalidTransition(_l("Set up your authenticator first."))
    code = _clean(code)
    if _TOTP_CODE.fullmatch(code):
        _use_totp(enrolled, code)
        db.session.commit()
        return "totp"
    if len(code) == _RECOVERY_LENGTH and _use_recovery_code(user, code):
        audit.record(user, "two_factor.recovery_code_used", user,
                     after={"left": recovery_codes_left(user)})
        db.session.commit()
        return "recovery"
    raise ValidationError(WRONG_CODE, field="code")


def _use_totp(enrolled: StaffTotp, code: str) -> None:
    step = _matching_step(enrolled.totp_secret, code)
    if step is None:
        raise ValidationError(WRONG_CODE, field="code")
    # One UPDATE that only moves forward: of two requests racing with the same code, one
    # wins, the other is a replay.
    moved = db.session.execute(
        update(StaffTotp)
        .where(StaffTotp.user_id == enrolled.user_id,
               or_(StaffTotp.last_step.is_(None), StaffTotp.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise ValidationError(USED_CODE, field="code")


def _hash(code: str, salt: str) -> str:
    return f"{salt}${hashlib.sha256(f'{salt}:{code}'.encode()).hexdigest()}"


def _use_recovery_code(user: User, code: str) -> bool:
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        salt = row.code_hash.partition("$")[0]
        if hmac.compare_digest(_hash(code, salt), row.code_hash):
            used = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            return used == 1
    return False


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id,
                                    code_hash=_hash(_clean(code), secrets.token_hex(8))))
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def regenerate_recovery_codes(user: User, code: str | None) -> list[str]:
    """New recovery codes (the old ones stop working), against a current authenticator code:
    a session left open must not be enough to print a fresh set."""
    require(user, "staff.area")
    enrolled = enrolment_of(user)
    if enrolled is None:
        raise InvalidTransition(_l("Set up your authenticator first."))
    code = _clean(code)
    if not _TOTP_CODE.fullmatch(code):
        raise ValidationError(_l("Enter the 6-digit code your authenticator app shows."),
                              field="code")
    _use_totp(enrolled, code)
    codes = _replace_recovery_codes(user)
    audit.record(user, "two_factor.new_recovery_codes", user)
    db.session.commit()
    return codes


def reset(actor: User, target: User) -> None:
    """An admin resets another staff member who lost their device: the authenticator and
    recovery codes go, every session of theirs ends, and they enrol again at next sign-in."""
    require(actor, "two_factor.reset", target)
    _reset(actor, target)


def reset_at_console(target: User) -> None:
    """`flask reset-two-factor`: the same reset by whoever runs the server, the way back for
    an administrator who lost their device when no other administrator can reset them.
    Audited with no actor (the console)."""
    _reset(None, target)


def _reset(actor: User | None, target: User) -> None:
    enrolled = enrolment_of(target)
    if enrolled is None:
        raise InvalidTransition(_l("This account has no authenticator to reset."))
    before = {"enrolled_at": enrolled.enrolled_at.isoformat(),
              "recovery_codes_left": recovery_codes_left(target)}
    db.session.delete(enrolled)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == target.id))
    accounts.end_all_sessions(target)
    audit.record(actor, "two_factor.reset", target, before=before, after=None)
    db.session.commit()


def enrolled_ids(user_ids: list[int]) -> set[int]:
    """Which of these accounts have an authenticator (one query for a page of users)."""
    if not user_ids:
        return set()
    return set(db.session.scalars(select(StaffTotp.user_id)
                                  .where(StaffTotp.user_id.in_(user_ids))))


# -- personal data: what the download shows, what erasure removes ------------------------


def export_personal_data(user: User) -> dict[str, Any] | None:
    enrolled = enrolment_of(user)
    if enrolled is None:
        return None
    return {"enrolled_at": enrolled.enrolled_at.isoformat(),
            "recovery_codes_left": recovery_codes_left(user)}


def erase_personal_data(user: User) -> None:
    db.session.execute(delete(StaffTotp).where(StaffTotp.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
