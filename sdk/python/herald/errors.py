"""Exceptions raised by the Herald SDK.

Every answer of the server outside 2xx is a :class:`HeraldError` carrying the
API's ``code`` (such as ``"not_found"``), ``message`` and HTTP ``status``; the
subclasses name the common cases. A request that got no answer is a
:class:`HeraldConnectionError`. A webhook that fails verification raises
:class:`SignatureError` (see :func:`herald.webhooks.verify`).
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = [
    "HeraldError",
    "ValidationError",
    "AuthenticationError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "HeraldConnectionError",
    "SignatureError",
]


class HeraldError(Exception):
    """An error answer of the Herald API.

    ``code`` is the API's error code (``invalid``, ``unauthorized``,
    ``forbidden``, ``not_found``, ``conflict``, ``rate_limited``...),
    ``message`` its message and ``status`` the HTTP status (``None`` when no
    answer came).
    """

    def __init__(self, message: str, code: str = "", status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        if self.status is None:
            return self.message
        if self.code:
            return f"{self.message} (HTTP {self.status} {self.code})"
        return f"{self.message} (HTTP {self.status})"


_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\[\]\-]*): ")


class ValidationError(HeraldError):
    """A bad request (400, code ``invalid``). ``field`` is the field the
    message names (``"url"`` for ``"url: must be an absolute https:// URL"``),
    or ``None`` when the message names none."""

    def __init__(self, message: str, code: str = "invalid", status: Optional[int] = 400) -> None:
        super().__init__(message, code, status)
        m = _FIELD.match(message)
        self.field: Optional[str] = m.group(1) if m else None


class AuthenticationError(HeraldError):
    """No API key, or an invalid or revoked one (401, code ``unauthorized``)."""


class ForbiddenError(AuthenticationError):
    """A valid key that may not do this (403, code ``forbidden``): the wrong
    scope, a tenant key naming another tenant, or a platform-only route."""


class NotFoundError(HeraldError):
    """No such resource (404, code ``not_found``); another tenant's resource
    answers the same."""


class ConflictError(HeraldError):
    """The resource exists already (409, code ``conflict``)."""


class RateLimitError(HeraldError):
    """Too many requests (429, code ``rate_limited``). ``retry_after`` is the
    server's Retry-After in seconds, when it sent one."""

    def __init__(self, message: str, code: str = "rate_limited", status: Optional[int] = 429,
                 retry_after: Optional[float] = None) -> None:
        super().__init__(message, code, status)
        self.retry_after = retry_after


class HeraldConnectionError(HeraldError):
    """A request that got no answer: the server could not be reached, the
    connection broke or the call timed out (after the retries idempotent
    requests get). ``status`` is ``None``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "connection", None)


class SignatureError(Exception):
    """A webhook delivery that does not verify. ``reason`` is one of
    ``"missing"`` (a signature header is absent), ``"mismatch"`` (no
    signature matches the body and secret) and ``"stale"`` (the
    webhook-timestamp is malformed or outside the tolerance)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


_BY_STATUS = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}

_CODE_OF_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    415: "unsupported",
    429: "rate_limited",
    502: "unavailable",
    503: "unavailable",
    504: "timeout",
}


def error_from_answer(status: int, body: object, text: str, retry_after: Optional[str] = None) -> HeraldError:
    """Build the exception for an error answer: ``{"error": {"code",
    "message"}}``, or, for another body (a proxy's page), the status's code
    and the start of the text."""
    code, message = "", ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code") or "")
        message = str(body["error"].get("message") or "")
    if not code:
        code = _CODE_OF_STATUS.get(status, "internal" if status >= 500 else "")
    if not message:
        message = (text or "").strip().splitlines()[0][:200] if (text or "").strip() else f"HTTP {status}"
    cls = _BY_STATUS.get(status, HeraldError)
    if cls is RateLimitError:
        after: Optional[float] = None
        try:
            after = float(retry_after) if retry_after else None
        except ValueError:
            after = None
        return RateLimitError(message, code, status, retry_after=after)
    return cls(message, code, status)
