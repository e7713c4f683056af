import { useRef, useState } from 'react';
import type { components, paths } from '../api/schema';
import { useAnnounce } from '../ui/announce';

/** Shared by the operations pages (overview, integrations, events, outbound webhooks). */

export type Provider = components['schemas']['Integration']['provider'];
export type EventStatus = components['schemas']['Event']['status'];
export type OutboundEvent = NonNullable<NonNullable<paths['/api/v1/webhooks']['post']['requestBody']>['content']['application/json']['events']>[number];
export type PayloadFormat = components['schemas']['WebhookEndpoint']['payload_format'];

export const PROVIDERS: { name: Provider; label: string }[] = [
  { name: 'stripe', label: 'Stripe' },
  { name: 'paddle', label: 'Paddle' },
  { name: 'lemonsqueezy', label: 'Lemon Squeezy' },
  { name: 'polar', label: 'Polar' },
];

export const EVENT_STATUSES: EventStatus[] = ['received', 'processing', 'processed', 'ignored', 'failed'];

export function providerLabel(name: string): string {
  return PROVIDERS.find((p) => p.name === name)?.label ?? name;
}

/**
 * The event types to enable at each provider, as its adapter lists them (src/providers/<name>/adapter.ts
 * webhookEvents; test/dashboard/ops.test.ts checks they agree). A connected provider's answer carries its own list;
 * this one is for setting up the provider's endpoint before its secret exists.
 */
export const PROVIDER_EVENTS: Record<Provider, string[]> = {
  stripe: [
    'checkout.session.completed',
    'checkout.session.async_payment_succeeded',
    'invoice.paid',
    'invoice_payment.paid',
    'charge.refunded',
    'refund.created',
    'charge.dispute.created',
    'charge.dispute.closed',
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.discount.created',
  ],
  paddle: ['transaction.completed', 'transaction.paid', 'subscription.created', 'subscription.updated', 'subscription.canceled', 'adjustment.created', 'adjustment.updated', 'customer.created', 'customer.updated'],
  lemonsqueezy: ['order_created', 'order_refunded', 'subscription_created', 'subscription_updated', 'subscription_payment_success', 'subscription_payment_refunded', 'subscription_cancelled', 'subscription_expired'],
  polar: ['order.created', 'order.updated', 'order.paid', 'order.refunded', 'refund.created', 'refund.updated', 'subscription.created', 'subscription.active', 'subscription.updated', 'subscription.canceled', 'subscription.revoked'],
};

/** The events an outbound endpoint may receive (src/outbound/events.ts; Refgrow's four first, the default). */
export const OUTBOUND_EVENTS: OutboundEvent[] = [
  'referral_signed_up',
  'referral_converted',
  'referral_canceled',
  'referral_updated',
  'affiliate.created',
  'affiliate.approved',
  'affiliate.suspended',
  'referral.created',
  'referral.converted',
  'referral.expired',
  'commission.created',
  'commission.approved',
  'commission.paid',
  'payout.requested',
  'payout.approved',
  'payout.completed',
];
export const DEFAULT_OUTBOUND_EVENTS: OutboundEvent[] = OUTBOUND_EVENTS.slice(0, 4);
export const PAYLOAD_FORMATS: { value: PayloadFormat; label: string }[] = [
  { value: 'refgrow-v1', label: "refgrow-v1 (Refgrow's payloads)" },
  { value: 'refwire-v1', label: "refwire-v1 (Refwire's earlier envelope)" },
];

/** A read-only value with a button that copies it (the clipboard API, else the selected text). */
export function CopyField(props: { label: string; value: string; id: string; className?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const announce = useAnnounce();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      input.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
    announce(`${props.label} copied`);
  };
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <div className={props.className ?? 'copy-row'}>
        <input id={props.id} ref={input} readOnly value={props.value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
          <span className="visually-hidden"> {props.label}</span>
        </button>
      </div>
    </div>
  );
}

/** JSON, indented, in a region a keyboard can scroll. */
export function JsonBlock(props: { value: unknown; label: string }) {
  return (
    <pre className="json-block" tabIndex={0} aria-label={props.label}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

/** YYYY-MM-DD of a date input → an instant at the start (or end) of that UTC day; '' → undefined. */
export function dayStart(day: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day}T00:00:00.000Z` : undefined;
}
export function dayEnd(day: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day}T23:59:59.999Z` : undefined;
}
