import { allowedDomainsField, checkedTarget, hostAllowed } from '../../src/tracking/allowed-domains';
import { HttpError } from '../../src/http/errors';

/** The allowed_domains rule: exact hosts, "*." for subdomains (not the apex), http(s) only, no credentials. */
describe('allowed_domains', () => {
  it('normalizes entries: lower case, punycode, no trailing dot, duplicates dropped', () => {
    expect(allowedDomainsField.parse([' Example.COM ', 'example.com.', '*.Shop.Example.com', 'bücher.de', 'localhost', '127.0.0.1'])).toEqual([
      'example.com',
      '*.shop.example.com',
      'xn--bcher-kva.de',
      'localhost',
      '127.0.0.1',
    ]);
  });

  it.each([
    ['https://example.com', /^0: must be a host name/],
    ['example.com/path', /^0: must be a host name/],
    ['example.com:8080', /^0: must be a host name/],
    ['user@example.com', /^0: must be a host name/],
    ['exa mple.com', /^0: must be a host name/],
    ['*', /^0: must be a host name/],
    ['*.com', /^0: a wildcard needs a domain of at least two labels/],
    ['*.10.0.0.1', /^0: a wildcard needs a domain of at least two labels/],
    ['a.*.example.com', /^0: must be a host name/],
    ['-bad.example.com', /^0: must be a host name/],
  ])('refuses %j', (entry, message) => {
    const parsed = allowedDomainsField.safeParse([entry]);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(message);
  });

  it('an exact entry allows that host only; a wildcard its subdomains, not the apex', () => {
    const allowed = ['example.com', '*.shop.test'];
    expect(hostAllowed('example.com', allowed)).toBe(true);
    expect(hostAllowed('EXAMPLE.com.', allowed)).toBe(true);
    expect(hostAllowed('www.example.com', allowed)).toBe(false);
    expect(hostAllowed('evil-example.com', allowed)).toBe(false);
    expect(hostAllowed('example.com.evil.test', allowed)).toBe(false);
    expect(hostAllowed('www.shop.test', allowed)).toBe(true);
    expect(hostAllowed('a.b.shop.test', allowed)).toBe(true);
    expect(hostAllowed('shop.test', allowed)).toBe(false);
    expect(hostAllowed('evilshop.test', allowed)).toBe(false);
  });

  const refusal = (raw: string, allowed = ['example.com', '*.example.com']) => {
    try {
      checkedTarget(raw, allowed);
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(400);
      return (err as HttpError).message;
    }
    throw new Error(`${raw} was accepted`);
  };

  it('stores the target as a browser will follow it', () => {
    expect(checkedTarget('  https://WWW.Example.com/pricing?plan=pro#faq ', ['*.example.com'])).toBe('https://www.example.com/pricing?plan=pro#faq');
    expect(checkedTarget('http://example.com', ['example.com'])).toBe('http://example.com/');
    // a backslash is a slash to a browser: the host checked is the host visited
    expect(refusal('https:\\\\evil.test\\@example.com')).toMatch(/^target_url: /);
  });

  it.each([
    ['javascript:alert(1)', 'target_url: must be an http(s) URL; javascript: is refused'],
    ['JavaScript:alert(document.cookie)//example.com', 'target_url: must be an http(s) URL; javascript: is refused'],
    ['data:text/html,<script>alert(1)</script>', 'target_url: must be an http(s) URL; data: is refused'],
    ['ftp://example.com/file', 'target_url: must be an http(s) URL; ftp: is refused'],
    ['//evil.test/', 'target_url: must be an absolute http(s) URL'],
    ['/pricing', 'target_url: must be an absolute http(s) URL'],
    ['https://example.com@evil.test/', 'target_url: must not contain a user name or password'],
    ['https://user:pw@example.com/', 'target_url: must not contain a user name or password'],
    ['https://evil.test/?next=example.com', "target_url: evil.test is not on the project's allowed_domains (example.com, *.example.com)"],
    ['https://example.com.evil.test/', "target_url: example.com.evil.test is not on the project's allowed_domains (example.com, *.example.com)"],
  ])('refuses %s', (raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('refuses every target while the project has no allowed_domains', () => {
    expect(refusal('https://example.com/', [])).toBe('target_url: the project has no allowed_domains yet; set them with PATCH /api/v1/settings');
  });
});
