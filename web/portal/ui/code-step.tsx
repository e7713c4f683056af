import type { ComponentChildren, Ref } from 'preact';
import { usePortal } from './context';

/**
 * The step where the 6-digit code an email brought is entered: the sign-in's and the application's alike. `sent`
 * says where the code went; `alert` is the step's error (its element's id is `errorId`), `back` the way out.
 */
export function CodeStep(props: {
  id: string;
  step: string;
  sent: string;
  inputRef: Ref<HTMLInputElement>;
  code: string;
  setCode: (code: string) => void;
  alert: ComponentChildren;
  errorId: string;
  busy: boolean;
  submit: { label: string; busyLabel: string; onSubmit: (e: Event) => void };
  back: { label: string; onBack: () => void };
}) {
  const { t } = usePortal();
  const sentId = `${props.id}-sent`;
  return (
    <form onSubmit={props.submit.onSubmit} noValidate data-step={props.step}>
      <p class="rw-notice" id={sentId}>
        {props.sent}
      </p>
      <div class="rw-field">
        <label for={props.id}>{t('code_label')}</label>
        <input
          ref={props.inputRef}
          id={props.id}
          class="rw-input"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          dir="ltr"
          required
          value={props.code}
          onInput={(e) => {
            // no maxLength: it would cut a pasted "330 738" or "  330738" before the spaces go; six digits kept
            const input = e.target as HTMLInputElement;
            props.setCode((input.value = input.value.replace(/\s+/g, '').slice(0, 6)));
          }}
          aria-invalid={props.alert ? 'true' : undefined}
          aria-describedby={props.alert ? `${sentId} ${props.errorId}` : sentId}
        />
      </div>
      {props.alert}
      <div class="rw-row">
        <button class="rw-btn" type="submit" disabled={props.busy || props.code.trim().length < 6}>
          {props.busy ? props.submit.busyLabel : props.submit.label}
        </button>
        <button type="button" class="rw-btn rw-btn-quiet" onClick={props.back.onBack}>
          {props.back.label}
        </button>
      </div>
    </form>
  );
}
