import { Description } from '@headlessui/react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatCount } from '../ui/format';
import { PageHeader, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { durationText, offsetOf, PAGE_SIZE, RateFields, ruleBody, ruleText, ruleValueText, type Group } from './affiliates-shared';

const KEYS = ['offset'] as const;
const GROUP_FIELDS = ['name', 'commission_type', 'commission_value', 'commission_duration', 'commission_months', 'hold_days'] as const;

/**
 * Partner groups (Refferq): an affiliate in a group earns by the group's rule unless it has a rate of its own.
 * List, create, edit (name and rule), delete — refused while the group has members.
 */
export function GroupsPage() {
  const { project_id, currency, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const client = useQueryClient();
  const announce = useAnnounce();
  const [editing, setEditing] = useState<Group | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Group | null>(null);

  const list = useQuery({
    queryKey: ['p', project_id, 'groups', { offset }],
    queryFn: () => unwrap(api.GET('/api/v1/groups', { params: { query: { offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const columns: Column<Group>[] = [
    { header: 'Name', cell: (g) => <strong>{g.name}</strong> },
    { header: 'Commission', cell: (g) => ruleText(g, currency) ?? <span className="muted">The program’s</span> },
    { header: 'Duration', cell: (g) => durationText(g.commission_duration, g.commission_months) ?? <span className="muted">The program’s</span> },
    { header: 'Hold', cell: (g) => (g.hold_days === null ? <span className="muted">The program’s</span> : `${g.hold_days} day${g.hold_days === 1 ? '' : 's'}`) },
    { header: 'Affiliates', numeric: true, cell: (g) => formatCount(g.affiliates) },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (g) => (
        <div className="row-actions">
          <button type="button" className="button" onClick={() => setEditing(g)} aria-label={`Edit ${g.name}`}>
            Edit
          </button>
          <button type="button" className="button" onClick={() => setDeleting(g)} aria-label={`Delete ${g.name}`}>
            Delete
          </button>
        </div>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Groups"
        description="Partner groups set a commission rule, a duration and a hold for their affiliates. An affiliate’s own rate wins over its group’s; the program’s settings apply where neither sets one."
        actions={
          <WriteOnly>
            <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
              New group
            </button>
          </WriteOnly>
        }
      />
      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading groups…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty title={offset > 0 ? 'No groups on this page.' : 'No groups yet.'}>
                <p>Create a group to give a set of affiliates their own commission rule, such as a “Gold” tier at 30%.</p>
              </Empty>
            ) : (
              <>
                <DataTable caption="Partner groups" columns={columns} rows={page.data} rowKey={(g) => g.id} />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Group pages" />
              </>
            )
          }
        </QueryView>
      </div>

      {editing ? <GroupDialog group={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the group ${deleting?.name ?? ''}`}
        description={<p>{deleting && deleting.affiliates > 0 ? `It has ${deleting.affiliates} affiliate(s): move them to another group first.` : 'The group and its rule are removed. This cannot be undone.'}</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const g = deleting!;
          await unwrap(api.DELETE('/api/v1/groups/{id}', { params: { path: { id: g.id } } }));
          await client.invalidateQueries({ queryKey: ['p', project_id, 'groups'] });
          announce(`Group ${g.name} deleted.`);
        }}
      />
    </>
  );
}

type GroupBody = {
  name: string;
  commission_type: 'percentage' | 'fixed' | null;
  commission_value: string | null;
  commission_duration: 'lifetime' | 'first_payment' | 'months' | null;
  commission_months: number | null;
  hold_days: number | null;
};

/** Create a group, or change one: its name and its rule (type, value, duration, hold). */
function GroupDialog(props: { group: Group | null; onClose(): void }) {
  const { project_id, currency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const g = props.group;
  const [name, setName] = useState(g?.name ?? '');
  const [type, setType] = useState<string>(g?.commission_type ?? '');
  const [value, setValue] = useState(g ? ruleValueText(g) : '');
  const [duration, setDuration] = useState<string>(g?.commission_duration ?? '');
  const [months, setMonths] = useState(g?.commission_months ? String(g.commission_months) : '');
  const [hold, setHold] = useState(g?.hold_days === null || g?.hold_days === undefined ? '' : String(g.hold_days));

  const save = useMutation({
    mutationFn: async () => {
      const body: GroupBody = {
        name: name.trim(),
        ...ruleBody(type, value),
        commission_duration: duration === 'lifetime' || duration === 'first_payment' || duration === 'months' ? duration : null,
        commission_months: duration === 'months' && months.trim() !== '' ? Number(months) : null,
        hold_days: hold.trim() === '' ? null : Number(hold),
      };
      return g ? unwrap(api.PATCH('/api/v1/groups/{id}', { params: { path: { id: g.id } }, body })) : unwrap(api.POST('/api/v1/groups', { body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'groups'] });
      announce(g ? `Group ${answer.data.name} saved.` : `Group ${answer.data.name} created.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };

  return (
    <FormDialog title={g ? `Edit ${g.name}` : 'New group'} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">A changed rule rates payments that occur from now on; earlier payments keep the rule they were rated with.</p>
      </Description>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Name" name="name" value={name} onChange={(e) => setName(e.currentTarget.value)} errors={errors} required maxLength={200} autoComplete="off" />
        <RateFields type={type} value={value} onType={setType} onValue={setValue} errors={errors} inheritLabel="The program’s rate" currency={currency} />
        <Field label="Duration" name="commission_duration" as="select" value={duration} onChange={(e) => setDuration(e.currentTarget.value)} errors={errors}>
          <option value="">The program’s</option>
          <option value="lifetime">Every payment (lifetime)</option>
          <option value="first_payment">The first payment only</option>
          <option value="months">The first months</option>
        </Field>
        {duration === 'months' ? (
          <Field label="Months" name="commission_months" type="number" min={1} max={120} value={months} onChange={(e) => setMonths(e.currentTarget.value)} errors={errors} />
        ) : null}
        <Field label="Hold (days)" name="hold_days" type="number" min={0} max={365} value={hold} onChange={(e) => setHold(e.currentTarget.value)} errors={errors} hint="Days a commission waits before it can be paid. Empty: the program’s." />
        <FormError error={save.error} fields={GROUP_FIELDS} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close} disabled={save.isPending}>
            Cancel
          </button>
          <SubmitButton busy={save.isPending}>{g ? 'Save' : 'Create group'}</SubmitButton>
        </div>
      </form>
    </FormDialog>
  );
}
