import { Description } from '@headlessui/react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PageHeader, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, PAGE_SIZE, RateFields, ruleText, ruleValueText } from './affiliates-shared';

type ProductRule = components['schemas']['ProductRule'];
const KEYS = ['offset'] as const;
const RULE_FIELDS = ['product_id', 'name', 'commission_type', 'commission_value'] as const;

/** Where a product rule sits among the rules, in one line (src/commission/rules.ts: the first that has a rule wins). */
export const RULE_ORDER = 'Rule order: the affiliate’s own rate → its group’s → a product rule → the program’s default. A product rule rates a sale of that product when neither the affiliate nor its group sets a rate.';

/**
 * Product commission rules (`/api/v1/products`): a provider's product or price id and the commission a sale of it
 * earns. List, create, edit, delete; each change rates payments from then on (the rule before is kept as a version).
 */
export function ProductRulesPage() {
  const { project_id, currency, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const client = useQueryClient();
  const announce = useAnnounce();
  const [editing, setEditing] = useState<ProductRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ProductRule | null>(null);

  const list = useQuery({
    queryKey: ['p', project_id, 'products', { offset }],
    queryFn: () => unwrap(api.GET('/api/v1/products', { params: { query: { offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const label = (r: ProductRule) => r.name ?? r.product_id;
  const columns: Column<ProductRule>[] = [
    {
      header: 'Product',
      cell: (r) => (
        <>
          {r.name ? (
            <>
              <strong>{r.name}</strong>
              <br />
            </>
          ) : null}
          <code className="wrap-anywhere">{r.product_id}</code>
        </>
      ),
    },
    { header: 'Commission', cell: (r) => ruleText(r, currency) ?? <span className="muted">None</span> },
    { header: 'Changed', cell: (r) => formatDateTime(r.updated_at) },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (r) => (
        <div className="row-actions">
          <button type="button" className="button" onClick={() => setEditing(r)} aria-label={`Edit ${label(r)}`}>
            Edit
          </button>
          <button type="button" className="button" onClick={() => setDeleting(r)} aria-label={`Delete ${label(r)}`}>
            Delete
          </button>
        </div>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Product rules"
        description="A commission of its own for a sale of a particular product or price: a percentage of the sale, or a fixed amount in the project’s currency."
        actions={
          <WriteOnly>
            <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
              New product rule
            </button>
          </WriteOnly>
        }
      />
      <p className="hint rule-order" role="note">
        {RULE_ORDER}
      </p>
      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading product rules…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty title={offset > 0 ? 'No product rules on this page.' : 'No product rules yet.'}>
                <p>Every sale earns by the affiliate’s, the group’s or the program’s rule. Add a product rule to pay, say, 40% on one plan or $20 on a lifetime deal.</p>
              </Empty>
            ) : (
              <>
                <DataTable caption="Product commission rules" columns={columns} rows={page.data} rowKey={(r) => r.id} />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Product rule pages" />
              </>
            )
          }
        </QueryView>
      </div>

      {editing ? <ProductRuleDialog rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the rule of ${deleting ? label(deleting) : ''}`}
        description={<p>Sales of this product that occur from now on earn by the affiliate’s, the group’s or the program’s rule. Commissions already recorded keep theirs.</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const r = deleting!;
          await unwrap(api.DELETE('/api/v1/products/{id}', { params: { path: { id: r.id } } }));
          await client.invalidateQueries({ queryKey: ['p', project_id, 'products'] });
          announce(`Product rule ${label(r)} deleted.`);
        }}
      />
    </>
  );
}

/** Create a product rule, or change one: its product or price id, its name and its commission. */
function ProductRuleDialog(props: { rule: ProductRule | null; onClose(): void }) {
  const { project_id, currency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const r = props.rule;
  const [productId, setProductId] = useState(r?.product_id ?? '');
  const [name, setName] = useState(r?.name ?? '');
  const [type, setType] = useState<string>(r?.commission_type ?? 'percentage');
  const [value, setValue] = useState(r ? ruleValueText(r) : '');

  const save = useMutation({
    mutationFn: async () => {
      const body = {
        product_id: productId.trim(),
        // the API keeps a name once given (it has no way to remove one): an emptied name is left as it was
        ...(name.trim() ? { name: name.trim() } : {}),
        commission_type: type === 'fixed' ? ('fixed' as const) : ('percentage' as const),
        commission_value: value.trim(),
      };
      return r ? unwrap(api.PATCH('/api/v1/products/{id}', { params: { path: { id: r.id } }, body })) : unwrap(api.POST('/api/v1/products', { body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'products'] });
      const shown = answer.data.name ?? answer.data.product_id;
      announce(r ? `Product rule ${shown} saved.` : `Product rule ${shown} created.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };

  return (
    <FormDialog title={r ? `Edit ${r.name ?? r.product_id}` : 'New product rule'} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">A changed rule rates payments that occur from now on; earlier payments keep the rule they were rated with.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field
          label="Product or price id"
          name="product_id"
          value={productId}
          onChange={(e) => setProductId(e.currentTarget.value)}
          errors={errors}
          required
          maxLength={255}
          autoComplete="off"
          spellCheck={false}
          hint="The id your payment provider gives the product or the price, such as Stripe’s prod_… or price_…, a Paddle pro_… or pri_…, a Lemon Squeezy variant id or a Polar product id."
        />
        <Field
          label="Name (optional)"
          name="name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          errors={errors}
          maxLength={200}
          autoComplete="off"
          hint={r?.name ? 'Shown in this list. A name can be changed, not removed.' : 'Shown in this list, such as “Pro plan (yearly)”.'}
        />
        <RateFields type={type} value={value} onType={setType} onValue={setValue} errors={errors} currency={currency} />
        <FormError error={save.error} fields={RULE_FIELDS} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close} disabled={save.isPending}>
            Cancel
          </button>
          <SubmitButton busy={save.isPending}>{r ? 'Save' : 'Create rule'}</SubmitButton>
        </div>
      </form>
    </FormDialog>
  );
}
