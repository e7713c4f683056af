import { Router, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { SqlClient } from '../db/sql';
import type { Operation } from '../api/operation';
import { linkBySlug, recordLinkClick } from '../ledger/clicks';
import type { VisitorHasher } from '../security/visitor-hash';
import { hostAllowed } from './allowed-domains';

/** The query parameter that hands the click id to the script on the landing page (docs/tracking.md). */
export const CLICK_PARAM = 'refwire_click';
const REF_PARAM = 'ref';
const SLUG = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The target with `ref=<code>` (and the click id) added. Other query parameters and the fragment are kept as
 * they were written: the new ones are appended to the query text, not re-encoded with it. A `ref` or click
 * parameter the target already has is replaced, so the link's affiliate is the one the page sees. Without a code
 * (an affiliate who may not earn), those parameters are only removed.
 */
export function redirectLocation(target: string, code: string | null, clickId: string | null): string {
  const url = new URL(target);
  // searchParams.delete would re-encode every other parameter (`/a` → `%2Fa`, `flag` → `flag=`): drop the
  // replaced ones from the query text instead
  const query = url.search.slice(1);
  const kept = query === '' ? [] : query.split('&').filter((pair) => !REPLACED.has(parameterName(pair)));
  const added = code === null ? [] : [`${REF_PARAM}=${encodeURIComponent(code)}${clickId ? `&${CLICK_PARAM}=${clickId}` : ''}`];
  const pairs = [...kept, ...added];
  url.search = pairs.length ? `?${pairs.join('&')}` : '';
  return url.href;
}

const REPLACED = new Set([REF_PARAM, CLICK_PARAM]);

/** A query pair's name as a form decoder reads it (`r%65f` is `ref` to the page). */
function parameterName(pair: string): string {
  const raw = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * An unknown slug answers 404 in the form the caller reads: a short HTML page for a browser (a visitor who
 * followed a dead link should see a page, not JSON), and the API's `{ success: false, error }` for everyone else.
 */
function notFound(req: Request, res: Response, error = 'link not found') {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
  if (req.accepts(['json', 'html']) === 'html') {
    res
      .status(404)
      .type('html')
      .send('<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Link not found</title></head>' +
        '<body><h1>Link not found</h1><p>This link does not exist or is no longer active.</p></body></html>');
    return;
  }
  res.status(404).json({ success: false, error });
}

/**
 * `GET /r/:slug` (86d's tracking links): a 302 to the link's target with `ref=<code>`, recording a dated click.
 * Public, so each client address has a budget (TRACK_RATE_LIMIT_PER_MINUTE, counted in this process): past it the
 * visitor is still sent on, but no click is recorded. HEAD requests (link previews) are answered without a click.
 */
export function linkRedirectRouter(sql: SqlClient, clock: () => Date, hashVisitor: VisitorHasher, budget: { perMinute: number }): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: budget.perMinute,
    legacyHeaders: false,
    standardHeaders: false,
    keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`,
    handler: (_req, res, next) => {
      res.locals.overBudget = true;
      next();
    },
  });

  router.get('/:slug', limiter, async (req, res) => {
    const slug = String(req.params.slug);
    const link = SLUG.test(slug) ? await linkBySlug(sql, slug.toLowerCase()) : null;
    if (!link || !link.active) return notFound(req, res);
    // checked again at every visit: a domain the merchant removed from allowed_domains is no longer reached
    if (!hostAllowed(new URL(link.target_url).hostname, link.allowed_domains ?? [])) {
      return notFound(req, res, "link not found: its target is no longer on the project's allowed_domains");
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Robots-Tag', 'noindex');
    // an affiliate who may not earn (inactive, suspended…) still sends the visitor on, without a referral: none of
    // its own, and none written into the target either, which would credit whoever's code it is
    if (link.affiliate_status !== 'active') return res.redirect(302, redirectLocation(link.target_url, null, null));
    const landing = redirectLocation(link.target_url, link.referral_code, null);
    let clickId: string | null = null;
    if (req.method === 'GET' && !res.locals.overBudget) {
      clickId = await recordLinkClick(sql, link, {
        at: clock(),
        landingUrl: landing,
        referrer: req.get('referer') ?? null,
        visitorHash: hashVisitor(link.project_id, req.ip ?? req.socket.remoteAddress ?? '', req.get('user-agent') ?? ''),
      });
    }
    res.redirect(302, clickId ? redirectLocation(link.target_url, link.referral_code, clickId) : landing);
  });

  return router;
}

export const redirectOperations: Operation[] = [
  {
    method: 'get',
    path: '/r/{slug}',
    tag: 'Tracking links',
    access: 'public',
    summary: "Follow a tracking link: 302 to its target with ref=<code> (and refwire_click=<click id>), recording a dated click",
    description:
      'An unknown or inactive slug answers 404: an HTML page when the caller accepts HTML (a browser), else JSON. A link whose affiliate ' +
      'is not active redirects to the target without a referral and records nothing. A slug that is no text (a NUL, bytes that are not UTF-8) answers 400.',
    status: 302,
    answer: 'redirect',
    errors: [400],
  },
];
