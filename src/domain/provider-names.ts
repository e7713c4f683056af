/** The payment providers Refwire knows. Adding one: a folder under src/providers and a line in registry.ts. */
export const PROVIDER_NAMES = ['stripe', 'paddle', 'lemonsqueezy', 'polar'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How each provider is named to people: the dashboard, the API's provider catalog, sentences like attribution explanations. */
export const PROVIDER_DISPLAY_NAMES: Record<ProviderName, string> = { stripe: 'Stripe', paddle: 'Paddle', lemonsqueezy: 'Lemon Squeezy', polar: 'Polar' };

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}
