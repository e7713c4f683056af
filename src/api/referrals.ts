import { Router } from 'express';
import { z } from 'zod';
import type { SqlClient } from '../db/sql';
import { ATTRIBUTING_STATUSES, DATED_STATUSES, LEGACY_REFERRAL_STATUSES, REFERRAL_STATUSES, type ReferralStatus } from '../domain/referral-status';
import type { PrismaClient, Referral } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { recomputeCustomersByEmail } from '../ledger/reattribute';
import { sqlSessionOf } from '../db/prisma-session';
import { emitReferralEvents, emitReferralRecorded } from '../outbound/emit';
import { conflictAs409, emailField, emailFromPath, isUniqueViolation, takingBack, uuidField } from './fields';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { countReferrals, referralResponse, referralRowByEmail, referralRows, referralView, type ReferralFilter } from './referral-rows';

const statusValues = [...REFERRAL_STATUSES, 'active', 'inactive'] as const;
/** Refgrow's four statuses; `active` and `inactive`, Refwire's before them, still accepted (src/domain/referral-status.ts) */
const statusField = z
  .enum(statusValues)
  .describe('pending | converted | direct | direct_signup; the earlier active (= pending) and inactive (= direct) are still accepted')
  .transform((v): ReferralStatus => (v === 'active' || v === 'inactive' ? LEGACY_REFERRAL_STATUSES[v] : v));

const createBody = z.strictObject({
  email: emailField,
  /** omitted (and no referral_code): a direct signup */
  affiliate_id: uuidField.nullable().optional(),
  referral_code: z.string().trim().min(1).optional(),
  status: statusField.optional(),
});

const updateFields = z.strictObject({
  email: emailField.optional(),
  /** null: the customer came to the merchant directly */
  affiliate_id: uuidField.nullable().optional(),
  referral_code: z.string().trim().min(1).optional(),
  /** as asked: `active` and `inactive` are read against the referral's own status (requestedStatus) */
  status: z.enum(statusValues).describe(statusField.description!).optional(),
});
const updateBody = takingBack(updateFields, referralResponse);

/**
 * The status a change asks for. Refwire's earlier `active` and `inactive`, still in every answer as `status`, say
 * whether the referral credits its affiliate, not which of Refgrow's statuses it has: a referral already on that side
 * keeps its own, so an answer sent back unchanged changes nothing (it made a converted referral pending again and a
 * direct_signup direct, and undated them).
 */
function requestedStatus(asked: (typeof statusValues)[number] | undefined, current: ReferralStatus): ReferralStatus | undefined {
  const credits = (ATTRIBUTING_STATUSES as readonly string[]).includes(current);
  if (asked === 'active') return credits ? current : LEGACY_REFERRAL_STATUSES.active;
  if (asked === 'inactive') return credits ? LEGACY_REFERRAL_STATUSES.inactive : current;
  return asked;
}
const listQuery = z.object({ ...paginationQuery, affiliate_id: uuidField.optional(), status: z.enum(statusValues).optional() });

/** The affiliate named by affiliate_id or referral_code, in this project only. */
export async function resolveAffiliate(prisma: PrismaClient, projectId: string, affiliateId?: string, referralCode?: string, customerNamed = false, couponNamed = false) {
  if (!affiliateId && !referralCode) {
    // a conversion may also name a coupon or a customer that credits an affiliate: say what was tried
    const tried = [couponNamed ? 'no active coupon has this coupon_code_used' : null, customerNamed ? 'no referral of this customer credits an affiliate' : null].filter(Boolean);
    throw new HttpError(400, tried.length ? `affiliate_id or referral_code is required: ${tried.join(', and ')}` : 'affiliate_id or referral_code is required');
  }
  const affiliate = await prisma.affiliate.findFirst({
    where: affiliateId ? { projectId, id: affiliateId } : { projectId, referralCodeKey: referralCode!.toLowerCase() },
  });
  if (!affiliate) throw new HttpError(404, affiliateId ? 'affiliate not found' : 'referral_code: no affiliate has this referral_code');
  return affiliate;
}

/** A status that credits an affiliate needs one. */
function checkedStatus(status: ReferralStatus, affiliateId: string | null): ReferralStatus {
  if (affiliateId === null && (ATTRIBUTING_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, `status: "${status}" needs an affiliate (affiliate_id or referral_code); a referral without one is direct or direct_signup`);
  }
  return status;
}

const conversionDateFor = (status: ReferralStatus, now: Date) => ((DATED_STATUSES as readonly string[]).includes(status) ? now : null);

const DUPLICATE = 'a referral for this email already exists';

/**
 * `/api/v1/referrals`: customers known by email, the chain's last step. The referral is a fact the merchant
 * states and may correct: creating or changing one recomputes the customers of the emails concerned, so their
 * unpaid payments that the email step attributes follow it (docs/earnings.md, "Referrals").
 */
export function referralsRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();

  async function findByEmail(projectId: string, email: unknown) {
    const row = await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: emailFromPath(email) } } });
    if (!row) throw new HttpError(404, 'referral not found');
    return row;
  }

  async function shown(projectId: string, email: string) {
    return referralView((await referralRowByEmail(sql, projectId, email))!);
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const filter: ReferralFilter = { affiliateId: q.affiliate_id };
    if (q.status === 'active' || q.status === 'inactive') filter.attributing = q.status === 'active';
    else if (q.status) filter.statuses = [q.status];
    const projectId = projectIdOf(req);
    const [rows, total] = await Promise.all([referralRows(sql, projectId, filter, q), countReferrals(sql, projectId, filter)]);
    res.json(page(rows.map(referralView), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const affiliate = body.affiliate_id || body.referral_code ? await resolveAffiliate(prisma, projectId, body.affiliate_id ?? undefined, body.referral_code) : null;
    const status = checkedStatus(body.status ?? (affiliate ? 'pending' : 'direct_signup'), affiliate?.id ?? null);
    if (await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } })) throw new HttpError(409, DUPLICATE);
    const now = clock();
    // the referral and the deliveries announcing it commit together (outbox)
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        const created = await tx.referral.create({
          data: { projectId, affiliateId: affiliate?.id ?? null, email: body.email, conversionStatus: status, conversionDate: conversionDateFor(status, now), createdAt: now },
        });
        const outbox = sqlSessionOf(tx);
        // a direct signup was referred by nobody: no referred user to announce to an affiliate's receivers, only the referral
        if (created.affiliateId) await emitReferralRecorded(outbox, projectId, { ...created, affiliateId: created.affiliateId }, { source: 'api' }, now);
        else await emitReferralEvents(outbox, projectId, 'referral.created', [created.id], now);
        return created;
      }),
      DUPLICATE,
    );
    await recomputeCustomersByEmail(sql, projectId, row.email, now);
    res.status(201).json(ok(await shown(projectId, row.email)));
  });

  router.get('/:email', async (req, res) => {
    const projectId = projectIdOf(req);
    res.json(ok(await shown(projectId, (await findByEmail(projectId, req.params.email)).email)));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await findByEmail(projectId, req.params.email);
    const body = updateBody.parse(req.body ?? {});
    if (body.affiliate_id === null && body.referral_code) throw new HttpError(400, 'affiliate_id: null clears the affiliate; send no referral_code with it');
    const affiliateId =
      body.affiliate_id === null
        ? null
        : body.affiliate_id || body.referral_code
          ? (await resolveAffiliate(prisma, projectId, body.affiliate_id, body.referral_code)).id
          : current.affiliateId;
    // Unless a status comes with it: clearing the affiliate of a referral that credited one makes it direct, and
    // naming one on a referral that credited nobody (direct, direct_signup) attaches it, as store-attribution does:
    // pending, shown converted from the first purchase credited, and its customer's payments follow below.
    const named = Boolean(body.affiliate_id || body.referral_code);
    const credits = (ATTRIBUTING_STATUSES as readonly string[]).includes(current.conversionStatus);
    const implied: ReferralStatus = affiliateId === null && credits ? 'direct' : named && !credits ? 'pending' : (current.conversionStatus as ReferralStatus);
    const asked = requestedStatus(body.status, current.conversionStatus as ReferralStatus);
    const status = checkedStatus(asked ?? implied, affiliateId);
    const now = clock();
    // Refgrow: setting converted or direct dates the referral; a legacy status that keeps it as it is keeps its date
    const kept = (body.status === 'active' || body.status === 'inactive') && status === current.conversionStatus;
    const conversionDate = (asked !== undefined && !kept) || status !== current.conversionStatus ? conversionDateFor(status, now) : current.conversionDate;
    const email = body.email ?? current.email;
    if (email !== current.email && (await prisma.referral.findUnique({ where: { projectId_email: { projectId, email } } }))) {
      throw new HttpError(409, DUPLICATE);
    }
    // naming the affiliate makes it the merchant's referral: a public signup's limits (only payments after it, within
    // its window) no longer apply, as with store-attribution
    const merchants = named ? { source: 'api', expiresAt: null } : {};
    await conflictAs409(
      prisma.referral.update({ where: { id: current.id }, data: { email, affiliateId, conversionStatus: status, conversionDate, ...merchants } }),
      DUPLICATE,
    );
    // both customers follow: the one the referral left and the one it now names
    for (const e of new Set([current.email, email])) await recomputeCustomersByEmail(sql, projectId, e, now);
    res.json(ok(await shown(projectId, email)));
  };
  router.put('/:email', update);
  router.patch('/:email', update);

  return router;
}

const storeBody = z.strictObject({ email: emailField, referral_code: z.string().trim().min(1, 'is required') });

/**
 * `POST /api/store-attribution`: the merchant's backend tells Refwire which referral code a signed-up email came
 * with; it becomes (or moves) that email's referral.
 */
export function storeAttributionRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = storeBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const affiliate = await resolveAffiliate(prisma, projectId, undefined, body.referral_code);
    const find = () => prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } });
    // the merchant recorded it now: no longer a public signup's windowed referral
    const attach = (existing: Referral) =>
      prisma.referral.update({
        where: { id: existing.id },
        data: {
          affiliateId: affiliate.id,
          // a direct referral given an affiliate by the merchant credits it from now on
          conversionStatus: (ATTRIBUTING_STATUSES as readonly string[]).includes(existing.conversionStatus) ? existing.conversionStatus : 'pending',
          // so it reaches the email's earlier payments too, and the trace says the merchant recorded it
          source: 'store_attribution',
          expiresAt: null,
        },
      });
    const create = () =>
      prisma.$transaction(async (tx) => {
        const now = clock();
        const created = await tx.referral.create({ data: { projectId, affiliateId: affiliate.id, email: body.email, source: 'store_attribution', createdAt: now } });
        await emitReferralRecorded(sqlSessionOf(tx), projectId, { ...created, affiliateId: affiliate.id }, { source: 'store_attribution' }, now);
        return created;
      });
    const existing = await find();
    let made = false;
    let row: Referral;
    if (existing) row = await attach(existing);
    else {
      try {
        row = await create();
        made = true;
      } catch (err) {
        // the same email stored at the same moment by another request: this one is then the repeat (200), as it would
        // be a moment later, and its code is the one kept
        const stored = isUniqueViolation(err) ? await find() : null;
        if (!stored) throw err;
        row = await attach(stored);
      }
    }
    await recomputeCustomersByEmail(sql, projectId, row.email, clock());
    res.status(made ? 201 : 200).json(ok(referralView((await referralRowByEmail(sql, projectId, row.email))!)));
  });
  return router;
}

const CHANGE =
  "The customers of the emails concerned are recomputed: their unpaid payments attributed through the referral (the chain's email step) follow it, " +
  'each rated with the rules in force when it occurred; paid-out commissions stay with the affiliate they were paid to (docs/earnings.md).';
const REFERRAL_DESCRIPTIONS: Partial<Record<Operation['method'], string>> = {
  get:
    "Refgrow's shape: user_email, affiliate_id, affiliate_code, conversion_status (pending, converted: shown from the affiliate's first purchase of that customer, direct, direct_signup), " +
    'conversion_date; and Refwire\'s status: active while the referral credits its affiliate. The status filter takes the same values (active and inactive too).',
  post: 'Without affiliate_id and referral_code: a direct signup (status direct_signup; pending or converted need an affiliate). ' + CHANGE,
  put:
    'email moves the referral to another address (409 when it has one); affiliate_id null clears the affiliate (the referral becomes direct unless a status comes with it); ' +
    'naming an affiliate on a direct or direct_signup referral attaches it as store-attribution does (the referral becomes pending, and converted once a purchase is credited, unless a status comes with it). ' +
    "Naming the affiliate (affiliate_id or referral_code) makes a public signup's referral the merchant's (source api, no expires_at), so it reaches the email's earlier payments. " +
    CHANGE,
  patch: 'As PUT. ' + CHANGE,
};

export const referralOperations: Operation[] = [
  // create: 404 when affiliate_id or referral_code names no affiliate of the project
  ...resourceOperations({ path: '/api/v1/referrals', tag: 'Referrals', noun: 'referral', key: 'email', list: listQuery, create: createBody, update: updateBody, response: referralResponse, createErrors: [404] }).map(
    (op): Operation => ({ ...op, ...(REFERRAL_DESCRIPTIONS[op.method] ? { description: REFERRAL_DESCRIPTIONS[op.method] } : {}) }),
  ),
  {
    method: 'post',
    path: '/api/store-attribution',
    tag: 'Referrals',
    access: 'api_key',
    summary: "Record (or move) the referral of a signed-up email by its referral code; that customer's payments are attributed again",
    body: storeBody,
    status: 201,
    repeat: "the email already had a referral: it now belongs to the affiliate named and is the merchant's (source store_attribution, no expires_at)",
    errors: [404],
    response: referralResponse,
    description:
      "200 when the email already had a referral (it now belongs to the affiliate named and is the merchant's: source store_attribution, no expires_at, so it also reaches the email's earlier payments; a direct one becomes pending), 201 when it is new. 404 when no affiliate has the referral_code.",
  },
];

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { createBody as referralCreateBody, updateFields as referralUpdateBody, listQuery as referralListQuery };
