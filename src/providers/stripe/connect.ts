import Stripe from 'stripe';
import { ProviderApiError, type Connector } from '../provider-api';

/**
 * Creates the endpoint with Stripe's SDK. The endpoint is pinned to the SDK's API version, so the payloads that
 * arrive have the shape the normalizer's newest branch reads, whatever the account's default version is.
 */
export const stripeConnector: Connector = {
  defaultBaseUrl: () => 'https://api.stripe.com',
  async connect(api, request) {
    const base = new URL(api.baseUrl);
    const stripe = new Stripe(api.apiKey, {
      host: base.hostname,
      port: base.port || (base.protocol === 'http:' ? 80 : 443),
      protocol: base.protocol === 'http:' ? 'http' : 'https',
      httpClient: Stripe.createFetchHttpClient(api.fetch),
      timeout: 10_000,
      maxNetworkRetries: 1,
      telemetry: false,
    });
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: request.webhookUrl,
        enabled_events: [...request.events] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
        api_version: Stripe.API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
        description: request.description,
      });
      if (!endpoint.secret) throw new ProviderApiError('stripe', 'the created webhook endpoint came without its signing secret');
      return { webhookSecret: endpoint.secret, endpointId: endpoint.id };
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError) {
        throw new ProviderApiError('stripe', `POST /v1/webhook_endpoints answered ${err.statusCode ?? 'nothing'}: ${err.message}`, err.statusCode);
      }
      throw err;
    }
  },
};
