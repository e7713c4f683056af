import { z } from 'zod';
import { HttpError } from '../http/errors';

/**
 * Where a tracking link may send a visitor: the project's `allowed_domains`. `/r/:slug` is a public redirect on
 * Refwire's own host, so a target anywhere else would make Refwire an open redirect for phishing.
 *
 * The rule: `example.com` allows exactly `example.com`; `*.example.com` allows every subdomain of it
 * (`www.example.com`, `a.b.example.com`) but not `example.com` itself, as a wildcard certificate does. Subdomains
 * are not implied because they are often not the merchant's to vouch for: a help desk or status page CNAMEd to a
 * third party, a forgotten record open to subdomain takeover, user content on `<name>.example.com`. A merchant
 * who means all of them says so with `*.`. Host names compare in their ASCII (punycode) form, without a trailing
 * dot; ports are not part of the rule.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function isHostName(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return true; // an IPv6 literal, as URL writes it
  if (IPV4.test(host)) return true;
  return host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}

/** The ASCII host name of an entry, or null when it is not a bare host name (a URL, a port, a path, spaces…). */
function asciiHost(value: string): string | null {
  if (/[\s/\\@?#*]/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return null;
  }
  if (url.port !== '' || value.endsWith(':')) return null;
  const host = url.hostname.replace(/\.$/, '');
  return host && isHostName(host) ? host : null;
}

/** One `allowed_domains` entry, normalized: lower case, punycode, no trailing dot; `*.` kept. */
const domainEntry = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value, ctx) => {
    const wildcard = value.startsWith('*.');
    const host = asciiHost(wildcard ? value.slice(2) : value);
    if (!host) {
      ctx.addIssue({ code: 'custom', message: 'must be a host name such as "example.com", or "*.example.com" for its subdomains' });
      return z.NEVER;
    }
    if (wildcard && (!host.includes('.') || IPV4.test(host) || host.startsWith('['))) {
      ctx.addIssue({ code: 'custom', message: 'a wildcard needs a domain of at least two labels ("*.example.com"), not a top-level domain or an address' });
      return z.NEVER;
    }
    return wildcard ? `*.${host}` : host;
  });

/** The project setting: up to 100 entries, duplicates dropped. */
export const allowedDomainsField = z
  .array(domainEntry)
  .max(100)
  .transform((entries) => [...new Set(entries)]);

/** Whether a URL's host is on the list. */
export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowed.some((entry) => (entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry));
}

/**
 * A link target as stored and redirected to: the URL as WHATWG parsing normalizes it (the form a browser will
 * follow, so what was checked is what is visited), http or https, no credentials, its host on the list. Every
 * refusal is a 400 naming `target_url`.
 */
export function checkedTarget(raw: string, allowed: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new HttpError(400, 'target_url: must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError(400, `target_url: must be an http(s) URL; ${url.protocol} is refused`);
  }
  if (url.username || url.password) throw new HttpError(400, 'target_url: must not contain a user name or password');
  if (allowed.length === 0) {
    throw new HttpError(400, 'target_url: the project has no allowed_domains yet; set them with PATCH /api/v1/settings');
  }
  if (!hostAllowed(url.hostname, allowed)) {
    throw new HttpError(400, `target_url: ${url.hostname} is not on the project's allowed_domains (${allowed.join(', ')})`);
  }
  if (url.href.length > 2048) throw new HttpError(400, 'target_url: must be at most 2048 characters');
  return url.href;
}
