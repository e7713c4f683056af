import http from 'node:http';
import https from 'node:https';
import { checkTargetUrl, guardedLookup } from './target-guard';

export type SendResult = { ok: boolean; statusCode: number | null; error: string | null; durationMs: number; responseExcerpt: string | null };

const EXCERPT_BYTES = 1000;

/**
 * One POST to a merchant's endpoint. The target is checked again here (an IP in the URL) and at connection (every
 * address its name resolves to: the socket connects to the address that was checked); redirects are not
 * followed, since a 3xx could point anywhere; the whole attempt is bounded by `timeoutMs`. Never throws: every
 * outcome, a reset connection included, comes back as a result to record.
 */
export function sendWebhook(target: string, body: string, headers: Record<string, string>, options: { allowPrivate: boolean; timeoutMs: number }): Promise<SendResult> {
  const started = Date.now();
  const result = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Date.now() - started });
  const check = checkTargetUrl(target, options);
  if (!check.ok) return Promise.resolve(result({ ok: false, statusCode: null, error: `refused: ${check.reason}`, responseExcerpt: null }));
  const { url } = check;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result(r));
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup as unknown as http.RequestOptions['lookup'] }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8') || null;
          if (status >= 200 && status < 300) return finish({ ok: true, statusCode: status, error: null, responseExcerpt: excerpt });
          const error =
            status >= 300 && status < 400
              ? `answered ${status}: redirects are not followed${res.headers.location ? ` (Location: ${res.headers.location})` : ''}`
              : `answered ${status}`;
          finish({ ok: false, statusCode: status, error, responseExcerpt: excerpt });
        });
        res.on('error', (err) => finish({ ok: false, statusCode: res.statusCode ?? null, error: `response broke off: ${err.message}`, responseExcerpt: null }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `timed out after ${options.timeoutMs} ms`, responseExcerpt: null });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, statusCode: null, error: err.code === 'EREFUSEDTARGET' ? err.message : `connection failed: ${err.code ?? err.message}`, responseExcerpt: null }));
    req.end(body);
  });
}
