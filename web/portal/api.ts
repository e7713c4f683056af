/** The portal API (`/api/portal/:projectId/…`), as the affiliate's browser sees it. */

export type Block = { id: string; enabled: boolean; order: number; config?: Record<string, unknown> };
export type Appearance = {
  primary_color?: string | null;
  secondary_color?: string | null;
  font_color?: string | null;
  title?: string | null;
  description?: string | null;
  hide_branding?: boolean;
};
/** Text to paste (body), an image to download or embed (url), or a page to link to (url) */
export type PromoMaterial = { kind: 'text' | 'image' | 'link'; title: string; body?: string; url?: string };
export type PortalSettings = {
  blocks: Block[];
  appearance: Appearance;
  promotional_materials: PromoMaterial[];
  default_language?: string | null;
};
export type PortalConfig = { project: { id: string; name: string; currency: string }; portal: PortalSettings };

/** Money arrives as integer minor units, as a number or (beyond 2^53) a string. */
export type Minor = number | string;
export type Balance = {
  earned_minor?: Minor;
  pending_minor?: Minor;
  held_minor?: Minor;
  eligible_minor?: Minor;
  paid_minor?: Minor;
  processing_minor?: Minor;
  next_release_at?: string | null;
};
export type Me = {
  affiliate: {
    id: string;
    email: string;
    name?: string | null;
    status: string;
    referral_code: string;
    /** null until the merchant sets allowed_domains or the affiliate has a tracking link */
    referral_link: string | null;
    payout_method?: string | null;
    paypal_email?: string | null;
    wise_email?: string | null;
    payout_details?: Record<string, unknown> | null;
  };
  project: { name: string; currency: string; cookie_days?: number; payout_minimum_minor?: Minor };
  /** the terms in force now */
  commission: {
    type: 'percentage' | 'fixed';
    rate_bp: number | null;
    amount_minor: Minor | null;
    currency: string;
    duration: 'lifetime' | 'first_payment' | 'months';
    duration_months: number | null;
    hold_days: number;
  } | null;
  balances: Record<string, Balance>;
  portal: PortalSettings;
};
/** Money per currency, `{ USD: 4000 }`: currencies are never added together. */
export type PerCurrency = Record<string, Minor>;
export type DayFigures = { clicks: number; signups: number; purchases: number; renewals: number; refunds: number; revenue_minor: PerCurrency; refunded_minor: PerCurrency; commission_minor: PerCurrency };
export type DailyRow = DayFigures & { date: string };
export type Stats = { from: string; to: string; totals: DayFigures & { conversion_rate_bp: number | null }; daily: DailyRow[] };
export type Link = { id?: string; slug?: string; url: string; target_url?: string; clicks?: number; signups?: number; conversions?: number; active?: boolean };
export type Coupon = { id: string; coupon_code: string; status: string };
export type Commission = {
  id: string;
  kind: string;
  status: string;
  commission_minor: Minor;
  currency: string;
  occurred_at: string;
  hold_until: string | null;
};
/** A customer the affiliate referred; the address masked by the server (j***@example.com) */
export type Referral = { id: string; email: string; status: 'pending' | 'converted' | 'expired'; converted_at: string | null; created_at: string };
/** One page of a list and where the next starts (a cursor, or an offset as text), null on the last */
export type Page<T> = { rows: T[]; next: string | null };
export type Payout = {
  id: string;
  status: string;
  amount_minor: Minor;
  currency: string;
  method?: string | null;
  reference?: string | null;
  /** the merchant's reason, on a failed payout */
  failure_reason?: string | null;
  created_at?: string;
  completed_at?: string | null;
};
export type PayoutDetails = {
  method: 'paypal' | 'wise' | 'bank_transfer';
  paypal_email?: string;
  wise_email?: string;
  bank?: { account_holder: string; iban: string; bic?: string };
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** a 429's Retry-After, in seconds (unreadable across origins: the embed gets null) */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** An affiliate made by a verified application: `pending` until the merchant approves, or `active` at once. */
export type Application = { id: string; email: string; name: string; status: string; referral_code: string; created_at: string };

/** How requests prove who is asking: the hosted page's session cookie, or an embed token from the merchant. */
export type Auth = { kind: 'cookie' } | { kind: 'token'; token: string };

export class PortalApi {
  constructor(
    readonly base: string,
    readonly projectId: string,
    public auth: Auth,
  ) {}

  /**
   * The one place a 401 goes: the session or the embed token ended while the page was open (expiry, a sign-out in
   * another tab). Called for every request that needs one, not for the sign-in's own (a wrong code is a 401 too).
   */
  onUnauthorized: () => void = () => undefined;

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.envelope<T>(method, path, body)).data as T;
  }

  /**
   * The whole answer: a list's `pagination` sits beside its `data`. `root` is the API the path is under: the
   * portal's own, or the program's public applications (anyone may apply, signed in or not).
   */
  private async envelope<T>(
    method: string,
    path: string,
    body?: unknown,
    root = `/api/portal/${encodeURIComponent(this.projectId)}`,
  ): Promise<{ data?: T; pagination?: { next_cursor?: string | null; has_more?: boolean } }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.auth.kind === 'token') headers.Authorization = `Bearer ${this.auth.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${root}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // the session cookie is same-origin only; an embed on another site proves itself with its token alone
        credentials: this.auth.kind === 'cookie' ? 'same-origin' : 'omit',
      });
    } catch {
      throw new ApiError(0, 'network');
    }
    if (res.status === 204 || res.status === 202) return {};
    let json: { success?: boolean; data?: T; error?: string; pagination?: { next_cursor?: string | null; has_more?: boolean } } = {};
    try {
      json = (await res.json()) as typeof json;
    } catch {
      // a proxy's HTML error page: the status says enough
    }
    if (res.status === 401 && root.startsWith('/api/portal/') && !/^\/log(in|out)/.test(path)) this.onUnauthorized();
    if (!res.ok || json.success === false) {
      throw new ApiError(res.status, typeof json.error === 'string' ? json.error : `HTTP ${res.status}`, Number(res.headers.get('Retry-After')) || null);
    }
    return json;
  }

  config = () => this.call<PortalConfig>('GET', '/config');
  login = (email: string) => this.call<void>('POST', '/login', { email });
  verify = (email: string, code: string) => this.call<unknown>('POST', '/login/verify', { email, code });
  logout = () => this.call<void>('POST', '/logout');
  /** PRODUCT.md §12: an application, then the code it emailed; verified, the applicant is an affiliate */
  apply = async (a: { name: string; email: string; website: string | null; message: string | null }) => {
    await this.envelope<void>('POST', '', a, this.applications());
  };
  verifyApplication = async (email: string, code: string) => (await this.envelope<Application>('POST', '/verify', { email, code }, this.applications())).data as Application;
  private applications = () => `/api/public/projects/${encodeURIComponent(this.projectId)}/applications`;
  me = () => this.call<Me>('GET', '/me');
  stats = (from: string, to: string) => this.call<Stats>('GET', `/stats?from=${from}&to=${to}`);
  links = () => this.call<Link[]>('GET', '/links');
  createLink = (target_url: string, slug?: string) => this.call<Link>('POST', '/links', slug ? { target_url, slug } : { target_url });
  coupons = () => this.call<Coupon[]>('GET', '/coupons');
  /** One page, newest first; `next` is the cursor of the older page after it, null on the last */
  commissions = async (limit: number, cursor?: string | null): Promise<Page<Commission>> => {
    const page = await this.envelope<Commission[]>('GET', `/commissions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    return { rows: page.data ?? [], next: page.pagination?.next_cursor ?? null };
  };
  /** The customers the affiliate referred, oldest first, paged by offset (`next` is the next page's) */
  referrals = async (limit: number, offset?: string | null): Promise<Page<Referral>> => {
    const from = Number(offset ?? 0);
    const page = await this.envelope<Referral[]>('GET', `/referrals?limit=${limit}&offset=${from}`);
    const rows = page.data ?? [];
    return { rows, next: page.pagination?.has_more ? String(from + rows.length) : null };
  };
  payouts = () => this.call<Payout[]>('GET', '/payouts');
  requestPayout = (currency: string) => this.call<Payout>('POST', '/payouts', { currency });
  savePayoutDetails = (details: PayoutDetails) => this.call<PayoutDetails>('PUT', '/payout-details', details);
}
