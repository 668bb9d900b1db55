"""The clients: :class:`HeraldClient` (sync) and :class:`AsyncHeraldClient`."""

from __future__ import annotations

from typing import Any, Optional

import httpx

from . import _resources as r
from . import models as m
from ._transport import DEFAULT_MAX_RETRIES, AsyncTransport, SyncTransport

__all__ = ["HeraldClient", "AsyncHeraldClient", "MutxClient", "AsyncMutxClient"]


class HeraldClient:
    """A client of one Herald server.

    ``api_key`` defaults to the environment's ``HERALD_API_KEY`` and
    ``base_url`` to ``HERALD_URL``, else ``http://127.0.0.1:8420``.
    ``tenant`` scopes a platform admin key's calls to one tenant (sent as
    ``X-Herald-Tenant``). ``timeout`` bounds each call in seconds (30; 0 or
    less: no bound). Network errors of GET, PUT and DELETE are retried up to
    ``max_retries`` times (2) with backoff; POST and PATCH never are.

    Use it as a context manager, or call :meth:`close` when done::

        with HeraldClient() as client:
            webhook = client.webhooks.create(url="https://example.com/hook", events=["agent.*"])
    """

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, tenant: Optional[str] = None,
                 timeout: Optional[float] = 30, *, max_retries: int = DEFAULT_MAX_RETRIES,
                 http_client: Optional[httpx.Client] = None) -> None:
        self._transport = SyncTransport(api_key, base_url, tenant, timeout, max_retries, http_client=http_client)
        self._owns_http = http_client is None
        d = self._transport.dispatch
        #: Outbound webhooks and their deliveries.
        self.webhooks = r.Webhooks(d)
        #: A webhook's deliveries: list, get and retry.
        self.deliveries = r.Deliveries(d)
        #: Publishing and reading events.
        self.events = r.Events(d)
        #: The event catalogue.
        self.event_types = r.EventTypes(d)
        #: API keys.
        self.keys = r.Keys(d)
        #: Tenants and their portal links (platform admin keys).
        self.tenants = r.Tenants(d)
        #: Agents, their logs, metrics and deployments.
        self.agents = r.Agents(d)
        #: Deployments.
        self.deployments = r.Deployments(d)
        #: Agents' reports: agent_status, deployment and metrics.
        self.ingest = r.Ingest(d)
        #: Alert rules.
        self.alerts = r.Alerts(d)
        #: Named inbound webhooks and built-in endpoints' secrets.
        self.inbound = r.Inbound(d)
        #: Agent invocations.
        self.invocations = r.Invocations(d)
        #: Operations started by recover, replay and replay-missing.
        self.operations = r.Operations(d)
        self._stats = r.Stats(d)

    @property
    def base_url(self) -> str:
        """The server's URL, without a trailing slash."""
        return self._transport.base_url

    @property
    def tenant(self) -> Optional[str]:
        """The tenant the client is scoped to, or None."""
        return self._transport.tenant

    def for_tenant(self, tenant: Optional[str]) -> "HeraldClient":
        """A client like this one, scoped to ``tenant`` (None: unscoped),
        sharing its connections."""
        t = self._transport
        c = HeraldClient(t.api_key, t.base_url, tenant, t.timeout, max_retries=t.max_retries, http_client=t.http)
        return c

    def close(self) -> None:
        """Close the client's connections."""
        if self._owns_http:
            self._transport.close()

    def stats(self) -> "m.Stats":
        """Rows and bytes of every table of the database (GET /v1/stats,
        platform admin keys only)."""
        return self._stats.get()

    def __enter__(self) -> "HeraldClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncHeraldClient:
    """The asyncio client, with the arguments of :class:`HeraldClient`.

    Every method returns an awaitable, under its name and with an ``a``
    prefix (``await client.webhooks.create(...)`` or ``await
    client.webhooks.acreate(...)``). Close it with ``await client.close()``
    (or ``aclose()``), or use it with ``async with``.
    """

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, tenant: Optional[str] = None,
                 timeout: Optional[float] = 30, *, max_retries: int = DEFAULT_MAX_RETRIES,
                 http_client: Optional[httpx.AsyncClient] = None) -> None:
        self._transport = AsyncTransport(api_key, base_url, tenant, timeout, max_retries, http_client=http_client)
        self._owns_http = http_client is None
        d = self._transport.dispatch
        self.webhooks: Any = r.AsyncWebhooks(d)
        self.deliveries: Any = r.AsyncDeliveries(d)
        self.events: Any = r.AsyncEvents(d)
        self.event_types: Any = r.AsyncEventTypes(d)
        self.keys: Any = r.AsyncKeys(d)
        self.tenants: Any = r.AsyncTenants(d)
        self.agents: Any = r.AsyncAgents(d)
        self.deployments: Any = r.AsyncDeployments(d)
        self.ingest: Any = r.AsyncIngest(d)
        self.alerts: Any = r.AsyncAlerts(d)
        self.inbound: Any = r.AsyncInbound(d)
        self.invocations: Any = r.AsyncInvocations(d)
        self.operations: Any = r.AsyncOperations(d)
        self._stats: Any = r.AsyncStats(d)

    @property
    def base_url(self) -> str:
        """The server's URL, without a trailing slash."""
        return self._transport.base_url

    @property
    def tenant(self) -> Optional[str]:
        """The tenant the client is scoped to, or None."""
        return self._transport.tenant

    def for_tenant(self, tenant: Optional[str]) -> "AsyncHeraldClient":
        """A client like this one, scoped to ``tenant``, sharing its
        connections."""
        t = self._transport
        return AsyncHeraldClient(t.api_key, t.base_url, tenant, t.timeout, max_retries=t.max_retries,
                                 http_client=t.http)

    async def close(self) -> None:
        """Close the client's connections."""
        if self._owns_http:
            await self._transport.close()

    aclose = close

    async def stats(self) -> "m.Stats":
        """Rows and bytes of every table of the database (GET /v1/stats,
        platform admin keys only)."""
        return await self._stats.get()

    async def __aenter__(self) -> "AsyncHeraldClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


#: MUTX's name for :class:`HeraldClient`.
MutxClient = HeraldClient
#: MUTX's name for :class:`AsyncHeraldClient`.
AsyncMutxClient = AsyncHeraldClient
