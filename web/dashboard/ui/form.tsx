import { useEffect, useId, useLayoutEffect, useRef, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { ApiError } from '../api/client';

/**
 * A labelled input with its hint and its error, wired for screen readers (aria-describedby, aria-invalid). `name`
 * is the field's name in the API, so the error the server gives for that field shows here (`errors` from
 * ApiError.fields).
 */
export function Field(
  props: { label: string; name: string; hint?: ReactNode; errors?: Record<string, string> | null; as?: 'input' | 'textarea' | 'select'; children?: ReactNode } & InputHTMLAttributes<HTMLInputElement> &
    TextareaHTMLAttributes<HTMLTextAreaElement> &
    SelectHTMLAttributes<HTMLSelectElement>,
) {
  const { label, hint, errors, as = 'input', children, ...rest } = props;
  const id = useId();
  const error = errors?.[props.name];
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy };
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {as === 'textarea' ? (
        <textarea {...(rest as TextareaHTMLAttributes<HTMLTextAreaElement>)} {...common} />
      ) : as === 'select' ? (
        <select {...(rest as SelectHTMLAttributes<HTMLSelectElement>)} {...common}>
          {children}
        </select>
      ) : (
        <input {...(rest as InputHTMLAttributes<HTMLInputElement>)} {...common} />
      )}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The error of a form's last submit: the whole message when no field of the form is named in it (a field named
 * shows next to its input instead). When every part names a field, screen readers are told which fields to check
 * by their visible labels (the input of that name in the same form), not by the API's names.
 */
export function FormError(props: { error: unknown; fields?: readonly string[] }) {
  const summary = useRef<HTMLParagraphElement>(null);
  const [labels, setLabels] = useState<string[] | null>(null);
  const error = props.error instanceof ApiError ? props.error : null;
  const named = error ? Object.keys(error.fields).filter((f) => props.fields?.includes(f)) : [];
  const rest = error
    ? error.message
        .split('; ')
        .filter((part) => !named.some((f) => part.startsWith(`${f}: `)))
        .join('; ')
    : '';
  const key = named.join(',');
  useLayoutEffect(() => {
    const el = summary.current;
    setLabels(el ? named.map((f) => labelOf(el.closest('form') ?? document, f)) : null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, error]);
  // The person goes on from the first field the answer marked. When the submit button lost the focus while disabled,
  // focus-keeper.ts moves it there; an answer quicker than the browser's own blur left it on the button.
  useEffect(() => {
    if (named.length === 0) return;
    const active = document.activeElement;
    // the submit's own form (a dialog's is outside main), or the page's when the focus fell to the body
    const scope = active instanceof HTMLButtonElement && active.type === 'submit' ? active.form : active === null || active === document.body ? document.querySelector('main') : null;
    scope?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, error]);
  if (!props.error) return null;
  if (!error) return <p className="form-error" role="alert">Something went wrong. Try again.</p>;
  if (!rest)
    return (
      <p className="visually-hidden" role="alert" ref={summary}>
        {`Check the fields marked: ${(labels ?? named.map(humanName)).join(', ')}.`}
      </p>
    );
  return (
    <p className="form-error" role="alert">
      {rest}
    </p>
  );
}

/** "commission_value" → "commission value": what a field is called when its input cannot be found. */
function humanName(field: string): string {
  return field.replace(/[._]/g, ' ');
}

/** The visible label of the input named `field` in `scope`: its <label>, or the legend of its group of choices. */
function labelOf(scope: ParentNode, field: string): string {
  const input = scope.querySelector<HTMLInputElement>(`[name="${CSS.escape(field)}"]`);
  if (!input) return humanName(field);
  const legend = input.type === 'checkbox' || input.type === 'radio' ? input.closest('fieldset')?.querySelector('legend')?.textContent : null;
  const text = legend ?? input.labels?.[0]?.textContent ?? input.getAttribute('aria-label');
  return text?.trim() || humanName(field);
}

export function fieldErrors(error: unknown): Record<string, string> | null {
  return error instanceof ApiError ? error.fields : null;
}

/** Reads a submitted form's fields as strings (empty inputs left out). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  return out;
}

/** A form dialog's Cancel and submit buttons: Cancel is off while the submit is on its way (it cannot be taken back). */
export function DialogActions(props: { busy: boolean; onCancel(): void; submitLabel?: string }) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button" onClick={props.onCancel} disabled={props.busy}>
        Cancel
      </button>
      <SubmitButton busy={props.busy}>{props.submitLabel ?? 'Save'}</SubmitButton>
    </div>
  );
}

export function SubmitButton(props: { busy: boolean; children: ReactNode; className?: string; disabled?: boolean }) {
  return (
    <button type="submit" className={props.className ?? 'button button-primary'} disabled={props.busy || props.disabled} aria-busy={props.busy || undefined}>
      {props.children}
    </button>
  );
}
