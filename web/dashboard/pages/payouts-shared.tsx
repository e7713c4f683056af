import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { WriteOnly } from '../ui/page';

const DETAIL_WORDS: Record<string, string> = {
  paypal_email: 'PayPal email',
  wise_email: 'Wise email or bank details',
  'bank.iban': 'IBAN',
  'bank.account_holder': 'account holder',
  payout_method: 'payout method',
};

/** "PayPal email, IBAN" for the API's missing_details field names. */
export function detailsLabel(missing: readonly string[]): string {
  return missing.length ? missing.map((m) => DETAIL_WORDS[m] ?? m).join(', ') : 'nothing';
}

/** Where a payout line goes, in a few words, from its destination as recorded when it was made. */
export function destinationLabel(method: string, destination: unknown): string {
  const d = (destination && typeof destination === 'object' ? destination : {}) as Record<string, unknown>;
  const details = (d.details && typeof d.details === 'object' ? d.details : {}) as Record<string, unknown>;
  const bank = (details.bank && typeof details.bank === 'object' ? details.bank : details) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  if (method === 'paypal') return text(d.paypal_email) ?? '—';
  const iban = text(bank.iban);
  if (method === 'wise') return text(d.wise_email) ?? (iban ? `IBAN ${iban}` : '—');
  if (method === 'bank_transfer') return iban ? `IBAN ${iban}${text(bank.account_holder) ? `, ${text(bank.account_holder)}` : ''}` : '—';
  return 'paid by you, outside Refwire';
}

/**
 * Complete or fail one pending payout (POST /api/v1/payouts/{id}/complete|fail), each after a question: completing
 * marks its commissions paid, failing makes them eligible again.
 */
export function PayoutLineActions(props: { payoutId: string; status: string; label: string }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [open, setOpen] = useState<'complete' | 'fail' | null>(null);
  if (props.status !== 'pending') return null;
  const done = (text: string) => {
    announce(text);
    void client.invalidateQueries({ queryKey: ['p', project_id] });
  };
  return (
    <WriteOnly>
      <span className="review-buttons">
        <button type="button" className="button" aria-label={`Mark ${props.label} completed`} onClick={() => setOpen('complete')}>
          Completed
        </button>
        <button type="button" className="button" aria-label={`Mark ${props.label} failed`} onClick={() => setOpen('fail')}>
          Failed
        </button>
      </span>
      <ConfirmDialog
        open={open === 'complete'}
        title="Mark this payout completed?"
        description={<p>Confirm the money was sent to {props.label}. Its commissions become paid; this cannot be undone.</p>}
        confirmLabel="Mark completed"
        reason={{ label: 'Reference (optional, e.g. the transfer id)' }}
        onConfirm={async (reference) => {
          await unwrap(api.POST('/api/v1/payouts/{id}/complete', { params: { path: { id: props.payoutId } }, body: { reference: reference || null } }));
          done('Payout marked completed.');
        }}
        onClose={() => setOpen(null)}
      />
      <ConfirmDialog
        open={open === 'fail'}
        title="Mark this payout failed?"
        description={<p>The payout to {props.label} was not sent. Its commissions become eligible again for a later payout. The affiliate sees the reason in their portal.</p>}
        confirmLabel="Mark failed"
        danger
        reason={{ label: 'Reason (optional)' }}
        onConfirm={async (reason) => {
          await unwrap(api.POST('/api/v1/payouts/{id}/fail', { params: { path: { id: props.payoutId } }, body: { reason: reason || null } }));
          done('Payout marked failed.');
        }}
        onClose={() => setOpen(null)}
      />
    </WriteOnly>
  );
}
