import type { Request } from 'express';

/**
 * The value of the request's cookie `name`, or null. A value whose percent-encoding is malformed (`%E0%A4%A`) is no
 * token this server issued, so it counts as no cookie (a 401 where one is needed) rather than an exception.
 */
export function cookieValue(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim()) || null;
    } catch {
      return null;
    }
  }
  return null;
}
