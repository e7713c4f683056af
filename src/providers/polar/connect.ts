import type { Connector } from '../provider-api';
import { polarCall, polarClient } from './client';

type EndpointEvents = Parameters<Awaited<ReturnType<typeof polarClient>>['webhooks']['createWebhookEndpoint']>[0]['events'];

/**
 * A webhook endpoint in the raw format (the Standard Webhooks envelope the adapter verifies); Polar generates the
 * secret. An organization access token implies the organization; other tokens must name it.
 */
export const polarConnector: Connector = {
  defaultBaseUrl: (_apiKey, { sandbox }) => (sandbox ? 'https://sandbox-api.polar.sh' : 'https://api.polar.sh'),
  async connect(api, request) {
    const endpoint = await polarCall('POST /v1/webhooks/endpoints', async () =>
      (await polarClient(api)).webhooks.createWebhookEndpoint({
        url: request.webhookUrl,
        format: 'raw',
        events: [...request.events] as EndpointEvents,
        ...(request.organizationId ? { organizationId: request.organizationId } : {}),
      }),
    );
    return { webhookSecret: endpoint.secret, endpointId: endpoint.id };
  },
};
