// Helpers of the tests: the server under test, a webhook receiver on
// 127.0.0.1, and waiting on the API.

import http from 'node:http';
import { Herald } from '../src/index.js';

/**
 * server returns the Herald server the tests run against: HERALD_URL and
 * HERALD_API_KEY (a platform admin key), which the Go test
 * (cmd/herald/sdk_typescript_test.go) sets when it starts one.
 */
export function server() {
  const url = process.env.HERALD_URL;
  const key = process.env.HERALD_API_KEY;
  if (!url || !key) {
    throw new Error('HERALD_URL and HERALD_API_KEY must name a running "herald serve" and its admin key; go test ./cmd/herald -run TestTypeScriptSDK starts one');
  }
  return { url, key, herald: new Herald() };
}

/** A unique suffix for names, so tests sharing a server do not collide. */
export function uniq() {
  return Math.random().toString(36).slice(2, 10);
}

/**
 * A webhook receiver on 127.0.0.1: it records each request's raw body and
 * headers and answers with the next status of statuses (the last repeats),
 * 200 by default. next() resolves with the next request received.
 */
export class Receiver {
  /** @param {{ statuses?: number[], handler?: http.RequestListener }} [opts] */
  constructor(opts = {}) {
    this.statuses = opts.statuses ?? [200];
    /** @type {{ body: Buffer, headers: http.IncomingHttpHeaders, url: string }[]} */
    this.queue = [];
    /** @type {((r: { body: Buffer, headers: http.IncomingHttpHeaders, url: string }) => void)[]} */
    this.waiting = [];
    this.count = 0;
    this.server = http.createServer(opts.handler ?? ((req, res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const status = this.statuses[Math.min(this.count, this.statuses.length - 1)];
        this.count++;
        res.writeHead(status, { 'Content-Type': 'application/json' }).end('{"ok":true}');
        this.push({ body: Buffer.concat(chunks), headers: req.headers, url: req.url ?? '' });
      });
    }));
  }

  /** @param {{ body: Buffer, headers: http.IncomingHttpHeaders, url: string }} r */
  push(r) {
    const w = this.waiting.shift();
    if (w) w(r);
    else this.queue.push(r);
  }

  /** Starts listening; returns the receiver's URL. */
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(undefined)));
    const addr = /** @type {import('node:net').AddressInfo} */ (this.server.address());
    this.url = `http://127.0.0.1:${addr.port}/hook`;
    return this.url;
  }

  /** The next request received. */
  next() {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }
}

/**
 * until polls fn until it returns a truthy value, and returns it; it fails
 * after many tries. For states the API reports (a delivery's outcome).
 * @template T
 * @param {() => Promise<T>} fn
 * @param {string} what
 * @returns {Promise<T>}
 */
export async function until(fn, what) {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * settled waits until a delivery is no longer pending and returns it with
 * its attempts.
 * @param {Herald} herald
 * @param {string} webhookId
 * @param {string} deliveryId
 */
export function settled(herald, webhookId, deliveryId) {
  return until(async () => {
    const d = await herald.deliveries.get(webhookId, deliveryId);
    return d.status !== 'pending' ? d : null;
  }, `delivery ${deliveryId}`);
}
