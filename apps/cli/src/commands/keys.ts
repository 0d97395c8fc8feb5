// `ai-trader keys`: provider API keys stored encrypted — add, list, test, rotate, rollback, disable. Secrets are
// never taken from argv (visible in `ps` and shell history): they come from stdin (piped, or typed unechoed at a
// terminal) or from environment variables named by option. Only masked keys are ever printed.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ZAddApiKey, ZApiProvider, type TApiKeyRow, type TApiKeySwap, type TApiKeyTest, type TApiProvider } from '@ai-trader/contracts';
import { addApiKey, ApiKeyError, disableApiKey, ForbiddenError, listApiKeys, rollbackApiKey, rotateApiKey, SecretBoxError, testApiKey } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function provider(v: string | undefined, flag = '--provider'): TApiProvider {
  const p = ZApiProvider.safeParse(v);
  if (!p.success) throw new CliError(`${flag} ${v ?? '(missing)'}: must be alpaca or polygon`, 2);
  return p.data;
}

function keyId(v: string | undefined): string {
  if (!v || !UUID.test(v)) throw new CliError(`--id ${v ?? '(missing)'}: must be a key id (a UUID, see ai-trader keys list)`, 2);
  return v;
}

/** Use-case refusals as one line (exit 1); anything else propagates. */
async function run<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiKeyError || e instanceof ForbiddenError || e instanceof SecretBoxError) throw new CliError(`${paint.red('error:')} ${e.message}`, 1);
    throw e;
  }
}

/** Reads `names.length` values: lines of piped stdin, or answers typed at a terminal without echo. */
async function readSecrets(names: string[]): Promise<string[]> {
  if (!process.stdin.isTTY) {
    let s = '';
    for await (const chunk of process.stdin) s += String(chunk);
    const lines = s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    if (lines.length < names.length) throw new CliError(`stdin: expected ${names.join(' and ')} on ${names.length === 1 ? 'one line' : `${names.length} lines`}, got ${lines.length} line(s)`, 2);
    return lines.slice(0, names.length);
  }
  const muted = { on: false };
  const out = new Writable({ write: (chunk, _enc, done) => void (muted.on ? done() : process.stderr.write(chunk, done)) });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    const values: string[] = [];
    for (const name of names) {
      const answer = new Promise<string>((resolve) => rl.question(`${name}: `, resolve));
      muted.on = true; // the prompt is out; what is typed next is not echoed
      values.push((await answer).trim());
      muted.on = false;
      process.stderr.write('\n');
    }
    return values;
  } finally {
    rl.close();
  }
}

/** A secret from the environment variable named by an option (e.g. set by a secrets manager), never printed. */
function fromEnv(flag: string, name: string): string {
  // The one place the CLI reads process.env beyond the config: the operator named the variable on purpose.
  const v = process.env[name];
  if (!v) throw new CliError(`${flag} ${name}: that environment variable is not set or empty`, 2);
  return v;
}

const STATUS_COLOUR = { active: paint.green, pending: paint.yellow, failed: paint.red, disabled: paint.dim } as const;
const ago = (iso: string | null) => {
  if (!iso) return '—';
  const min = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  return min < 60 ? `${min} min ago` : min < 48 * 60 ? `${Math.round(min / 60)} h ago` : `${Math.round(min / 1440)} d ago`;
};

function printKeys(rows: TApiKeyRow[]): void {
  if (!rows.length) return console.log('no stored keys: `ai-trader keys add --provider alpaca` (secrets from stdin)');
  console.log(['provider'.padEnd(8), 'status'.padEnd(8), 'key'.padEnd(10), 'label'.padEnd(16), 'added'.padEnd(36), 'last test'.padEnd(22), 'id'].join(' '));
  for (const r of rows) {
    const test = r.testOk === null ? '—' : `${r.testOk ? 'ok' : 'FAILED'} ${ago(r.testedAt)}`;
    console.log([
      r.provider.padEnd(8), STATUS_COLOUR[r.status](r.status.padEnd(8)), r.masked.padEnd(10), (r.label ?? '—').slice(0, 16).padEnd(16),
      `${r.createdAt.slice(0, 10)} by ${r.createdByEmail}`.slice(0, 36).padEnd(36), (r.testOk === false ? paint.red : (s: string) => s)(test.padEnd(22)), r.id,
    ].join(' '));
  }
}

const testLine = (masked: string, t: TApiKeyTest) => `${t.ok ? paint.green('ok') : paint.red('FAILED')} ${masked}: ${t.detail}`;

/** A refused swap changed nothing and exits 1. */
function printSwap(r: TApiKeySwap, json?: boolean): void {
  if (r.outcome === 'refused') process.exitCode = 1;
  if (json) console.log(JSON.stringify(r, null, 2));
  else if (r.outcome === 'swapped') console.log(`${paint.green('swapped')}: ${r.message}`);
  else console.log(`${paint.red('refused')}: ${r.message}`);
}

export function registerKeys(program: Command, ctx: () => CliContext) {
  const keys = program.command('keys').description('provider API keys stored encrypted: add, list, test, rotate, rollback, disable');
  const actor = () => cliActor();

  keys
    .command('add')
    .description('store a new key (pending until rotated in); secrets from stdin — Alpaca: key id, then secret, one per line — or from --*-env')
    .option('--provider <provider>', 'alpaca | polygon')
    .option('--label <label>', 'a name for the key, e.g. "paper 2025-Q3"')
    .option('--key-id-env <VAR>', 'Alpaca: read the key id from this environment variable')
    .option('--secret-key-env <VAR>', 'Alpaca: read the secret key from this environment variable')
    .option('--api-key-env <VAR>', 'Polygon: read the API key from this environment variable')
    .action(async (o: { provider?: string; label?: string; keyIdEnv?: string; secretKeyEnv?: string; apiKeyEnv?: string }) => {
      const p = provider(o.provider);
      let input: unknown;
      if (p === 'alpaca') {
        if (o.apiKeyEnv) throw new CliError('--api-key-env is for polygon; Alpaca takes --key-id-env and --secret-key-env', 2);
        if (!!o.keyIdEnv !== !!o.secretKeyEnv) throw new CliError('give both --key-id-env and --secret-key-env, or neither (then stdin)', 2);
        const [id, secret] = o.keyIdEnv ? [fromEnv('--key-id-env', o.keyIdEnv), fromEnv('--secret-key-env', o.secretKeyEnv!)] : await readSecrets(['Alpaca key id', 'Alpaca secret key']);
        input = { provider: p, label: o.label, keyId: id, secretKey: secret };
      } else {
        if (o.keyIdEnv || o.secretKeyEnv) throw new CliError('--key-id-env and --secret-key-env are for alpaca; Polygon takes --api-key-env', 2);
        const [key] = o.apiKeyEnv ? [fromEnv('--api-key-env', o.apiKeyEnv)] : await readSecrets(['Polygon API key']);
        input = { provider: p, label: o.label, apiKey: key };
      }
      const parsed = ZAddApiKey.safeParse(input);
      // zod's messages name the field and the rule, never the value.
      if (!parsed.success) throw new CliError(`${paint.red('error:')} ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 2);
      const row = await run(addApiKey(ctx().runtime().deps, { actor: actor(), key: parsed.data }));
      console.log(`added ${row.provider} key ${row.masked} as ${row.id} (${STATUS_COLOUR.pending('pending')})`);
      console.log(`next: ai-trader keys test --id ${row.id}, then ai-trader keys rotate --provider ${row.provider} --id ${row.id}`);
    });

  keys
    .command('list')
    .description('stored keys, masked, newest first per provider')
    .option('--provider <provider>', 'alpaca | polygon')
    .option('--json', 'print JSON')
    .action(async (o: { provider?: string; json?: boolean }) => {
      const rows = await run(listApiKeys(ctx().runtime().deps, o.provider === undefined ? {} : { provider: provider(o.provider) }));
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      printKeys(rows);
    });

  keys
    .command('test')
    .description('try keys against the provider (Alpaca: account and clock; Polygon: market status) and record the result; exit 1 if one fails')
    .option('--id <id>', 'this key')
    .option('--provider <provider>', 'every key of this provider that is not disabled')
    .option('--json', 'print JSON')
    .action(async (o: { id?: string; provider?: string; json?: boolean }) => {
      if ((o.id === undefined) === (o.provider === undefined)) throw new CliError('give --id ID or --provider alpaca|polygon', 2);
      const deps = ctx().runtime().deps;
      const ids = o.id !== undefined ? [keyId(o.id)] : (await run(listApiKeys(deps, { provider: provider(o.provider) }))).filter((r) => r.status !== 'disabled').map((r) => r.id);
      if (!ids.length) throw new CliError(`no ${o.provider} key to test (see ai-trader keys list)`, 1);
      const results = [];
      for (const id of ids) results.push(await run(testApiKey(deps, { actor: actor(), id })));
      if (o.json) console.log(JSON.stringify(results, null, 2));
      else for (const r of results) console.log(testLine(`${r.key.provider} ${r.key.masked} (${r.key.status})`, r.test));
      if (results.some((r) => !r.test.ok)) process.exitCode = 1;
    });

  keys
    .command('rotate')
    .description('make a tested pending key the active one (tested again if its pass is older than 5 min); the old key is kept disabled for rollback')
    .option('--provider <provider>', 'alpaca | polygon')
    .option('--id <id>', 'the new key')
    .option('--reason <reason>', 'kept in the audit log')
    .option('--json', 'print JSON')
    .action(async (o: { provider?: string; id?: string; reason?: string; json?: boolean }) => {
      const r = await run(rotateApiKey(ctx().runtime().deps, { actor: actor(), provider: provider(o.provider), id: keyId(o.id), reason: o.reason }));
      printSwap(r, o.json);
    });

  keys
    .command('rollback')
    .description('re-activate the most recently disabled key (after testing it); the current one is disabled')
    .option('--provider <provider>', 'alpaca | polygon')
    .option('--reason <reason>', 'kept in the audit log')
    .option('--json', 'print JSON')
    .action(async (o: { provider?: string; reason?: string; json?: boolean }) => {
      const r = await run(rollbackApiKey(ctx().runtime().deps, { actor: actor(), provider: provider(o.provider), reason: o.reason }));
      printSwap(r, o.json);
    });

  keys
    .command('disable')
    .description('disable a key that is not in use (the active one is replaced by rotate or rollback)')
    .option('--id <id>', 'the key')
    .option('--reason <reason>', 'kept in the audit log')
    .action(async (o: { id?: string; reason?: string }) => {
      const r = await run(disableApiKey(ctx().runtime().deps, { actor: actor(), id: keyId(o.id), reason: o.reason }));
      console.log(`${r.provider} key ${r.masked} is ${STATUS_COLOUR.disabled('disabled')}`);
    });
}
