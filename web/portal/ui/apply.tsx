import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Application } from '../api';
import { iso } from '../format';
import { CodeStep } from './code-step';
import { errorMessage, useSubmit } from './common';
import { usePortal } from './context';

/**
 * The hosted page's application to the program (PRODUCT.md §12): who applies, then the 6-digit code Refwire
 * emailed to confirm the address. Verified, the applicant is an affiliate, waiting for the merchant's approval or
 * active at once; `onSignIn` goes back to the sign-in with the address filled in.
 */
export function Apply(props: { program: string; email: string; onSignIn: (email: string) => void }) {
  const { t, lang, api, announce } = usePortal();
  const [step, setStep] = useState<'form' | 'code' | 'done'>('form');
  const [name, setName] = useState('');
  const [email, setEmail] = useState(props.email);
  const [website, setWebsite] = useState('');
  const [message, setMessage] = useState('');
  const [code, setCode] = useState('');
  // `invalid`: the fields were refused (the address); `exists`: the address is an affiliate's already
  const [error, setError] = useState<{ text: string; exists?: boolean; invalid?: boolean } | null>(null);
  const [made, setMade] = useState<Application | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const result = useRef<HTMLParagraphElement>(null);

  // each step takes focus where its work is, so keyboard and screen-reader users know where they are
  useLayoutEffect(() => {
    (step === 'form' ? nameInput : step === 'code' ? codeInput : result).current?.focus();
  }, [step]);

  // a rejected address is sent no sign-in code: it is told so, not offered the sign-in (src/api/applications.ts)
  const refused = (err: unknown) =>
    err instanceof ApiError && err.status === 409
      ? /not accepted/.test(err.message)
        ? { text: t('apply_not_accepted') }
        : { text: t('apply_exists'), exists: true }
      : { text: errorMessage(t, lang, err) };

  const { busy, submit } = useSubmit(setError);
  const send = submit(
    async () => {
      await api.apply({ name: name.trim(), email: email.trim(), website: website.trim() || null, message: message.trim() || null });
      setStep('code');
      announce(t('apply_code_sent', { email: iso(email.trim()) }));
    },
    (err) => (err instanceof ApiError && err.status === 400 ? { text: t('apply_invalid'), invalid: true } : refused(err)),
  );
  const verify = submit(
    async () => {
      setMade(await api.verifyApplication(email.trim(), code.replace(/\s+/g, '')));
      setStep('done');
    },
    // wrong (400), none waiting (404), expired (410), or ended by its fifth wrong try (429): a new code is needed
    (err) => (err instanceof ApiError && [400, 404, 410, 429].includes(err.status) ? { text: t('code_wrong') } : refused(err)),
  );

  const alert = error && (
    <div id="rw-apply-error" class="rw-alert" role="alert">
      <p>{error.text}</p>
      {error.exists && (
        <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={() => props.onSignIn(email.trim())}>
          {t('sign_in_now')}
        </button>
      )}
    </div>
  );
  const invalid = error?.invalid ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'rw-apply-error' } : {};

  return (
    <div class="rw-card rw-signin rw-apply">
      <h1>{t('apply_title', { program: props.program })}</h1>
      {step === 'form' && (
        <form onSubmit={send} noValidate data-step="apply">
          <p class="rw-muted">{t('apply_intro')}</p>
          <div class="rw-field">
            <label for="rw-apply-name">{t('name_label')}</label>
            <input ref={nameInput} id="rw-apply-name" class="rw-input" type="text" autoComplete="name" maxLength={200} required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </div>
          <div class="rw-field">
            <label for="rw-apply-email">{t('email_label')}</label>
            <input id="rw-apply-email" class="rw-input" type="email" autoComplete="email" dir="ltr" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} {...invalid} />
          </div>
          <div class="rw-field">
            <label for="rw-apply-website">{t('website_label')}</label>
            <input id="rw-apply-website" class="rw-input" type="url" autoComplete="url" dir="ltr" maxLength={2048} value={website} onInput={(e) => setWebsite((e.target as HTMLInputElement).value)} />
          </div>
          <div class="rw-field">
            <label for="rw-apply-message">{t('message_label')}</label>
            <textarea id="rw-apply-message" class="rw-input" rows={4} maxLength={2000} value={message} onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)} />
          </div>
          {alert}
          <div class="rw-row">
            <button class="rw-btn" type="submit" disabled={busy || name.trim() === '' || !email.includes('@')}>
              {busy ? t('sending') : t('apply_submit')}
            </button>
            <button type="button" class="rw-btn rw-btn-quiet" onClick={() => props.onSignIn(email.trim())}>
              {t('back_to_signin')}
            </button>
          </div>
        </form>
      )}
      {step === 'code' && (
        <CodeStep
          id="rw-apply-code"
          step="apply-code"
          sent={t('apply_code_sent', { email: iso(email.trim()) })}
          inputRef={codeInput}
          code={code}
          setCode={setCode}
          alert={alert}
          errorId="rw-apply-error"
          busy={busy}
          submit={{ label: t('apply_confirm'), busyLabel: t('verifying'), onSubmit: verify }}
          back={{
            label: t('apply_edit'),
            onBack: () => {
              setStep('form');
              setCode('');
              setError(null);
            },
          }}
        />
      )}
      {step === 'done' && made && (
        <div data-step="applied" data-status={made.status}>
          <p ref={result} tabIndex={-1} class="rw-notice" role="status">
            {made.status === 'active' ? t('apply_active', { code: iso(made.referral_code) }) : t('apply_pending')}
          </p>
          <button type="button" class="rw-btn" onClick={() => props.onSignIn(made.email)}>
            {made.status === 'active' ? t('sign_in_now') : t('back_to_signin')}
          </button>
        </div>
      )}
    </div>
  );
}
