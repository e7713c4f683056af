import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { PortalEmbedSection } from './portal-embed';
import { useAnnounce } from '../ui/announce';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { PageHeader, WriteOnly } from '../ui/page';
import { QueryView } from '../ui/states';
import { PortalPreview, type PortalSettings } from './portal-settings-preview';

type Block = PortalSettings['blocks'][number];
type Material = PortalSettings['promotional_materials'][number];
type Language = PortalSettings['default_language'];

const BLOCK_LABELS: Record<Block['id'], string> = {
  header: 'Header',
  share_links: 'Referral link and tracking links',
  coupon_code: 'Coupon codes',
  stats: 'Statistics',
  daily_stats: 'Daily chart',
  earnings: 'Earnings',
  payment_methods: 'Payout method',
  payment_history: 'Payout history',
  commission_levels: 'Commission terms',
  promotional_materials: 'Promotional materials',
};

const LANGUAGES: { code: Language; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español (Spanish)' },
  { code: 'fr', name: 'Français (French)' },
  { code: 'de', name: 'Deutsch (German)' },
  { code: 'pt', name: 'Português (Portuguese)' },
  { code: 'it', name: 'Italiano (Italian)' },
  { code: 'nl', name: 'Nederlands (Dutch)' },
  { code: 'pl', name: 'Polski (Polish)' },
  { code: 'ja', name: '日本語 (Japanese)' },
  { code: 'zh', name: '中文 (Chinese)' },
  { code: 'ar', name: 'العربية (Arabic)' },
  { code: 'he', name: 'עברית (Hebrew)' },
];

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** The affiliate portal's blocks, appearance, promotional materials and language, with the widget beside them. */
export function PortalSettingsPage() {
  const { project_id: projectId } = useProject();
  const saved = useQuery({
    queryKey: ['p', projectId, 'portal'],
    queryFn: () => unwrap(api.GET('/api/v1/portal')).then((a) => a.data),
  });
  return (
    <>
      <PageHeader
        title="Affiliate portal"
        description="What your affiliates see in the hosted portal and the embedded widget: which blocks and in what order, your colours and texts, materials to promote you with, and the language it opens in."
      />
      <QueryView query={saved} loadingLabel="Loading the portal settings…">
        {(data) => <PortalForm saved={data} />}
      </QueryView>
      <PortalEmbedSection />
    </>
  );
}

function PortalForm(props: { saved: PortalSettings }) {
  const { project_id: projectId, canWrite } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [draft, setDraft] = useState<PortalSettings>(() => normalise(props.saved));
  const dirty = JSON.stringify(draft) !== JSON.stringify(normalise(props.saved));
  const save = useMutation({
    mutationFn: (body: PortalSettings) => unwrap(api.PUT('/api/v1/portal', { body: bodyOf(body) })).then((a) => a.data),
    onSuccess: (next) => {
      client.setQueryData(['p', projectId, 'portal'], next);
      setDraft(normalise(next));
      announce('Portal settings saved.');
    },
    onError: () => announce('The portal settings were not saved: see the marked fields.', 'error'),
  });
  const errors = fieldErrors(save.error);
  const setAppearance = (patch: Partial<PortalSettings['appearance']>) => setDraft((d) => ({ ...d, appearance: { ...d.appearance, ...patch } }));

  return (
    <div className="portal-layout">
      <form
        className="portal-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(draft);
        }}
      >
        <fieldset className="plain-fieldset" disabled={!canWrite}>
          <BlocksEditor blocks={draft.blocks} onChange={(blocks) => setDraft((d) => ({ ...d, blocks }))} error={errors?.blocks} />

          <section className="card" aria-labelledby="portal-appearance">
            <h2 id="portal-appearance">Appearance</h2>
            <div className="colour-grid">
              <ColourField label="Primary colour" hint="Buttons, links and focus rings" name="appearance.primary_color" value={draft.appearance.primary_color} errors={errors} onChange={(v) => setAppearance({ primary_color: v })} />
              <ColourField label="Secondary colour" hint="The header" name="appearance.secondary_color" value={draft.appearance.secondary_color} errors={errors} onChange={(v) => setAppearance({ secondary_color: v })} />
              <ColourField label="Text colour" hint="Body text" name="appearance.font_color" value={draft.appearance.font_color} errors={errors} onChange={(v) => setAppearance({ font_color: v })} />
            </div>
            <Field
              label="Portal title"
              name="appearance.title"
              hint="Empty: “<your program> affiliate program”."
              maxLength={200}
              value={draft.appearance.title ?? ''}
              errors={errors}
              onChange={(e) => setAppearance({ title: e.currentTarget.value })}
            />
            <Field
              label="Description"
              name="appearance.description"
              as="textarea"
              rows={3}
              maxLength={2000}
              value={draft.appearance.description ?? ''}
              errors={errors}
              onChange={(e) => setAppearance({ description: e.currentTarget.value })}
            />
            <label className="check">
              <input type="checkbox" checked={draft.appearance.hide_branding} onChange={(e) => setAppearance({ hide_branding: e.currentTarget.checked })} />
              Hide “Powered by Refwire”
            </label>
          </section>

          <MaterialsEditor materials={draft.promotional_materials} errors={errors} onChange={(promotional_materials) => setDraft((d) => ({ ...d, promotional_materials }))} />

          <section className="card" aria-labelledby="portal-language">
            <h2 id="portal-language">Language</h2>
            <Field
              label="Default language"
              name="default_language"
              as="select"
              hint="Used when neither the page nor the affiliate’s browser asks for a language the portal has."
              value={draft.default_language}
              errors={errors}
              onChange={(e) => {
                // read now: React clears currentTarget before it runs a deferred updater
                const language = e.currentTarget.value as Language;
                setDraft((d) => ({ ...d, default_language: language }));
              }}
            >
              {LANGUAGES.map((l) => (
                <option key={l.code} value={l.code}>
                  {l.name}
                </option>
              ))}
            </Field>
          </section>
        </fieldset>
        <WriteOnly>
          <FormError error={save.error} fields={Object.keys(errors ?? {})} />
          <div className="form-actions sticky-actions">
            <SubmitButton busy={save.isPending} disabled={!dirty}>
              Save portal settings
            </SubmitButton>
            <button type="button" className="button" disabled={!dirty || save.isPending} onClick={() => {
                setDraft(normalise(props.saved));
                save.reset();
                announce('Changes discarded.');
              }}>
              Discard changes
            </button>
            <span className="hint" aria-live="polite">
              {dirty ? 'Unsaved changes: the preview shows them, affiliates do not see them yet.' : 'Everything is saved.'}
            </span>
          </div>
        </WriteOnly>
      </form>
      <PortalPreview draft={draft} />
    </div>
  );
}

/** A colour as text (#rgb or #rrggbb, what the API takes) with a picker beside it; the preview takes it once valid. */
function ColourField(props: { label: string; hint: string; name: string; value: string; errors: Record<string, string> | null; onChange(v: string): void }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const six = HEX.test(props.value) ? (props.value.length === 4 ? `#${[...props.value.slice(1)].map((c) => c + c).join('')}` : props.value) : '#000000';
  return (
    <div className="colour-field">
      <Field
        label={props.label}
        name={props.name}
        hint={props.hint}
        value={text}
        spellCheck={false}
        maxLength={7}
        errors={props.errors}
        onChange={(e) => {
          const v = e.currentTarget.value.trim();
          setText(v);
          props.onChange(v);
        }}
      />
      <input type="color" className="colour-swatch" aria-label={`Pick the ${props.label.toLowerCase()}`} value={six.toLowerCase()} onChange={(e) => props.onChange(e.currentTarget.value)} />
    </div>
  );
}

/** Blocks on and off, and their order by Move up / Move down buttons (the keyboard's way to reorder). */
function BlocksEditor(props: { blocks: Block[]; onChange(blocks: Block[]): void; error?: string }) {
  const announce = useAnnounce();
  const buttons = useRef(new Map<string, HTMLButtonElement | null>());
  const [focusNext, setFocusNext] = useState<string | null>(null);
  useEffect(() => {
    if (focusNext) buttons.current.get(focusNext)?.focus();
    setFocusNext(null);
  }, [focusNext]);
  const move = (index: number, by: -1 | 1) => {
    const next = [...props.blocks];
    const [b] = next.splice(index, 1);
    next.splice(index + by, 0, b!);
    props.onChange(next.map((x, i) => ({ ...x, order: i + 1 })));
    const to = index + by;
    // keep the focus on the block that moved: on the same button unless it reached the end it points to
    const dir = (by === -1 && to === 0) || (by === 1 && to === next.length - 1) ? (by === -1 ? 'down' : 'up') : by === -1 ? 'up' : 'down';
    setFocusNext(`${b!.id}:${dir}`);
    announce(`${BLOCK_LABELS[b!.id]} moved to position ${to + 1} of ${next.length}.`);
  };
  return (
    <section className="card" aria-labelledby="portal-blocks">
      <h2 id="portal-blocks">Blocks</h2>
      <p className="hint">Shown to affiliates from top to bottom, only those switched on.</p>
      {props.error ? <p className="field-error">{props.error}</p> : null}
      <ol className="block-list">
        {props.blocks.map((b, i) => (
          <li key={b.id} className={b.enabled ? undefined : 'block-off'}>
            <label className="check block-toggle">
              <input
                type="checkbox"
                checked={b.enabled}
                onChange={(e) => {
                  const enabled = e.currentTarget.checked;
                  props.onChange(props.blocks.map((x) => (x.id === b.id ? { ...x, enabled } : x)));
                }}
              />
              <span>
                <span className="block-position" aria-hidden="true">{i + 1}.</span> {BLOCK_LABELS[b.id]}
              </span>
            </label>
            <span className="block-moves">
              <button type="button" className="button button-small" ref={(el) => void buttons.current.set(`${b.id}:up`, el)} disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${BLOCK_LABELS[b.id]} up`}>
                ↑ Up
              </button>
              <button type="button" className="button button-small" ref={(el) => void buttons.current.set(`${b.id}:down`, el)} disabled={i === props.blocks.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${BLOCK_LABELS[b.id]} down`}>
                ↓ Down
              </button>
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function MaterialsEditor(props: { materials: Material[]; errors: Record<string, string> | null; onChange(materials: Material[]): void }) {
  const set = (i: number, patch: Partial<Material>) => props.onChange(props.materials.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  return (
    <section className="card" aria-labelledby="portal-materials">
      <h2 id="portal-materials">Promotional materials</h2>
      <p className="hint">
        Texts affiliates copy (<code>{'{{referral_link}}'}</code> becomes their link), banners and links to your pages. Addresses must start with http:// or https://. Switch the “Promotional materials” block on to show them.
      </p>
      {props.errors?.promotional_materials ? <p className="field-error">{props.errors.promotional_materials}</p> : null}
      {props.materials.length === 0 ? <p className="state state-empty">No promotional materials yet.</p> : null}
      {props.materials.map((m, i) => (
        <fieldset key={i} className="material">
          <legend>
            Material {i + 1}
            {m.title ? `: ${m.title}` : ''}
          </legend>
          <div className="material-row">
            <Field label="Kind" name={`promotional_materials.${i}.kind`} as="select" value={m.kind} errors={props.errors} onChange={(e) => set(i, { kind: e.currentTarget.value as Material['kind'] })}>
              <option value="text">Text</option>
              <option value="image">Image</option>
              <option value="link">Link</option>
            </Field>
            <Field label="Title" name={`promotional_materials.${i}.title`} maxLength={200} value={m.title} errors={props.errors} onChange={(e) => set(i, { title: e.currentTarget.value })} />
          </div>
          {m.kind === 'text' ? (
            <Field label="Text" name={`promotional_materials.${i}.body`} as="textarea" rows={3} maxLength={5000} value={m.body ?? ''} errors={props.errors} onChange={(e) => set(i, { body: e.currentTarget.value })} />
          ) : (
            <Field
              label={m.kind === 'image' ? 'Image address' : 'Link address'}
              name={`promotional_materials.${i}.url`}
              type="url"
              placeholder="https://"
              value={m.url ?? ''}
              errors={props.errors}
              onChange={(e) => set(i, { url: e.currentTarget.value })}
            />
          )}
          <WriteOnly>
            <button type="button" className="button button-small" onClick={() => props.onChange(props.materials.filter((_, j) => j !== i))}>
              Remove material {i + 1}
            </button>
          </WriteOnly>
        </fieldset>
      ))}
      <WriteOnly>
        <button type="button" className="button" disabled={props.materials.length >= 50} onClick={() => props.onChange([...props.materials, { kind: 'text', title: '', body: '' }])}>
          Add a material
        </button>
      </WriteOnly>
    </section>
  );
}

/** Blocks in display order, numbered 1…n, so moving one is a swap in the list. */
function normalise(s: PortalSettings): PortalSettings {
  const blocks = [...s.blocks].sort((a, b) => a.order - b.order).map((b, i) => ({ ...b, order: i + 1 }));
  return { ...s, blocks, appearance: { ...s.appearance, title: s.appearance.title ?? '', description: s.appearance.description ?? '' } };
}

/** What PUT takes: empty texts as null, each material with only the fields of its kind. */
function bodyOf(s: PortalSettings) {
  return {
    blocks: s.blocks.map((b) => ({ id: b.id, enabled: b.enabled, order: b.order, ...(b.config ? { config: b.config } : {}) })),
    appearance: { ...s.appearance, title: s.appearance.title?.trim() || null, description: s.appearance.description?.trim() || null },
    promotional_materials: s.promotional_materials.map((m) => (m.kind === 'text' ? { kind: m.kind, title: m.title, body: m.body ?? '' } : { kind: m.kind, title: m.title, url: m.url ?? '' })),
    default_language: s.default_language,
  };
}
