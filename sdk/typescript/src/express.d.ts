// Declarations of @herald/sdk/express.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignatureError, VerifyOptions } from './index.js';

/** Options of heraldWebhook. */
export interface HeraldWebhookOptions extends VerifyOptions {
  /** The webhook's secret, or several while a receiver moves to a new one. */
  secret: string | string[];
  /** The most bytes read of a body; default 5 MiB (a larger one is answered 413). */
  limit?: number;
  /** Handles a request that does not verify, instead of the default 401 JSON answer. */
  onError?: (err: SignatureError, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
}

/** The most bytes the middleware reads of a body: 5 MiB. */
export declare const DEFAULT_BODY_LIMIT: number;

/**
 * A middleware (Express, Connect or plain node:http) that verifies the raw
 * body of each request with verifyWebhook, then sets req.body to the
 * parsed payload and req.rawBody to the bytes and calls next(). A request
 * that does not verify is answered 401 with
 * {"error": {"code": "invalid_signature", "reason", "message"}}. Mount it
 * before express.json(), or on its route alone.
 */
export declare function heraldWebhook(options: HeraldWebhookOptions): (req: IncomingMessage & { body?: any; rawBody?: Buffer }, res: ServerResponse, next: (err?: unknown) => void) => Promise<void>;
