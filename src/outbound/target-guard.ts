import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Where outbound webhooks may go. Only public unicast addresses: loopback, private (RFC 1918), link-local
 * (cloud metadata at 169.254.169.254 among them), CGNAT, unique-local and site-local IPv6, IPv4-mapped and
 * NAT64/6to4/Teredo forms that embed an IPv4 address, multicast, broadcast, reserved and unspecified ranges are
 * refused. Numeric spellings of IPv4 (2130706433, 0x7f.1, 0177.0.0.1, 127.1) are normalized by the URL parser
 * before the check. Checked when an endpoint is created and again at every connection, on the address actually
 * connected to (so a name that later resolves to a private address is refused too), unless
 * OUTBOUND_ALLOW_PRIVATE=true.
 */
export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** null when the address may be reached, else why not. */
export function forbiddenAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === 'unicast' ? null : `${parsed.toString()} is a ${range} address`;
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The URL's own form: scheme, credentials, and an IP written in it. Names are checked when resolved. */
export function checkTargetUrl(raw: string, options: { allowPrivate: boolean }): TargetCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `the ${url.protocol.replace(':', '')} scheme is not allowed: use https or http` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  if (!url.hostname) return { ok: false, reason: 'the URL has no host' };
  if (options.allowPrivate) return { ok: true, url };
  const host = unbracket(url.hostname);
  if (ipaddr.isValid(host)) {
    const reason = forbiddenAddress(host);
    return reason ? { ok: false, reason: `${reason}, not a public one` } : { ok: true, url };
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return { ok: false, reason: 'localhost is not a public address' };
  return { ok: true, url };
}

/** Resolves a name to every address it has; none may be forbidden. */
export async function checkResolvedHost(hostname: string): Promise<string | null> {
  const host = unbracket(hostname);
  if (ipaddr.isValid(host)) return forbiddenAddress(host);
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))));
  for (const { address } of addresses) {
    const reason = forbiddenAddress(address);
    if (reason) return `${host} resolves to ${reason}`;
  }
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request: resolves, refuses the connection if any address is forbidden, and hands the
 * checked address to the socket, so what was checked is what is connected to (no second, rebindable lookup).
 */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    for (const { address } of addresses) {
      const reason = forbiddenAddress(address);
      if (reason) {
        const refused: NodeJS.ErrnoException = new Error(`refused: ${hostname} resolves to ${reason}`);
        refused.code = 'EREFUSEDTARGET';
        return callback(refused, '');
      }
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
