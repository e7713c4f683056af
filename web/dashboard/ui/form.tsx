import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
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
 * shows next to its input instead).
 */
export function FormError(props: { error: unknown; fields?: readonly string[] }) {
  if (!props.error) return null;
  if (!(props.error instanceof ApiError)) return <p className="form-error" role="alert">Something went wrong. Try again.</p>;
  const named = Object.keys(props.error.fields).filter((f) => props.fields?.includes(f));
  const rest = props.error.message
    .split('; ')
    .filter((part) => !named.some((f) => part.startsWith(`${f}: `)))
    .join('; ');
  if (!rest) return <p className="visually-hidden" role="alert">{`Check the fields marked: ${named.join(', ')}.`}</p>;
  return (
    <p className="form-error" role="alert">
      {rest}
    </p>
  );
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

export function SubmitButton(props: { busy: boolean; children: ReactNode; className?: string; disabled?: boolean }) {
  return (
    <button type="submit" className={props.className ?? 'button button-primary'} disabled={props.busy || props.disabled} aria-busy={props.busy || undefined}>
      {props.children}
    </button>
  );
}
