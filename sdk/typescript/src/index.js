// @herald/sdk: the client of Herald's REST API, and the verification of the
// webhooks Herald sends.

export { Herald, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, TENANT_HEADER, WEBHOOK_TEST_TIMEOUT } from './client.js';
export { DEFAULT_SIGNATURE_HEADER, DEFAULT_TOLERANCE, PREVIOUS_SIGNATURE_SUFFIX } from './constants.js';
export {
  HeraldError, NotFoundError, ValidationError, AuthenticationError, RateLimitError, ConnectionError,
} from './errors.js';
export { SignatureError, verifyWebhook, sign, signStandard } from './verify.js';
export { heraldWebhook } from './express.js';
