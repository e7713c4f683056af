/**
 * The portal preview the dashboard shows beside the portal settings form (web/dashboard/pages/portal-settings.tsx):
 * `GET /portal/:projectId/preview` is the widget (`/js/refwire-portal.js`, unchanged) on a page of its own, framed
 * by the dashboard only (`frame-ancestors 'self'`), with `/js/refwire-portal-preview.js` loaded before it.
 *
 * That script is the whole preview mode, and it lives here rather than in the widget, whose embed gzip budget is
 * nearly spent (test/portal-ui/bundle.test.ts) and which merchants' pages load: it replaces `fetch` inside the
 * frame for the portal API of the project, so the widget renders
 *
 * - the UNSAVED settings the dashboard posts to it (`postMessage`, same origin and from the parent frame only) in
 *   place of the saved ones, in `/me` and `/config`, as the merchant types; and
 * - either a real affiliate's numbers (the dashboard mints an embed token and posts it; the answers are fetched once
 *   and kept, so an edit redraws at once) or, when the project has no affiliate (or the user is a viewer, who may
 *   not mint tokens), sample data, which the page says above the widget.
 *
 * Every write the widget would make (a link, a payout request, payout details) answers 409 "a preview": nothing
 * is saved from the preview. Each update re-identifies the widget with a fresh placeholder token
 * (`Refwire.portal.identify`), which makes it read `/me` again: the widget needs no preview code of its own.
 */

/** The preview page's policy: the hosted page's, but framed by the dashboard (same origin) and nothing else. */
export const PREVIEW_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function previewPageHtml(projectId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>Portal preview</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/js/refwire-portal-preview.css">
<script src="/js/refwire-portal-preview.js" data-project-id="${escapeHtml(projectId)}"></script>
<script src="/js/refwire-portal.js" defer></script>
</head>
<body>
<p id="rw-preview-note" role="status">Loading the preview…</p>
<main id="rw-preview"></main>
</body>
</html>
`;
}

export const PREVIEW_CSS = `body{margin:0;background:#f9fafb;font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1c2430}
#rw-preview-note{margin:0;padding:.45rem .75rem;background:#fff4db;color:#5c3900;border-bottom:1px solid #f0d9a8}
#rw-preview-note.rw-real{background:#e6effb;color:#0b4a99;border-color:#b9d2f3}
`;

/**
 * Plain ES2019, no build step: it runs in the preview frame before the widget. Sample answers follow the portal
 * API's shapes (docs/portal.md), money in integer minor units.
 */
export const PREVIEW_SCRIPT = String.raw`/*! Refwire portal preview: unsaved settings and sample data for the dashboard's preview frame (src/pages/portal-preview.ts) */
(function () {
  'use strict';
  var me = document.currentScript;
  var projectId = me && me.getAttribute('data-project-id');
  if (!projectId || window.parent === window) return;
  var prefix = '/api/portal/' + encodeURIComponent(projectId);
  var realFetch = window.fetch.bind(window);
  var state = { settings: null, token: null, project: { id: projectId, name: 'Your program', currency: 'USD' }, terms: null, n: 0, lang: null };
  var cache = new Map();
  var host = null;

  function answer(body, status) {
    return new Response(JSON.stringify(body), { status: status || 200, headers: { 'Content-Type': 'application/json' } });
  }
  function day(d) { return d.toISOString().slice(0, 10); }
  function money(n) { var o = {}; o[state.project.currency] = n; return o; }

  function sampleMe() {
    var t = state.terms || {};
    var cur = state.project.currency;
    var balances = {};
    balances[cur] = { earned_minor: 48250, pending_minor: 0, held_minor: 12500, eligible_minor: 23750, processing_minor: 0, paid_minor: 12000, next_release_at: new Date(Date.now() + 9 * 864e5).toISOString() };
    return {
      affiliate: { id: '00000000-0000-4000-8000-000000000001', email: 'jane@example.com', name: 'Jane Sample', status: 'active', referral_code: 'JANE', referral_link: 'https://example.com/?ref=JANE', group_id: null, payout_method: 'paypal', paypal_email: 'jane@example.com', wise_email: null, payout_details: null, created_at: new Date().toISOString() },
      project: { id: state.project.id, name: state.project.name, currency: cur, cookie_days: t.cookie_days || 30, payout_minimum_minor: t.payout_minimum_minor || 0, commission_review: 'auto' },
      commission: { source: 'project', type: t.type || 'percentage', rate_bp: t.type === 'fixed' ? null : (t.rate_bp == null ? 2000 : t.rate_bp), amount_minor: t.type === 'fixed' ? t.amount_minor : null, currency: cur, duration: t.duration || 'lifetime', duration_months: t.duration_months || null, hold_days: t.hold_days == null ? 30 : t.hold_days },
      balances: balances,
      portal: state.settings
    };
  }
  function sampleStats(q) {
    var from = new Date((q.get('from') || day(new Date(Date.now() - 30 * 864e5))) + 'T00:00:00Z');
    var to = new Date((q.get('to') || day(new Date())) + 'T00:00:00Z');
    var daily = [];
    var tot = { clicks: 0, signups: 0, purchases: 0, renewals: 0, refunds: 0, rev: 0, com: 0 };
    for (var d = new Date(from), i = 0; d < to && i < 366; d = new Date(d.getTime() + 864e5), i++) {
      var clicks = 20 + ((i * 37) % 23), signups = 2 + (i % 4), purchases = i % 3 === 0 ? 2 : 1, rev = purchases * 4900, com = purchases * 980;
      daily.push({ date: day(d), clicks: clicks, signups: signups, purchases: purchases, renewals: 0, refunds: 0, revenue_minor: money(rev), refunded_minor: money(0), commission_minor: money(com) });
      tot.clicks += clicks; tot.signups += signups; tot.purchases += purchases; tot.rev += rev; tot.com += com;
    }
    return { from: day(from), to: day(to), daily: daily, totals: { clicks: tot.clicks, signups: tot.signups, purchases: tot.purchases, renewals: 0, refunds: 0, revenue_minor: money(tot.rev), refunded_minor: money(0), commission_minor: money(tot.com), conversion_rate_bp: tot.clicks ? Math.round((tot.purchases * 10000) / tot.clicks) : null } };
  }
  function sample(path, q) {
    var cur = state.project.currency;
    var now = Date.now();
    if (path === '/config') return { success: true, data: { project: state.project, portal: state.settings } };
    if (path === '/me') return { success: true, data: sampleMe() };
    if (path === '/stats') return { success: true, data: sampleStats(q) };
    if (path === '/links') return { success: true, data: [{ id: 'sample-link', slug: 'jane-blog', url: location.origin + '/r/jane-blog', target_url: 'https://example.com/pricing', clicks: 412, signups: 37, conversions: 14, active: true }] };
    if (path === '/coupons') return { success: true, data: [{ id: 'sample-coupon', coupon_code: 'JANE20', status: 'active', created_at: new Date(now).toISOString() }] };
    if (path === '/commissions') {
      var rows = [['held', 12500, 2], ['eligible', 9800, 20], ['eligible', 13950, 41], ['paid', 12000, 70]].map(function (r, i) {
        return { id: 'sample-' + i, kind: 'purchase', status: r[0], reason: null, currency: cur, amount_minor: r[1] * 5, commission_minor: r[1], hold_until: r[0] === 'held' ? new Date(now + 9 * 864e5).toISOString() : null, paid_at: null, payout_id: null, occurred_at: new Date(now - r[2] * 864e5).toISOString(), created_at: new Date(now - r[2] * 864e5).toISOString() };
      });
      return { success: true, data: rows, pagination: { next_cursor: null } };
    }
    if (path === '/referrals') {
      var refs = [['a', 'converted', 48], ['m', 'converted', 30], ['s', 'pending', 6], ['k', 'expired', 75]].map(function (r, i) {
        var at = new Date(now - r[2] * 864e5).toISOString();
        return { id: 'sample-referral-' + i, email: r[0] + '***@example.com', status: r[1], converted_at: r[1] === 'converted' ? new Date(now - (r[2] - 3) * 864e5).toISOString() : null, expires_at: null, created_at: at };
      });
      return { success: true, data: refs, pagination: { limit: 10, offset: 0, total: refs.length, has_more: false } };
    }
    if (path === '/payouts') return { success: true, data: [{ id: 'sample-payout', status: 'completed', amount_minor: 12000, currency: cur, method: 'paypal', reference: 'PP-2041', created_at: new Date(now - 60 * 864e5).toISOString(), completed_at: new Date(now - 58 * 864e5).toISOString() }] };
    if (path === '/payout-details') return { success: true, data: { method: 'paypal', paypal_email: 'jane@example.com', wise_email: null, bank: null } };
    return { success: false, error: 'not in the preview' };
  }

  function withSettings(path, body) {
    if ((path === '/me' || path === '/config') && body && body.data && state.settings) {
      var data = Object.assign({}, body.data, { portal: state.settings });
      return Object.assign({}, body, { data: data });
    }
    return body;
  }

  window.fetch = function (input, init) {
    var url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url, location.href);
    if (url.origin !== location.origin || url.pathname.indexOf(prefix + '/') !== 0) return realFetch(input, init);
    var path = url.pathname.slice(prefix.length);
    var method = String((init && init.method) || 'GET').toUpperCase();
    if (method !== 'GET') return Promise.resolve(answer({ success: false, error: 'This is a preview: nothing is saved from it.' }, 409));
    if (!state.token) {
      var body = sample(path, url.searchParams);
      return Promise.resolve(answer(body, body.success ? 200 : 404));
    }
    var key = state.token + ' ' + path + url.search;
    var got = cache.get(key);
    if (!got) {
      got = realFetch(url.pathname + url.search, { headers: { Accept: 'application/json', Authorization: 'Bearer ' + state.token }, credentials: 'omit' }).then(function (res) {
        return res.json().then(function (b) { return { status: res.status, body: b }; }, function () { return { status: res.status, body: {} }; });
      });
      cache.set(key, got);
      got.then(function (a) { if (a.status === 401) { cache.delete(key); window.parent.postMessage({ type: 'refwire-portal-preview-expired' }, location.origin); } });
    }
    return got.then(function (a) { return answer(withSettings(path, a.body), a.status); });
  };

  window.addEventListener('message', function (e) {
    if (e.origin !== location.origin || e.source !== window.parent) return;
    var d = e.data;
    if (!d || d.type !== 'refwire-portal-preview' || !d.settings) return;
    state.settings = d.settings;
    if (d.project) state.project = { id: projectId, name: String(d.project.name || 'Your program'), currency: String(d.project.currency || 'USD') };
    state.terms = d.terms || null;
    if ((d.token || null) !== state.token) { state.token = d.token || null; cache.clear(); }
    var note = document.getElementById('rw-preview-note');
    if (note) {
      note.textContent = String(d.note || (state.token ? 'Preview with real data.' : 'Sample data.'));
      note.className = state.token ? 'rw-real' : '';
    }
    state.n += 1;
    var placeholder = 'rwpreview-' + state.n;
    var lang = state.settings.default_language || 'en';
    if (!host) {
      host = document.createElement('div');
      host.setAttribute('data-refwire-portal', '');
      host.setAttribute('data-project-id', projectId);
      host.setAttribute('data-token', placeholder);
      host.setAttribute('data-lang', lang);
      document.getElementById('rw-preview').appendChild(host);
      state.lang = lang;
      return;
    }
    var portal = window.Refwire && window.Refwire.portal;
    if (!portal) return;
    if (lang !== state.lang) { state.lang = lang; portal.setLanguage(lang); }
    portal.identify(placeholder);
  });
  window.parent.postMessage({ type: 'refwire-portal-preview-ready' }, location.origin);
})();
`;
