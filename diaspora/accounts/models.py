from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow
from diaspora.places.models import Place

ROLES: tuple[str, ...] = ("member", "authority", "moderator", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A migrant who only ever uses the bot has no e-mail and no password.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member", index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    privacy_version: Mapped[str | None] = mapped_column(String(20))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Telegram: the language Telegram reported (a first guess only), /stop, and the moment
    # the sender saw "403 bot was blocked by the user" (cleared when the member comes back).
    telegram_language_code: Mapped[str | None] = mapped_column(String(16))
    broadcasts_paused: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    telegram_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the member erased their personal data: the row stays, anonymous, so that
    # what they published (counted, moderated) keeps a stable, nameless author.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every login session and remember-me cookie carries this number (see get_id); raising
    # it ends them all: logout, "log out everywhere", a new password, a new role, erasure.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Moderators' sanctions in force (kept by moderation/sanctions.py, read by
    # permissions.may_post / is_member): no posting until `muted_until`; blocked until
    # `blocked_until` (None: until lifted). Both end by time alone: no job clears them.
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan", lazy="joined"
    )
    authority_places: Mapped[list[AuthorityPlace]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="AuthorityPlace.user_id",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session and the remember-me cookie store: the id and the session version.

        A cookie saved before the version was raised names an old version and stops working.
        """
        return f"{self.id}:{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def name(self) -> str:
        if self.profile and self.profile.display_name:
            return self.profile.display_name
        if self.email:
            return self.email.split("@")[0]
        return f"#{self.id}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Profile(db.Model):
    """The diaspora profile: every field optional but home place and country of residence."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str | None] = mapped_column(String(80))
    country_code: Mapped[str | None] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    home_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    # The village (айыл) as the member typed it: people name it more readily than its aiyl
    # aimak, and moderators turn villages many members typed into places of the gazetteer.
    home_village: Mapped[str | None] = mapped_column(String(80))
    birth_band: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(20))
    occupation_sector: Mapped[str | None] = mapped_column(String(30))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    years_abroad: Mapped[int | None]
    return_plan: Mapped[str | None] = mapped_column(String(20), index=True)
    remittances: Mapped[str | None] = mapped_column(String(20))
    wants_to_invest: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_to_volunteer: Mapped[bool] = mapped_column(Boolean, default=False)
    interest_sectors: Mapped[list] = mapped_column(JSON, default=list)
    notify_news: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_surveys: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_projects: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")
    home_place: Mapped[Place | None] = relationship(lazy="joined")

    @property
    def is_complete(self) -> bool:
        return bool(self.home_place_id and self.country_code)


class AuthorityPlace(db.Model):
    """A request to speak for a place as its local authority, and what moderators decided.

    One row per (member, place), kept after a decision so the member sees "rejected" or
    "revoked" with the reason. `verified_at` is set only while the authority is verified:
    revocation clears it (the time it was verified stays in the audit row), so every check,
    in Python (`verified`) or in SQL (`verified_at IS NOT NULL`), stops at once. Asking
    again for the same place reopens the row as a new request.
    """

    __tablename__ = "authority_places"
    __table_args__ = (UniqueConstraint("user_id", "place_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    # "Head of the aiyl okmotu": what the member says they are there (None for old rows).
    position: Mapped[str | None] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    # An optional proof (an appointment order, a service card): a re-encoded image or a PDF,
    # served only to staff and to the member (accounts/authority.py). The bytes are loaded
    # only when served.
    document_type: Mapped[str | None] = mapped_column(String(40))
    document_size: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    user: Mapped[User] = relationship(back_populates="authority_places", foreign_keys=[user_id])
    place: Mapped[Place] = relationship(lazy="joined")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def status(self) -> str:
        """pending, verified, rejected or revoked."""
        if self.verified_at is not None:
            return "verified"
        if self.revoked_at is not None:
            return "revoked"
        if self.rejected_at is not None:
            return "rejected"
        return "pending"

    @property
    def has_document(self) -> bool:
        return self.document_type is not None


class TelegramToken(db.Model):
    """A one-time secret joining Telegram and the web, stored only as a hash.

    purpose "link": a short code the bot shows, typed on the web account page by a logged-in
    member to join this Telegram chat to their account. purpose "login": the token in a
    /login/telegram/<token> link the bot sends, logging its owner in on the site. Both expire
    (10 minutes) and work once.
    """

    __tablename__ = "telegram_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # Who asked for a link code, as Telegram named them: the web page shows it before the
    # member confirms, so a code copied from someone else's chat is noticed.
    telegram_name: Mapped[str | None] = mapped_column(String(130))
    telegram_username: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BotState(db.Model):
    """The bot's persisted state (conversation positions, per-chat data), one JSON per key.

    namespace is "conversation:<name>", "user_data", "chat_data", "bot_data" or
    "callback_data"; key identifies the chat/user (or "" for bot-wide data). One row per key
    keeps writes small and lets many chats update their state at once.
    """

    __tablename__ = "bot_state"

    namespace: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict | list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EndedSession(db.Model):
    """A browser session someone logged out of. The session lives in a signed cookie that
    a copy can outlive, so the server remembers the session's id until the cookie would
    have expired anyway (`sessions.forget_old_ended_sessions`)."""

    __tablename__ = "ended_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)



class StaffTotp(db.Model):
    """A staff member's authenticator (two-factor sign-in, accounts/two_factor.py).

    The secret is kept in its own table, never shown again after enrolment, left out of the
    data download and of every log. It is not encrypted: the only key the application could
    use is its own SECRET_KEY, stored next to the database, and rotating that key would
    lock every staff member out.
    """

    __tablename__ = "staff_totp"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    totp_secret: Mapped[str] = mapped_column(String(64))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last 30-second time step a code was accepted for: a code seen once (a shoulder
    # surfer, a phished page) is refused for the rest of its window.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """A one-time code for a staff member without their authenticator; stored hashed."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
