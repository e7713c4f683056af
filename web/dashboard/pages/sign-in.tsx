import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, unwrap } from '../api/client';
import type { Me, SignedOutReason } from '../session';
import { Field, FormError, SubmitButton, fieldErrors } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PublicLayout } from '../ui/layout';
import { Loading } from '../ui/states';

export function SignInPage(props: { reason: SignedOutReason; signedIn(me: Me): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <PublicLayout title="Sign in">
      {props.reason === 'expired' ? (
        <p className="notice notice-error" role="alert">
          Your session has ended. Sign in again to continue.
        </p>
      ) : null}
      <form
        className="form"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setBusy(true);
          setError(null);
          try {
            const answer = await unwrap(api.POST('/api/dashboard/login', { body: { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') } }));
            props.signedIn(answer.data as unknown as Me);
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="username" required errors={fieldErrors(error)} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={fieldErrors(error)} />
        <FormError error={error} fields={['email', 'password']} />
        <SubmitButton busy={busy}>Sign in</SubmitButton>
      </form>
      <p className="public-links">
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
    </PublicLayout>
  );
}

export function ForgotPasswordPage() {
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <PublicLayout title="Reset your password">
      {sent ? (
        <p role="status">
          If <strong>{sent}</strong> has an account, an email with a link to set a new password is on its way. The link works once, for an hour.
        </p>
      ) : (
        <form
          className="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const email = String(new FormData(e.currentTarget).get('email') ?? '');
            setBusy(true);
            setError(null);
            try {
              await unwrap(api.POST('/api/dashboard/password-reset', { body: { email } }));
              setSent(email);
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field label="Email" name="email" type="email" autoComplete="username" required errors={fieldErrors(error)} />
          <FormError error={error} fields={['email']} />
          <SubmitButton busy={busy}>Email me a link</SubmitButton>
        </form>
      )}
      <p className="public-links">
        <Link href="/sign-in">Back to sign-in</Link>
      </p>
    </PublicLayout>
  );
}

/** The token travels in the address's fragment (#token=…), which browsers never send to a server or a Referer. */
export function tokenFromFragment(): string {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
}

export function ResetPasswordPage() {
  const [token] = useState(tokenFromFragment);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <PublicLayout title="Choose a new password">
      {!token ? (
        <p role="alert">This address has no reset token. Open the link from the email again, or ask for a new one.</p>
      ) : done ? (
        <p role="status">Your password is changed and every other session has ended.</p>
      ) : (
        <form
          className="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const password = String(new FormData(e.currentTarget).get('password') ?? '');
            setBusy(true);
            setError(null);
            try {
              await unwrap(api.POST('/api/dashboard/password-reset/confirm', { body: { token, password } }));
              history.replaceState(null, '', location.pathname);
              setDone(true);
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field label="New password" name="password" type="password" autoComplete="new-password" minLength={10} maxLength={256} required hint="At least 10 characters." errors={fieldErrors(error)} />
          <FormError error={error} fields={['password']} />
          <SubmitButton busy={busy}>Set the password</SubmitButton>
        </form>
      )}
      <p className="public-links">
        <Link href="/sign-in">{done ? 'Sign in' : 'Back to sign-in'}</Link>
      </p>
    </PublicLayout>
  );
}

export function AcceptInvitationPage(props: { signedIn(me: Me): void }) {
  const [token] = useState(tokenFromFragment);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // what the link invites to, so the person knows what they join and which password is asked for
  const invitation = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => unwrap(api.POST('/api/dashboard/invitations/describe', { body: { token } })).then((a) => a.data),
    enabled: token !== '',
    retry: false,
  });
  return (
    <PublicLayout title="Join a project">
      {!token ? (
        <p role="alert">This address has no invitation token. Open the link from the invitation email again.</p>
      ) : invitation.isPending ? (
        <Loading label="Reading the invitation…" />
      ) : invitation.isError ? (
        <p role="alert">{invitation.error instanceof ApiError ? invitation.error.message : 'The invitation could not be read. Try again.'}</p>
      ) : (
        <form
          className="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const password = String(new FormData(e.currentTarget).get('password') ?? '');
            setBusy(true);
            setError(null);
            try {
              const answer = await unwrap(api.POST('/api/dashboard/invitations/accept', { body: { token, password } }));
              history.replaceState(null, '', '/dashboard');
              props.signedIn(answer.data as unknown as Me);
            } catch (err) {
              setError(err);
              setBusy(false);
            }
          }}
        >
          <p>
            {invitation.data.invited_by} invited <strong>{invitation.data.email}</strong> to the <strong>{invitation.data.project_name}</strong> affiliate dashboard as{' '}
            {invitation.data.role === 'admin' ? 'an admin' : `a ${invitation.data.role}`}. The link is valid until {formatDateTime(invitation.data.expires_at)}.
          </p>
          {invitation.data.account_exists ? (
            <>
              <p>This address has a Refwire dashboard account: enter its password to add the project to it.</p>
              <Field label="Your password" name="password" type="password" autoComplete="current-password" maxLength={256} required errors={fieldErrors(error)} />
            </>
          ) : (
            <Field label="Choose a password" name="password" type="password" autoComplete="new-password" hint="At least 10 characters." maxLength={256} required errors={fieldErrors(error)} />
          )}
          <FormError error={error} fields={['password']} />
          <SubmitButton busy={busy}>Join</SubmitButton>
        </form>
      )}
    </PublicLayout>
  );
}
