import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { WriteOnly } from '../ui/page';
import { CopyButton } from './api-keys-copy';

type Issued = { token: string; expires_at: string; email: string };

/**
 * How to put the portal in the merchant's own app (PRODUCT.md §13): the embed code with this project's id, the call
 * the merchant's backend makes for each signed-in affiliate, and a token minted here for one affiliate, to try the
 * embed before that backend exists. A token is a credential to that affiliate's portal for 10 minutes.
 */
export function PortalEmbedSection() {
  const { project_id: projectId } = useProject();
  const announce = useAnnounce();
  const [email, setEmail] = useState('');
  const [issued, setIssued] = useState<Issued | null>(null);
  const issue = useMutation({
    mutationFn: (address: string) =>
      unwrap(api.POST('/api/v1/affiliates/{email}/embed-tokens', { params: { path: { email: address } } })).then((a) => ({
        token: a.data.token,
        expires_at: a.data.expires_at,
        email: address,
      })),
    onSuccess: (t) => {
      setIssued(t);
      announce(`Embed token issued for ${t.email}, valid until ${formatDateTime(t.expires_at)}.`);
    },
  });
  const origin = window.location.origin;
  const snippet = (token: string) =>
    `<script src="${origin}/js/refwire-portal.js" async></script>\n<div data-refwire-portal data-project-id="${projectId}" data-token="${token}"></div>`;
  const backendCall = `curl -X POST ${origin}/api/v1/affiliates/AFFILIATE_EMAIL/embed-tokens \\\n  -H "Authorization: Bearer $REFWIRE_API_KEY"`;
  // the API names the path's email "email"; the form's field is the same
  const errors = fieldErrors(issue.error);
  return (
    <section className="card" aria-labelledby="embed-title">
      <h2 id="embed-title">Embed the portal in your app</h2>
      <p className="hint">
        Your backend knows which affiliate is signed in to your app. For each page it asks Refwire for a token for that affiliate (valid 10 minutes) and writes it into the
        embed code, so the affiliate sees their portal without a second sign-in and no page can claim to be someone else.
      </p>
      <h3>Embed code</h3>
      <pre tabIndex={0} aria-label="Embed code">
        {snippet('TOKEN_FROM_YOUR_BACKEND')}
      </pre>
      <h3>Your backend's call (with an API key of this project)</h3>
      <pre tabIndex={0} aria-label="The backend's call for a token">
        {backendCall}
      </pre>
      <WriteOnly>
        <h3>Try it with a token issued here</h3>
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setIssued(null);
            issue.mutate(email.trim());
          }}
        >
          <Field
            label="Affiliate's email"
            name="email"
            type="email"
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            errors={errors}
            required
            hint="The token opens this affiliate's portal, with their real figures, to whoever holds it, for 10 minutes"
          />
          <FormError error={issue.error} fields={['email']} />
          <div className="form-actions">
            <SubmitButton busy={issue.isPending} disabled={email.trim() === ''}>
              Issue a token
            </SubmitButton>
          </div>
        </form>
        {issued ? (
          <div aria-live="polite">
            <p>
              A token for <strong>{issued.email}</strong>, valid until {formatDateTime(issued.expires_at)}:
            </p>
            <pre tabIndex={0} aria-label={`Embed code with the token for ${issued.email}`}>
              {snippet(issued.token)}
            </pre>
            <div className="form-actions">
              <CopyButton text={snippet(issued.token)} label={`Copy the embed code with the token for ${issued.email}`} />
            </div>
          </div>
        ) : null}
      </WriteOnly>
    </section>
  );
}
