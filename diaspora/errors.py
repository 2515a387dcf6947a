"""Domain errors raised by services and turned into answers by the web and the bot."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a message a person can read (a lazy string, translated when shown)."""

    default_message: Any = None

    def __init__(self, message: Any = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class ValidationError(DomainError):
    pass


class InvalidTransition(DomainError):
    pass


class NotExact(ValidationError):
    """The input fits nothing exactly; `candidates` are the values the person may have meant,
    offered for confirmation instead of saving a guess."""

    def __init__(self, message: Any = None, *, candidates: list[str], field: str | None = None):
        super().__init__(message, field=field)
        self.candidates = list(candidates)
