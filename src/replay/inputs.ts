import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';

/** One webhook to sign and post: the exact body, and for Polar the `webhook-id` it is signed with. */
export type Delivery = {
  provider: ProviderName;
  /** what the reports call it: a file path, or a scenario step */
  label: string;
  body: string;
  /** Polar's event id travels in the signed `webhook-id` header, not in the body */
  eventId?: string;
};

/** A file that is not sent: reported, counted, never posted. */
export type Skipped = { label: string; provider: ProviderName | null; reason: string };

export type ReplayInput = { kind: 'delivery'; delivery: Delivery } | { kind: 'skipped'; skipped: Skipped };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * What each provider's payload must look like to be worth sending: the fields its adapter's `verify` insists on
 * (anything less is refused there as `malformed_payload`) and the `data` object every normalizer reads.
 */
const SHAPES: Record<ProviderName, { matches(p: Json): boolean; needs: string }> = {
  stripe: { matches: (p) => nonEmpty(p.id) && nonEmpty(p.type) && p.object === 'event' && isObject(p.data), needs: 'an Event: "object": "event", "id", "type", "data"' },
  paddle: { matches: (p) => nonEmpty(p.event_id) && nonEmpty(p.event_type) && isObject(p.data), needs: '"event_id", "event_type", "data"' },
  lemonsqueezy: { matches: (p) => isObject(p.meta) && nonEmpty(p.meta.event_name) && isObject(p.data), needs: '"meta.event_name", "data"' },
  polar: { matches: (p) => nonEmpty(p.type) && isObject(p.data) && p.object === undefined, needs: '"type", "data"' },
};

/** The providers whose payload shape this is (usually one: each provider names its event type differently). */
export function providersByShape(payload: unknown): ProviderName[] {
  return isObject(payload) ? PROVIDER_NAMES.filter((p) => SHAPES[p].matches(payload)) : [];
}

/** The nearest folder on the path named after a provider (`fixtures/stripe/x.json` → stripe). */
export function providerFromPath(file: string): ProviderName | null {
  const parts = path.resolve(file).split(path.sep).slice(0, -1).reverse();
  for (const part of parts) if (isProviderName(part.toLowerCase())) return part.toLowerCase() as ProviderName;
  return null;
}

/**
 * A file's JSON as a delivery. Shipped fixtures are `{ "provenance": …, "payload": <event> [, "webhook_id": …] }`
 * wrappers; a bare provider payload (what a provider posted, saved as is) is taken too. The provider is `forced`
 * (--provider), else the one the payload's shape names (the folder breaks a tie), else nothing: skipped.
 */
export function toInput(label: string, text: string, options: { forced?: ProviderName; folder?: ProviderName | null } = {}): ReplayInput {
  const skip = (reason: string, provider: ProviderName | null = options.forced ?? options.folder ?? null): ReplayInput => ({
    kind: 'skipped',
    skipped: { label, provider, reason },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return skip(`not JSON (${(err as Error).message})`);
  }
  let payload = parsed;
  let eventId: string | undefined;
  if (isObject(parsed) && providersByShape(parsed).length === 0 && isObject(parsed.payload)) {
    payload = parsed.payload;
    if (nonEmpty(parsed.webhook_id)) eventId = parsed.webhook_id;
  }
  if (!isObject(payload)) return skip('not a provider payload (the JSON is not an object)');

  const candidates = providersByShape(payload);
  let provider: ProviderName;
  if (options.forced) {
    if (!SHAPES[options.forced].matches(payload)) return skip(`not a ${options.forced} payload (needs ${SHAPES[options.forced].needs})`);
    provider = options.forced;
  } else if (options.folder && candidates.includes(options.folder)) {
    provider = options.folder;
  } else if (candidates.length === 1) {
    provider = candidates[0]!;
  } else if (candidates.length > 1) {
    return skip(`could be ${candidates.join(' or ')}: say which with --provider`, null);
  } else {
    return skip('not a provider payload (no Stripe, Paddle, Lemon Squeezy or Polar event shape)');
  }

  // The body is the payload as compact JSON: what the shipped fixtures' contract test signs too.
  const body = JSON.stringify(payload);
  if (provider === 'polar' && !eventId) eventId = eventIdOfBody(body);
  return { kind: 'delivery', delivery: { provider, label, body, ...(eventId ? { eventId } : {}) } };
}

/**
 * The event id of a bare Polar payload, which has none of its own (Polar sends it as the webhook-id header): derived
 * from the body, so sending the same payload twice is a duplicate, as it is for the other providers. Replay and the
 * testing kit's send() both use it.
 */
export function eventIdOfBody(body: string): string {
  return `replay_${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
}

/** Every file to read: files as given, folders walked for `*.json` (hidden entries left out), in path order. */
export function listFiles(targets: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) files.push(p);
    }
  };
  for (const target of targets) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(target);
    } catch {
      missing.push(target);
      continue;
    }
    if (stat.isDirectory()) walk(target);
    else files.push(target);
  }
  return { files, missing };
}

/** Reads the files as deliveries (or skips); a file is read when its turn comes, so a large folder streams. */
export function* readInputs(files: string[], forced?: ProviderName): Generator<ReplayInput> {
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      yield { kind: 'skipped', skipped: { label: file, provider: null, reason: `cannot be read (${(err as Error).message})` } };
      continue;
    }
    yield toInput(file, text, { forced, folder: providerFromPath(file) });
  }
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE36 = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomChars(length: number, alphabet = BASE62): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

/** A new event id in the provider's own format. */
export function freshEventId(provider: ProviderName): string {
  switch (provider) {
    case 'stripe':
      return `evt_${randomChars(24)}`;
    case 'paddle':
      return `evt_01${randomChars(24, BASE36)}`;
    case 'lemonsqueezy':
    case 'polar':
      return randomUUID();
  }
}

/**
 * `--fresh-ids`: the same payload under a new provider event id, so Refwire stores it as a new event instead of
 * answering "duplicate" (the ledger still counts each payment once: its keys are the payments' own ids).
 * The id each adapter's `verify` deduplicates on: Stripe `id`, Paddle `event_id`, Lemon Squeezy `meta.webhook_id`,
 * Polar the `webhook-id` header.
 */
export function withFreshEventId(delivery: Delivery): Delivery {
  const id = freshEventId(delivery.provider);
  if (delivery.provider === 'polar') return { ...delivery, eventId: `msg_${id}` };
  const payload = JSON.parse(delivery.body) as Json;
  if (delivery.provider === 'stripe') payload.id = id;
  else if (delivery.provider === 'paddle') payload.event_id = id;
  else (payload.meta as Json).webhook_id = id;
  return { ...delivery, body: JSON.stringify(payload) };
}
