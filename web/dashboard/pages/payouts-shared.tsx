import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../api/client';
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

/** An affiliate's payout request the merchant has not approved yet (POST /api/v1/payouts/{id}/approve). */
export function awaitsApproval(p: { status: string; requested_by: string; approved_at: string | null }): boolean {
  return p.status === 'pending' && p.requested_by === 'affiliate' && p.approved_at === null;
}

/** The status a payout row shows: an affiliate's request waiting for approval is "requested". */
export function payoutStatus(p: { status: string; requested_by: string; approved_at: string | null }): string {
  return awaitsApproval(p) ? 'requested' : p.status;
}

/**
 * Approve an affiliate's request, complete or fail one pending payout (POST /api/v1/payouts/{id}/approve|complete|fail),
 * completing and failing after a question: completing marks its commissions paid, failing makes them eligible again.
 */
export function PayoutLineActions(props: { payoutId: string; status: string; label: string; awaitingApproval?: boolean }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [open, setOpen] = useState<'complete' | 'fail' | null>(null);
  const done = (text: string) => {
    announce(text);
    void client.invalidateQueries({ queryKey: ['p', project_id] });
  };
  const approve = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/payouts/{id}/approve', { params: { path: { id: props.payoutId } }, body: {} })),
    onSuccess: () => done('Payout request approved.'),
    onError: (err) => announce(err instanceof ApiError ? `Not approved: ${err.message}` : 'Not approved.', 'error'),
  });
  if (props.status !== 'pending') return null;
  return (
    <WriteOnly>
      <span className={props.awaitingApproval ? 'review-buttons review-stack' : 'review-buttons'}>
        {props.awaitingApproval ? (
          <button type="button" className="button" aria-label={`Approve the payout request of ${props.label}`} disabled={approve.isPending} onClick={() => approve.mutate()}>
            Approve
          </button>
        ) : null}
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
