import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { Me, SignedOutReason } from '../session';
import { Field, FormError, SubmitButton, fieldErrors } from '../ui/form';
import { PublicLayout } from '../ui/layout';

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
  return (
    <PublicLayout title="Join a project">
      {!token ? (
        <p role="alert">This address has no invitation token. Open the link from the invitation email again.</p>
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
          <p>Choose a password for your new account, or give your existing account's password to add the project to it.</p>
          <Field label="Password" name="password" type="password" autoComplete="new-password" maxLength={256} required errors={fieldErrors(error)} />
          <FormError error={error} fields={['password']} />
          <SubmitButton busy={busy}>Join</SubmitButton>
        </form>
      )}
    </PublicLayout>
  );
}
