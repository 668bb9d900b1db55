"""Herald's Python SDK: clients of the REST API and webhook verification.

::

    from herald import HeraldClient

    client = HeraldClient(api_key="hk_...")          # or HERALD_API_KEY, HERALD_URL
    webhook = client.webhooks.create(url="https://example.com/hooks", events=["agent.*"])
    for d in client.webhooks.get_deliveries(webhook_id=webhook.id, success=False):
        print(d.event, d.attempts, d.error_message)

    import herald
    payload = herald.webhooks.verify(request_body, request_headers, secret)
"""

from . import webhooks
from ._transport import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, TENANT_HEADER, __version__
from .client import AsyncHeraldClient, AsyncMutxClient, HeraldClient, MutxClient
from .errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    HeraldConnectionError,
    HeraldError,
    NotFoundError,
    RateLimitError,
    SignatureError,
    ValidationError,
)
from .models import (
    Agent,
    AgentLogs,
    AgentMetrics,
    AlertRule,
    APIKey,
    Attempt,
    Delivery,
    DeliveryStats,
    DeliveryStatsBucket,
    Deployment,
    Event,
    EventType,
    InboundRequest,
    InboundResult,
    InboundWebhook,
    IngestResult,
    Invocation,
    Operation,
    OperationResult,
    Page,
    PortalLink,
    PublishResult,
    Stats,
    TableStats,
    Tenant,
    TestResult,
    Webhook,
    WebhookHealth,
)

verify = webhooks.verify

__all__ = [
    "HeraldClient", "AsyncHeraldClient", "MutxClient", "AsyncMutxClient", "webhooks", "verify",
    "HeraldError", "ValidationError", "AuthenticationError", "ForbiddenError", "NotFoundError", "ConflictError",
    "RateLimitError", "HeraldConnectionError", "SignatureError",
    "Agent", "AgentLogs", "AgentMetrics", "AlertRule", "APIKey", "Attempt", "Delivery", "Deployment", "Event",
    "EventType", "InboundRequest", "InboundResult", "InboundWebhook", "IngestResult", "Invocation", "Page",
    "PortalLink", "PublishResult", "Tenant", "TestResult", "Webhook", "WebhookHealth",
    "Operation", "OperationResult", "DeliveryStats", "DeliveryStatsBucket", "Stats", "TableStats",
    "DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "TENANT_HEADER", "__version__",
]
