import { useId, useState } from 'react';
import type { components } from '../api/schema';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { DEFAULT_OUTBOUND_EVENTS, OUTBOUND_EVENTS, PAYLOAD_FORMATS, type OutboundEvent, type PayloadFormat } from './events-shared';

type Endpoint = components['schemas']['WebhookEndpoint'];
export type EndpointInput = { url: string; description: string | null; events: OutboundEvent[]; payload_format: PayloadFormat; status?: 'active' | 'disabled' };

const FIELDS = ['url', 'description', 'events', 'payload_format', 'status'];

/** An outbound endpoint's form: a new one (no `endpoint`) or changes to one. */
export function EndpointForm(props: { endpoint?: Endpoint; busy: boolean; error: unknown; submitLabel: string; onSubmit(input: EndpointInput): void; onCancel?: () => void }) {
  const e = props.endpoint;
  const [events, setEvents] = useState<Set<string>>(new Set(e ? e.events : DEFAULT_OUTBOUND_EVENTS));
  const errors = fieldErrors(props.error);
  const id = useId();
  const eventsError = errors?.events;
  return (
    <form
      className="form endpoint-form"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        const data = new FormData(ev.currentTarget);
        const description = String(data.get('description') ?? '').trim();
        props.onSubmit({
          url: String(data.get('url') ?? '').trim(),
          description: description || null,
          events: OUTBOUND_EVENTS.filter((x) => events.has(x)),
          payload_format: String(data.get('payload_format')) as PayloadFormat,
          ...(e ? { status: data.get('active') ? 'active' : 'disabled' } : {}),
        });
      }}
    >
      <Field label="Endpoint URL" name="url" type="url" defaultValue={e?.url ?? ''} placeholder="https://example.com/refwire-webhooks" required errors={errors} hint="Refwire POSTs signed JSON (Standard Webhooks) to this public HTTPS address." />
      <Field label="Description (optional)" name="description" defaultValue={e?.description ?? ''} maxLength={255} errors={errors} />
      <fieldset className={`field event-choices${eventsError ? ' field-invalid' : ''}`} aria-describedby={eventsError ? `${id}-events-error` : undefined}>
        <legend>Events to send</legend>
        <div className="event-columns">
          <div>
            <p className="hint">Refgrow's events</p>
            {OUTBOUND_EVENTS.slice(0, 4).map((x) => (
              <EventCheck key={x} name={x} checked={events.has(x)} onChange={(on) => setEvents(toggle(events, x, on))} />
            ))}
          </div>
          <div>
            <p className="hint">Refferq's events</p>
            {OUTBOUND_EVENTS.slice(4).map((x) => (
              <EventCheck key={x} name={x} checked={events.has(x)} onChange={(on) => setEvents(toggle(events, x, on))} />
            ))}
          </div>
        </div>
        {eventsError ? (
          <p className="field-error" id={`${id}-events-error`}>
            {eventsError}
          </p>
        ) : null}
      </fieldset>
      <Field label="Payload format" name="payload_format" as="select" defaultValue={e?.payload_format ?? 'refgrow-v1'} errors={errors}>
        {PAYLOAD_FORMATS.map((f) => (
          <option key={f.value} value={f.value}>
            {f.label}
          </option>
        ))}
      </Field>
      {e ? (
        <label className="check">
          <input type="checkbox" name="active" defaultChecked={e.status === 'active'} /> Active (a disabled endpoint receives nothing; turning it on again resets its failure count)
        </label>
      ) : null}
      <FormError error={props.error} fields={FIELDS} />
      <div className="form-actions">
        <SubmitButton busy={props.busy}>{props.submitLabel}</SubmitButton>
        {props.onCancel ? (
          <button type="button" className="button" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function toggle(set: Set<string>, x: string, on: boolean): Set<string> {
  const next = new Set(set);
  if (on) next.add(x);
  else next.delete(x);
  return next;
}

function EventCheck(props: { name: string; checked: boolean; onChange(on: boolean): void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.currentTarget.checked)} /> <code>{props.name}</code>
    </label>
  );
}
