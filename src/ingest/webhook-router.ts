import express, { Router } from 'express';
import { sendError } from '../http/errors';
import type { DeliveryHeaders } from '../providers/provider-adapter';
import type { Metrics } from '../http/metrics';
import { isProviderName } from '../providers/provider-names';
import { receiveWebhook, type ReceiveDeps } from './receive-webhook';

/** PRODUCT.md §4: 1 MiB, checked from Content-Length before the body is read. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

function flattenHeaders(headers: import('node:http').IncomingHttpHeaders): DeliveryHeaders {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value[0] : value;
  return flat;
}

/** Maps each typed ingest outcome to its status code (PRODUCT.md §4). */
export function webhookRouter(deps: ReceiveDeps, metrics?: Metrics): Router {
  const router = Router();
  router.post(
    '/webhook/:provider/:projectId',
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const provider = String(req.params.provider);
      const outcome = await receiveWebhook(deps, {
        provider,
        projectId: String(req.params.projectId),
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        headers: flattenHeaders(req.headers),
      });
      metrics?.webhooks.inc({
        provider: isProviderName(provider) ? provider : 'unknown',
        outcome: outcome.kind === 'accepted' ? (outcome.duplicate ? 'duplicate' : 'accepted') : outcome.kind,
      });
      switch (outcome.kind) {
        case 'accepted':
          res.status(200).json({ received: true, id: outcome.id, duplicate: outcome.duplicate });
          return;
        case 'unknown_provider':
          return sendError(res, 404, 'unknown provider');
        case 'unknown_project':
          return sendError(res, 404, 'unknown project');
        case 'not_connected':
          return sendError(res, 404, `${provider} is not connected for this project`);
        case 'verification_failed':
          req.log.warn({ provider, reason: outcome.reason }, 'webhook rejected');
          return sendError(res, 400, 'webhook verification failed');
        case 'unavailable':
          req.log.error({ provider, err: outcome.error }, 'webhook not stored: database unavailable');
          res.setHeader('Retry-After', '5');
          return sendError(res, 503, 'temporarily unavailable, retry later');
      }
    },
  );
  return router;
}
