// Sealing of stored secrets (provider API keys) with AES-256-GCM under the keys of KEYS_ENCRYPTION_KEYS. Each seal
// records which key made it, so the keys can be rotated; the additional data binds a ciphertext to its row.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseEncryptionKeys, type TConfig } from '@ai-trader/contracts';

export interface Sealed {
  encKeyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

export interface SecretBox {
  /** The id of the key new seals are made with. */
  readonly sealingKeyId: string;
  seal(plaintext: string, aad: string): Sealed;
  /** The plaintext; throws SecretBoxError when the key is unknown or the seal, its tag or its `aad` do not match. */
  open(sealed: Sealed, aad: string): string;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const IV_BYTES = 12; // GCM's recommended nonce length (NIST SP 800-38D): random per seal
const TAG_BYTES = 16;

/** A box over `id → 32-byte key`; `sealWith` (default: the first id) seals. */
export function createSecretBox(keys: ReadonlyArray<{ id: string; key: Buffer }>, sealWith?: string): SecretBox {
  if (keys.length === 0) throw new SecretBoxError('no encryption key given');
  const byId = new Map<string, Buffer>();
  for (const k of keys) {
    if (k.key.length !== 32) throw new SecretBoxError(`encryption key '${k.id}' must be 32 bytes (AES-256), it is ${k.key.length}`);
    byId.set(k.id, k.key);
  }
  const sealingKeyId = sealWith ?? keys[0]!.id;
  const sealingKey = byId.get(sealingKeyId);
  if (!sealingKey) throw new SecretBoxError(`no encryption key '${sealingKeyId}' to seal with (ids: ${[...byId.keys()].join(', ')})`);
  return {
    sealingKeyId,
    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { encKeyId: sealingKeyId, iv, ciphertext, authTag: cipher.getAuthTag() };
    },
    open(sealed, aad) {
      const key = byId.get(sealed.encKeyId);
      if (!key)
        throw new SecretBoxError(`sealed with encryption key '${sealed.encKeyId}', which KEYS_ENCRYPTION_KEYS does not have (its ids: ${[...byId.keys()].join(', ')}); put that entry back`);
      if (sealed.iv.length !== IV_BYTES || sealed.authTag.length !== TAG_BYTES) throw new SecretBoxError('the seal is malformed (IV or tag of the wrong length)');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(sealed.authTag);
        return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Node says only "Unsupported state or unable to authenticate data"; say what it means here.
        throw new SecretBoxError(`the seal does not open with encryption key '${sealed.encKeyId}': it was changed, or belongs to another row`);
      }
    },
  };
}

/** The box of the configuration, or null when KEYS_ENCRYPTION_KEYS is not set (nothing can be stored then). */
export function secretBoxFromConfig(config: Pick<TConfig, 'KEYS_ENCRYPTION_KEYS' | 'KEYS_ENCRYPTION_KEY_ID'>): SecretBox | null {
  if (!config.KEYS_ENCRYPTION_KEYS) return null;
  const parsed = parseEncryptionKeys(config.KEYS_ENCRYPTION_KEYS);
  if ('error' in parsed) throw new SecretBoxError(`KEYS_ENCRYPTION_KEYS ${parsed.error}`);
  return createSecretBox(parsed.keys.map((k) => ({ id: k.id, key: Buffer.from(k.base64, 'base64') })), config.KEYS_ENCRYPTION_KEY_ID);
}
