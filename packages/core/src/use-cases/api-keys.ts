// Provider API keys stored encrypted (api_keys, sealed by the secret box): add, list (masked only), test against the
// provider, disable; the credentials in use (stored active key, else the environment). Rotation: rotate-api-key.ts.
import { randomUUID } from 'node:crypto';
import type { TActor, TAddApiKey, TApiKeyRow, TApiKeyTest, TApiKeyTested, TApiProvider, TConfig } from '@ai-trader/contracts';
import type { ApiKeyModel as ApiKey } from '@ai-trader/db';
import { secretBoxFromConfig, type SecretBox } from '../infra/secret-box.ts';
import type { ApiSecret, Deps } from '../ports.ts';
import { ForbiddenError } from './emergency.ts';

/** Who changes keys: an admin in the console, or an operator at the CLI (no role: the shell is the authority). */
export type KeyActor = Pick<TActor, 'id' | 'email'> & { role?: TActor['role'] };

/** A request about keys that cannot be done as asked; `code` is the tRPC code it maps to. */
export class ApiKeyError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST' | 'PRECONDITION_FAILED', message: string) {
    super(message);
    this.name = 'ApiKeyError';
  }
}

export const PROVIDER_NAME: Record<TApiProvider, string> = { alpaca: 'Alpaca', polygon: 'Polygon' };
const ENV_VARS: Record<TApiProvider, string> = { alpaca: 'ALPACA_KEY_ID / ALPACA_SECRET_KEY', polygon: 'POLYGON_API_KEY' };

/** "PK…9F3A": enough to tell keys apart, too little to use one. Short keys show only their last two characters. */
export function maskKey(key: string): string {
  return key.length >= 12 ? `${key.slice(0, 2)}…${key.slice(-4)}` : `…${key.slice(-2)}`;
}

/** The part of a secret that names it (Alpaca's key id; Polygon has only the key). */
export const shownPart = (s: ApiSecret) => (s.provider === 'alpaca' ? s.keyId : s.apiKey);

/** Every secret string of a key, for scrubbing texts. */
const secretStrings = (s: ApiSecret) => (s.provider === 'alpaca' ? [s.secretKey, s.keyId] : [s.apiKey]);

export function scrubSecret(text: string, s: ApiSecret): string {
  let out = text;
  for (const v of secretStrings(s)) if (v) out = out.split(v).join('***');
  return out;
}

/** Binds a seal to its provider and row: a ciphertext copied into another row does not open. */
export const sealAad = (provider: string, id: string) => `ait-api-key-v1|${provider}|${id}`;

export function requireBox(config: Pick<TConfig, 'KEYS_ENCRYPTION_KEYS' | 'KEYS_ENCRYPTION_KEY_ID'>): SecretBox {
  const box = secretBoxFromConfig(config);
  if (!box) throw new ApiKeyError('PRECONDITION_FAILED', 'KEYS_ENCRYPTION_KEYS is not set: API keys cannot be stored or read (see README, Configuration)');
  return box;
}

export function openKey(box: SecretBox, row: ApiKey): ApiSecret {
  const text = box.open({ encKeyId: row.encKeyId, iv: Buffer.from(row.iv), ciphertext: Buffer.from(row.ciphertext), authTag: Buffer.from(row.authTag) }, sealAad(row.provider, row.id));
  const v = JSON.parse(text) as Record<string, string>;
  return row.provider === 'alpaca' ? { provider: 'alpaca', keyId: v.keyId!, secretKey: v.secretKey! } : { provider: 'polygon', apiKey: v.apiKey! };
}

export function toKeyRow(r: ApiKey): TApiKeyRow {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: r.id, provider: r.provider as TApiProvider, status: r.status as TApiKeyRow['status'], label: r.label, masked: r.masked, encKeyId: r.encKeyId,
    createdAt: r.createdAt.toISOString(), createdByEmail: r.createdByEmail, testedAt: iso(r.testedAt), testOk: r.testOk, testResult: r.testResult,
    activatedAt: iso(r.activatedAt), disabledAt: iso(r.disabledAt),
  };
}

/** What an audit row says about a key: never more than its masked form. */
export const auditedKey = (r: Pick<ApiKey, 'id' | 'provider' | 'masked' | 'label' | 'status'>) =>
  ({ id: r.id, provider: r.provider, masked: r.masked, label: r.label, status: r.status });

export function requireAdmin(actor: KeyActor): void {
  if (actor.role !== undefined && actor.role !== 'admin') throw new ForbiddenError(`API keys are for admins (you are ${actor.role})`);
}

export async function findKey(deps: Pick<Deps, 'prisma'>, id: string): Promise<ApiKey> {
  const row = await deps.prisma.apiKey.findUnique({ where: { id } });
  if (!row) throw new ApiKeyError('NOT_FOUND', `no API key ${id} (see keys list)`);
  return row;
}

/** Stores a new key sealed, as pending: it is used only once tested and rotated in. */
export async function addApiKey(deps: Deps, input: { actor: KeyActor; key: TAddApiKey }): Promise<TApiKeyRow> {
  requireAdmin(input.actor);
  const box = requireBox(deps.config);
  const { key } = input;
  const secret: ApiSecret = key.provider === 'alpaca' ? { provider: 'alpaca', keyId: key.keyId, secretKey: key.secretKey } : { provider: 'polygon', apiKey: key.apiKey };
  // The same key twice would make rotation and rollback ambiguous; rows this box cannot open are not compared.
  for (const r of await deps.prisma.apiKey.findMany({ where: { provider: key.provider } })) {
    let other: ApiSecret;
    try {
      other = openKey(box, r);
    } catch {
      continue;
    }
    if (shownPart(other) === shownPart(secret)) throw new ApiKeyError('CONFLICT', `this ${PROVIDER_NAME[key.provider]} key is already stored as ${r.id} (${r.masked}, ${r.status})`);
  }
  const id = randomUUID();
  const plain = JSON.stringify(secret.provider === 'alpaca' ? { keyId: secret.keyId, secretKey: secret.secretKey } : { apiKey: secret.apiKey });
  const sealed = box.seal(plain, sealAad(key.provider, id));
  const masked = maskKey(shownPart(secret));
  const row = await deps.prisma.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        id, provider: key.provider, status: 'pending', label: key.label || null, masked, encKeyId: sealed.encKeyId,
        iv: new Uint8Array(sealed.iv), ciphertext: new Uint8Array(sealed.ciphertext), authTag: new Uint8Array(sealed.authTag),
        createdAt: deps.clock.now(), createdById: input.actor.id, createdByEmail: input.actor.email,
      },
    });
    await tx.auditLog.create({ data: { at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'keys.add', after: auditedKey(created) } });
    return created;
  });
  await deps.events.publish('audit');
  deps.logger.info({ category: 'system', provider: key.provider, keyRowId: id, masked, actor: input.actor.email }, `${PROVIDER_NAME[key.provider]} API key ${masked} added (pending)`);
  return toKeyRow(row);
}

/** Every stored key, masked, newest first per provider. */
export async function listApiKeys(deps: Pick<Deps, 'prisma'>, input: { provider?: TApiProvider } = {}): Promise<TApiKeyRow[]> {
  const rows = await deps.prisma.apiKey.findMany({ where: input.provider ? { provider: input.provider } : {}, orderBy: [{ provider: 'asc' }, { createdAt: 'desc' }] });
  return rows.map(toKeyRow);
}

/** Asks the provider about a key (never throws for the provider's answer) and says it without the key. */
export async function probeKey(deps: Pick<Deps, 'apiProbe' | 'clock'>, secret: ApiSecret): Promise<TApiKeyTest> {
  let r: Awaited<ReturnType<Deps['apiProbe']['probe']>>;
  try {
    r = await deps.apiProbe.probe(secret);
  } catch (e) {
    r = { ok: false, reachable: false, authorised: false, clockSkewMs: null, detail: e instanceof Error ? e.message : String(e) };
  }
  return { ok: r.ok, reachable: r.reachable, authorised: r.authorised, clockSkewMs: r.clockSkewMs, detail: scrubSecret(r.detail, secret), testedAt: deps.clock.now().toISOString() };
}

/** Records a test on the row: pending ↔ failed follow the result; active and disabled keys keep their status. */
export async function recordTest(deps: Pick<Deps, 'prisma'>, row: ApiKey, test: TApiKeyTest): Promise<ApiKey> {
  const status = row.status === 'pending' || row.status === 'failed' ? (test.ok ? 'pending' : 'failed') : row.status;
  return deps.prisma.apiKey.update({ where: { id: row.id }, data: { testedAt: new Date(test.testedAt), testOk: test.ok, testResult: test.detail, status } });
}

/** Tests a stored key against its provider (Alpaca: account and clock; Polygon: market status) and records the result. */
export async function testApiKey(deps: Deps, input: { actor: KeyActor; id: string }): Promise<TApiKeyTested> {
  requireAdmin(input.actor);
  const box = requireBox(deps.config);
  const row = await findKey(deps, input.id);
  const test = await probeKey(deps, openKey(box, row));
  const updated = await recordTest(deps, row, test);
  await deps.prisma.auditLog.create({
    data: { at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'keys.test', after: { ...auditedKey(updated), ok: test.ok, detail: test.detail } },
  });
  await deps.events.publish('audit');
  return { key: toKeyRow(updated), test };
}

/** Disables a key that is not in use (the active one is replaced by rotate or rollback, never left without one). */
export async function disableApiKey(deps: Deps, input: { actor: KeyActor; id: string; reason?: string }): Promise<TApiKeyRow> {
  requireAdmin(input.actor);
  const row = await deps.prisma.$transaction(async (tx) => {
    const [r] = await tx.$queryRaw<Array<{ status: string }>>`SELECT status FROM api_keys WHERE id = ${input.id}::uuid FOR UPDATE`;
    if (!r) throw new ApiKeyError('NOT_FOUND', `no API key ${input.id} (see keys list)`);
    const before = await tx.apiKey.findUniqueOrThrow({ where: { id: input.id } });
    if (r.status === 'active')
      throw new ApiKeyError('CONFLICT', `${before.masked} is the active ${PROVIDER_NAME[before.provider as TApiProvider]} key: rotate to another key (keys rotate) or roll back (keys rollback) instead`);
    if (r.status === 'disabled') return before;
    const after = await tx.apiKey.update({ where: { id: input.id }, data: { status: 'disabled', disabledAt: deps.clock.now() } });
    await tx.auditLog.create({
      data: { at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'keys.disable', reason: input.reason ?? null, before: auditedKey(before), after: auditedKey(after) },
    });
    return after;
  });
  await deps.events.publish('audit');
  return toKeyRow(row);
}

export interface ActiveCredentials {
  source: 'stored' | 'env';
  secret: ApiSecret;
  masked: string;
  /** The stored row in use (null for the environment). */
  row: Pick<ApiKey, 'id' | 'createdAt' | 'activatedAt'> | null;
}

/**
 * The key a provider's clients use now: the stored active key, else the environment's, else null. An active stored
 * key this process cannot open (KEYS_ENCRYPTION_KEYS missing or without its entry) is an error, not a silent fallback.
 */
export async function activeCredentials(deps: Pick<Deps, 'prisma' | 'config'>, provider: TApiProvider): Promise<ActiveCredentials | null> {
  const row = await deps.prisma.apiKey.findFirst({ where: { provider, status: 'active' }, orderBy: { activatedAt: 'desc' } });
  if (row) {
    const box = secretBoxFromConfig(deps.config);
    if (!box) throw new ApiKeyError('PRECONDITION_FAILED', `the active ${PROVIDER_NAME[provider]} key ${row.masked} is stored encrypted, but KEYS_ENCRYPTION_KEYS is not set in this process`);
    const secret = openKey(box, row);
    return { source: 'stored', secret, masked: row.masked, row: { id: row.id, createdAt: row.createdAt, activatedAt: row.activatedAt } };
  }
  const c = deps.config;
  if (provider === 'alpaca' && c.ALPACA_KEY_ID && c.ALPACA_SECRET_KEY)
    return { source: 'env', secret: { provider, keyId: c.ALPACA_KEY_ID, secretKey: c.ALPACA_SECRET_KEY }, masked: maskKey(c.ALPACA_KEY_ID), row: null };
  if (provider === 'polygon' && c.POLYGON_API_KEY) return { source: 'env', secret: { provider, apiKey: c.POLYGON_API_KEY }, masked: maskKey(c.POLYGON_API_KEY), row: null };
  return null;
}

export class MissingCredentialsError extends Error {
  constructor(provider: TApiProvider) {
    super(`no ${PROVIDER_NAME[provider]} API key: neither an active stored key (ai-trader keys add --provider ${provider}, then keys rotate) nor ${ENV_VARS[provider]} in the environment`);
    this.name = 'MissingCredentialsError';
  }
}

/** activeCredentials, or MissingCredentialsError: what the adapters run on. */
export async function requireCredentials(deps: Pick<Deps, 'prisma' | 'config'>, provider: TApiProvider): Promise<ActiveCredentials> {
  const c = await activeCredentials(deps, provider);
  if (!c) throw new MissingCredentialsError(provider);
  return c;
}
