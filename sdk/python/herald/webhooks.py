"""Verifying the webhooks Herald sends, on the receiving side.

Herald signs every delivery twice, with the webhook's secret:

* the webhook's signature header (``X-Webhook-Signature`` by default): the
  HMAC-SHA256 of the exact body keyed with the secret's UTF-8 bytes, written
  as ``sha256=<hex>`` (the default), ``<hex>`` or ``<base64>``;
* the Standard Webhooks headers ``webhook-id``, ``webhook-timestamp`` and
  ``webhook-signature: v1,<base64>`` over ``<id>.<timestamp>.<body>``, keyed
  with the base64-decoded part of a ``whsec_`` secret (or the bytes of any
  other secret).

While a rotated secret's grace period lasts, ``webhook-signature`` holds the
old secret's signature too (entries are space-separated) and the signature
header's ``-Previous`` twin (``X-Webhook-Signature-Previous``) holds the old
secrets' signatures, so a receiver still holding the old secret verifies.

Only the Standard Webhooks signature covers a timestamp, so only it protects
against replayed deliveries: use ``mode="standard"`` or ``mode="both"`` when
that matters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Union

from .errors import SignatureError

__all__ = ["verify", "sign", "standard_sign", "SignatureError", "DEFAULT_HEADER", "DEFAULT_TOLERANCE"]

#: The signature header a webhook has unless it sets another.
DEFAULT_HEADER = "X-Webhook-Signature"
#: Seconds the webhook-timestamp may be from now, either way.
DEFAULT_TOLERANCE = 300
#: Appended to the signature header's name for the old secrets' signatures.
PREVIOUS_SUFFIX = "-Previous"

HeadersLike = Union[Mapping[str, str], Iterable[Any]]


def _headers(headers: Any) -> Dict[str, str]:
    """Lowercased header names to their first non-empty value, from a dict,
    a Flask/Starlette/httpx headers object or a list of pairs."""
    items: Iterable[Any]
    if hasattr(headers, "items"):
        items = headers.items()
    else:
        items = headers or []
    out: Dict[str, str] = {}
    for k, v in items:
        if isinstance(k, bytes):
            k = k.decode("latin-1")
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        if isinstance(v, (list, tuple)):
            v = v[0] if v else ""
        k = str(k).lower()
        if v and k not in out:
            out[k] = str(v)
    return out


def _mac(key: bytes, *parts: bytes) -> bytes:
    h = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        h.update(p)
    return h.digest()


def sign(payload: bytes, secret: str, format: str = "sha256=hex") -> str:
    """The signature header value Herald writes for ``payload``:
    ``sha256=<hex>``, ``<hex>`` (format ``"hex"``) or ``<base64>`` (format
    ``"base64"``)."""
    d = _mac(secret.encode(), payload)
    if format == "hex":
        return d.hex()
    if format == "base64":
        return base64.b64encode(d).decode()
    return "sha256=" + d.hex()


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key of a secret: the base64-decoded rest of a
    ``whsec_`` secret, else the secret's bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def standard_sign(payload: bytes, secret: str, msg_id: str, timestamp: int) -> str:
    """The ``webhook-signature`` value for a message: ``v1,<base64>``."""
    d = _mac(standard_key(secret), f"{msg_id}.{timestamp}.".encode(), payload)
    return "v1," + base64.b64encode(d).decode()


def _hmac_matches(payload: bytes, secret: str, value: str, format: Optional[str]) -> bool:
    value = value.strip()
    d = _mac(secret.encode(), payload)
    hx = d.hex()
    if format == "hex":
        wants = [hx]
    elif format == "base64":
        wants = [base64.b64encode(d).decode()]
    elif format in ("sha256=hex", "sha256"):
        wants = ["sha256=" + hx, hx]
    else:  # any style Herald writes
        wants = ["sha256=" + hx, hx, base64.b64encode(d).decode()]
    ok = False
    for w in wants:
        ok |= hmac.compare_digest(value.encode(), w.encode())
    return ok


def _check_hmac(payload: bytes, h: Dict[str, str], secrets: Sequence[str], header: str, format: Optional[str]) -> None:
    value = h.get(header.lower(), "")
    if not value.strip():
        raise SignatureError("missing", f"{header} header missing")
    previous = h.get((header + PREVIOUS_SUFFIX).lower(), "").split()
    for secret in secrets:
        if _hmac_matches(payload, secret, value, format):
            return
        for old in previous:
            if _hmac_matches(payload, secret, old, format):
                return
    raise SignatureError("mismatch", f"{header} does not match the body and secret")


def _check_standard(payload: bytes, h: Dict[str, str], secrets: Sequence[str], tolerance: float,
                    now: Optional[float]) -> None:
    msg_id = h.get("webhook-id", "")
    ts = h.get("webhook-timestamp", "")
    sig = h.get("webhook-signature", "")
    for name, v in (("webhook-id", msg_id), ("webhook-timestamp", ts), ("webhook-signature", sig)):
        if not v.strip():
            raise SignatureError("missing", f"{name} header missing")
    try:
        ts_int = int(ts)
    except ValueError:
        raise SignatureError("stale", f"webhook-timestamp {ts[:32]!r} is not unix seconds") from None
    if tolerance and tolerance > 0:
        current = time.time() if now is None else now
        if abs(current - ts_int) > tolerance:
            raise SignatureError("stale", f"webhook-timestamp {ts_int} is more than {tolerance:g}s from now ({int(current)})")
    entries = [e.split(",", 1)[1] for e in sig.split() if e.startswith("v1,")]
    if not entries:
        raise SignatureError("mismatch", "webhook-signature has no v1 entry")
    for secret in secrets:
        want = base64.b64encode(_mac(standard_key(secret), f"{msg_id}.{ts}.".encode(), payload)).decode().encode()
        ok = False
        for e in entries:
            ok |= hmac.compare_digest(e.encode(), want)
        if ok:
            return
    raise SignatureError("mismatch", f"no webhook-signature entry matches ({len(entries)} v1 entries)")


def verify(payload: Union[bytes, str], headers: HeadersLike, secret: Union[str, Sequence[str]], *,
           header: str = DEFAULT_HEADER, format: Optional[str] = None, tolerance: float = DEFAULT_TOLERANCE,
           mode: str = "either", now: Optional[float] = None) -> Any:
    """Check that a delivery comes from Herald, and return its payload.

    ``payload`` is the request's exact body (bytes; a str is UTF-8 encoded),
    ``headers`` its headers (any mapping or list of pairs; names are matched
    case-insensitively) and ``secret`` the webhook's secret, or a list of
    secrets any of which may match.

    ``mode`` picks the signatures checked:

    * ``"either"`` (the default): the Standard Webhooks headers when any of
      them is present (their verdict is final), else the signature header;
    * ``"hmac"``: the signature header ``header`` (default
      ``X-Webhook-Signature``) alone, and its ``-Previous`` twin;
    * ``"standard"``: the Standard Webhooks headers alone;
    * ``"both"``: both must verify.

    ``format`` is the webhook's ``signature_format`` (``"sha256=hex"``,
    ``"hex"`` or ``"base64"``); ``None`` accepts each. ``tolerance`` is how
    many seconds ``webhook-timestamp`` may be from ``now`` (default the
    current time), 300 by default; 0 turns the check off.

    Returns the payload decoded from JSON (the bytes themselves when they are
    not JSON). Raises :class:`SignatureError` whose ``reason`` is
    ``"missing"``, ``"mismatch"`` or ``"stale"``.
    """
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets or not all(isinstance(s, str) and s for s in secrets):
        raise ValueError("verify: secret must be a non-empty string (or a list of them)")
    h = _headers(headers)
    has_standard = any(h.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if mode == "either":
        if has_standard:
            _check_standard(body, h, secrets, tolerance, now)
        else:
            _check_hmac(body, h, secrets, header, format)
    elif mode == "hmac":
        _check_hmac(body, h, secrets, header, format)
    elif mode == "standard":
        _check_standard(body, h, secrets, tolerance, now)
    elif mode == "both":
        _check_standard(body, h, secrets, tolerance, now)
        _check_hmac(body, h, secrets, header, format)
    else:
        raise ValueError(f"verify: mode must be either, hmac, standard or both, got {mode!r}")
    try:
        return json.loads(body)
    except ValueError:
        return body
