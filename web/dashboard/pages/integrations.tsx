import { Tab, TabGroup, TabList, TabPanel, TabPanels } from '@headlessui/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { Field, FormError, fieldErrors, formValues, SubmitButton } from '../ui/form';
import { formatCount, formatDateTime } from '../ui/format';
import { PageHeader, WriteOnly } from '../ui/page';
import { ErrorState, Loading } from '../ui/states';
import { CopyField, type Provider } from './events-shared';

type Integration = components['schemas']['IntegrationWithActivity'];
type SupportedProvider = components['schemas']['SupportedProvider'];

export function IntegrationsPage() {
  const { project_id } = useProject();
  // every provider the server supports (its URL on PUBLIC_URL, the events to enable), and the connections' details
  const providers = useQuery({ queryKey: ['p', project_id, 'integrations', 'providers'], queryFn: () => unwrap(api.GET('/api/v1/integrations/providers')) });
  const list = useQuery({ queryKey: ['p', project_id, 'integrations'], queryFn: () => unwrap(api.GET('/api/v1/integrations')) });
  return (
    <>
      <PageHeader
        title="Integrations"
        description="Connect your payment provider so its payments, renewals and refunds reach Refwire. Give the provider the webhook URL and the events below, then paste the signing secret it shows — or let Refwire set it up with an API key."
      />
      {providers.isError ? (
        <ErrorState error={providers.error} retry={() => void providers.refetch()} />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : providers.isPending || list.isPending ? (
        <Loading label="Loading the integrations…" />
      ) : (
        <>
          {list.data.data.length === 0 ? (
            <p className="callout callout-info" role="note">
              No provider is connected yet: pick yours below and connect it. Until then, no sale reaches Refwire.
            </p>
          ) : null}
          <div className="integration-list">
            {providers.data.data.map((p) => (
              <ProviderCard key={p.provider} supported={p} integration={list.data.data.find((i) => i.provider === p.provider) ?? null} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

function ProviderCard(props: { supported: SupportedProvider; integration: Integration | null }) {
  const { project_id } = useProject();
  const { supported, integration } = props;
  const { provider, name: label, webhook_url: webhookUrl, events } = supported;
  const client = useQueryClient();
  const announce = useAnnounce();
  const [confirming, setConfirming] = useState(false);
  const invalidate = () => client.invalidateQueries({ queryKey: ['p', project_id] });

  const reconcile = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/integrations/{provider}/reconcile', { params: { path: { provider } }, body: {} })),
    onSuccess: (r) => {
      void invalidate();
      announce(`${label} reconciled: ${r.data.listed} read back, ${r.data.recovered} recovered, ${r.data.duplicates} already received.`);
    },
  });

  return (
    <section className="card integration" aria-labelledby={`provider-${provider}`}>
      <header className="integration-header">
        <h2 id={`provider-${provider}`}>{label}</h2>
        <span className={`badge ${integration ? 'badge-active' : ''}`}>{integration ? 'connected' : 'not connected'}</span>
      </header>
      <CopyField label={`${label} webhook URL`} id={`url-${provider}`} value={webhookUrl} />
      <details className="details">
        <summary>Events to enable at {label} ({events.length})</summary>
        <ul className="event-names">
          {events.map((e) => (
            <li key={e}>
              <code>{e}</code>
            </li>
          ))}
        </ul>
      </details>
      {integration ? (
        <>
          <dl className="details-list">
            <dt>Webhook signing secret</dt>
            <dd>
              <code>{integration.webhook_secret_hint}</code>
            </dd>
            {integration.previous_secret ? (
              <>
                <dt>Previous secret</dt>
                <dd>
                  <code>{integration.previous_secret.hint}</code>, still accepted until {formatDateTime(integration.previous_secret.expires_at)}
                </dd>
              </>
            ) : null}
            <dt>API key</dt>
            <dd>{integration.api_key_hint ? <code>{integration.api_key_hint}</code> : 'none kept'}</dd>
            {provider === 'lemonsqueezy' ? (
              <>
                <dt>Store</dt>
                <dd>{integration.store_id ? <code>{integration.store_id}</code> : "the API key's only store"}</dd>
              </>
            ) : null}
            {integration.reconciliation ? (
              <>
                <dt>Reconciled through</dt>
                <dd>
                  {formatDateTime(integration.reconciliation.reconciled_through)}
                  {integration.reconciliation.error ? <span className="field-error"> — last run failed: {integration.reconciliation.error}</span> : null}
                </dd>
              </>
            ) : null}
            <dt>Connected</dt>
            <dd>{formatDateTime(integration.created_at)}</dd>
          </dl>
          <Activity integration={integration} label={label} />
          <WriteOnly>
            <div className="integration-actions">
              {integration.api_key_hint ? (
                <button type="button" className="button" disabled={reconcile.isPending} aria-busy={reconcile.isPending || undefined} onClick={() => reconcile.mutate()}>
                  Reconcile now
                </button>
              ) : null}
              <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
                Disconnect {label}
              </button>
            </div>
            <FormError error={reconcile.error} />
            <ConfirmDialog
              open={confirming}
              title={`Disconnect ${label}?`}
              description={<p>Refwire forgets its secrets and refuses {label}'s webhooks from now on: sales made meanwhile are not attributed. Events already received stay.</p>}
              confirmLabel="Disconnect"
              danger
              onClose={() => setConfirming(false)}
              onConfirm={async () => {
                await unwrap(api.DELETE('/api/v1/integrations/{provider}', { params: { path: { provider } } }));
                await invalidate();
                announce(`${label} disconnected`);
              }}
            />
          </WriteOnly>
        </>
      ) : null}
      <WriteOnly>
        <ConnectForms provider={provider} label={label} connected={integration !== null} autoConnect={supported.auto_connect} />
      </WriteOnly>
    </section>
  );
}

/** The provider's last event and its events and failures of the last 24 hours (the list's activity fields). */
function Activity(props: { integration: Integration; label: string }) {
  const i = props.integration;
  return (
    <dl className="details-list integration-activity">
      <dt>Last event received</dt>
      <dd>
        {i.last_event_received_at ? (
          <Link href={`/events?provider=${i.provider}`}>{formatDateTime(i.last_event_received_at)}</Link>
        ) : (
          `none yet: send a test event from ${props.label}`
        )}
      </dd>
      <dt>Events, last 24 hours</dt>
      <dd>{formatCount(i.events_last_24h)}</dd>
      <dt>Failures, last 24 hours</dt>
      <dd>
        {i.failures_last_24h === 0 ? (
          'none'
        ) : (
          <Link href={`/events?provider=${i.provider}&status=failed`} className="failures-link">
            {formatCount(i.failures_last_24h)} failed event{i.failures_last_24h === 1 ? '' : 's'}
          </Link>
        )}
      </dd>
    </dl>
  );
}

/** The ways to connect: its webhook secret, and with an API key where the server can create the endpoint itself. */
function ConnectForms(props: { provider: Provider; label: string; connected: boolean; autoConnect: boolean }) {
  const { autoConnect, ...form } = props;
  if (!autoConnect) return <SecretForm {...form} />;
  return (
    <TabGroup className="connect-tabs">
      <TabList className="tab-list" aria-label={`Ways to connect ${props.label}`}>
        <Tab className="tab">{props.connected ? 'New webhook secret' : 'Webhook secret'}</Tab>
        <Tab className="tab">API key (automatic)</Tab>
      </TabList>
      <TabPanels>
        <TabPanel className="tab-panel">
          <SecretForm {...form} />
        </TabPanel>
        <TabPanel className="tab-panel">
          <ApiKeyForm {...form} />
        </TabPanel>
      </TabPanels>
    </TabGroup>
  );
}

const SECRET_HINT: Record<Provider, string> = {
  stripe: 'Shown by Stripe on the webhook endpoint you created with the URL above ("whsec_…").',
  paddle: "Paddle's notification destination secret key.",
  lemonsqueezy: 'The signing secret you typed when creating the Lemon Squeezy webhook.',
  polar: "The secret of the Polar webhook endpoint.",
};

function SecretForm(props: { provider: Provider; label: string; connected: boolean }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const save = useMutation({
    mutationFn: (body: { webhook_secret?: string; api_key?: string; store_id?: string }) =>
      unwrap(api.PUT('/api/v1/integrations/{provider}', { params: { path: { provider: props.provider } }, body })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      announce(props.connected ? `${props.label} webhook secret changed` : `${props.label} connected`);
    },
  });
  const errors = fieldErrors(save.error);
  return (
    <form
      className="form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const v = formValues(form);
        save.mutate(
          { webhook_secret: v.webhook_secret ?? '', ...(v.api_key ? { api_key: v.api_key } : {}), ...(v.store_id ? { store_id: v.store_id } : {}) },
          { onSuccess: () => form.reset() },
        );
      }}
    >
      <Field label={`${props.label} webhook signing secret`} name="webhook_secret" type="password" autoComplete="off" spellCheck={false} hint={SECRET_HINT[props.provider]} errors={errors} />
      <Field label="API key (optional)" name="api_key" type="password" autoComplete="off" spellCheck={false} hint="Lets Refwire look up what webhooks leave out and reconcile missed events." errors={errors} />
      {props.provider === 'lemonsqueezy' ? (
        <Field label="Store ID (when the key sees several stores)" name="store_id" inputMode="numeric" hint="The store whose orders reconciliation reads: its webhooks come from that store alone." errors={errors} />
      ) : null}
      <FormError error={save.error} fields={['webhook_secret', 'api_key', 'store_id']} />
      <div>
        <SubmitButton busy={save.isPending}>{props.connected ? 'Save the new secret' : `Connect ${props.label}`}</SubmitButton>
      </div>
    </form>
  );
}

function ApiKeyForm(props: { provider: Provider; label: string; connected: boolean }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const connect = useMutation({
    mutationFn: (body: { api_key: string; store_id?: string; organization_id?: string; sandbox?: boolean }) =>
      unwrap(api.POST('/api/v1/integrations/{provider}/connect', { params: { path: { provider: props.provider } }, body })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      announce(`${props.label} connected: Refwire created its webhook endpoint`);
    },
  });
  const errors = fieldErrors(connect.error);
  return (
    <form
      className="form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const v = formValues(form);
        connect.mutate(
          {
            api_key: v.api_key ?? '',
            ...(v.store_id ? { store_id: v.store_id } : {}),
            ...(v.organization_id ? { organization_id: v.organization_id } : {}),
            ...(v.sandbox ? { sandbox: true } : {}),
          },
          { onSuccess: () => form.reset() },
        );
      }}
    >
      <p className="hint">Refwire creates the webhook endpoint at {props.label} with the events above and keeps its signing secret.</p>
      <Field label={`${props.label} API key`} name="api_key" type="password" autoComplete="off" spellCheck={false} errors={errors} />
      {props.provider === 'lemonsqueezy' ? <Field label="Store ID (when the key sees several stores)" name="store_id" errors={errors} /> : null}
      {props.provider === 'polar' ? <Field label="Organization ID (optional)" name="organization_id" errors={errors} /> : null}
      {props.provider === 'paddle' || props.provider === 'polar' ? (
        <label className="check">
          <input type="checkbox" name="sandbox" value="yes" /> Sandbox account
        </label>
      ) : null}
      <FormError error={connect.error} fields={['api_key', 'store_id', 'organization_id']} />
      <div>
        <SubmitButton busy={connect.isPending}>Connect automatically</SubmitButton>
      </div>
    </form>
  );
}
