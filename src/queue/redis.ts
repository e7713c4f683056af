import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers must fail fast while Redis is away (the receiver has already committed the row, and the sweep will
 * queue it later): no offline queue, one try per command, a short connect timeout. Workers block on Redis and
 * must retry forever (BullMQ requires maxRetriesPerRequest: null).
 */
export function producerConnection(url: string): Redis {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const redis = new Redis(url, options);
  redis.on('error', () => undefined);
  return redis;
}

export function workerConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
  redis.on('error', () => undefined);
  return redis;
}

/** Removes every key under a queue prefix (benchmarks and tests clean up after themselves with it). */
export async function deleteQueuePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
