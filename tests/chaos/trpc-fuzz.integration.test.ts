// Bad input at the console's HTTP edge: every tRPC query and mutation is called as a signed-in admin (with CSRF)
// through handleTrpcRequest with malformed inputs generated from its own zod schema (zod-fuzz.ts), plus broken
// transport bodies and oversized requests. Every answer must be a 4xx — for a malformed input a 400 whose
// validation list is exactly what the schema says (the field named) — never a 500; the handler keeps answering;
// and nothing is written (row counts of every table, the audit log among them, unchanged).
// Seeded: CHAOS_SEED=n reproduces a run (the seed is printed). CHAOS_FULL=1: more random cases per procedure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { addUser, appRouter, createAuth, handleTrpcRequest, LiveHub, MAX_TRPC_BODY_BYTES, MAX_TRPC_URL_BYTES, sessionFromHeaders, type Auth } from '@ai-trader/api';
import { getTradingState } from '@ai-trader/core';
import { fuzzCases, seeded, superjsonWire, type ZodLike } from './zod-fuzz.ts';

const FULL = process.env.CHAOS_FULL === '1';
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ORIGIN = 'http://localhost:3000';
const PW = 'fuzz-admin-password-123';
type Proc = { _def: { type: 'query' | 'mutation' | 'subscription'; inputs: ZodLike[] } };
const procedures = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures)
  .filter(([, p]) => p._def.type !== 'subscription' && p._def.inputs.length > 0)
  .sort(([a], [b]) => a.localeCompare(b));

describe('fuzzed tRPC inputs, broken bodies and oversized requests', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let auth: Auth;
  let headers: Record<string, string>;
  const server = () => ({ config: rt.config, runtime: rt, auth, live });
  const call = (path: string, type: 'query' | 'mutation', wire: string) =>
    type === 'mutation'
      ? handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: wire }))
      : handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/${path}?input=${encodeURIComponent(wire)}`, { headers }));
  /** Rows in every table of the test database (the audit log among them). */
  const counts = async () => {
    const { rows } = await rt.deps.pool.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
    const out: Record<string, number> = {};
    for (const { t } of rows) out[t] = Number((await rt.deps.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
    return out;
  };
  const alive = async () => (await call('me', 'query', JSON.stringify({ json: undefined }))).status;

  beforeAll(async () => {
    rt = await createTestRuntime('trpcfuzz');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    auth = createAuth({ prisma: rt.deps.prisma, secret: 'f'.repeat(40), limits: rt.config, baseURL: ORIGIN, trustedOrigins: [ORIGIN] });
    await addUser(rt.deps.prisma, { email: 'admin@example.com', name: 'admin', role: 'admin', password: PW }, { id: null, email: 'system:test' });
    const res = await auth.handler(new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ email: 'admin@example.com', password: PW }) }));
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const s = (await sessionFromHeaders(auth, new Headers({ cookie })))!;
    headers = { cookie, origin: ORIGIN, host: 'localhost:3000', 'x-csrf-token': s.csrfToken };
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it(`every procedure refuses its schema's malformed inputs with the field named, never a 500, nothing written (seed ${SEED})`, async () => {
    console.log(`[chaos] tRPC fuzz seed ${SEED} (CHAOS_SEED=${SEED} reproduces it)`);
    expect(procedures.length).toBeGreaterThan(40);
    expect(await alive()).toBe(200);
    const before = await counts();
    const rand = seeded(SEED);
    const wrong: string[] = [];
    let sent = 0, skipped = 0, oversized = 0;
    for (const [path, p] of procedures) {
      // Huge strings: far past any field's limit in a POST body; in a query's URL, as long as a URL may be.
      const hugeLen = p._def.type === 'mutation' ? 100_000 : 3000;
      for (const c of fuzzCases(p._def.inputs[0], rand, { random: FULL ? 60 : 8, hugeLen })) {
        // Only inputs the schema itself refuses are sent (an accepted one could really change something); tRPC
        // checks the parsers in order and answers with the first one's issues.
        let expected: string[] | null = null;
        for (const parser of p._def.inputs) {
          const r = parser.safeParse(c.input);
          if (!r.success) {
            expected = r.error!.issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`);
            break;
          }
        }
        if (!expected) {
          skipped++;
          continue;
        }
        sent++;
        const wire = JSON.stringify(superjsonWire(c.input));
        const res = await call(path, p._def.type as 'query' | 'mutation', wire);
        // A query whose input makes its URL too long is refused as such (414) before it is parsed: also right.
        if (res.status === 414 && p._def.type === 'query' && encodeURIComponent(wire).length > MAX_TRPC_URL_BYTES - 200) {
          oversized++;
          continue;
        }
        const body = (await res.json().catch(() => null)) as { error?: { json?: { data?: { code?: string; validation?: string[] | null } } } } | null;
        const data = body?.error?.json?.data;
        if (res.status !== 400 || data?.code !== 'BAD_REQUEST' || JSON.stringify(data.validation) !== JSON.stringify(expected))
          wrong.push(`${path} [${c.name}]: ${res.status} ${data?.code ?? JSON.stringify(body).slice(0, 200)} ${JSON.stringify(data?.validation ?? null).slice(0, 300)} (expected 400 ${JSON.stringify(expected).slice(0, 300)})`);
      }
    }
    console.log(`[chaos] tRPC fuzz: ${procedures.length} procedures, ${sent} malformed inputs sent, ${skipped} generated inputs the schema accepted (not sent), ${oversized} queries refused 414 for their URL, ${wrong.length} wrong answers`);
    expect(wrong.slice(0, 30)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await alive()).toBe(200);
    expect(await counts()).toEqual(before);
  }, FULL ? 600_000 : 120_000);

  it('broken transport bodies: a 4xx naming the problem, never a 500, nothing written', async () => {
    const before = await counts();
    const bodies = [
      'not json', '{"json":', '[]', '{"json":{"reason":"x"},"meta":{"values":{"reason":["Date"]}}}', '{"json":1,"meta":{"values":["bigint"]}}',
      '{"json":{},"meta":{"values":{"__proto__.polluted":["undefined"]}}}', '{"json":{},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]}}}',
      '{"json":{"x":1},"meta":{"values":{"x":["class","Nope"]}}}', '{"json":{"x":1},"meta":{"values":{"x":["custom","Nope"]}}}', '\u0000\u0001', '{"json":null}',
    ];
    const wrong: string[] = [];
    for (const b of bodies) {
      const res = await call('trading.halt', 'mutation', b);
      const text = await res.text();
      if (res.status < 400 || res.status >= 500) wrong.push(`${JSON.stringify(b)} → ${res.status} ${text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await alive()).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it('an oversized body is refused 413 before anything runs (declared or streamed), a huge URL 414', async () => {
    const before = await counts();
    const huge = JSON.stringify({ json: { reason: 'A'.repeat(MAX_TRPC_BODY_BYTES + 10) } });
    const declared = await handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/trading.halt`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(huge)) }, body: huge }));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: `request body too large: ${Buffer.byteLength(huge)} bytes, at most ${MAX_TRPC_BODY_BYTES}` });
    // No Content-Length (chunked): counted as it arrives and abandoned at the limit.
    let sentBytes = 0;
    const chunk = new TextEncoder().encode('A'.repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sentBytes > 50 * MAX_TRPC_BODY_BYTES) return c.close(); // never reached: the reader stops at the limit
        sentBytes += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const streamed = await handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/trading.halt`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit));
    expect(streamed.status).toBe(413);
    expect(sentBytes).toBeLessThan(3 * MAX_TRPC_BODY_BYTES);
    const url = await call('orders.list', 'query', JSON.stringify({ json: { symbol: 'A'.repeat(20_000) } }));
    expect(url.status).toBe(414);
    expect(await alive()).toBe(200);
    expect(await counts()).toEqual(before);
    expect((await getTradingState(rt.deps.prisma)).state).toBe('ACTIVE'); // the refused halts did not run
  });
});
