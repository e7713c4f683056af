import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { iso } from '../format';
import { Apply } from './apply';
import { CodeStep } from './code-step';
import { errorMessage, useSubmit } from './common';
import { usePortal } from './context';

/** The hosted page's sign-in: an email, then the 6-digit code Refwire emailed (PRODUCT.md §13). */
export function SignIn(props: { program: string; ended?: boolean; onSignedIn: () => void }) {
  const { t, lang, api, announce } = usePortal();
  const [step, setStep] = useState<'email' | 'code'>('email');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  // not an affiliate yet: the program's application, in place of the sign-in
  const [applying, setApplying] = useState(false);

  // moving focus to the field the next step needs tells keyboard and screen-reader users where they are
  useLayoutEffect(() => {
    if (!applying) (step === 'code' ? codeInput : emailInput).current?.focus();
  }, [step, applying]);

  const { busy, submit } = useSubmit(setError);
  const send = submit(
    async () => {
      await api.login(email.trim());
      setStep('code');
      announce(t('code_sent', { email: iso(email.trim()) }));
    },
    // the server judges the address (a disabled button said nothing of why)
    (err) => (err instanceof ApiError && err.status === 400 ? t('email_invalid') : errorMessage(t, lang, err)),
  );
  const verify = submit(
    async () => {
      await api.verify(email.trim(), code.replace(/\s+/g, ''));
      props.onSignedIn();
    },
    (err) => (err instanceof ApiError && (err.status === 401 || err.status === 400) ? t('code_wrong') : errorMessage(t, lang, err)),
  );

  if (applying) {
    return (
      <Apply
        program={props.program}
        email={email.trim()}
        onSignIn={(address) => {
          setEmail(address);
          setStep('email');
          setCode('');
          setError(null);
          setApplying(false);
        }}
      />
    );
  }

  return (
    <div class="rw-card rw-signin">
      <h1>{t('signin_title', { program: props.program })}</h1>
      {step === 'email' ? (
        <form onSubmit={send} noValidate data-step="email">
          {/* the session ended while the dashboard was open: why the sign-in is back */}
          {props.ended && !error && (
            <p class="rw-alert" role="alert" data-state="expired">
              {t('error_session')}
            </p>
          )}
          <p class="rw-muted">{t('signin_intro')}</p>
          <div class="rw-field">
            <label for="rw-email">{t('email_label')}</label>
            <input ref={emailInput} id="rw-email" class="rw-input" type="email" autoComplete="email" dir="ltr" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'rw-signin-error' : undefined} />
          </div>
          {error && (
            <p id="rw-signin-error" class="rw-alert" role="alert">
              {error}
            </p>
          )}
          <button class="rw-btn" type="submit" disabled={busy}>
            {busy ? t('sending') : t('send_code')}
          </button>
          <p class="rw-muted rw-apply-offer">
            {t('apply_offer')}{' '}
            <button type="button" class="rw-link" onClick={() => setApplying(true)}>
              {t('apply_link')}
            </button>
          </p>
        </form>
      ) : (
        <CodeStep
          id="rw-code"
          step="code"
          sent={t('code_sent', { email: iso(email.trim()) })}
          inputRef={codeInput}
          code={code}
          setCode={setCode}
          alert={
            error && (
              <p id="rw-signin-error" class="rw-alert" role="alert">
                {error}
              </p>
            )
          }
          errorId="rw-signin-error"
          busy={busy}
          submit={{ label: t('verify'), busyLabel: t('verifying'), onSubmit: verify }}
          back={{
            label: t('use_other_email'),
            onBack: () => {
              setStep('email');
              setCode('');
              setError(null);
            },
          }}
        />
      )}
    </div>
  );
}
