// Demo secrets for `npm start`, made once under .run/ (files mode 0600) and reused so that sessions, the demo
// admin's password and the stored API keys' encryption key survive restarts. A value set in the environment always
// wins and is never written.
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newSessionSecret() {
  return randomBytes(48).toString('base64url');
}

/** KEYS_ENCRYPTION_KEYS with one entry: id "k1" and 32 random bytes (AES-256) in base64. */
export function newKeysEncryptionKeys() {
  return `k1:${randomBytes(32).toString('base64')}`;
}

/** 20 letters and digits with at least one upper-case, one lower-case and one digit (common password rules). */
export function newPassword(length = 20) {
  for (;;) {
    let s = '';
    for (let i = 0; i < length; i++) s += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s)) return s;
  }
}

/** The file's value, or a new one written with mode 0600 (`wx`: a concurrent start keeps the first one). */
function readOrCreate(file, make) {
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value) {
      if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      return value;
    }
    fs.rmSync(file);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const value = make();
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (error) {
    if (error.code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}

const SECRETS = {
  SESSION_SECRET: { file: 'session-secret', make: newSessionSecret },
  DEMO_ADMIN_PASSWORD: { file: 'demo-admin-password', make: () => newPassword() },
  // Seals the provider API keys stored in the database: lose it and they must be added again.
  KEYS_ENCRYPTION_KEYS: { file: 'keys-encryption-keys', make: newKeysEncryptionKeys },
};

/** `{ values: { SESSION_SECRET, DEMO_ADMIN_PASSWORD, KEYS_ENCRYPTION_KEYS }, sources: { NAME: 'environment' | '.run/<file>' } }`. */
export function demoSecrets(root, env = process.env) {
  const dir = path.join(root, '.run');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700); // made earlier by something else
  const values = {};
  const sources = {};
  for (const [name, { file, make }] of Object.entries(SECRETS)) {
    if (env[name]) {
      values[name] = env[name];
      sources[name] = 'environment';
    } else {
      values[name] = readOrCreate(path.join(dir, file), make);
      sources[name] = `.run/${file}`;
    }
  }
  return { values, sources };
}
