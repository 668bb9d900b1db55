"""The typed results of the Herald API: dataclasses with attribute access.

Every model is built with ``Model.from_dict`` from the server's JSON: the
fields it knows become attributes (times as timezone-aware ``datetime``),
and any other field the server sends is kept in ``extra``, so a newer
server never breaks an older SDK. Lists of results are :class:`Page`:
iterate over it, index it, and read ``.total``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Dict, Generic, Iterator, List, Optional, Tuple, Type, TypeVar

T = TypeVar("T", bound="Model")

_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_time(v: Any) -> Any:
    """Parse an RFC 3339 time into an aware ``datetime``; anything else is
    returned unchanged."""
    if not isinstance(v, str):
        return v
    m = _TIME.match(v)
    if not m:
        return v
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if tz in ("Z", "z"):
        tzinfo = timezone.utc
    else:
        sign = 1 if tz[0] == "+" else -1
        tzinfo = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    try:
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=tzinfo)
    except ValueError:
        return v


class Model:
    """Base of every result type. ``extra`` holds the fields of the answer
    that the class does not name."""

    # Fields holding one nested model, lists of models, and times.
    _one: ClassVar[Dict[str, str]] = {}
    _many: ClassVar[Dict[str, str]] = {}
    _times: ClassVar[Tuple[str, ...]] = ()

    @classmethod
    def from_dict(cls: Type[T], data: Any) -> T:
        """Build the model from a decoded JSON object."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        kwargs: Dict[str, Any] = {}
        extra: Dict[str, Any] = {}
        for k, v in data.items():
            if k not in names or k == "extra":
                extra[k] = v
                continue
            if k in cls._one and v is not None:
                v = _MODELS[cls._one[k]].from_dict(v)
            elif k in cls._many and isinstance(v, list):
                sub = _MODELS[cls._many[k]]
                v = [sub.from_dict(x) for x in v]
            elif k in cls._times:
                v = parse_time(v)
            kwargs[k] = v
        obj = cls(**kwargs)  # type: ignore[call-arg]
        obj.extra = extra  # type: ignore[attr-defined]
        return obj

    def __getitem__(self, key: str) -> Any:
        """``obj["field"]`` reads a field, or an extra one."""
        if key in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            return getattr(self, key)
        return self.extra[key]  # type: ignore[attr-defined]


M = TypeVar("M")


@dataclass
class Page(Generic[M]):
    """One page of a list: ``items`` from position ``skip``, at most
    ``limit``, out of ``total``. Iterating over the page iterates over its
    items; ``len(page)`` is the number of items on it."""

    items: List[M] = field(default_factory=list)
    total: int = 0
    skip: int = 0
    limit: int = 0

    def __iter__(self) -> Iterator[M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> M:
        return self.items[i]

    def __bool__(self) -> bool:
        return bool(self.items)


def page_of(kind: Type[T], data: Dict[str, Any], key: str = "items") -> "Page[T]":
    """Build a Page of kind from a list answer."""
    items = [kind.from_dict(x) for x in (data.get(key) or [])]
    total = data.get("total")
    return Page(items=items, total=len(items) if total is None else int(total),
                skip=int(data.get("skip") or 0), limit=int(data.get("limit") or 0))


_TS = ("created_at", "updated_at")


@dataclass
class Webhook(Model):
    """An outbound webhook. ``secret`` is set only in the answers of create
    and rotate_secret; ``warnings`` only in create's."""

    id: str = ""
    tenant_id: Optional[str] = None
    all_tenants: bool = False
    name: str = ""
    description: str = ""
    url: str = ""
    events: List[str] = field(default_factory=list)
    agent_id: Optional[str] = None
    is_active: bool = True
    secret: Optional[str] = None
    secret_rotated_at: Optional[datetime] = None
    previous_secret_expires_at: Optional[datetime] = None
    headers: Dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 30
    max_retries: int = 3
    retry_schedule: Optional[List[str]] = None
    verify_ssl: bool = True
    signature_header: str = "X-Webhook-Signature"
    signature_format: str = "sha256=hex"
    rate_limit: Optional[Dict[str, Any]] = None
    ordering: str = "none"
    disabled_reason: Optional[str] = None
    disabled_at: Optional[datetime] = None
    enabled_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    last_triggered_at: Optional[datetime] = None
    last_success_at: Optional[datetime] = None
    last_failure_at: Optional[datetime] = None
    warnings: Optional[List[str]] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = _TS + ("secret_rotated_at", "previous_secret_expires_at", "disabled_at", "enabled_at",
                    "last_triggered_at", "last_success_at", "last_failure_at")


@dataclass
class Attempt(Model):
    """One HTTP request of a delivery."""

    id: str = ""
    delivery_id: str = ""
    number: int = 0
    started_at: Optional[datetime] = None
    duration_ms: int = 0
    status_code: Optional[int] = None
    response_headers: Optional[Dict[str, List[str]]] = None
    response_body: str = ""
    error: str = ""
    success: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("started_at",)


@dataclass
class Delivery(Model):
    """One event on its way to one webhook, with its latest attempt's
    outcome: ``event`` (the type), ``status`` (pending, success or failed),
    ``success``, ``attempts`` (how many were made) and ``error_message``.
    ``attempt_list`` holds every attempt in the answer of a single
    delivery."""

    id: str = ""
    tenant_id: Optional[str] = None
    webhook_id: str = ""
    event_id: str = ""
    event: str = ""
    status: str = ""
    success: bool = False
    attempts: int = 0
    response_status_code: Optional[int] = None
    error_message: str = ""
    created_at: Optional[datetime] = None
    last_attempt_at: Optional[datetime] = None
    next_attempt_at: Optional[datetime] = None
    delivered_at: Optional[datetime] = None
    attempt_list: List[Attempt] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"attempt_list": "Attempt"}
    _times = ("created_at", "last_attempt_at", "next_attempt_at", "delivered_at")


@dataclass
class TestResult(Model):
    """The first attempt of a test event sent to one webhook. ``pending`` is
    true when no attempt was made in the server's wait (the delivery stays
    queued); ``status_code`` is ``None`` when no HTTP answer came."""

    __test__ = False  # not a test case

    delivery_id: str = ""
    success: bool = False
    status_code: Optional[int] = None
    duration_ms: int = 0
    error: str = ""
    pending: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class HealthWindow(Model):
    """Attempts over one window (1h, 24h or 7d)."""

    window: str = ""
    attempts: int = 0
    succeeded: int = 0
    failed: int = 0
    success_rate: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class WebhookHealth(Model):
    """A webhook's success rates, latency and failing streak."""

    webhook_id: str = ""
    is_active: bool = True
    disabled_reason: Optional[str] = None
    disabled_at: Optional[datetime] = None
    windows: List[HealthWindow] = field(default_factory=list)
    latency_p50_ms: Optional[int] = None
    latency_p95_ms: Optional[int] = None
    failing_since: Optional[datetime] = None
    failed_deliveries: int = 0
    disable_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"windows": "HealthWindow"}
    _times = ("disabled_at", "failing_since", "disable_at")


@dataclass
class Event(Model):
    """A published event; ``deliveries`` is filled by ``events.get``."""

    id: str = ""
    tenant_id: Optional[str] = None
    type: str = ""
    created: int = 0
    timestamp: Optional[datetime] = None
    data: Any = None
    ordering_key: Optional[str] = None
    deliveries: List[Delivery] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"deliveries": "Delivery"}
    _times = ("timestamp",)


@dataclass
class PublishResult(Model):
    """The answer of ``events.publish``: the event's id and how many
    deliveries it started. ``duplicate`` is true when the id had been
    published before (nothing new is delivered)."""

    id: str = ""
    tenant_id: Optional[str] = None
    type: str = ""
    created: int = 0
    timestamp: Optional[datetime] = None
    deliveries: int = 0
    duplicate: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("timestamp",)


@dataclass
class APIKey(Model):
    """An API key; ``key`` is set only in the answer of ``keys.create``."""

    id: str = ""
    name: str = ""
    scope: str = ""
    tenant_id: Optional[str] = None
    prefix: str = ""
    created_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None
    key: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("created_at", "last_used_at", "revoked_at")


@dataclass
class Tenant(Model):
    """A tenant; ``counts`` (webhooks, agents) is filled by ``tenants.get``,
    ``created`` by ``tenants.put`` (true when it made the tenant).
    ``retention`` is how long its events are kept (such as ``"7d"``; ``"0"``
    keeps everything), None when it follows the server's ``--retention``."""

    id: str = ""
    name: str = ""
    metadata: Any = None
    retention: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    counts: Optional[Dict[str, int]] = None
    created: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = _TS


@dataclass
class PortalLink(Model):
    """A signed link to a tenant's portal."""

    url: str = ""
    token: str = ""
    expires_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("expires_at",)


@dataclass
class Agent(Model):
    """An agent, as its reports (or a create) made it."""

    id: str = ""
    tenant_id: Optional[str] = None
    name: Optional[str] = None
    runtime: Optional[Dict[str, Any]] = None
    status: str = ""
    node_id: str = ""
    error: Optional[str] = None
    metadata: Any = None
    last_metrics: Optional[Dict[str, float]] = None
    last_metrics_at: Optional[datetime] = None
    last_seen: Optional[datetime] = None
    status_changed_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = _TS + ("last_metrics_at", "last_seen", "status_changed_at")


@dataclass
class LogEntry(Model):
    """One log line of an agent."""

    level: str = ""
    message: str = ""
    timestamp: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("timestamp",)


@dataclass
class AgentLogs(Model):
    """An agent's log lines, oldest first; iterating iterates over them."""

    agent_id: str = ""
    items: List[LogEntry] = field(default_factory=list)
    limit: int = 0
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"items": "LogEntry"}

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class MetricPoint(Model):
    """One reported value of a metric."""

    name: str = ""
    value: float = 0.0
    timestamp: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("timestamp",)


@dataclass
class MetricBucket(Model):
    """The values of a metric in one step from ``timestamp``: ``value`` is
    their average."""

    name: str = ""
    timestamp: Optional[datetime] = None
    value: float = 0.0
    min: float = 0.0
    max: float = 0.0
    count: int = 0
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("timestamp",)


@dataclass
class AgentMetrics(Model):
    """An agent's metric ``points``, or with a step its ``buckets``."""

    agent_id: str = ""
    name: Optional[str] = None
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    step: Optional[str] = None
    points: List[MetricPoint] = field(default_factory=list)
    buckets: List[MetricBucket] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"points": "MetricPoint", "buckets": "MetricBucket"}
    _times = ("since", "until")


@dataclass
class DeploymentChange(Model):
    """One status of a deployment's history."""

    status: str = ""
    version: Optional[str] = None
    changes: Any = None
    error: Optional[str] = None
    reason: Optional[str] = None
    at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("at",)


@dataclass
class Deployment(Model):
    """A deployment; ``history`` is filled by ``deployments.get``."""

    id: str = ""
    tenant_id: Optional[str] = None
    agent_id: str = ""
    status: str = ""
    version: Optional[str] = None
    changes: Any = None
    error: Optional[str] = None
    reason: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    history: List[DeploymentChange] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"history": "DeploymentChange"}
    _times = _TS


@dataclass
class IngestedEvent(Model):
    """An event a report published."""

    id: str = ""
    type: str = ""
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class IngestResult(Model):
    """The answer of a report: the agent after it, the deployment
    (deployment reports only) and the events it published."""

    agent: Optional[Agent] = None
    deployment: Optional[Deployment] = None
    events: List[IngestedEvent] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _one = {"agent": "Agent", "deployment": "Deployment"}
    _many = {"events": "IngestedEvent"}


@dataclass
class AlertRule(Model):
    """An alert rule with its state (``ok`` or ``triggered``)."""

    id: str = ""
    tenant_id: Optional[str] = None
    name: str = ""
    description: str = ""
    metric: str = ""
    agg: str = ""
    op: str = ""
    threshold: float = 0.0
    window: str = ""
    webhook_id: Optional[str] = None
    agent_id: Optional[str] = None
    is_active: bool = True
    state: str = ""
    value: Optional[float] = None
    evaluated_at: Optional[datetime] = None
    triggered_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = _TS + ("evaluated_at", "triggered_at", "resolved_at")


@dataclass
class InboundWebhook(Model):
    """A named inbound webhook; ``secret`` is set only in create's answer."""

    name: str = ""
    tenant_id: Optional[str] = None
    agent: str = ""
    secret: Optional[str] = None
    description: str = ""
    is_active: bool = True
    enabled: bool = True
    provider: str = ""
    transform: Optional[Dict[str, Any]] = None
    filters: Optional[Dict[str, Any]] = None
    response_mode: str = ""
    allowed_ips: Optional[List[str]] = None
    rate_limit: Optional[Dict[str, Any]] = None
    bot_token: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    last_triggered_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = _TS + ("last_triggered_at",)


@dataclass
class InboundResult(Model):
    """The answer to a message sent through an inbound webhook: in sync mode
    ``response``; in async mode ``status_url``; ``request_id`` is the
    invocation's id."""

    success: bool = False
    agent: Optional[str] = None
    response: Optional[str] = None
    context: Any = None
    request_id: Optional[str] = None
    status_url: Optional[str] = None
    filtered: bool = False
    reason: Optional[str] = None
    duplicate: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class InboundRequest(Model):
    """One logged request of an inbound webhook."""

    id: str = ""
    tenant_id: Optional[str] = None
    webhook: str = ""
    at: Optional[datetime] = None
    source_ip: str = ""
    headers: Dict[str, str] = field(default_factory=dict)
    body: str = ""
    event_type: Optional[str] = None
    verdict: str = ""
    reason: Optional[str] = None
    status: int = 0
    invocation_id: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("at",)


@dataclass
class InboundSecret(Model):
    """Whether a built-in inbound endpoint (such as ``generic``) has its
    secret."""

    name: str = ""
    configured: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Invocation(Model):
    """One message handed to an agent, with its outcome."""

    id: str = ""
    tenant_id: Optional[str] = None
    agent: str = ""
    source: str = ""
    response_mode: str = ""
    status: str = ""
    message: str = ""
    context: Any = None
    user: Any = None
    room: Any = None
    response: Optional[str] = None
    actions: Optional[List[Any]] = None
    error: Optional[str] = None
    duration_ms: int = 0
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    reply_status: Optional[str] = None
    reply_error: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("created_at", "started_at", "finished_at")


@dataclass
class EventTypeVersion(Model):
    """One version of an event type."""

    version: int = 0
    description: str = ""
    schema: Any = None
    example: Any = None
    deprecated: bool = False
    created_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("created_at",)


@dataclass
class EventType(Model):
    """A type of the event catalogue; ``versions`` is filled by
    ``event_types.get``, ``created`` by ``event_types.put``."""

    name: str = ""
    description: str = ""
    schema: Any = None
    example: Any = None
    deprecated: bool = False
    version: int = 0
    versions: List[EventTypeVersion] = field(default_factory=list)
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    created: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"versions": "EventTypeVersion"}
    _times = _TS


@dataclass
class Operation(Model):
    """A bulk re-send (``kind`` recover, replay or replay_missing) and its
    progress: ``status`` is queued, running, succeeded or failed; ``done``
    of ``total`` deliveries are queued so far. ``finished`` is true once it
    has succeeded or failed."""

    id: str = ""
    kind: str = ""
    status: str = ""
    tenant_id: Optional[str] = None
    webhook_id: Optional[str] = None
    event_id: Optional[str] = None
    webhook_ids: List[str] = field(default_factory=list)
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    total: Optional[int] = None
    done: int = 0
    error: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("since", "until", "created_at", "updated_at", "finished_at")

    @property
    def finished(self) -> bool:
        """Whether the operation has succeeded or failed."""
        return self.status in ("succeeded", "failed")


@dataclass
class OperationResult(Model):
    """The answer of ``webhooks.recover``, ``webhooks.replay_missing`` and
    ``events.replay``: how many deliveries the operation will queue
    (``count``, sent as ``recovered`` or ``replayed``) and the operation."""

    recovered: Optional[int] = None
    replayed: Optional[int] = None
    operation: Optional[Operation] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _one = {"operation": "Operation"}

    @property
    def count(self) -> int:
        """How many deliveries the operation will queue."""
        return (self.recovered if self.recovered is not None else self.replayed) or 0


@dataclass
class DeliveryStatsBucket(Model):
    """One bucket of delivery stats: deliveries created from ``start`` by
    outcome, and the p50/p95 attempt latency in ms (None without
    attempts)."""

    start: Optional[datetime] = None
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    p50_ms: Optional[int] = None
    p95_ms: Optional[int] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _times = ("start",)


@dataclass
class DeliveryStats(Model):
    """The answer of ``deliveries.stats``: every bucket of the window,
    oldest first, empty ones included."""

    window: Optional[str] = None
    webhook_id: Optional[str] = None
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    bucket_seconds: int = 0
    buckets: List[DeliveryStatsBucket] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"buckets": "DeliveryStatsBucket"}
    _times = ("since", "until")


@dataclass
class TableStats(Model):
    """One table's exact row count and approximate bytes."""

    table: str = ""
    rows: int = 0
    bytes: int = 0
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Stats(Model):
    """The answer of ``client.stats()``: the database's engine (sqlite or
    postgres), how bytes were measured, every table's size and the total."""

    engine: str = ""
    method: str = ""
    tables: List[TableStats] = field(default_factory=list)
    total_bytes: int = 0
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _many = {"tables": "TableStats"}


_MODELS: Dict[str, Type[Model]] = {
    c.__name__: c
    for c in (Webhook, Attempt, Delivery, TestResult, HealthWindow, WebhookHealth, Event, PublishResult,
              APIKey, Tenant, PortalLink, Agent, LogEntry, AgentLogs, MetricPoint, MetricBucket,
              AgentMetrics, DeploymentChange, Deployment, IngestedEvent, IngestResult, AlertRule,
              InboundWebhook, InboundResult, InboundRequest, InboundSecret, Invocation,
              EventTypeVersion, EventType, Operation, OperationResult, DeliveryStatsBucket, DeliveryStats,
              TableStats, Stats)
}
