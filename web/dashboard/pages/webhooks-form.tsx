import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { QueryView } from '../ui/states';
import type { OutboundEvent, PayloadFormat } from './events-shared';

type Endpoint = components['schemas']['WebhookEndpoint'];
type Catalog = components['schemas']['WebhookEventTypes'];
export type EndpointInput = { url: string; description: string | null; events: OutboundEvent[]; payload_format: PayloadFormat; status?: 'active' | 'disabled' };

const FIELDS = ['url', 'description', 'events', 'payload_format', 'status'];

type FormProps = { endpoint?: Endpoint; busy: boolean; error: unknown; submitLabel: string; onSubmit(input: EndpointInput): void; onCancel?: () => void };

/**
 * An outbound endpoint's form: a new one (no `endpoint`) or changes to one. The events and payload formats to choose
 * from, and the defaults of a new endpoint, are the server's (GET /api/v1/webhooks/event-types).
 */
export function EndpointForm(props: FormProps) {
  const { project_id } = useProject();
  const catalog = useQuery({
    queryKey: ['p', project_id, 'webhooks', 'event-types'],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks/event-types')),
    staleTime: Infinity,
  });
  return (
    <QueryView query={catalog} loadingLabel="Loading the events and payload formats…">
      {(r) => <EndpointFormOf catalog={r.data} {...props} />}
    </QueryView>
  );
}

function EndpointFormOf(props: FormProps & { catalog: Catalog }) {
  const e = props.endpoint;
  const { catalog } = props;
  const [events, setEvents] = useState<Set<string>>(new Set(e ? e.events : catalog.events.filter((x) => x.default).map((x) => x.name)));
  const names = catalog.events.map((x) => x.name);
  const defaultFormat = catalog.payload_formats.find((f) => f.default_for_new_endpoints)?.name ?? catalog.payload_formats[0]?.name;
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
          events: names.filter((x) => events.has(x)),
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
            {catalog.events
              .filter((x) => x.family === 'refgrow')
              .map(({ name: x }) => (
                <EventCheck key={x} name={x} checked={events.has(x)} onChange={(on) => setEvents(toggle(events, x, on))} />
              ))}
          </div>
          <div>
            <p className="hint">Refferq's events</p>
            {catalog.events
              .filter((x) => x.family === 'refferq')
              .map(({ name: x }) => (
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
      <Field
        label="Payload format"
        name="payload_format"
        as="select"
        defaultValue={e?.payload_format ?? defaultFormat}
        errors={errors}
        hint={
          <>
            {catalog.payload_formats.map((f, i) => (
              <span key={f.name}>
                {i > 0 ? ' ' : null}
                <code>{f.name}</code>: {f.description}.
              </span>
            ))}
          </>
        }
      >
        {catalog.payload_formats.map((f) => (
          <option key={f.name} value={f.name}>
            {f.name}
            {f.default_for_new_endpoints ? ' (default)' : ''}
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
