// Defaults of the Herald client.

/** Where "herald serve" listens unless told otherwise. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8420';
/** The default bound of each call, in milliseconds (30 s). */
export const DEFAULT_TIMEOUT = 30_000;
/** The header that scopes a platform admin key's request to one tenant. */
export const TENANT_HEADER = 'X-Herald-Tenant';
/** The least time webhooks.test allows a call, in milliseconds (6 min): the server waits up to the webhook's timeout plus 15 s. */
export const WEBHOOK_TEST_TIMEOUT = 6 * 60_000;
/** The signature header Herald sends unless a webhook names another. */
export const DEFAULT_SIGNATURE_HEADER = 'X-Webhook-Signature';
/** The suffix of the header that carries the old secrets' signatures during a rotation's grace period. */
export const PREVIOUS_SIGNATURE_SUFFIX = '-Previous';
/** The Standard Webhooks timestamp tolerance, in seconds (5 min). */
export const DEFAULT_TOLERANCE = 300;
