// Who may read the metrics: the bearer token when one is set; without it loopback only, and nobody in production.
import { describe, expect, it } from 'vitest';
import { forwardedAddress, metricsAccess } from './metrics-http.ts';

const token = 'a-metrics-token-0123456789';
const ask = (o: Partial<Parameters<typeof metricsAccess>[0]>) => metricsAccess({ authorization: null, address: '127.0.0.1', token: undefined, production: false, ...o });

describe('metricsAccess', () => {
  it('with METRICS_TOKEN: the exact bearer token, from anywhere; anything else is 401', () => {
    expect(ask({ token, authorization: `Bearer ${token}`, address: '10.0.0.7' })).toEqual({ ok: true });
    expect(ask({ token, authorization: `bearer ${token}`, production: true })).toEqual({ ok: true });
    for (const authorization of [null, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, token, 'Basic abc'])
      expect(ask({ token, authorization }), String(authorization)).toMatchObject({ ok: false, status: 401 });
    // Loopback does not replace the token once one is set.
    expect(ask({ token, address: '127.0.0.1' })).toMatchObject({ ok: false, status: 401 });
  });

  it('without METRICS_TOKEN: loopback (or an address nobody stated) outside production, else 403 naming the variable', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', null]) expect(ask({ address }), String(address)).toEqual({ ok: true });
    for (const address of ['10.0.0.7', '192.168.1.2', '::ffff:10.0.0.1', '128.0.0.1'])
      expect(ask({ address }), address).toMatchObject({ ok: false, status: 403, message: expect.stringContaining('METRICS_TOKEN') });
    expect(ask({ production: true, address: '127.0.0.1' })).toMatchObject({ ok: false, status: 403, message: expect.stringContaining('METRICS_TOKEN') });
  });

  it('reads the first x-forwarded-for entry as the caller', () => {
    expect(forwardedAddress(new Headers({ 'x-forwarded-for': '10.0.0.7, 127.0.0.1' }))).toBe('10.0.0.7');
    expect(forwardedAddress(new Headers())).toBeNull();
  });
});
