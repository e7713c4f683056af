import { postJson, ProviderApiError, type Connector } from '../provider-api';
import { at, str } from '../shared/read';
import { paddleEnricher } from './enrich';

/** A notification setting (Paddle's name for a webhook destination); Paddle generates the secret and returns it. */
export const paddleConnector: Connector = {
  defaultBaseUrl: (apiKey) => paddleEnricher.defaultBaseUrl(apiKey),
  async connect(api, request) {
    const body = await postJson('paddle', api, '/notification-settings', {
      description: request.description,
      type: 'url',
      destination: request.webhookUrl,
      subscribed_events: request.events,
      include_sensitive_fields: false,
    });
    const secret = str(at(body, 'data', 'endpoint_secret_key'));
    const id = str(at(body, 'data', 'id'));
    if (!secret || !id) throw new ProviderApiError('paddle', 'the created notification setting came without its id or endpoint_secret_key');
    return { webhookSecret: secret, endpointId: id };
  },
};
