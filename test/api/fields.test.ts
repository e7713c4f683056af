import { isoDate } from '../../src/api/fields';

describe('isoDate (from / to filters)', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads a date-time without Z or an offset as UTC, whatever zone the process runs in', () => {
    for (const tz of ['Asia/Tokyo', 'America/Los_Angeles', 'UTC']) {
      process.env.TZ = tz;
      const read = (text: string) => isoDate.parse(text).toISOString();
      expect([tz, read('2026-12-05T16:15')]).toEqual([tz, '2026-12-05T16:15:00.000Z']);
      expect(read('2026-12-05 16:15:30.5')).toBe('2026-12-05T16:15:30.500Z');
      expect(read('2026-03-29t01:30:00')).toBe('2026-03-29T01:30:00.000Z');
      // as written when it says its zone; a date alone is midnight UTC
      expect(read('2026-12-05T16:15+09:00')).toBe('2026-12-05T07:15:00.000Z');
      expect(read('2026-12-05T16:15:00-0130')).toBe('2026-12-05T17:45:00.000Z');
      expect(read('2026-12-05T16:15Z')).toBe('2026-12-05T16:15:00.000Z');
      expect(read('2026-12-05')).toBe('2026-12-05T00:00:00.000Z');
      expect(read('2026-12')).toBe('2026-12-01T00:00:00.000Z');
    }
  });

  it('still refuses what is not on the calendar', () => {
    expect(isoDate.safeParse('2026-02-29T10:00').success).toBe(false);
    expect(isoDate.safeParse('2026-12-05T24:00').success).toBe(false);
  });
});
