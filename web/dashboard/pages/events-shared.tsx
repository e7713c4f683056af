import { useRef, useState } from 'react';
import type { components, paths } from '../api/schema';
import { useAnnounce } from '../ui/announce';

/** Shared by the operations pages (overview, integrations, events, outbound webhooks). */

export type Provider = components['schemas']['Integration']['provider'];
export type EventStatus = components['schemas']['Event']['status'];
export type OutboundEvent = NonNullable<NonNullable<paths['/api/v1/webhooks']['post']['requestBody']>['content']['application/json']['events']>[number];
export type PayloadFormat = components['schemas']['WebhookEndpoint']['payload_format'];

/**
 * The providers' display names, for the events pages' filter and sentences. The integrations page takes each
 * provider's name, webhook URL and events from GET /api/v1/integrations/providers instead.
 */
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

