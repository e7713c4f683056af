import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Where outbound webhooks may go. Only public unicast addresses: loopback, private (RFC 1918), link-local
 * (cloud metadata at 169.254.169.254 among them), CGNAT, unique-local and site-local IPv6, multicast, broadcast,
 * reserved and unspecified ranges are refused. IPv6 forms that embed an IPv4 address: an IPv4-mapped address
 * (::ffff:0:0/96) is the IPv4 address itself to the socket, so it is judged as that address; the others —
 * IPv4-compatible (::/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16), Teredo (2001::/32) and
 * SIIT (::ffff:0:0:0/96) — are refused outright, whatever they embed: a gateway on the way decides where they
 * end up, and no webhook receiver needs them. Numeric spellings of IPv4 (2130706433, 0x7f.1, 0177.0.0.1, 127.1) are normalized by the URL parser
 * before the check. Checked when an endpoint is created and again at every connection, on the address actually
 * connected to (so a name that later resolves to a private address is refused too), unless
 * OUTBOUND_ALLOW_PRIVATE=true.
 */
export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * The WHATWG URL parser's spelling of an IPv6 address. ipaddr.js reads `::127.0.0.1` as the IPv4-mapped
 * `::ffff:127.0.0.1` while a URL (and the socket) reads it as the IPv4-compatible `::7f00:1`: one spelling for both.
 */
function canonicalIpv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** null when the address may be reached, else why not. */
export function forbiddenAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  let parsed = ipaddr.parse(address.includes(':') ? canonicalIpv6(address) : address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    // ipaddr.js counts ::/96 beyond :: and ::1 as unicast
    else if (v6.range() === 'unicast' && v6.parts.slice(0, 6).every((part) => part === 0)) return `${v6.toString()} is an IPv4-compatible address`;
  }
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
