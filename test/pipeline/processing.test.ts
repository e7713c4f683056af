import { storeInboundEvent } from '../../src/inbox/inbound-events';
import { InProcessRunner } from '../../src/pipeline/in-process-runner';
import { createBatchProcessor, createEventProcessor, PROCESSING_LEASE_MS } from '../../src/pipeline/process-inbound-event';
import { createProject } from '../../src/projects/projects';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { silentLogger } from '../helpers/refwire';

describe('processing stored events', () => {
  let tdb: TestDatabase;
  let projectId: string;
  const now = new Date('2026-11-21T12:00:00Z');
  const processor = () => createEventProcessor({ db: tdb.db, clock: () => now, logger: silentLogger });

  const FIXTURE_OF: Record<string, string> = {
    'checkout.session.completed': 'checkout.session.completed.payment.json',
    'invoice.paid': 'invoice.paid.subscription_create.json',
    'charge.refunded': 'charge.refunded.json',
    'customer.created': 'product.created.json',
  };
  async function store(eventId: string, type: string) {
    const { id } = await storeInboundEvent(tdb.db.sql, {
      projectId,
      provider: 'stripe',
      event: { eventId, type, payload: {}, occurredAt: null, livemode: false },
      rawBody: Buffer.from(stripeBody(FIXTURE_OF[type]!, { id: eventId, type })),
      headers: {},
      receivedAt: now,
    });
    return id;
  }
  const row = async (id: string) =>
    (await tdb.db.sql.query<{ status: string; status_reason: string | null; attempts: number; processed_at: Date | null; locked_at: Date | null; retry_at: Date | null }>(
      'SELECT status, status_reason, attempts, processed_at, locked_at, retry_at FROM inbound_events WHERE id = $1',
      [id],
    ))[0]!;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    projectId = (await createProject(tdb.db.prisma, { name: 'P', currency: 'USD' })).id;
  });
  afterAll(async () => tdb.drop());

  it('marks a used event type processed and anything else ignored with the reason', async () => {
    const used = await store('evt_used', 'checkout.session.completed');
    const unused = await store('evt_unused', 'customer.created');
    const process = processor();
    expect(await process(used)).toEqual({ status: 'processed', reason: null });
    expect(await process(unused)).toEqual({ status: 'ignored', reason: 'event type "customer.created" is not used by Refwire' });
    expect(await row(used)).toMatchObject({ status: 'processed', status_reason: null, attempts: 1, processed_at: now, locked_at: null });
    expect(await row(unused)).toMatchObject({ status: 'ignored', attempts: 1 });
  });

  it('processes an event once however often it is handed over, even concurrently', async () => {
    const id = await store('evt_once', 'invoice.paid');
    const process = processor();
    const outcomes = await Promise.all([process(id), process(id), process(id), processor()(id)]);
    expect(outcomes.filter((o) => o.status === 'processed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'skipped')).toHaveLength(3);
    expect((await row(id)).attempts).toBe(1);
  });

  it('leaves an event alone while another runner holds a live claim, and takes it over once the lease expired', async () => {
    const id = await store('evt_claimed', 'invoice.paid');
    await tdb.db.sql.query(`UPDATE inbound_events SET status = 'processing', attempts = 1, locked_at = $2 WHERE id = $1`, [
      id,
      new Date(now.getTime() - 1000),
    ]);
    expect(await processor()(id)).toEqual({ status: 'skipped' });
    await tdb.db.sql.query('UPDATE inbound_events SET locked_at = $2 WHERE id = $1', [id, new Date(now.getTime() - PROCESSING_LEASE_MS - 1)]);
    expect(await processor()(id)).toEqual({ status: 'processed', reason: null });
    expect(await row(id)).toMatchObject({ status: 'processed', attempts: 2 });
  });

  // The transaction that applies an event also records its end: the row is written once as it is processed (it was
  // written twice: a claim setting it to processing, then its end), and a runner that dies leaves it received.
  it('writes a processed row once, in the transaction that applied it', async () => {
    await tdb.db.sql.exec(`
      CREATE TABLE inbox_writes (provider_event_id text, op text, status text, n serial);
      CREATE FUNCTION log_inbox_write() RETURNS trigger AS $$
      BEGIN INSERT INTO inbox_writes (provider_event_id, op, status) VALUES (NEW.provider_event_id, TG_OP, NEW.status); RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER log_inbox_write AFTER INSERT OR UPDATE ON inbound_events FOR EACH ROW EXECUTE FUNCTION log_inbox_write();`);
    try {
      const processBatch = createBatchProcessor({ db: tdb.db, clock: () => now, logger: silentLogger });
      const ids = [await store('evt_write_once_1', 'checkout.session.completed'), await store('evt_write_once_2', 'customer.created')];
      expect((await processBatch(ids)).map((o) => o.status)).toEqual(['processed', 'ignored']);
      const writes = await tdb.db.sql.query<{ provider_event_id: string; op: string; status: string }>(
        `SELECT provider_event_id, op, status FROM inbox_writes WHERE provider_event_id LIKE 'evt_write_once_%' ORDER BY provider_event_id, n`,
      );
      expect(writes.map((w) => `${w.provider_event_id} ${w.op} ${w.status}`)).toEqual([
        'evt_write_once_1 INSERT received',
        'evt_write_once_1 UPDATE processed',
        'evt_write_once_2 INSERT received',
        'evt_write_once_2 UPDATE ignored',
      ]);
    } finally {
      await tdb.db.sql.exec('DROP TRIGGER log_inbox_write ON inbound_events; DROP FUNCTION log_inbox_write(); DROP TABLE inbox_writes');
    }
  });

  it('skips a row another runner holds, writing nothing, and processes it once that runner is gone', async () => {
    const id = await store('evt_held', 'checkout.session.completed');
    const written = async () => (await tdb.db.sql.query<{ n: number }>('SELECT (SELECT count(*) FROM conversions) + (SELECT count(*) FROM attribution_subjects) AS n'))[0]!.n;
    const before = await written();
    const whileHeld = await tdb.db.sql
      .transaction(async (tx) => {
        await tx.query('SELECT id FROM inbound_events WHERE id = $1 FOR UPDATE', [id]);
        const outcome = await processor()(id);
        throw Object.assign(new Error('the runner died'), { outcome });
      })
      .catch((err: { outcome: unknown }) => err.outcome);
    expect(whileHeld).toEqual({ status: 'skipped' });
    expect(await row(id)).toMatchObject({ status: 'received', attempts: 0, locked_at: null, processed_at: null });
    expect(await written()).toBe(before);
    expect(await processor()(id)).toEqual({ status: 'processed', reason: null });
    expect(await row(id)).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('the runner picks up stored events nobody announced, such as those left by a crash', async () => {
    await tdb.db.sql.exec('DELETE FROM inbound_events');
    const waiting = await store('evt_waiting', 'invoice.paid');
    const abandoned = await store('evt_abandoned', 'charge.refunded');
    await tdb.db.sql.query(`UPDATE inbound_events SET status = 'processing', attempts = 1, locked_at = $2 WHERE id = $1`, [
      abandoned,
      new Date(now.getTime() - PROCESSING_LEASE_MS - 60_000),
    ]);
    const runner = new InProcessRunner(tdb.db.sql, processor(), silentLogger, { sweepIntervalMs: 60_000, clock: () => now });
    await runner.sweep();
    await runner.idle();
    await runner.stop();
    expect(await row(waiting)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await row(abandoned)).toMatchObject({ status: 'processed', attempts: 2 });
  });

  it('drains a backlog larger than its batch at once, batch after batch, without waiting for the next sweep', async () => {
    await tdb.db.sql.exec('DELETE FROM inbound_events');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await store(`evt_backlog_${i}`, 'customer.created'));
    // a sweep every minute and 5 events a batch: before, 5 events, then a minute's wait for the next 5
    const runner = new InProcessRunner(tdb.db.sql, processor(), silentLogger, { sweepIntervalMs: 60_000, batchSize: 5, clock: () => now });
    await runner.sweep();
    await runner.idle();
    await runner.stop();
    for (const id of ids) expect((await row(id)).status).toBe('ignored');
  });

  it('applies a batch together, and when one event breaks the batch, still processes the others', async () => {
    const good = [await store('evt_batch_1', 'checkout.session.completed'), await store('evt_batch_2', 'invoice.paid')];
    // a payment the database refuses (a trigger of the test's): it normalizes and checks fine, and fails when written
    await tdb.db.sql.exec(`
      CREATE FUNCTION refuse_breaking_payment() RETURNS trigger AS $$
      BEGIN IF NEW.payment_key LIKE 'pi_breaks_%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_breaking_payment BEFORE INSERT ON conversions FOR EACH ROW EXECUTE FUNCTION refuse_breaking_payment();`);
    const body = JSON.parse(stripeBody(FIXTURE_OF['checkout.session.completed']!, { id: 'evt_batch_bad' }));
    body.data.object.id = 'cs_breaks_batch';
    body.data.object.payment_intent = 'pi_breaks_batch';
    const { id: bad } = await storeInboundEvent(tdb.db.sql, {
      projectId,
      provider: 'stripe',
      event: { eventId: 'evt_batch_bad', type: 'checkout.session.completed', payload: {}, occurredAt: null, livemode: false },
      rawBody: Buffer.from(JSON.stringify(body)),
      headers: {},
      receivedAt: now,
    });
    const processBatch = createBatchProcessor({ db: tdb.db, clock: () => now, logger: silentLogger });
    const outcomes = await processBatch([good[0]!, bad, good[1]!, 'b1f0c0de-0000-4000-8000-000000000000']);
    expect(outcomes.map((o) => o.status)).toEqual(['processed', 'retry', 'processed', 'skipped']);
    // not taken up again before its backoff (2 s after the first attempt), by any sweep
    expect(await row(bad)).toMatchObject({ status: 'received', attempts: 1, retry_at: new Date(now.getTime() + 2000) });
    const runner = new InProcessRunner(tdb.db.sql, async () => undefined, silentLogger, { clock: () => now });
    const seen: string[] = [];
    (runner as unknown as { notify: (id: string) => void }).notify = (id) => void seen.push(id);
    await tdb.db.sql.query('UPDATE inbound_events SET retry_at = $2 WHERE id = $1', [bad, new Date(now.getTime() + 60_000)]);
    await runner.sweep();
    expect(seen).not.toContain(bad);
    await tdb.db.sql.query('UPDATE inbound_events SET retry_at = $2 WHERE id = $1', [bad, new Date(now.getTime() - 1000)]);
    await runner.sweep();
    expect(seen).toContain(bad);
    expect((await row(bad)).status_reason).toMatch(/^attempt 1: /);
    for (const id of good) expect(await row(id)).toMatchObject({ status: 'processed', attempts: 1 });
    const broken = await tdb.db.sql.query("SELECT id FROM conversions WHERE payment_key LIKE '%breaks%'");
    expect(broken).toHaveLength(0);
    await tdb.db.sql.exec('DROP TRIGGER refuse_breaking_payment ON conversions; DROP FUNCTION refuse_breaking_payment()');
  });
});
