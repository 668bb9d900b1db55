"""The API's resources. Each method builds a :class:`Call`; the client's
transport sends it, so the same classes serve the sync client (which returns
results) and the async client (whose methods return awaitables)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Type, TypeVar
from urllib.parse import quote

from . import models as m
from ._transport import WEBHOOK_TEST_TIMEOUT, Call

T = TypeVar("T", bound=m.Model)


def _seg(what: str, v: Any) -> str:
    """Escape one path segment, refusing those that would change the route."""
    s = "" if v is None else str(v)
    if s in ("", ".", ".."):
        raise ValueError(f"{what}: must be a non-empty id, got {s!r}")
    return quote(s, safe="")


def _body(**fields: Any) -> Dict[str, Any]:
    """The fields given (not None), as a JSON object."""
    return {k: v for k, v in fields.items() if v is not None}


def _one(kind: Type[T], **set_: Any) -> Callable[[int, Any], T]:
    def parse(status: int, data: Any) -> T:
        obj = kind.from_dict(data or {})
        for k, v in set_.items():
            setattr(obj, k, v(status) if callable(v) else v)
        return obj
    return parse


def _page(kind: Type[T], key: str = "items") -> Callable[[int, Any], "m.Page[T]"]:
    return lambda status, data: m.page_of(kind, data or {}, key)


def _nothing(status: int, data: Any) -> None:
    return None


def _when(v: Any) -> Any:
    """A time for a request body: a datetime as RFC 3339, anything else as
    given (an RFC 3339 string, "now", or a duration back such as "2h")."""
    return v.isoformat() if hasattr(v, "isoformat") else v


# UNSET marks an argument left out, where None means JSON null.
_UNSET: Any = object()


class Resource:
    """A group of routes; ``_do`` sends a call through the client."""

    def __init__(self, dispatch: Callable[[Call], Any]) -> None:
        self._dispatch = dispatch

    def _do(self, method: str, path: str, parse: Callable[[int, Any], Any], params: Optional[Dict[str, Any]] = None,
            body: Any = None, min_timeout: Optional[float] = None) -> Any:
        return self._dispatch(Call(method, path, parse, params or {}, body, min_timeout))


class Webhooks(Resource):
    """Outbound webhooks and their deliveries (``/v1/webhooks``)."""

    def create(self, *, url: str, events: List[str], secret: Optional[str] = None, is_active: Optional[bool] = None,
               name: Optional[str] = None, description: Optional[str] = None, agent_id: Optional[str] = None,
               headers: Optional[Mapping[str, str]] = None, timeout_seconds: Optional[int] = None,
               max_retries: Optional[int] = None, retry_schedule: Optional[List[str]] = None,
               verify_ssl: Optional[bool] = None, signature_header: Optional[str] = None,
               signature_format: Optional[str] = None, tenant_id: Optional[str] = None,
               all_tenants: Optional[bool] = None, enabled: Optional[bool] = None,
               ordering: Optional[str] = None) -> m.Webhook:
        """Register a webhook (POST /v1/webhooks). Fields left out take the
        server's defaults (active, 30 s timeout, 3 retries, SSL verified,
        X-Webhook-Signature in sha256=hex, a generated ``whsec_`` secret,
        ``ordering`` none). ``ordering`` ``"fifo"`` delivers one event at a
        time in the order they were accepted; ``"key"`` keeps that order among
        the events of one ``ordering_key``. The answer is the only one that
        carries ``secret``, with ``warnings`` for patterns that match no type
        of the event catalogue."""
        body = _body(url=url, events=list(events), secret=secret, is_active=is_active, name=name,
                     description=description, agent_id=agent_id, headers=dict(headers) if headers is not None else None,
                     timeout_seconds=timeout_seconds, max_retries=max_retries, retry_schedule=retry_schedule,
                     verify_ssl=verify_ssl, signature_header=signature_header, signature_format=signature_format,
                     tenant_id=tenant_id, all_tenants=all_tenants, enabled=enabled, ordering=ordering)
        return self._do("POST", "/v1/webhooks", _one(m.Webhook), body=body)

    def list(self, *, skip: Optional[int] = None, limit: Optional[int] = None, agent_id: Optional[str] = None,
             tenant_id: Optional[str] = None) -> "m.Page[m.Webhook]":
        """A page of webhooks, newest first (GET /v1/webhooks); secrets are
        never included."""
        return self._do("GET", "/v1/webhooks", _page(m.Webhook),
                        params=dict(skip=skip, limit=limit, agent_id=agent_id, tenant_id=tenant_id))

    def get(self, webhook_id: str) -> m.Webhook:
        """One webhook, without its secret (GET /v1/webhooks/{id})."""
        return self._do("GET", "/v1/webhooks/" + _seg("webhook_id", webhook_id), _one(m.Webhook))

    def update(self, webhook_id: str, *, url: Optional[str] = None, events: Optional[List[str]] = None,
               secret: Optional[str] = None, is_active: Optional[bool] = None, name: Optional[str] = None,
               description: Optional[str] = None, agent_id: Optional[str] = None,
               headers: Optional[Mapping[str, str]] = None, timeout_seconds: Optional[int] = None,
               max_retries: Optional[int] = None, retry_schedule: Optional[List[str]] = None,
               verify_ssl: Optional[bool] = None, signature_header: Optional[str] = None,
               signature_format: Optional[str] = None, all_tenants: Optional[bool] = None,
               enabled: Optional[bool] = None, ordering: Optional[str] = None) -> m.Webhook:
        """Change the fields given and keep the others (PATCH
        /v1/webhooks/{id}); ``events``, ``headers`` and ``retry_schedule``
        replace the whole list."""
        body = _body(url=url, events=events, secret=secret, is_active=is_active, name=name, description=description,
                     agent_id=agent_id, headers=dict(headers) if headers is not None else None,
                     timeout_seconds=timeout_seconds, max_retries=max_retries, retry_schedule=retry_schedule,
                     verify_ssl=verify_ssl, signature_header=signature_header, signature_format=signature_format,
                     all_tenants=all_tenants, enabled=enabled, ordering=ordering)
        return self._do("PATCH", "/v1/webhooks/" + _seg("webhook_id", webhook_id), _one(m.Webhook), body=body)

    def delete(self, webhook_id: str) -> None:
        """Delete a webhook and its delivery history (DELETE
        /v1/webhooks/{id})."""
        return self._do("DELETE", "/v1/webhooks/" + _seg("webhook_id", webhook_id), _nothing)

    def enable(self, webhook_id: str) -> m.Webhook:
        """Turn a webhook on (``update(webhook_id, is_active=True)``)."""
        return self.update(webhook_id, is_active=True)

    def disable(self, webhook_id: str) -> m.Webhook:
        """Turn a webhook off (``update(webhook_id, is_active=False)``)."""
        return self.update(webhook_id, is_active=False)

    def test(self, webhook_id: str, *, event_type: Optional[str] = None) -> m.TestResult:
        """Send a ``webhook.test`` event (or the catalogue's example of
        ``event_type``) to this webhook alone and wait for its first attempt
        (POST /v1/webhooks/{id}/test). The call is allowed at least 360 s,
        whatever the client's timeout."""
        return self._do("POST", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/test",
                        _one(m.TestResult, pending=lambda status: status == 202),
                        body=_body(event_type=event_type), min_timeout=WEBHOOK_TEST_TIMEOUT)

    def get_deliveries(self, webhook_id: str, *, skip: Optional[int] = None, limit: Optional[int] = None,
                       event: Optional[str] = None, success: Optional[bool] = None, status: Optional[str] = None,
                       since: Any = None, until: Any = None) -> "m.Page[m.Delivery]":
        """A page of a webhook's deliveries, newest first (GET
        /v1/webhooks/{id}/deliveries): of one ``event`` type, ``success`` true
        or false, ``status`` pending, success or failed, created ``since`` and
        ``until`` (a datetime, an RFC 3339 string or a duration such as
        ``"2h"``)."""
        return self._do("GET", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/deliveries", _page(m.Delivery),
                        params=dict(skip=skip, limit=limit, event=event, success=success, status=status,
                                    since=since, until=until))

    def get_delivery(self, webhook_id: str, delivery_id: str) -> m.Delivery:
        """One delivery with every attempt in ``attempt_list`` (GET
        /v1/webhooks/{id}/deliveries/{delivery_id})."""
        return self._do("GET", _delivery_path(webhook_id, delivery_id), _one(m.Delivery))

    def retry_delivery(self, webhook_id: str, delivery_id: str) -> m.Delivery:
        """Send a delivery again now, also after it failed (POST
        .../deliveries/{delivery_id}/retry)."""
        return self._do("POST", _delivery_path(webhook_id, delivery_id) + "/retry", _one(m.Delivery))

    def rotate_secret(self, webhook_id: str, *, secret: Optional[str] = None,
                      grace_period: Optional[str] = None) -> m.Webhook:
        """Replace the secret (generated unless given); the old one keeps
        signing for ``grace_period`` (default ``"24h"``, at most ``"7d"``).
        The answer is the only one that carries the new secret (POST
        /v1/webhooks/{id}/secret/rotate)."""
        return self._do("POST", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/secret/rotate",
                        _one(m.Webhook), body=_body(secret=secret, grace_period=grace_period))

    def health(self, webhook_id: str) -> m.WebhookHealth:
        """Success rates over 1h, 24h and 7d, latency and failing streak
        (GET /v1/webhooks/{id}/health)."""
        return self._do("GET", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/health", _one(m.WebhookHealth))

    def recover(self, webhook_id: str, since: Any, until: Any = None) -> m.OperationResult:
        """Queue a new attempt of every delivery of the webhook that ended
        failed between ``since`` and ``until`` (default now), as an operation
        (POST /v1/webhooks/{id}/recover). Each bound is a datetime, an RFC
        3339 string, ``"now"`` or a duration back such as ``"2h"``. The
        answer's ``count`` is how many deliveries it will queue; follow
        ``operation`` with ``operations.get`` or ``operations.wait``."""
        return self._do("POST", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/recover",
                        _one(m.OperationResult), body=_body(since=_when(since), until=_when(until)))

    def replay_missing(self, webhook_id: str, since: Any, until: Any = None) -> m.OperationResult:
        """Send the webhook the events published between ``since`` and
        ``until`` (default now) that match it now but never went to it, as an
        operation (POST /v1/webhooks/{id}/replay-missing); bounds as in
        :meth:`recover`."""
        return self._do("POST", "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/replay-missing",
                        _one(m.OperationResult), body=_body(since=_when(since), until=_when(until)))


def _delivery_path(webhook_id: str, delivery_id: str) -> str:
    return "/v1/webhooks/" + _seg("webhook_id", webhook_id) + "/deliveries/" + _seg("delivery_id", delivery_id)


class Deliveries(Resource):
    """A webhook's deliveries (``/v1/webhooks/{id}/deliveries``)."""

    def list(self, webhook_id: str, *, skip: Optional[int] = None, limit: Optional[int] = None,
             event: Optional[str] = None, success: Optional[bool] = None, status: Optional[str] = None,
             since: Any = None, until: Any = None) -> "m.Page[m.Delivery]":
        """Same as ``webhooks.get_deliveries``."""
        return Webhooks.get_deliveries(self, webhook_id, skip=skip, limit=limit, event=event,  # type: ignore[arg-type]
                                       success=success, status=status, since=since, until=until)

    def get(self, webhook_id: str, delivery_id: str) -> m.Delivery:
        """One delivery with every attempt in ``attempt_list``."""
        return self._do("GET", _delivery_path(webhook_id, delivery_id), _one(m.Delivery))

    def retry(self, webhook_id: str, delivery_id: str) -> m.Delivery:
        """Send a delivery again now, also after it failed."""
        return self._do("POST", _delivery_path(webhook_id, delivery_id) + "/retry", _one(m.Delivery))

    def stats(self, webhook_id: Optional[str] = None, window: str = "24h") -> m.DeliveryStats:
        """Deliveries per bucket by outcome with p50/p95 attempt latency
        (GET /v1/deliveries/stats), of one webhook or of every webhook the
        key reaches; ``window`` is 1h, 24h (the default) or 7d."""
        return self._do("GET", "/v1/deliveries/stats", _one(m.DeliveryStats),
                        params=dict(webhook_id=webhook_id, window=window))


class Events(Resource):
    """Events (``/v1/events``)."""

    def publish(self, type: str, data: Any = None, *, id: Optional[str] = None,
                tenant_id: Optional[str] = None, ordering_key: Optional[str] = None) -> m.PublishResult:
        """Publish an event to every matching webhook (POST /v1/events).
        ``id`` is an idempotency key: publishing it again returns the first
        event with ``duplicate`` true and delivers nothing new.
        ``ordering_key`` orders the event's deliveries to webhooks of
        ordering ``"key"`` among the events of the same key."""
        body = _body(type=type, data=data if data is not None else {}, id=id, tenant_id=tenant_id,
                     ordering_key=ordering_key)
        return self._do("POST", "/v1/events", _one(m.PublishResult, duplicate=lambda status: status == 200), body=body)

    send = publish

    def list(self, *, type: Optional[str] = None, agent_id: Optional[str] = None, skip: Optional[int] = None,
             limit: Optional[int] = None, tenant_id: Optional[str] = None) -> "m.Page[m.Event]":
        """A page of events, newest first (GET /v1/events)."""
        return self._do("GET", "/v1/events", _page(m.Event),
                        params=dict(type=type, agent_id=agent_id, skip=skip, limit=limit, tenant_id=tenant_id))

    def get(self, event_id: str) -> m.Event:
        """One event with its ``deliveries`` (GET /v1/events/{id})."""
        return self._do("GET", "/v1/events/" + _seg("event_id", event_id), _one(m.Event))

    def replay(self, event_id: str, webhook_ids: Optional[List[str]] = None) -> m.OperationResult:
        """Send a past event again, as new deliveries, to ``webhook_ids`` or
        (None) to every webhook that matches it now, as an operation (POST
        /v1/events/{id}/replay)."""
        body = _body(webhook_ids=list(webhook_ids) if webhook_ids is not None else None)
        return self._do("POST", "/v1/events/" + _seg("event_id", event_id) + "/replay", _one(m.OperationResult),
                        body=body)


class Operations(Resource):
    """Operations: the bulk re-sends that recover, replay and
    replay-missing start (``/v1/operations``)."""

    def list(self, *, skip: Optional[int] = None, limit: Optional[int] = None) -> "m.Page[m.Operation]":
        """A page of operations, newest first."""
        return self._do("GET", "/v1/operations", _page(m.Operation), params=dict(skip=skip, limit=limit))

    def get(self, operation_id: str) -> m.Operation:
        """One operation and its progress."""
        return self._do("GET", "/v1/operations/" + _seg("operation_id", operation_id), _one(m.Operation))

    def wait(self, operation_id: str, *, interval: float = 0.5, timeout: Optional[float] = 300) -> m.Operation:
        """Poll the operation every ``interval`` seconds until it has
        succeeded or failed, and return it; after ``timeout`` seconds (300;
        None: no bound) raise TimeoutError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            op = self.get(operation_id)
            if op.finished:
                return op
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"operation {operation_id} is still {op.status} after {timeout}s")
            time.sleep(interval)


class Stats(Resource):
    """The database's size (GET /v1/stats, platform admin keys only)."""

    def get(self) -> m.Stats:
        """Rows and bytes of every table and the database's total."""
        return self._do("GET", "/v1/stats", _one(m.Stats))


class EventTypes(Resource):
    """The event catalogue (``/v1/event-types``); platform admin keys
    change it."""

    def list(self, *, prefix: Optional[str] = None) -> "m.Page[m.EventType]":
        """Every type, by name, or those starting with ``prefix``."""
        return self._do("GET", "/v1/event-types", _page(m.EventType), params=dict(prefix=prefix))

    def get(self, name: str) -> m.EventType:
        """One type with every version."""
        return self._do("GET", "/v1/event-types/" + _seg("name", name), _one(m.EventType))

    def put(self, name: str, *, description: str, schema: Any = None, example: Any = None,
            deprecated: bool = False) -> m.EventType:
        """Create a type (``created`` true) or write its next version (PUT
        /v1/event-types/{name})."""
        body = {"description": description, "schema": schema, "example": example, "deprecated": deprecated}
        return self._do("PUT", "/v1/event-types/" + _seg("name", name),
                        _one(m.EventType, created=lambda status: status == 201), body=body)

    def delete(self, name: str) -> None:
        """Delete a type and its history."""
        return self._do("DELETE", "/v1/event-types/" + _seg("name", name), _nothing)


class Keys(Resource):
    """API keys (``/v1/keys``)."""

    def create(self, *, name: str, scope: Optional[str] = None, tenant_id: Optional[str] = None) -> m.APIKey:
        """Make a key of scope ``admin`` or ``ingest`` (the default); the
        plain ``key`` is in this answer only."""
        return self._do("POST", "/v1/keys", _one(m.APIKey), body=_body(name=name, scope=scope, tenant_id=tenant_id))

    def list(self) -> "m.Page[m.APIKey]":
        """Every key the client's key sees, revoked ones included."""
        return self._do("GET", "/v1/keys", _page(m.APIKey))

    def revoke(self, key_id: str) -> None:
        """Revoke a key at once (DELETE /v1/keys/{id})."""
        return self._do("DELETE", "/v1/keys/" + _seg("key_id", key_id), _nothing)

    delete = revoke


class Tenants(Resource):
    """Tenants, the platform's customers (``/v1/tenants``, platform admin
    keys only)."""

    def put(self, tenant_id: str, *, name: Optional[str] = None, metadata: Any = None,
            retention: Any = _UNSET) -> m.Tenant:
        """Create the tenant (``created`` true) or update its name, metadata
        and retention (PUT /v1/tenants/{id}); those left out keep their
        value. ``retention`` is how long its events are kept, such as
        ``"7d"`` (``"0"`` keeps everything); None makes it follow the
        server's ``--retention``."""
        body = _body(name=name, metadata=metadata)
        if retention is not _UNSET:
            body["retention"] = retention
        return self._do("PUT", "/v1/tenants/" + _seg("tenant_id", tenant_id),
                        _one(m.Tenant, created=lambda status: status == 201), body=body)

    create = put

    def get(self, tenant_id: str) -> m.Tenant:
        """One tenant with the ``counts`` of its webhooks and agents."""
        return self._do("GET", "/v1/tenants/" + _seg("tenant_id", tenant_id), _one(m.Tenant))

    def list(self, *, skip: Optional[int] = None, limit: Optional[int] = None) -> "m.Page[m.Tenant]":
        """A page of tenants, by id."""
        return self._do("GET", "/v1/tenants", _page(m.Tenant), params=dict(skip=skip, limit=limit))

    def delete(self, tenant_id: str) -> None:
        """Delete the tenant and everything it owns."""
        return self._do("DELETE", "/v1/tenants/" + _seg("tenant_id", tenant_id), _nothing)

    def portal(self, tenant_id: str, *, expires_in: Optional[str] = None, capabilities: Optional[List[str]] = None,
               agent_id: Optional[str] = None, event_types: Optional[List[str]] = None) -> m.PortalLink:
        """A signed link to the tenant's portal (POST
        /v1/tenants/{id}/portal); ``expires_in`` defaults to ``"1h"``."""
        body = _body(expires_in=expires_in, capabilities=capabilities, agent_id=agent_id, event_types=event_types)
        return self._do("POST", "/v1/tenants/" + _seg("tenant_id", tenant_id) + "/portal", _one(m.PortalLink),
                        body=body)


class Agents(Resource):
    """Agents, their logs, metrics and deployments (``/v1/agents``)."""

    def list(self, *, status: Optional[str] = None, skip: Optional[int] = None, limit: Optional[int] = None,
             tenant_id: Optional[str] = None) -> "m.Page[m.Agent]":
        """A page of agents, most recently seen first."""
        return self._do("GET", "/v1/agents", _page(m.Agent),
                        params=dict(status=status, skip=skip, limit=limit, tenant_id=tenant_id))

    def get(self, agent_id: str) -> m.Agent:
        """One agent."""
        return self._do("GET", "/v1/agents/" + _seg("agent_id", agent_id), _one(m.Agent))

    def create(self, *, id: str, name: Optional[str] = None, runtime: Optional[Mapping[str, Any]] = None,
               tenant_id: Optional[str] = None) -> m.Agent:
        """Register an agent with its runtime, such as ``{"type": "echo"}``
        (POST /v1/agents)."""
        body = _body(id=id, name=name, runtime=dict(runtime) if runtime is not None else None, tenant_id=tenant_id)
        return self._do("POST", "/v1/agents", _one(m.Agent), body=body)

    def update(self, agent_id: str, *, name: Optional[str] = None,
               runtime: Optional[Mapping[str, Any]] = None) -> m.Agent:
        """Set an agent's name and runtime (PATCH /v1/agents/{id})."""
        body = _body(name=name, runtime=dict(runtime) if runtime is not None else None)
        return self._do("PATCH", "/v1/agents/" + _seg("agent_id", agent_id), _one(m.Agent), body=body)

    def logs(self, agent_id: str, *, since: Any = None, limit: Optional[int] = None) -> m.AgentLogs:
        """An agent's log lines, oldest first (50, at most 1000); ``since`` is
        a datetime, an RFC 3339 string or a duration such as ``"1h"``."""
        return self._do("GET", "/v1/agents/" + _seg("agent_id", agent_id) + "/logs", _one(m.AgentLogs),
                        params=dict(since=since, limit=limit))

    def metrics(self, agent_id: str, *, name: Optional[str] = None, since: Any = None, until: Any = None,
                step: Optional[str] = None, limit: Optional[int] = None) -> m.AgentMetrics:
        """An agent's metric ``points``, or with ``step`` (such as ``"10m"``)
        ``buckets`` of avg, min, max and count."""
        return self._do("GET", "/v1/agents/" + _seg("agent_id", agent_id) + "/metrics", _one(m.AgentMetrics),
                        params=dict(name=name, since=since, until=until, step=step, limit=limit))

    def deployments(self, agent_id: str, *, status: Optional[str] = None, skip: Optional[int] = None,
                    limit: Optional[int] = None) -> "m.Page[m.Deployment]":
        """A page of one agent's deployments, most recently updated first."""
        return self._do("GET", "/v1/deployments", _page(m.Deployment),
                        params=dict(agent_id=agent_id, status=status, skip=skip, limit=limit))


class Deployments(Resource):
    """Deployments agents reported (``/v1/deployments``)."""

    def list(self, *, agent_id: Optional[str] = None, status: Optional[str] = None, skip: Optional[int] = None,
             limit: Optional[int] = None) -> "m.Page[m.Deployment]":
        """A page of deployments, most recently updated first."""
        return self._do("GET", "/v1/deployments", _page(m.Deployment),
                        params=dict(agent_id=agent_id, status=status, skip=skip, limit=limit))

    def get(self, deployment_id: str) -> m.Deployment:
        """One deployment with its status ``history``."""
        return self._do("GET", "/v1/deployments/" + _seg("deployment_id", deployment_id), _one(m.Deployment))


class Ingest(Resource):
    """Agents' reports (``/v1/ingest``): an ingest or admin key, or a JWT
    passed as ``api_key``."""

    def agent_status(self, *, agent_id: str, status: str, node_id: Optional[str] = None, error: Optional[str] = None,
                     reason: Optional[str] = None, logs: Optional[List[Any]] = None, metadata: Any = None,
                     tenant_id: Optional[str] = None) -> m.IngestResult:
        """Report an agent's status (POST /v1/ingest/agent-status); ``logs``
        are strings or ``{"level", "message", "timestamp"}`` objects."""
        body = _body(agent_id=agent_id, status=status, node_id=node_id, error=error, reason=reason, logs=logs,
                     metadata=metadata, tenant_id=tenant_id)
        return self._do("POST", "/v1/ingest/agent-status", _one(m.IngestResult), body=body)

    def deployment(self, *, deployment_id: str, agent_id: str, status: str, version: Optional[str] = None,
                   changes: Any = None, error: Optional[str] = None, reason: Optional[str] = None,
                   tenant_id: Optional[str] = None) -> m.IngestResult:
        """Report a deployment: created, started, updated, completed, failed
        or rolled_back (POST /v1/ingest/deployment)."""
        body = _body(deployment_id=deployment_id, agent_id=agent_id, status=status, version=version, changes=changes,
                     error=error, reason=reason, tenant_id=tenant_id)
        return self._do("POST", "/v1/ingest/deployment", _one(m.IngestResult), body=body)

    def metrics(self, *, agent_id: str, metrics: Mapping[str, float], timestamp: Any = None,
                tenant_id: Optional[str] = None) -> m.IngestResult:
        """Report named values of an agent (POST /v1/ingest/metrics)."""
        body = _body(agent_id=agent_id, metrics=dict(metrics), timestamp=timestamp, tenant_id=tenant_id)
        return self._do("POST", "/v1/ingest/metrics", _one(m.IngestResult), body=body)


class Alerts(Resource):
    """Alert rules (``/v1/alerts``)."""

    def create(self, *, metric: str, threshold: float, name: Optional[str] = None, description: Optional[str] = None,
               agg: Optional[str] = None, op: Optional[str] = None, window: Optional[str] = None,
               webhook_id: Optional[str] = None, agent_id: Optional[str] = None, is_active: Optional[bool] = None,
               tenant_id: Optional[str] = None) -> m.AlertRule:
        """Make an alert rule (POST /v1/alerts); ``op`` defaults to ``>=``,
        ``window`` to ``"5m"``."""
        body = _body(metric=metric, threshold=threshold, name=name, description=description, agg=agg, op=op,
                     window=window, webhook_id=webhook_id, agent_id=agent_id, is_active=is_active, tenant_id=tenant_id)
        return self._do("POST", "/v1/alerts", _one(m.AlertRule), body=body)

    def list(self, *, skip: Optional[int] = None, limit: Optional[int] = None) -> "m.Page[m.AlertRule]":
        """A page of alert rules with their state, newest first."""
        return self._do("GET", "/v1/alerts", _page(m.AlertRule), params=dict(skip=skip, limit=limit))

    def get(self, alert_id: str) -> m.AlertRule:
        """One alert rule with its state."""
        return self._do("GET", "/v1/alerts/" + _seg("alert_id", alert_id), _one(m.AlertRule))

    def update(self, alert_id: str, *, metric: Optional[str] = None, threshold: Optional[float] = None,
               name: Optional[str] = None, description: Optional[str] = None, agg: Optional[str] = None,
               op: Optional[str] = None, window: Optional[str] = None, webhook_id: Optional[str] = None,
               agent_id: Optional[str] = None, is_active: Optional[bool] = None) -> m.AlertRule:
        """Change the fields given and keep the others (PATCH /v1/alerts/{id})."""
        body = _body(metric=metric, threshold=threshold, name=name, description=description, agg=agg, op=op,
                     window=window, webhook_id=webhook_id, agent_id=agent_id, is_active=is_active)
        return self._do("PATCH", "/v1/alerts/" + _seg("alert_id", alert_id), _one(m.AlertRule), body=body)

    def delete(self, alert_id: str) -> None:
        """Delete an alert rule."""
        return self._do("DELETE", "/v1/alerts/" + _seg("alert_id", alert_id), _nothing)


class Inbound(Resource):
    """Named inbound webhooks (``/api/webhooks``) and the secrets of the
    built-in endpoints (``/v1/inbound/secrets``)."""

    def create(self, *, name: str, agent: str, secret: Optional[str] = None, description: Optional[str] = None,
               is_active: Optional[bool] = None, provider: Optional[str] = None,
               transform: Optional[Mapping[str, Any]] = None, filters: Optional[Mapping[str, Any]] = None,
               response_mode: Optional[str] = None, allowed_ips: Optional[List[str]] = None,
               rate_limit: Optional[Mapping[str, Any]] = None, bot_token: Optional[str] = None,
               tenant_id: Optional[str] = None) -> m.InboundWebhook:
        """Make a named inbound webhook (POST /api/webhooks); the answer holds
        its secret, generated when not given, this once."""
        body = _body(name=name, agent=agent, secret=secret, description=description, is_active=is_active,
                     provider=provider, transform=transform, filters=filters, response_mode=response_mode,
                     allowed_ips=allowed_ips, rate_limit=rate_limit, bot_token=bot_token, tenant_id=tenant_id)
        return self._do("POST", "/api/webhooks", _one(m.InboundWebhook), body=body)

    def list(self) -> "m.Page[m.InboundWebhook]":
        """Every named inbound webhook, by name, without secrets."""
        return self._do("GET", "/api/webhooks", _page(m.InboundWebhook, "webhooks"))

    def get(self, name: str) -> m.InboundWebhook:
        """One named inbound webhook."""
        return self._do("GET", "/api/webhooks/" + _seg("name", name), _one(m.InboundWebhook))

    def update(self, name: str, *, agent: str, secret: Optional[str] = None, description: Optional[str] = None,
               is_active: Optional[bool] = None, provider: Optional[str] = None,
               transform: Optional[Mapping[str, Any]] = None, filters: Optional[Mapping[str, Any]] = None,
               response_mode: Optional[str] = None, allowed_ips: Optional[List[str]] = None,
               rate_limit: Optional[Mapping[str, Any]] = None, bot_token: Optional[str] = None) -> m.InboundWebhook:
        """Replace its settings (PUT /api/webhooks/{name}); those left out
        take their defaults, the secret is kept unless given."""
        body = _body(name=name, agent=agent, secret=secret, description=description, is_active=is_active,
                     provider=provider, transform=transform, filters=filters, response_mode=response_mode,
                     allowed_ips=allowed_ips, rate_limit=rate_limit, bot_token=bot_token)
        return self._do("PUT", "/api/webhooks/" + _seg("name", name), _one(m.InboundWebhook), body=body)

    def delete(self, name: str) -> None:
        """Delete it and its request log."""
        return self._do("DELETE", "/api/webhooks/" + _seg("name", name), _nothing)

    def trigger(self, name: str, *, message: str, context: Optional[Mapping[str, Any]] = None,
                response_mode: Optional[str] = None) -> m.InboundResult:
        """Hand ``message`` to the webhook's agent with the admin key (POST
        /api/webhooks/{name}/trigger)."""
        body = _body(message=message, context=context, response_mode=response_mode)
        return self._do("POST", "/api/webhooks/" + _seg("name", name) + "/trigger", _one(m.InboundResult), body=body)

    def requests(self, name: str, *, verdict: Optional[str] = None,
                 limit: Optional[int] = None) -> "m.Page[m.InboundRequest]":
        """Its logged requests, newest first; ``verdict`` is accepted,
        filtered or rejected."""
        return self._do("GET", "/api/webhooks/" + _seg("name", name) + "/requests", _page(m.InboundRequest),
                        params=dict(verdict=verdict, limit=limit))

    def get_secret(self, name: str) -> m.InboundSecret:
        """Whether the built-in endpoint ``name`` (such as ``generic``) has
        its secret (GET /v1/inbound/secrets/{name})."""
        return self._do("GET", "/v1/inbound/secrets/" + _seg("name", name), _one(m.InboundSecret))

    def set_secret(self, name: str, secret: str) -> m.InboundSecret:
        """Set the secret of a built-in endpoint (PUT
        /v1/inbound/secrets/{name})."""
        return self._do("PUT", "/v1/inbound/secrets/" + _seg("name", name), _one(m.InboundSecret),
                        body={"secret": secret})

    def delete_secret(self, name: str) -> None:
        """Remove it: the endpoint then refuses every request."""
        return self._do("DELETE", "/v1/inbound/secrets/" + _seg("name", name), _nothing)


class Invocations(Resource):
    """Agent invocations (``/v1/invocations``)."""

    def list(self, *, agent: Optional[str] = None, status: Optional[str] = None, skip: Optional[int] = None,
             limit: Optional[int] = None) -> "m.Page[m.Invocation]":
        """A page of invocations, newest first; ``status`` is queued,
        running, completed, failed or timeout."""
        return self._do("GET", "/v1/invocations", _page(m.Invocation),
                        params=dict(agent=agent, status=status, skip=skip, limit=limit))

    def get(self, invocation_id: str) -> m.Invocation:
        """One invocation."""
        return self._do("GET", "/v1/invocations/" + _seg("invocation_id", invocation_id), _one(m.Invocation))


def asyncify(cls: type) -> type:
    """The async variant of a resource class: every public method also under
    its name prefixed with ``a`` (``acreate`` for ``create``)."""
    ns: Dict[str, Any] = {"__doc__": (cls.__doc__ or "") + " Every method returns an awaitable; ``aX`` is ``X``."}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        fn = getattr(cls, name)
        if callable(fn):
            ns["a" + name] = fn
    return type("Async" + cls.__name__, (cls,), ns)


AsyncWebhooks = asyncify(Webhooks)
AsyncDeliveries = asyncify(Deliveries)
AsyncEvents = asyncify(Events)
AsyncEventTypes = asyncify(EventTypes)
AsyncKeys = asyncify(Keys)
AsyncTenants = asyncify(Tenants)
AsyncAgents = asyncify(Agents)
AsyncDeployments = asyncify(Deployments)
AsyncIngest = asyncify(Ingest)
AsyncAlerts = asyncify(Alerts)
AsyncInbound = asyncify(Inbound)
AsyncInvocations = asyncify(Invocations)
AsyncStats = asyncify(Stats)


class AsyncOperations(asyncify(Operations)):  # type: ignore[misc]
    """Operations for the async client: every method returns an awaitable;
    ``wait`` polls with ``asyncio.sleep``."""

    async def wait(self, operation_id: str, *, interval: float = 0.5,  # type: ignore[override]
                   timeout: Optional[float] = 300) -> m.Operation:
        """Poll the operation every ``interval`` seconds until it has
        succeeded or failed, and return it; after ``timeout`` seconds (300;
        None: no bound) raise TimeoutError."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            op = await self.get(operation_id)
            if op.finished:
                return op
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"operation {operation_id} is still {op.status} after {timeout}s")
            await asyncio.sleep(interval)


# asyncify's "a" alias of wait ("await") must be the async one too.
setattr(AsyncOperations, "await", AsyncOperations.wait)
