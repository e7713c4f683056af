import { postJson, ProviderApiError, type Connector } from '../provider-api';
import { str } from '../shared/read';

/**
 * A webhook endpoint in the raw format (the Standard Webhooks envelope the adapter verifies); Polar generates the
 * secret. An organization access token implies the organization; other tokens must name it.
 */
export const polarConnector: Connector = {
  defaultBaseUrl: (_apiKey, { sandbox }) => (sandbox ? 'https://sandbox-api.polar.sh' : 'https://api.polar.sh'),
  async connect(api, request) {
    const body = await postJson('polar', api, '/v1/webhooks/endpoints', {
      url: request.webhookUrl,
      format: 'raw',
      events: request.events,
      ...(request.organizationId ? { organization_id: request.organizationId } : {}),
    });
    const secret = str(body.secret);
    const id = str(body.id);
    if (!secret || !id) throw new ProviderApiError('polar', 'the created webhook endpoint came without its id or secret');
    return { webhookSecret: secret, endpointId: id };
  },
};
