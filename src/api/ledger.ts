import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { verifyLedger } from '../ledger/verify';
import { ok } from './envelope';
import type { Operation } from './operation';

/** `GET /api/v1/ledger/verify`: the ledger's invariants, each with the rows that break it. */
export function ledgerRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router();
  router.get('/verify', async (req, res) => {
    res.json(ok(await verifyLedger(prisma, projectIdOf(req), clock())));
  });
  return router;
}

export const ledgerOperations: Operation[] = [
  { method: 'get', path: '/api/v1/ledger/verify', tag: 'Ledger', access: 'api_key', summary: "Check the ledger's invariants; each failure lists the rows that break it", response: z.strictObject({ ok: z.boolean(), checks: z.array(z.strictObject({ name: z.string(), ok: z.boolean(), failures: z.array(z.string()) })) }) },
];
