// `ai-trader keys …` and `status --check-apis` as processes against the fake Alpaca: keys added from stdin and from
// environment variables named by option (never argv), listed masked, tested, rotated; check-apis passing and then
// failing (exit 1) once the provider refuses the key; usage errors are one line with exit 2; no secret is printed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { runCli } from './helpers/processes.ts';

const OLD = { keyId: `PKCLI${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-cli-old-${randomBytes(16).toString('hex')}` };
const NEW = { keyId: `PKCLN${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-cli-new-${randomBytes(16).toString('hex')}` };
const masked = (k: { keyId: string }) => `PK…${k.keyId.slice(-4)}`;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('ai-trader keys and status --check-apis', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let env: Record<string, string>;
  const printed: string[] = [];
  const cli = async (args: string[], stdin?: string, extra: Record<string, string> = {}) => {
    const r = await runCli(args, { ...env, ...extra }, stdin);
    printed.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: OLD.keyId, secretKey: OLD.secretKey });
    rt = await createTestRuntime('keyscli');
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn',
      BROKER: 'alpaca', ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl, KEYS_ENCRYPTION_KEYS: `main:${randomBytes(32).toString('base64')}`,
    };
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('adds from stdin and from named env vars, lists masked, tests, rotates, checks the APIs; never prints a secret', async () => {
    const [fromStdin, fromEnv, half, kraken] = await Promise.all([
      cli(['keys', 'add', '--provider', 'alpaca', '--label', 'paper Q2'], `${OLD.keyId}\n${OLD.secretKey}\n`),
      cli(['keys', 'add', '--provider', 'alpaca', '--key-id-env', 'NEW_ID', '--secret-key-env', 'NEW_SECRET'], undefined, { NEW_ID: NEW.keyId, NEW_SECRET: NEW.secretKey }),
      cli(['keys', 'add', '--provider', 'alpaca', '--secret-key-env', 'NEW_SECRET'], undefined, { NEW_SECRET: NEW.secretKey }),
      cli(['keys', 'rotate', '--provider', 'kraken', '--id', 'x']),
    ]);
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    const oldId = new RegExp(`^added alpaca key ${masked(OLD)} as (${UUID}) \\(pending\\)$`, 'm').exec(fromStdin.stdout)?.[1];
    const newId = new RegExp(`^added alpaca key ${masked(NEW)} as (${UUID}) \\(pending\\)$`, 'm').exec(fromEnv.stdout)?.[1];
    expect(oldId, fromStdin.stdout).toBeDefined();
    expect(newId, fromEnv.stdout + fromEnv.stderr).toBeDefined();
    expect([half.status, half.stderr.trim()]).toEqual([2, 'give both --key-id-env and --secret-key-env, or neither (then stdin)']);
    expect([kraken.status, kraken.stderr.trim()]).toEqual([2, '--provider kraken: must be alpaca or polygon']);

    // The old key goes live (tested on the way); the new one is not yet issued at the provider, so its test fails.
    const [rotated, tested] = await Promise.all([cli(['keys', 'rotate', '--provider', 'alpaca', '--id', oldId!]), cli(['keys', 'test', '--id', newId!])]);
    expect([rotated.status, rotated.stdout.trim()]).toEqual([0, `swapped: Alpaca key ${masked(OLD)} is active`]);
    expect([tested.status, tested.stdout.trim()]).toEqual([1, `FAILED alpaca ${masked(NEW)} (failed): Alpaca refused the key (HTTP 401): request is not authorized`]);

    const [list, status] = await Promise.all([cli(['keys', 'list']), cli(['status', '--check-apis'])]);
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^provider +status +key +label +added +last test +id$/);
    // Both were added at once: newest first, in whichever order they landed.
    expect(lines.slice(1).map((l) => l.split(/ {1,}/).slice(0, 3)).sort()).toEqual([['alpaca', 'active', masked(OLD)], ['alpaca', 'failed', masked(NEW)]]);
    expect(lines.find((l) => l.includes(masked(OLD)))).toContain('paper Q2');
    expect(status.status, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^provider APIs: ok$/m);
    expect(status.stdout).toMatch(new RegExp(`^ {2}alpaca +ok +${masked(OLD)} \\(stored, 0 d old, active since \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC\\); reachable yes, authorised yes; account ACTIVE \\(USD\\); market open; clock skew [+-]\\d+\\.\\d s$`, 'm'));

    fake.setKeys([]); // revoked at the provider
    const failing = await cli(['status', '--check-apis', '--json']);
    expect(failing.status).toBe(1);
    expect(JSON.parse(failing.stdout).apis).toMatchObject({ ok: false, checks: [{ provider: 'alpaca', source: 'stored', ok: false, reachable: true, authorised: false, masked: masked(OLD) }] });

    for (const s of [OLD.keyId, OLD.secretKey, NEW.keyId, NEW.secretKey]) expect(printed.join('\n')).not.toContain(s);
  });
});
