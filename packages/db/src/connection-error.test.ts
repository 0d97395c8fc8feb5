// Which errors say the connection to Postgres failed (a job then waits for the database instead of using an attempt).
import { describe, expect, it } from 'vitest';
import { isConnectionError } from './pg-pool.ts';

const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('isConnectionError', () => {
  it('recognises lost and refused connections, shutdowns and start-ups, also wrapped', () => {
    expect(isConnectionError(err('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(err('write ECONNRESET', { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(err('terminating connection due to administrator command', { code: '57P01' }))).toBe(true);
    expect(isConnectionError(err('the database system is starting up', { code: '57P03' }))).toBe(true);
    expect(isConnectionError(err('connection failure', { code: '08006' }))).toBe(true);
    expect(isConnectionError(err("pg pool 'pg': Postgres did not accept a connection within 10000 ms (is it running and reachable?)"))).toBe(true);
    expect(isConnectionError(new Error('scoring failed', { cause: err('Client has encountered a connection error and is not queryable') }))).toBe(true);
  });

  it('does not take a failed statement or anything else for one', () => {
    expect(isConnectionError(err('duplicate key value violates unique constraint "orders_pkey"', { code: '23505' }))).toBe(false);
    expect(isConnectionError(err('canceling statement due to statement timeout', { code: '57014' }))).toBe(false);
    expect(isConnectionError(err("pg pool 'pg' exhausted: all 6 connection(s) stayed busy for 10000 ms"))).toBe(false);
    expect(isConnectionError(new Error('intent x does not exist'))).toBe(false);
    expect(isConnectionError('ECONNRESET')).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});
