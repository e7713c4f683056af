import { normalizeLemonSqueezyEvent } from '../../src/providers/lemonsqueezy/normalize';
import { normalizePaddleEvent } from '../../src/providers/paddle/normalize';
import { normalizePolarEvent } from '../../src/providers/polar/normalize';
import { normalizeStripeEvent } from '../../src/providers/stripe/normalize';
import type { Json } from '../../src/providers/shared/read';

/**
 * PRODUCT.md §4: an event Refwire does not use is stored and marked ignored, whatever else it holds. One without a
 * timestamp (a Lemon Squeezy license key's attributes have none of the order's dates) was judged invalid, counted
 * as a failure, and taken up again by every replay of failed events.
 */
const providers: [string, (event: Json) => ReturnType<typeof normalizeStripeEvent>, (type: string | null) => Json][] = [
  ['stripe', normalizeStripeEvent, (type) => ({ id: 'evt_1', type, data: { object: {} } })],
  ['paddle', normalizePaddleEvent, (type) => ({ event_id: 'evt_1', event_type: type, data: {} })],
  ['polar', normalizePolarEvent, (type) => ({ type, data: {} })],
  ['lemonsqueezy', normalizeLemonSqueezyEvent, (type) => ({ meta: { event_name: type }, data: { id: '2', type: 'license-keys', attributes: {} } })],
];

describe.each(providers)('%s: events Refwire does not use', (_name, normalize, bare) => {
  it('are ignored without a timestamp, naming their type', () => {
    expect(normalize(bare('license_key_created'))).toEqual({ kind: 'ignored', reason: 'event type "license_key_created" is not used by Refwire' });
  });

  it("are ignored when named after an object's own methods", () => {
    for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(normalize(bare(type))).toEqual({ kind: 'ignored', reason: `event type "${type}" is not used by Refwire` });
    }
  });

  it('without a type at all, are invalid', () => {
    expect(normalize(bare(null))).toMatchObject({ kind: 'invalid' });
  });
});
