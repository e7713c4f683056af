import { Description, Dialog, DialogPanel, DialogTitle } from '@headlessui/react';
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { FormError } from './form';

/**
 * A modal question (Headless UI's Dialog: focus kept inside, Escape closes, the page behind is inert). With
 * `reason`, it asks for a text the action needs (a rejection's reason) and refuses to go on without it.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  reason?: { label: string; required?: boolean };
  onConfirm(reason: string): Promise<unknown>;
  onClose(): void;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // with a reason to give, typing starts there; without, focus starts on Cancel, where a stray Enter does nothing
  // (Headless UI alone focuses the panel, which shows no focus ring)
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const close = () => {
    if (busy) return;
    setReason('');
    setError(null);
    props.onClose();
  };
  return (
    <Dialog open={props.open} onClose={close} className="dialog" initialFocus={props.reason ? reasonField : cancelButton}>
      <div className="dialog-backdrop" aria-hidden="true" />
      <div className="dialog-frame">
        <DialogPanel className="dialog-panel">
          <DialogTitle as="h2">{props.title}</DialogTitle>
          {props.description ? <Description as="div">{props.description}</Description> : null}
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              setBusy(true);
              setError(null);
              try {
                await props.onConfirm(reason.trim());
                setReason('');
                props.onClose();
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            {props.reason ? (
              <div className="field">
                <label htmlFor="dialog-reason">{props.reason.label}</label>
                <textarea ref={reasonField} id="dialog-reason" name="reason" rows={3} value={reason} required={props.reason.required} maxLength={1000} onChange={(e) => setReason(e.currentTarget.value)} />
              </div>
            ) : null}
            <FormError error={error} />
            <div className="dialog-actions">
              <button ref={cancelButton} type="button" className="button" onClick={close} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className={`button ${props.danger ? 'button-danger' : 'button-primary'}`} disabled={busy || (props.reason?.required === true && reason.trim() === '')} aria-busy={busy || undefined}>
                {props.confirmLabel}
              </button>
            </div>
          </form>
        </DialogPanel>
      </div>
    </Dialog>
  );
}

const FIRST_FIELD = 'form input:not([type=hidden]):not([disabled]), form select:not([disabled]), form textarea:not([disabled])';

/**
 * The frame of a form in a modal (Headless UI's Dialog: focus kept inside, Escape closes, the page behind is inert):
 * its title, then what the page puts in it (a Description, the form). It opens with focus on the form's first field.
 */
export function FormDialog(props: { title: ReactNode; tall?: boolean; onClose(): void; children: ReactNode }) {
  const panel = useRef<HTMLDivElement>(null);
  // the form's first field, where typing starts (Headless UI alone focuses the panel); read when the dialog opens
  const firstField = useMemo(() => ({ get current() { return panel.current?.querySelector<HTMLElement>(FIRST_FIELD) ?? null; } }), []);
  return (
    <Dialog open onClose={props.onClose} className="dialog" initialFocus={firstField}>
      <div className="dialog-backdrop" aria-hidden="true" />
      <div className="dialog-frame">
        <DialogPanel ref={panel} className={props.tall ? 'dialog-panel dialog-panel-tall' : 'dialog-panel'}>
          <DialogTitle as="h2">{props.title}</DialogTitle>
          {props.children}
        </DialogPanel>
      </div>
    </Dialog>
  );
}
