import type Stripe from 'stripe';
import { ProviderApiError, type Connector } from '../provider-api';
import { loadStripeSdk, stripeCall, stripeClient } from './client';

/**
 * Creates the endpoint with Stripe's SDK. The endpoint is pinned to the SDK's API version, so the payloads that
 * arrive have the shape the normalizer's newest branch reads, whatever the account's default version is.
 */
export const stripeConnector: Connector = {
  defaultBaseUrl: () => 'https://api.stripe.com',
  async connect(api, request) {
    const apiVersion = (await loadStripeSdk()).API_VERSION;
    const endpoint = await stripeCall('POST /v1/webhook_endpoints', async () =>
      (await stripeClient(api)).webhookEndpoints.create({
        url: request.webhookUrl,
        enabled_events: [...request.events] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
        api_version: apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion,
        description: request.description,
      }),
    );
    if (!endpoint.secret) throw new ProviderApiError('stripe', 'the created webhook endpoint came without its signing secret');
    return { webhookSecret: endpoint.secret, endpointId: endpoint.id };
  },
};
