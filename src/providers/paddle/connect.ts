import type { IEventName } from '@paddle/paddle-node-sdk';
import { ProviderApiError, type Connector } from '../provider-api';
import { paddleCall, paddleClient } from './client';
import { paddleEnricher } from './enrich';

/** A notification setting (Paddle's name for a webhook destination); Paddle generates the secret and returns it. */
export const paddleConnector: Connector = {
  defaultBaseUrl: (apiKey) => paddleEnricher.defaultBaseUrl(apiKey),
  async connect(api, request) {
    const created = await paddleCall('POST /notification-settings', async () =>
      (await paddleClient(api)).notificationSettings.create({
        description: request.description,
        type: 'url',
        destination: request.webhookUrl,
        subscribedEvents: [...request.events] as IEventName[],
        includeSensitiveFields: false,
      }),
      api.timeoutMs,
    );
    if (!created.endpointSecretKey || !created.id) {
      throw new ProviderApiError('paddle', 'the created notification setting came without its id or endpoint_secret_key');
    }
    return { webhookSecret: created.endpointSecretKey, endpointId: created.id };
  },
};
