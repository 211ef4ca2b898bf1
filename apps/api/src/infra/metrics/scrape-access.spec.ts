import { describe, expect, it } from 'vitest';

import { ScrapeAccess } from './scrape-access';

describe('ScrapeAccess', () => {
  const loopback = ['127.0.0.0/8', '::1/128'];

  it('allows addresses in the networks', () => {
    const access = new ScrapeAccess(null, [...loopback, '10.1.0.0/16', '192.0.2.7']);

    expect(access.check('127.0.0.1', undefined)).toEqual({ allowed: true });
    expect(access.check('::1', undefined)).toEqual({ allowed: true });
    expect(access.check('::ffff:127.0.0.1', undefined)).toEqual({ allowed: true });
    expect(access.check('10.1.200.3', undefined)).toEqual({ allowed: true });
    expect(access.check('192.0.2.7', undefined)).toEqual({ allowed: true });
  });

  it('rejects other addresses with 403', () => {
    const access = new ScrapeAccess(null, loopback);

    expect(access.check('10.1.200.3', undefined)).toEqual(expect.objectContaining({ allowed: false, status: 403 }));
    expect(access.check('::ffff:10.0.0.1', undefined)).toEqual(expect.objectContaining({ allowed: false }));
    expect(access.check(undefined, undefined)).toEqual(expect.objectContaining({ allowed: false }));
  });

  it('accepts the token from anywhere', () => {
    const access = new ScrapeAccess('scrape-token-1234', []);

    expect(access.check('203.0.113.9', 'Bearer scrape-token-1234')).toEqual({ allowed: true });
    expect(access.check('203.0.113.9', 'Bearer scrape-token-12345')).toEqual(
      expect.objectContaining({ allowed: false, status: 401 }),
    );
    expect(access.check('127.0.0.1', 'Basic scrape-token-1234')).toEqual(
      expect.objectContaining({ allowed: false, status: 401 }),
    );
  });
});
