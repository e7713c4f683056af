import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = { headers: http.IncomingHttpHeaders; raw: string; body: any; at: number };

/** Refgrow's documented verifier (seeds/refgrow-llm-context.txt, "Signature Verification (Node.js)"), as a receiver would paste it. */
export function refgrowVerifySignature(payload: string, signature: string, secret: string): boolean {
  const expectedSignature = 'sha256=' + createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
  return expectedSignature.length === signature.length && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
}

/**
 * A merchant's endpoint on this machine: it keeps what arrives, and refuses (401) a delivery whose signatures do
 * not verify with the secret it was given — Refgrow's scheme on `X-Refwire-Signature` and the Standard Webhooks
 * headers, as a receiver written from either documentation would.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly refused: string[] = [];
  secret = '';
  url = '';
  private server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const problem = this.verify(raw, req.headers);
      if (problem) {
        this.refused.push(problem);
        return res.writeHead(401).end(problem);
      }
      this.received.push({ headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });

  private verify(raw: string, headers: http.IncomingHttpHeaders): string | null {
    if (!refgrowVerifySignature(raw, String(headers['x-refwire-signature'] ?? ''), this.secret)) return 'x-refwire-signature does not verify';
    try {
      // the timestamp tolerance is the library's (5 minutes): tests send with a clock near the real one
      new Webhook(this.secret).verify(raw, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      });
    } catch (err) {
      return `standard webhooks: ${(err as Error).message}`;
    }
    return null;
  }

  /** Takes what arrived so far. */
  take(): Received[] {
    return this.received.splice(0);
  }

  async start(path = '/hooks/refwire') {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  stop() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A JSON value's shape: its keys (sorted) with the type of each value, recursively. */
export function shapeOf(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map(shapeOf);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, shapeOf(x)]));
  return typeof v;
}
