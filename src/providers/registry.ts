import { lemonSqueezyAdapter } from './lemonsqueezy/adapter';
import { lemonSqueezyConnector } from './lemonsqueezy/connect';
import { lemonSqueezyEnricher } from './lemonsqueezy/enrich';
import { paddleConnector } from './paddle/connect';
import { paddleEnricher } from './paddle/enrich';
import type { Connector, Enricher, Reconciler } from './provider-api';
import { lemonSqueezyReconciler } from './lemonsqueezy/reconcile';
import { paddleReconciler } from './paddle/reconcile';
import { polarReconciler } from './polar/reconcile';
import { stripeReconciler } from './stripe/reconcile';
import { paddleAdapter } from './paddle/adapter';
import { polarAdapter } from './polar/adapter';
import { polarConnector } from './polar/connect';
import type { ProviderAdapter } from './provider-adapter';
import { isProviderName, type ProviderName } from '../domain/provider-names';
import { stripeAdapter } from './stripe/adapter';
import { stripeConnector } from './stripe/connect';

const adapters: Record<ProviderName, ProviderAdapter> = {
  stripe: stripeAdapter,
  paddle: paddleAdapter,
  lemonsqueezy: lemonSqueezyAdapter,
  polar: polarAdapter,
};

/** The adapter for a provider named in a URL, or null when Refwire does not know it. */
export function findAdapter(name: string): ProviderAdapter | null {
  return isProviderName(name) ? adapters[name] : null;
}

export function getAdapter(name: ProviderName): ProviderAdapter {
  return adapters[name];
}

/** Providers whose webhooks leave out something their API can tell (used only with a stored API key). */
const enrichers: Partial<Record<ProviderName, Enricher>> = {
  paddle: paddleEnricher,
  lemonsqueezy: lemonSqueezyEnricher,
};

export function getEnricher(name: ProviderName): Enricher | null {
  return enrichers[name] ?? null;
}

/** Every provider's API can create Refwire's webhook endpoint (POST /api/v1/integrations/:provider/connect). */
const connectors: Record<ProviderName, Connector> = {
  stripe: stripeConnector,
  paddle: paddleConnector,
  lemonsqueezy: lemonSqueezyConnector,
  polar: polarConnector,
};

export function getConnector(name: ProviderName): Connector {
  return connectors[name];
}

/** Whether POST /api/v1/integrations/:provider/connect can set the provider up with its API key. */
export function canConnect(name: ProviderName): boolean {
  return (connectors as Partial<Record<ProviderName, Connector>>)[name] !== undefined;
}

/** Every provider Refwire supports, in registry order. */
export function allAdapters(): ProviderAdapter[] {
  return Object.values(adapters);
}

/** Every provider's API can list what its webhooks would have delivered (src/reconcile). */
const reconcilers: Record<ProviderName, Reconciler> = {
  stripe: stripeReconciler,
  paddle: paddleReconciler,
  lemonsqueezy: lemonSqueezyReconciler,
  polar: polarReconciler,
};

export function getReconciler(name: ProviderName): Reconciler {
  return reconcilers[name];
}

/** Each provider with the coupons API field that holds its coupon ids, in registry order. */
export function couponIdFields(): { provider: ProviderName; field: string }[] {
  return Object.values(adapters).map((a) => ({ provider: a.name, field: a.couponIdField }));
}
