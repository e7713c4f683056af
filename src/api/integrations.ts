import { Router } from 'express';
import { z } from 'zod';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { MissingSecretError, type Integration, type IntegrationStore } from '../integrations/integration-store';
import type { ProviderAdapter } from '../providers/provider-adapter';
import { findAdapter } from '../providers/registry';
import { ok } from './envelope';

/** A rotated-out secret keeps verifying for a day by default: long enough for the provider's in-flight retries. */
const DEFAULT_PREVIOUS_SECRET_TTL_HOURS = 24;

const putBody = z.object({
  webhook_secret: z.string().trim().min(1, 'must not be empty').optional(),
  api_key: z.string().trim().min(1, 'must not be empty').nullable().optional(),
  previous_secret_ttl_hours: z.number().int().min(0).max(720).default(DEFAULT_PREVIOUS_SECRET_TTL_HOURS),
});

function adapterFor(name: unknown): ProviderAdapter {
  const adapter = findAdapter(String(name));
  if (!adapter) throw new HttpError(404, `unknown provider "${String(name)}" (stripe, paddle, lemonsqueezy, polar)`);
  return adapter;
}

/** `/api/v1/integrations` (PRODUCT.md §3). Secrets go in; only masked hints come out. */
export function integrationsRouter(store: IntegrationStore, publicUrl: string, clock: () => Date): Router {
  const router = Router();

  const present = (projectId: string, integration: Integration) => ({
    provider: integration.provider,
    webhook_url: `${publicUrl}/webhook/${integration.provider}/${projectId}`,
    events: findAdapter(integration.provider)!.webhookEvents,
    webhook_secret_hint: integration.webhookSecretHint,
    previous_secret: integration.previousSecret
      ? { hint: integration.previousSecret.hint, expires_at: integration.previousSecret.expiresAt.toISOString() }
      : null,
    api_key_hint: integration.apiKeyHint,
    created_at: integration.createdAt.toISOString(),
    updated_at: integration.updatedAt.toISOString(),
  });

  router.put('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const body = putBody.parse(req.body ?? {});
    if (body.webhook_secret !== undefined) {
      const problem = adapter.validateWebhookSecret(body.webhook_secret);
      if (problem) throw new HttpError(400, `webhook_secret: ${problem}`);
    }
    if (typeof body.api_key === 'string') {
      const problem = adapter.validateApiKey(body.api_key);
      if (problem) throw new HttpError(400, `api_key: ${problem}`);
    }
    const projectId = projectIdOf(req);
    try {
      const integration = await store.upsert(
        projectId,
        adapter.name,
        { webhookSecret: body.webhook_secret, apiKey: body.api_key, previousSecretTtlHours: body.previous_secret_ttl_hours },
        clock(),
      );
      res.json(ok(present(projectId, integration)));
    } catch (err) {
      if (err instanceof MissingSecretError) throw new HttpError(400, err.message);
      throw err;
    }
  });

  router.get('/', async (req, res) => {
    const projectId = projectIdOf(req);
    const integrations = await store.list(projectId, clock());
    res.json(ok(integrations.map((i) => present(projectId, i))));
  });

  router.get('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const projectId = projectIdOf(req);
    const integration = await store.get(projectId, adapter.name, clock());
    if (!integration) throw new HttpError(404, `${adapter.name} is not connected`);
    res.json(ok(present(projectId, integration)));
  });

  router.delete('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    if (!(await store.remove(projectIdOf(req), adapter.name))) throw new HttpError(404, `${adapter.name} is not connected`);
    res.status(204).end();
  });

  return router;
}
