import { useState } from 'react';
import { api, unwrap } from '../api/client';
import type { Me } from '../session';
import { Field, FormError, SubmitButton, fieldErrors } from '../ui/form';
import { PublicLayout } from '../ui/layout';

type SetupAnswer = Me & { project?: { id: string; name: string; currency: string; api_key: string } };

/**
 * The first owner (PRODUCT.md §14), while no user exists: the operator's ADMIN_TOKEN proves the right to make it.
 * A new project's API key is shown here once; the dashboard itself never needs it.
 */
export function SetupPage(props: { signedIn(me: Me): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [created, setCreated] = useState<SetupAnswer | null>(null);
  if (created?.project) {
    const me = created;
    return (
      <PublicLayout title="Your project is ready">
        <p>
          <strong>{created.project.name}</strong> is created and you are its owner. Its API key is shown this once: keep it where your servers read secrets. The dashboard
          does not need it.
        </p>
        <div className="secret-once">
          <label htmlFor="new-api-key">API key</label>
          <input id="new-api-key" readOnly value={created.project.api_key} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" className="button" onClick={() => void navigator.clipboard?.writeText(created.project!.api_key)}>
            Copy
          </button>
        </div>
        <button type="button" className="button button-primary" onClick={() => props.signedIn(me)}>
          Continue to the dashboard
        </button>
      </PublicLayout>
    );
  }
  const fields = ['admin_token', 'email', 'password', 'project_id', 'project_name', 'currency'];
  return (
    <PublicLayout title="Set up Refwire">
      <p>No one can sign in yet. Create the first owner with the operator's ADMIN_TOKEN (the one Refwire was started with).</p>
      <form
        className="form"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const get = (k: string) => String(f.get(k) ?? '').trim();
          setBusy(true);
          setError(null);
          try {
            const body =
              mode === 'new'
                ? { email: get('email'), password: String(f.get('password') ?? ''), project_name: get('project_name'), currency: get('currency') || 'USD' }
                : { email: get('email'), password: String(f.get('password') ?? ''), project_id: get('project_id') };
            const answer = await unwrap(api.POST('/api/dashboard/setup', { body, headers: { Authorization: `Bearer ${get('admin_token')}` } }));
            const data = answer.data as unknown as SetupAnswer;
            if (data.project) setCreated(data);
            else props.signedIn(data);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="ADMIN_TOKEN" name="admin_token" type="password" autoComplete="off" required errors={fieldErrors(error)} hint="Printed by Refwire's first start, or the value you set." />
        <Field label="Your email" name="email" type="email" autoComplete="username" required errors={fieldErrors(error)} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" minLength={10} maxLength={256} required hint="At least 10 characters." errors={fieldErrors(error)} />
        <fieldset className="choice">
          <legend>Project</legend>
          <label>
            <input type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} /> Create a new project
          </label>
          <label>
            <input type="radio" name="mode" value="existing" checked={mode === 'existing'} onChange={() => setMode('existing')} /> Own an existing project
          </label>
        </fieldset>
        {mode === 'new' ? (
          <>
            <Field label="Project name" name="project_name" required maxLength={200} errors={fieldErrors(error)} />
            <Field label="Currency" name="currency" defaultValue="USD" pattern="[A-Za-z]{3}" maxLength={3} hint="ISO 4217, e.g. USD, EUR, JPY: commissions are reported in it." errors={fieldErrors(error)} />
          </>
        ) : (
          <Field label="Project id" name="project_id" required errors={fieldErrors(error)} hint="From `refwire project create` or GET /api/admin/projects." />
        )}
        <FormError error={error} fields={fields} />
        <SubmitButton busy={busy}>Create the owner</SubmitButton>
      </form>
    </PublicLayout>
  );
}
