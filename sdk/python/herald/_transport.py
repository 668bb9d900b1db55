"""HTTP transport shared by the sync and async clients: building requests,
retrying network errors of idempotent requests with backoff, and turning
error answers into exceptions."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import httpx

from .errors import HeraldConnectionError, error_from_answer

#: Where ``herald serve`` listens unless told otherwise.
DEFAULT_BASE_URL = "http://127.0.0.1:8420"
#: Seconds each call may take, reading the answer included.
DEFAULT_TIMEOUT = 30.0
#: Retries of an idempotent request (GET, PUT, DELETE) after a network error.
DEFAULT_MAX_RETRIES = 2
#: The header that scopes a platform admin key's request to one tenant.
TENANT_HEADER = "X-Herald-Tenant"
#: The least time webhooks.test allows a call: the server waits for the
#: first attempt up to the webhook's timeout (at most 300 s) plus 15 s.
WEBHOOK_TEST_TIMEOUT = 360.0

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

try:
    from importlib.metadata import version as _version

    __version__ = _version("herald-sdk")
except Exception:  # not installed: run from the source tree
    __version__ = "0.1.0"

USER_AGENT = f"herald-python/{__version__}"


@dataclass
class Call:
    """One API call: the method, the escaped path from ``/v1/...``, the query
    parameters (``None`` values left out), the JSON body (``None`` for none),
    how to build the result from ``(status, decoded JSON)``, and a least
    timeout for the call."""

    method: str
    path: str
    parse: Callable[[int, Any], Any]
    params: Dict[str, Any] = field(default_factory=dict)
    body: Any = None
    min_timeout: Optional[float] = None


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): 0.25 s
    doubled each time, at most 4 s, with ±25% jitter."""
    base = min(4.0, 0.25 * (2 ** attempt))
    return base * random.uniform(0.75, 1.25)


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


class Transport:
    """Settings and request building shared by both clients."""

    def __init__(self, api_key: Optional[str], base_url: Optional[str], tenant: Optional[str],
                 timeout: Optional[float], max_retries: int) -> None:
        if api_key is None:
            api_key = os.environ.get("HERALD_API_KEY", "")
        if base_url is None:
            base_url = os.environ.get("HERALD_URL") or DEFAULT_BASE_URL
        base_url = base_url.strip() or DEFAULT_BASE_URL
        if "://" not in base_url:
            base_url = "http://" + base_url
        self.api_key = (api_key or "").strip()
        self.base_url = base_url.rstrip("/")
        self.tenant = (tenant or "").strip() or None
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self.max_retries = max(0, int(max_retries))

    def headers(self) -> Dict[str, str]:
        h = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            h["Authorization"] = "Bearer " + self.api_key
        if self.tenant:
            h[TENANT_HEADER] = self.tenant
        return h

    def build(self, call: Call) -> Tuple[str, str, Dict[str, str], Dict[str, str], Optional[bytes], float]:
        params = {k: _query_value(v) for k, v in call.params.items() if v is not None}
        headers = self.headers()
        content = None
        if call.body is not None:
            content = json.dumps(call.body, default=_query_value).encode()
            headers["Content-Type"] = "application/json"
        timeout = self.timeout
        if call.min_timeout and timeout and call.min_timeout > timeout:
            timeout = call.min_timeout
        return call.method, self.base_url + call.path, params, headers, content, timeout

    @staticmethod
    def finish(call: Call, resp: httpx.Response) -> Any:
        text = resp.text
        data: Any = None
        if text.strip():
            try:
                data = json.loads(text)
            except ValueError:
                data = None
        if resp.status_code < 200 or resp.status_code > 299:
            raise error_from_answer(resp.status_code, data, text, resp.headers.get("Retry-After"))
        return call.parse(resp.status_code, data)

    @staticmethod
    def unreachable(method: str, url: str, err: Exception) -> HeraldConnectionError:
        what = "no answer from Herald in time" if isinstance(err, httpx.TimeoutException) else "cannot reach Herald"
        return HeraldConnectionError(f"{what}: {method} {url}: {err!r}")


class SyncTransport(Transport):
    """Sends calls with an ``httpx.Client``."""

    def __init__(self, *args: Any, http_client: Optional[httpx.Client] = None) -> None:
        super().__init__(*args)
        self.http = http_client or httpx.Client()

    def dispatch(self, call: Call) -> Any:
        method, url, params, headers, content, timeout = self.build(call)
        attempt = 0
        while True:
            try:
                resp = self.http.request(method, url, params=params, headers=headers, content=content,
                                         timeout=timeout or None)
            except httpx.TransportError as err:
                if method in IDEMPOTENT and attempt < self.max_retries:
                    time.sleep(backoff(attempt))
                    attempt += 1
                    continue
                raise self.unreachable(method, url, err) from err
            return self.finish(call, resp)

    def close(self) -> None:
        self.http.close()


class AsyncTransport(Transport):
    """Sends calls with an ``httpx.AsyncClient``."""

    def __init__(self, *args: Any, http_client: Optional[httpx.AsyncClient] = None) -> None:
        super().__init__(*args)
        self.http = http_client or httpx.AsyncClient()

    async def dispatch(self, call: Call) -> Any:
        method, url, params, headers, content, timeout = self.build(call)
        attempt = 0
        while True:
            try:
                resp = await self.http.request(method, url, params=params, headers=headers, content=content,
                                               timeout=timeout or None)
            except httpx.TransportError as err:
                if method in IDEMPOTENT and attempt < self.max_retries:
                    await asyncio.sleep(backoff(attempt))
                    attempt += 1
                    continue
                raise self.unreachable(method, url, err) from err
            return self.finish(call, resp)

    async def close(self) -> None:
        await self.http.aclose()
