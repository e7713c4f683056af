import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Balance, type Block, type Commission, type Coupon, type Link, type Me, type Page, type PayoutDetails, type Payout, type PerCurrency, type PromoMaterial, type Referral, type Stats } from '../api';
import { compareMinor, count, date, iso, minorIsPositive, money, percent } from '../format';
import { LANGUAGES, nativeName } from '../i18n';
import { DailyChart } from './chart';
import { Badge, Card, CopyButton, CopyField, Empty, ErrorState, errorMessage, Loaded, TableWrap, useLoad, type Load } from './common';
import { usePortal } from './context';

export type BlockProps = {
  block: Block;
  me: Me;
  /** fetches /me again: balances move after a payout request */
  refreshMe: () => void;
  stats: Load<Stats>;
  days: number;
  /** spans the row on a wide screen (app.tsx pairing) */
  wide: boolean;
  /** a control the dashboard puts in this block's heading row (the period) */
  extra?: preact.ComponentChildren;
};



export function HeaderBlock({ me }: BlockProps) {
  const { t, lang, setLanguage } = usePortal();
  const a = me.portal.appearance ?? {};
  const title = a.title?.trim() || t('header_default_title', { program: me.project.name });
  return (
    <section class="rw-card rw-header rw-wide" aria-labelledby="rw-h-header" data-block="header">
      <h1 id="rw-h-header" dir={a.title?.trim() ? 'auto' : undefined}>{title}</h1>
      {a.description?.trim() && <p dir="auto">{a.description}</p>}
      <p class="rw-row">
        <span>{t('signed_in_as', { email: iso(me.affiliate.email) })}</span>
        <Badge kind={me.affiliate.status}>{t(`status_${me.affiliate.status}`, { defaultValue: me.affiliate.status })}</Badge>
      </p>
      <div class="rw-row rw-period">
        <label for="rw-lang">{t('language_label')}</label>
        <select id="rw-lang" class="rw-input" value={lang} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)}>
          {LANGUAGES.map((l) => (
            // lang: a screen reader reads each name in its own language
            <option key={l} value={l} lang={l}>
              {nativeName(l)}
            </option>
          ))}
        </select>
      </div>
      {me.affiliate.status === 'suspended' && (
        <p class="rw-alert" role="alert">
          {t('error_suspended')}
        </p>
      )}
    </section>
  );
}

export function ShareLinksBlock(props: BlockProps) {
  const { me, block, refreshMe } = props;
  const { t, lang, api, announce, emit } = usePortal();
  const links = useLoad(() => api.links(), []);
  const [target, setTarget] = useState('');
  const [slug, setSlug] = useState('');
  const [busy, setBusy] = useState(false);
  // the refusal and the field it names ("slug is already in use", "target_url: …"): only that one is marked
  const [formError, setFormError] = useState<{ text: string; field: string } | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  // only an active affiliate makes links (the API answers 409 otherwise): no form a pending one cannot use
  const allowCreate = block.config?.allow_link_creation !== false && me.affiliate.status === 'active';
  const cookieDays = me.project.cookie_days ?? 0;

  const create = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFormError(null);
    try {
      const link = await api.createLink(target.trim(), slug.trim() || undefined);
      setTarget('');
      setSlug('');
      announce(t('link_created'));
      emit('link:created', link);
      links.reload();
      // the referral link is the first active tracking link: /me says which
      refreshMe();
      // the emptied form's button is disabled: the focus goes to the list the link joins, not to the page's top
      listHeading.current?.focus();
    } catch (err) {
      // "slug …", "target_url: …": the field the refusal names; none for the others (an account not active)
      setFormError({ text: errorMessage(t, lang, err), field: err instanceof ApiError ? (/^(slug|target)/.exec(err.message)?.[1] ?? '') : '' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card id="share_links" title={t('share_title')} wide={props.wide}>
      {cookieDays > 0 && <p class="rw-muted">{t('share_intro', { count: cookieDays })}</p>}
      {me.affiliate.referral_link && <CopyField value={me.affiliate.referral_link} label={t('share_title')} />}
      <p class="rw-row">
        <span>{t('referral_code')}:</span> <strong class="rw-ltr" data-testid="referral-code">{me.affiliate.referral_code}</strong>
        <CopyButton text={me.affiliate.referral_code} what={t('referral_code')} />
      </p>
      <h3 ref={listHeading} tabIndex={-1}>
        {t('links_title')}
      </h3>
      <Loaded load={links} empty={(list) => list.length === 0 && t('links_empty')}>
        {(list) => (
          <TableWrap label={t('links_title')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('col_link')}</th>
                  <th scope="col" class="rw-hide-narrow">{t('col_target')}</th>
                  <th scope="col" class="rw-num">{t('col_clicks')}</th>
                  <th scope="col" class="rw-num">{t('col_conversions')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((l: Link) => (
                  <tr key={l.url}>
                    <td>
                      <div class="rw-row">
                        <span class="rw-ltr">{l.url}</span>
                        <CopyButton text={l.url} what={l.url} />
                      </div>
                    </td>
                    <td class="rw-hide-narrow">
                      <span class="rw-ltr">{l.target_url}</span>
                    </td>
                    <td class="rw-num">{count(l.clicks, lang)}</td>
                    <td class="rw-num">{count(l.conversions, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Loaded>
      {allowCreate && (
        <form onSubmit={create} noValidate>
          <div class="rw-field">
            <label for="rw-link-target">{t('link_target')}</label>
            <input
              id="rw-link-target"
              class="rw-input"
              type="url"
              required
              dir="ltr"
              value={target}
              onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
              aria-describedby={formError?.field === 'target' ? 'rw-link-target-hint rw-link-error' : 'rw-link-target-hint'}
              aria-invalid={formError?.field === 'target' ? 'true' : undefined}
            />
            <p id="rw-link-target-hint" class="rw-muted">
              {t('link_target_hint')}
            </p>
          </div>
          <div class="rw-field">
            <label for="rw-link-slug">{t('link_slug')}</label>
            <input
              id="rw-link-slug"
              class="rw-input"
              type="text"
              dir="ltr"
              maxLength={64}
              value={slug}
              onInput={(e) => setSlug((e.target as HTMLInputElement).value)}
              aria-invalid={formError?.field === 'slug' ? 'true' : undefined}
              aria-describedby={formError?.field === 'slug' ? 'rw-link-error' : undefined}
            />
          </div>
          {formError && (
            <p class="rw-alert" role="alert" id="rw-link-error">
              {formError.text}
            </p>
          )}
          {/* aria-disabled while busy, so the button keeps the focus (a disabled one drops it to the page) */}
          <button class="rw-btn" type="submit" disabled={target.trim() === ''} aria-disabled={busy}>
            {busy ? t('creating') : t('create_link')}
          </button>
        </form>
      )}
    </Card>
  );
}

export function CouponBlock(props: BlockProps) {
  const { t, api } = usePortal();
  const coupons = useLoad(() => api.coupons(), []);
  const list = (coupons.data ?? []).filter((c: Coupon) => c.status === 'active');
  return (
    <Card id="coupon_code" title={t('coupon_title')} wide={props.wide}>
      <Loaded load={coupons} empty={() => list.length === 0 && t('coupon_empty')}>
        {() => (
          <>
            <p class="rw-muted">{t('coupon_intro')}</p>
            <ul class="rw-list">
              {list.map((c) => (
                <li key={c.id}>
                  <CopyField value={c.coupon_code} label={c.coupon_code} />
                </li>
              ))}
            </ul>
          </>
        )}
      </Loaded>
    </Card>
  );
}

function Stat(props: { label: string; children: ComponentChildren; name: string }) {
  return (
    <div class="rw-stat" data-stat={props.name}>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** Amounts in several currencies side by side, never added together; zero in the program's currency when none. */
function moneyList(amounts: PerCurrency, fallbackCurrency: string, lang: string) {
  const entries = Object.entries(amounts);
  const shown = entries.length === 0 ? [money(0, fallbackCurrency, lang)] : entries.map(([cur, v]) => money(v, cur, lang));
  // each amount whole on its line, the line broken only between currencies
  return shown.map((m, i) => (
    <>
      {i > 0 && ' · '}
      <span class="rw-nowrap">{m}</span>
    </>
  ));
}

/** What customers paid less what was given back, per currency. */
function netOf(revenue: PerCurrency, refunded: PerCurrency): PerCurrency {
  // exact whatever the size: a sum past 2^53 arrives as a string
  return Object.fromEntries(Object.entries(revenue).map(([cur, v]) => [cur, (BigInt(v) - BigInt(refunded[cur] ?? 0)).toString()]));
}

export function StatsBlock({ me, stats, wide, extra }: BlockProps) {
  const { t, lang } = usePortal();
  const currency = me.project.currency;
  return (
    <Card id="stats" title={t('stats_title')} wide={wide} headerExtra={extra}>
      <Loaded load={stats} empty={() => false}>
        {({ totals: s }) => (
          <dl class="rw-stats">
            <Stat name="clicks" label={t('stat_clicks')}>{count(s.clicks, lang)}</Stat>
            <Stat name="signups" label={t('stat_signups')}>{count(s.signups, lang)}</Stat>
            <Stat name="purchases" label={t('stat_purchases')}>{count(s.purchases, lang)}</Stat>
            <Stat name="conversion_rate" label={t('stat_conversion_rate')}>{s.conversion_rate_bp === null ? '—' : percent(s.conversion_rate_bp / 10_000, lang)}</Stat>
            {/* net of refunds, as the commission beside it is */}
            <Stat name="revenue" label={t('stat_revenue')}>{moneyList(netOf(s.revenue_minor, s.refunded_minor), currency, lang)}</Stat>
            <Stat name="commission" label={t('stat_commission')}>{moneyList(s.commission_minor, currency, lang)}</Stat>
          </dl>
        )}
      </Loaded>
      <Referrals me={me} />
    </Card>
  );
}

export function DailyStatsBlock({ stats, wide, extra }: BlockProps) {
  const { t } = usePortal();
  const daily = stats.data?.daily ?? [];
  const active = daily.some((r) => r.clicks + r.signups + r.purchases > 0);
  return (
    <Card id="daily_stats" title={t('daily_title')} wide={wide} headerExtra={extra}>
      <Loaded load={stats} empty={() => !active && t('daily_empty')}>
        {() => <DailyChart daily={daily} />}
      </Loaded>
    </Card>
  );
}

function BalanceCard(props: { currency: string; balance: Balance }) {
  const { t, lang } = usePortal();
  const b = props.balance;
  const m = (v: Balance[keyof Balance]) => <span class="rw-nowrap">{money((v ?? 0) as string, props.currency, lang)}</span>;
  return (
    <dl class="rw-stats" data-currency={props.currency}>
      <Stat name="eligible" label={t('eligible')}>{m(b.eligible_minor)}</Stat>
      <Stat name="held" label={t('held')}>
        {m(b.held_minor)}
        <div class="rw-muted" data-next-release>{b.next_release_at ? t('next_release', { date: date(b.next_release_at, lang) }) : t('no_next_release')}</div>
      </Stat>
      {minorIsPositive(b.pending_minor) && <Stat name="pending" label={t('pending_review')}>{m(b.pending_minor)}</Stat>}
      <Stat name="processing" label={t('processing')}>{m(b.processing_minor)}</Stat>
      <Stat name="paid" label={t('paid')}>{m(b.paid_minor)}</Stat>
      <Stat name="earned" label={t('earned')}>{m(b.earned_minor)}</Stat>
    </dl>
  );
}

/** Rows fetched at a time: a list's first page, and each "Load more" */
const PAGE = 10;

/**
 * A list read a page at a time (the affiliate's commissions, their referrals). The pages "Load more" adds belong to
 * the first page they followed (`base`): when the first page is loaded again (after `me` changes) they are dropped,
 * and an answer that arrives for a replaced first page is ignored.
 */
function PagedTable<T extends { id: string }>(props: {
  me: Me;
  /** each row's data-<kind> attribute holds its id */
  kind: string;
  title: string;
  empty: string;
  load: (limit: number, next?: string | null) => Promise<Page<T>>;
  head: ComponentChildren;
  row: (r: T) => ComponentChildren;
}) {
  const { t } = usePortal();
  const first = useLoad(() => props.load(PAGE), [props.me]);
  const [more, setMore] = useState<{ base: unknown; rows: T[]; next: string | null; busy?: boolean; error?: unknown } | null>(null);
  // the first row a "Load more" added takes the focus: the button may be gone (last page), and a keyboard or
  // screen-reader user lands on what was loaded instead of the top of the page
  const focusAt = useRef(-1);
  const added = useRef<HTMLTableRowElement>(null);
  const base = first.data;
  const m = more?.base === base ? more : null;
  const rows = [...(base?.rows ?? []), ...(m?.rows ?? [])];
  const next = m ? m.next : base?.next;
  // a layout effect, so the focus moves in the same frame the rows appear (Preact runs a plain effect after paint)
  useLayoutEffect(() => added.current?.focus(), [m?.rows]);
  const loadMore = async () => {
    // aria-disabled rather than disabled while busy, so the button keeps the keyboard focus
    if (!base || !next || m?.busy) return;
    const kept = { base, rows: m?.rows ?? [], next };
    setMore({ ...kept, busy: true });
    try {
      const page = await props.load(PAGE, next);
      focusAt.current = rows.length;
      setMore((cur) => (cur?.base === base ? { base, rows: [...kept.rows, ...page.rows], next: page.next } : cur));
    } catch (error) {
      setMore((cur) => (cur?.base === base ? { ...kept, error } : cur));
    }
  };
  return (
    <>
      <h3>{props.title}</h3>
      <Loaded load={first} empty={() => rows.length === 0 && props.empty}>
        {() => (
          <TableWrap label={props.title}>
            <table>
              <thead>
                <tr>{props.head}</tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={r.id} {...{ [`data-${props.kind}`]: r.id }} {...(i === focusAt.current ? { ref: added, tabIndex: -1 } : {})}>
                    {props.row(r)}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Loaded>
      {base && next && (
        <div class="rw-row">
          {/* the button itself is the retry */}
          {m?.error !== undefined && <ErrorState error={m.error} />}
          <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={loadMore} aria-disabled={m?.busy} data-load-more>
            {m?.busy ? t('loading') : t('commissions_more')}
          </button>
        </div>
      )}
    </>
  );
}

/** The affiliate's commissions, newest first, paged with the API's cursor. */
function Commissions({ me }: { me: Me }) {
  const { t, lang, api } = usePortal();
  return (
    <PagedTable<Commission>
      me={me}
      kind="commission"
      title={t('commissions_title')}
      empty={t('commissions_empty')}
      load={api.commissions}
      head={
        <>
          <th scope="col">{t('col_date')}</th>
          <th scope="col" class="rw-hide-narrow">{t('col_kind')}</th>
          <th scope="col" class="rw-num">{t('col_amount')}</th>
          <th scope="col">{t('col_status')}</th>
          {/* narrow, the hold date goes under the status: five columns do not fit 320 px */}
          <th scope="col" class="rw-hide-narrow">{t('col_hold_until')}</th>
        </>
      }
      row={(c) => (
        <>
          <td class="rw-nowrap">{date(c.occurred_at, lang)}</td>
          <td class="rw-hide-narrow">{t(`kind_${c.kind}`, { defaultValue: c.kind })}</td>
          <td class="rw-num">{money(c.commission_minor, c.currency, lang)}</td>
          <td>
            <Badge kind={c.status}>{t(`cstatus_${c.status}`, { defaultValue: c.status })}</Badge>
            {c.status === 'held' && <div class="rw-show-narrow rw-nowrap">{date(c.hold_until, lang, 'short')}</div>}
          </td>
          <td class="rw-nowrap rw-hide-narrow">{c.status === 'held' ? date(c.hold_until, lang) : ''}</td>
        </>
      )}
    />
  );
}

/** The customers the affiliate referred, oldest first (Refferq's "My referrals"), their addresses masked. */
function Referrals({ me }: { me: Me }) {
  const { t, lang, api } = usePortal();
  return (
    <PagedTable<Referral>
      me={me}
      kind="referral"
      title={t('referrals_title')}
      empty={t('referrals_empty')}
      load={api.referrals}
      head={
        <>
          <th scope="col">{t('col_date')}</th>
          <th scope="col">{t('col_customer')}</th>
          <th scope="col">{t('col_status')}</th>
        </>
      }
      row={(r) => (
        <>
          <td class="rw-nowrap">{date(r.created_at, lang)}</td>
          <td class="rw-ltr">{r.email}</td>
          <td>
            <Badge kind={r.status}>{t(`rstatus_${r.status}`, { defaultValue: r.status })}</Badge>
            {r.converted_at && <div class="rw-muted rw-nowrap">{t('referral_converted_on', { date: date(r.converted_at, lang) })}</div>}
          </td>
        </>
      )}
    />
  );
}

export function EarningsBlock({ me, wide }: BlockProps) {
  const { t } = usePortal();
  const balances = Object.entries(me.balances ?? {});
  return (
    <Card id="earnings" title={t('earnings_title')} wide={wide}>
      {balances.length === 0 ? (
        <Empty>{t('earnings_empty')}</Empty>
      ) : (
        <div class="rw-balances">
          {balances.map(([cur, b]) => (
            <div key={cur}>
              {balances.length > 1 && <h3>{cur}</h3>}
              <BalanceCard currency={cur} balance={b} />
            </div>
          ))}
          <p class="rw-muted">{t('held_hint')}</p>
        </div>
      )}
      <Commissions me={me} />
    </Card>
  );
}

function detailsFromMe(me: Me): PayoutDetails | null {
  const a = me.affiliate;
  const bank = (a.payout_details?.bank ?? a.payout_details) as Record<string, string> | undefined;
  if (a.payout_method === 'paypal') return { method: 'paypal', paypal_email: a.paypal_email ?? '' };
  if (a.payout_method === 'wise') return { method: 'wise', wise_email: a.wise_email ?? '' };
  if (a.payout_method === 'bank_transfer') return { method: 'bank_transfer', bank: { account_holder: bank?.account_holder ?? '', iban: bank?.iban ?? '', bic: bank?.bic } };
  return null;
}

/** Whether a payout by the affiliate's method has what it needs (the API refuses one without: src/api/payout-batches.ts, missingDetails). */
function payoutReady(me: Me): boolean {
  const d = detailsFromMe(me);
  if (!me.affiliate.payout_method) return false;
  if (d === null) return true;
  if (d.method === 'paypal') return d.paypal_email !== '';
  const iban = (me.affiliate.payout_details?.bank ?? me.affiliate.payout_details) as Record<string, string> | undefined;
  if (d.method === 'wise') return d.wise_email !== '' || !!iban?.iban;
  return !!d.bank?.iban && (!!d.bank.account_holder || !!me.affiliate.name);
}

export function PaymentMethodsBlock({ me, refreshMe, wide }: BlockProps) {
  const { t, lang, api, announce, emit } = usePortal();
  const current = detailsFromMe(me);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<PayoutDetails>(current ?? { method: 'paypal', paypal_email: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // the input the server's 400 names ("bank.iban: not a valid IBAN…"), so only it is marked; null: none named
  const [invalidField, setInvalidField] = useState<string | null>(null);
  // the button that goes (Edit) or is replaced (Save, Cancel) would leave the focus on the page: opening the editor
  // focuses its first field, closing it (saved, cancelled, Escape) the Edit button again
  const form1 = useRef<HTMLFieldSetElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const closing = useRef(false);
  // layout effects, so the focus moves in the frame the editor opens or closes, never onto the page in between
  useLayoutEffect(() => {
    if (editing) form1.current?.querySelector<HTMLInputElement>('input:checked, input')?.focus();
    else if (closing.current) editButton.current?.focus();
    closing.current = false;
  }, [editing]);
  const close = () => {
    closing.current = true;
    setEditing(false);
    setError(null);
  };
  const set = (patch: Partial<PayoutDetails>) => setForm((f) => ({ ...f, ...patch }));
  const setBank = (patch: Partial<NonNullable<PayoutDetails['bank']>>) => setForm((f) => ({ ...f, bank: { account_holder: '', iban: '', ...f.bank, ...patch } }));
  const input = (id: string, label: string, value: string | undefined, onValue: (v: string) => void, type = 'text', autoComplete?: string) => (
    <div class="rw-field">
      <label for={id}>{label}</label>
      <input
        id={id}
        class="rw-input"
        type={type}
        dir="ltr"
        autoComplete={autoComplete}
        value={value ?? ''}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
        aria-invalid={error && invalidField === id ? 'true' : undefined}
        aria-describedby={error && invalidField === id ? 'rw-details-error' : undefined}
      />
    </div>
  );

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setInvalidField(null);
    const body: PayoutDetails =
      form.method === 'paypal'
        ? { method: 'paypal', paypal_email: form.paypal_email?.trim() }
        : form.method === 'wise'
          ? { method: 'wise', wise_email: form.wise_email?.trim() }
          : { method: 'bank_transfer', bank: { account_holder: form.bank?.account_holder?.trim() ?? '', iban: (form.bank?.iban ?? '').replace(/\s+/g, ''), ...(form.bank?.bic?.trim() ? { bic: form.bank.bic.trim() } : {}) } };
    try {
      await api.savePayoutDetails(body);
      close();
      announce(t('saved'));
      emit('payout_details:updated', { method: body.method });
      refreshMe();
    } catch (err) {
      const refused = err instanceof ApiError && err.status === 400;
      // a refusal of a field the portal knows is said in the affiliate's language; any other in the API's words
      const said = errorMessage(t, lang, err);
      setError(refused && said === t('error_generic') ? t('invalid_details', { reason: err.message }) : said);
      // each input's id is rw- and the field the API names in its refusal ("bank.iban: …")
      if (refused) setInvalidField(`rw-${/^([\w.]+):/.exec(err.message)?.[1]}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      id="payment_methods"
      title={t('methods_title')}
      wide={wide}
      headerExtra={
        !editing && (
          <button ref={editButton} type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={() => { setForm(current ?? { method: 'paypal', paypal_email: '' }); setEditing(true); }}>
            {t('edit')}
          </button>
        )
      }
    >
      <p class="rw-muted">{t('methods_intro')}</p>
      {!editing ? (
        current ? (
          <dl class="rw-stats rw-stats-text">
            <Stat name="method" label={t('method_label')}>{t(`method_${current.method}`)}</Stat>
            {current.method === 'paypal' && <Stat name="paypal_email" label={t('paypal_email')}><span class="rw-ltr rw-text-value">{current.paypal_email}</span></Stat>}
            {current.method === 'wise' && <Stat name="wise_email" label={t('wise_email')}><span class="rw-ltr rw-text-value">{current.wise_email}</span></Stat>}
            {current.method === 'bank_transfer' && (
              <Stat name="iban" label={t('iban')}>
                <span class="rw-ltr rw-text-value">{current.bank?.iban}</span>
              </Stat>
            )}
          </dl>
        ) : (
          <Empty>{me.affiliate.payout_method === 'manual' ? t('method_manual') : t('method_none')}</Empty>
        )
      ) : (
        <form onSubmit={save} noValidate onKeyDown={(e) => e.key === 'Escape' && close()}>
          <fieldset ref={form1}>
            <legend>{t('method_label')}</legend>
            {(['paypal', 'wise', 'bank_transfer'] as const).map((m) => (
              <label class="rw-radio" key={m}>
                <input type="radio" name="rw-method" value={m} checked={form.method === m} onChange={() => set({ method: m })} />
                {t(`method_${m}`)}
              </label>
            ))}
          </fieldset>
          {form.method === 'paypal' && input('rw-paypal_email', t('paypal_email'), form.paypal_email, (v) => set({ paypal_email: v }), 'email', 'email')}
          {form.method === 'wise' && input('rw-wise_email', t('wise_email'), form.wise_email, (v) => set({ wise_email: v }), 'email', 'email')}
          {form.method === 'bank_transfer' && (
            <>
              {input('rw-bank.account_holder', t('account_holder'), form.bank?.account_holder, (v) => setBank({ account_holder: v }), 'text', 'name')}
              {input('rw-bank.iban', t('iban'), form.bank?.iban, (v) => setBank({ iban: v }))}
              {input('rw-bank.bic', t('bic'), form.bank?.bic, (v) => setBank({ bic: v }))}
            </>
          )}
          {error && (
            <p class="rw-alert" role="alert" id="rw-details-error">
              {error}
            </p>
          )}
          <div class="rw-row">
            <button class="rw-btn" type="submit" aria-disabled={busy}>
              {busy ? t('saving') : t('save')}
            </button>
            <button class="rw-btn rw-btn-quiet" type="button" onClick={close}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
    </Card>
  );
}

export function PaymentHistoryBlock({ me, refreshMe, wide }: BlockProps) {
  const { t, lang, api, announce, emit } = usePortal();
  const payouts = useLoad(() => api.payouts(), [me]);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  // a payout requested takes its button away: the focus goes to the message that says it was
  const messageRef = useRef<HTMLParagraphElement>(null);
  useLayoutEffect(() => {
    if (message?.kind === 'ok') messageRef.current?.focus();
  }, [message]);
  const minimum = me.project.payout_minimum_minor ?? 0;

  const request = async (currency: string, amount: string) => {
    setBusy(currency);
    setMessage(null);
    try {
      const payout = await api.requestPayout(currency);
      const text = t('payout_requested', { amount: money(payout?.amount_minor ?? amount, currency, lang) });
      setMessage({ kind: 'ok', text });
      announce(text);
      emit('payout:requested', payout);
      refreshMe();
    } catch (err) {
      setMessage({ kind: 'error', text: errorMessage(t, lang, err, { amount: money(minimum, currency, lang) }) });
    } finally {
      setBusy(null);
    }
  };

  const payable = Object.entries(me.balances ?? {}).filter(([, b]) => minorIsPositive(b.eligible_minor));
  const suspended = me.affiliate.status === 'suspended';
  const ready = payoutReady(me);
  return (
    <Card id="payment_history" title={t('history_title')} wide={wide}>
      <div class="rw-balances">
        {payable.length === 0 ? (
          <p class="rw-muted">{t('payout_nothing')}</p>
        ) : (
          payable.map(([cur, b]) => {
              const eligible = String(b.eligible_minor ?? 0);
              const belowMinimum = cur === me.project.currency && compareMinor(eligible, minimum) < 0;
              return (
                <div key={cur} class="rw-row">
                  <button type="button" class="rw-btn" disabled={belowMinimum || suspended || !ready} aria-disabled={busy !== null} onClick={() => busy === null && request(cur, eligible)} aria-describedby={belowMinimum ? `rw-min-${cur}` : undefined}>
                    {busy === cur ? t('requesting') : t('request_payout', { amount: money(eligible, cur, lang) })}
                  </button>
                  {belowMinimum && (
                    <span id={`rw-min-${cur}`} class="rw-muted">
                      {t('payout_minimum', { amount: money(minimum, cur, lang) })}
                    </span>
                  )}
                </div>
              );
            })
        )}
        {!ready && <p class="rw-muted">{t('payout_needs_details')}</p>}
      </div>
      {message && (
        <p ref={messageRef} tabIndex={-1} class={message.kind === 'ok' ? 'rw-notice' : 'rw-alert'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <Loaded load={payouts} empty={(list) => list.length === 0 && t('history_empty')}>
        {(list) => (
          <TableWrap label={t('history_title')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('col_date')}</th>
                  <th scope="col" class="rw-num">{t('col_amount')}</th>
                  <th scope="col">{t('col_status')}</th>
                  <th scope="col" class="rw-hide-narrow">{t('col_method')}</th>
                  {/* narrow, the reference goes under the status, as the commissions' hold date does */}
                  <th scope="col" class="rw-hide-narrow">{t('col_reference')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((p: Payout) => (
                  <tr key={p.id} data-payout={p.id}>
                    <td class="rw-nowrap">{date(p.created_at, lang)}</td>
                    <td class="rw-num">{money(p.amount_minor, p.currency, lang)}</td>
                    <td>
                      <Badge kind={p.status}>{t(`pstatus_${p.status}`, { defaultValue: p.status })}</Badge>
                      {p.reference && <div class="rw-show-narrow rw-ltr">{p.reference}</div>}
                      {p.status === 'failed' && p.failure_reason && <div class="rw-muted">{p.failure_reason}</div>}
                    </td>
                    <td class="rw-hide-narrow">{p.method ? t(`method_${p.method}`, { defaultValue: p.method }) : ''}</td>
                    <td class="rw-ltr rw-hide-narrow">{p.reference ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Loaded>
    </Card>
  );
}

export function CommissionLevelsBlock({ me, wide }: BlockProps) {
  const { t, lang } = usePortal();
  const c = me.commission;
  const rule = !c
    ? null
    : c.type === 'fixed'
      ? t('rule_fixed', { amount: money(c.amount_minor ?? 0, c.currency, lang) })
      : t('rule_percentage', { rate: percent((c.rate_bp ?? 0) / 10_000, lang) });
  return (
    <Card id="commission_levels" title={t('levels_title')} wide={wide}>
      <ul class="rw-list">
        {rule && (
          <li data-rule>
            <strong>{rule}</strong>
          </li>
        )}
        {c && <li>{c.duration === 'months' ? t('duration_months', { count: c.duration_months ?? 0 }) : t(`duration_${c.duration}`)}</li>}
        {c && <li>{t('hold_days', { count: c.hold_days })}</li>}
        {me.project.cookie_days !== undefined && <li>{t('cookie_days', { count: me.project.cookie_days })}</li>}
        {minorIsPositive(me.project.payout_minimum_minor) && <li>{t('minimum_payout', { amount: money(me.project.payout_minimum_minor!, me.project.currency, lang) })}</li>}
      </ul>
    </Card>
  );
}

export function PromoBlock({ me, wide }: BlockProps) {
  const { t } = usePortal();
  const items = me.portal.promotional_materials ?? [];
  const withLink = (text: string) => text.replace(/\{\{?\s*(referral_link|link)\s*\}?\}/g, me.affiliate.referral_link ?? me.affiliate.referral_code);
  return (
    <Card id="promotional_materials" title={t('promo_title')} wide={wide}>
      {items.length === 0 ? (
        <Empty>{t('promo_empty')}</Empty>
      ) : (
        <div class="rw-promo">
          {items.map((m: PromoMaterial, i) => {
            const body = m.body ? withLink(m.body) : null;
            const url = m.url && /^https?:\/\//.test(m.url) ? m.url : null;
            return (
              <div class="rw-promo-item" key={i} data-material={m.kind}>
                <h3 dir="auto">{m.title}</h3>
                {m.kind === 'image' && url && (
                  <>
                    <img src={url} alt={m.title} loading="lazy" />
                    <div class="rw-row">
                      <CopyButton text={url} what={`${t('promo_image')}: ${m.title}`} />
                      <a href={url} target="_blank" rel="noopener noreferrer">
                        {t('open_image')}
                      </a>
                    </div>
                  </>
                )}
                {body && (
                  <>
                    <blockquote dir="auto">{body}</blockquote>
                    <CopyButton text={body} what={`${t('promo_text')}: ${m.title}`} />
                  </>
                )}
                {m.kind === 'link' && url && <CopyField value={withLink(url)} label={`${t('promo_link')}: ${m.title}`} />}
              </div>
            );
          })}
        </div>
      )}
    </Card>
  );
}

export const BLOCKS: Record<string, (p: BlockProps) => preact.JSX.Element | null> = {
  header: HeaderBlock,
  share_links: ShareLinksBlock,
  coupon_code: CouponBlock,
  stats: StatsBlock,
  daily_stats: DailyStatsBlock,
  earnings: EarningsBlock,
  payment_methods: PaymentMethodsBlock,
  payment_history: PaymentHistoryBlock,
  commission_levels: CommissionLevelsBlock,
  promotional_materials: PromoBlock,
};
