import type { PrismaClient } from '../../src/generated/prisma/client';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { SecretBox } from '../../src/security/secret-box';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('IntegrationStore.webhookSecretsFor', () => {
  let t: TestDatabase;
  let projectId: string;
  let reads: number;
  let store: IntegrationStore;
  const now = () => new Date();

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  beforeEach(async () => {
    [{ id: projectId }] = (await t.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('Store', 'USD') RETURNING id`)) as [{ id: string }];
    reads = 0;
    // the reads that reach the database: the receiver's lookup is one project query
    const counted = t.db.prisma.$extends({
      query: {
        project: {
          findUnique({ args, query }) {
            reads += 1;
            return query(args);
          },
        },
      },
    }) as unknown as PrismaClient;
    store = new IntegrationStore(counted, new SecretBox(Buffer.alloc(32, 7)));
    await store.upsert(projectId, 'stripe', { webhookSecret: 'whsec_first', previousSecretTtlHours: 0 }, now());
  });

  it('reads the database once for the deliveries that arrive together, then answers them from the cache', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => store.webhookSecretsFor(projectId, 'stripe', now())));
    expect(answers.every((a) => a.status === 'connected' && a.secrets.join() === 'whsec_first')).toBe(true);
    expect(reads).toBe(1);
    await store.webhookSecretsFor(projectId, 'stripe', now());
    expect(reads).toBe(1);
  });

  it('answers a change made through the same process at once, even with a read under way while it was made', async () => {
    const during = store.webhookSecretsFor(projectId, 'stripe', now());
    await store.upsert(projectId, 'stripe', { webhookSecret: 'whsec_second', previousSecretTtlHours: 0 }, now());
    await during;
    expect(await store.webhookSecretsFor(projectId, 'stripe', now())).toEqual({ status: 'connected', secrets: ['whsec_second'] });
    await store.remove(projectId, 'stripe');
    expect(await store.webhookSecretsFor(projectId, 'stripe', now())).toEqual({ status: 'not_connected' });
  });

  it('does not keep a failed read: the next delivery reads again', async () => {
    const failing = new IntegrationStore(
      t.db.prisma.$extends({
        query: {
          project: {
            findUnique({ args, query }) {
              reads += 1;
              if (reads === 1) return Promise.reject(new Error('connection lost'));
              return query(args);
            },
          },
        },
      }) as unknown as PrismaClient,
      new SecretBox(Buffer.alloc(32, 7)),
    );
    const [first, second] = await Promise.allSettled([failing.webhookSecretsFor(projectId, 'stripe', now()), failing.webhookSecretsFor(projectId, 'stripe', now())]);
    expect([first.status, second.status]).toEqual(['rejected', 'rejected']);
    expect(await failing.webhookSecretsFor(projectId, 'stripe', now())).toEqual({ status: 'connected', secrets: ['whsec_first'] });
    expect(reads).toBe(2);
  });
});
