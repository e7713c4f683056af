import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState, type ReactNode } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { formatMoney } from '../ui/format';

export type Conversion = components['schemas']['Conversion'];

/** The words a trace step's name stands for. */
const STEP_WORDS: Record<string, string> = {
  coupon: 'coupon',
  metadata: 'payment metadata',
  client_reference_id: 'checkout client_reference_id',
  subscription: 'subscription',
  email: 'referred email',
  manual: 'entered by hand',
};

/**
 * The attribution trace in words: the server's sentence (`attribution_explanation`, src/attribution/explain.ts:
 * what found the affiliate, then who it is, "coupon JANE20 → jane@…"), and the steps tried before the one that hit.
 */
export function explainAttribution(c: Conversion): { summary: string; tried: string[] } {
  const tried = c.attribution.trace.filter((s) => s.result === 'miss').map((s) => `${STEP_WORDS[s.step] ?? s.step}: ${s.detail}`);
  return { summary: c.attribution_explanation ?? (c.affiliate_id ? 'attributed' : 'No affiliate found'), tried };
}

/** Who a conversion went to: the affiliate's email as the API answers it beside the id. */
export function affiliateLabel(c: Pick<Conversion, 'affiliate_id' | 'affiliate_email'>): string {
  if (!c.affiliate_id) return '—';
  return c.affiliate_email ?? `Affiliate ${c.affiliate_id.slice(0, 8)}…`;
}

/** The affiliate of an email typed in a filter: its id for the API's affiliate_id, or a "not found". */
export function useAffiliateByEmail(email: string) {
  const { project_id } = useProject();
  return useQuery({
    queryKey: ['p', project_id, 'affiliate', email],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates/{email}', { params: { path: { email } } })).then((a) => a.data),
    enabled: email !== '',
    retry: false,
  });
}

export function conversionAmounts(c: Conversion) {
  return { base: formatMoney(c.base_value_minor, c.currency), commission: formatMoney(c.value_minor, c.currency) };
}

/** Plain words for a status a person reads next to the badge. */
export const STATUS_HELP: Record<Conversion['status'], string> = {
  pending: 'waiting for your review',
  rejected: 'never paid',
  held: 'in its hold period',
  eligible: 'can be paid out',
  processing: 'in a pending payout',
  paid: 'paid out',
  reversed: 'refunded in full',
  none: 'earns no commission',
};

/**
 * Approving and rejecting commissions under review: one (the single routes) or many (approve: POST
 * /api/v1/conversions/approve, all or none; reject: the single route per id, with the ones that failed named).
 */
export function useReview() {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const invalidate = () => client.invalidateQueries({ queryKey: ['p', project_id] });
  const approve = useMutation({
    mutationFn: async (ids: string[]) =>
      ids.length === 1
        ? [(await unwrap(api.POST('/api/v1/conversions/{id}/approve', { params: { path: { id: ids[0]! } } }))).data]
        : (await unwrap(api.POST('/api/v1/conversions/approve', { body: { ids } }))).data,
    onSuccess: (rows) => {
      announce(rows.length === 1 ? 'Commission approved.' : `${rows.length} commissions approved.`);
      void invalidate();
    },
    onError: (err) => announce(err instanceof ApiError ? `Not approved: ${err.message}` : 'Not approved.', 'error'),
  });
  const reject = async (ids: string[], reason: string) => {
    const failed: { id: string; message: string }[] = [];
    for (const id of ids) {
      try {
        await unwrap(api.POST('/api/v1/conversions/{id}/reject', { params: { path: { id } }, body: { reason } }));
      } catch (err) {
        failed.push({ id, message: err instanceof ApiError ? err.message : 'failed' });
      }
    }
    void invalidate();
    const done = ids.length - failed.length;
    if (ids.length === 1 && failed.length === 1) throw new ApiError(400, failed[0]!.message, { reason: failed[0]!.message.replace(/^reason: /, '') });
    if (failed.length === 0) announce(done === 1 ? 'Commission rejected.' : `${done} commissions rejected.`);
    else announce(`${done} rejected; ${failed.length} failed: ${failed.map((f) => `${f.id.slice(0, 8)}… ${f.message}`).join('; ')}`, 'error');
    return { done, failed };
  };
  return { approve, reject };
}

/** The reject question: a reason is required (the API refuses none), then each commission is rejected. */
export function RejectDialog(props: { ids: string[]; open: boolean; onClose(): void; onDone?(failed: string[]): void }) {
  const { reject } = useReview();
  return (
    <ConfirmDialog
      open={props.open}
      title={props.ids.length === 1 ? 'Reject this commission?' : `Reject ${props.ids.length} commissions?`}
      description={<p>A rejected commission is never paid and cannot be approved later. The reason is kept with it.</p>}
      confirmLabel={props.ids.length === 1 ? 'Reject commission' : `Reject ${props.ids.length}`}
      danger
      reason={{ label: 'Reason (required)', required: true }}
      onConfirm={async (reason) => {
        const r = await reject(props.ids, reason);
        props.onDone?.(r.failed.map((f) => f.id));
      }}
      onClose={props.onClose}
    />
  );
}

/** Approve and Reject buttons of one commission under review. */
export function ReviewButtons(props: { conversion: Conversion; label: string }) {
  const { approve } = useReview();
  const [rejecting, setRejecting] = useState(false);
  if (props.conversion.status !== 'pending') return null;
  return (
    <span className="review-buttons review-stack">
      <button type="button" className="button" aria-label={`Approve ${props.label}`} disabled={approve.isPending} onClick={() => approve.mutate([props.conversion.id])}>
        Approve
      </button>
      <button type="button" className="button" aria-label={`Reject ${props.label}`} onClick={() => setRejecting(true)}>
        Reject
      </button>
      <RejectDialog ids={[props.conversion.id]} open={rejecting} onClose={() => setRejecting(false)} />
    </span>
  );
}

/** An email that may wrap after its @ (and nowhere else), so a narrow column does not split a name mid-word. */
export function Breakable(props: { text: string }): ReactNode {
  const parts = props.text.split('@');
  return (
    <span className="cell-wrap">
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 ? (
            <>
              @<wbr />
            </>
          ) : null}
          {p}
        </Fragment>
      ))}
    </span>
  );
}
