// The environment every process of `npm start` gets: the defaults of packages/contracts/src/config.ts made
// explicit (the children run in their package directories, so cwd-relative defaults would point elsewhere),
// the demo secrets, then whatever the user set, which wins.
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/ai_trader';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';

/** Environment for preflight, migrate, seed and the two services (the seed alone also gets the admin password). */
export function appEnv(root, secrets, env = process.env) {
  const port = env.PORT || '3000';
  const defaults = {
    DATABASE_URL: DEFAULT_DATABASE_URL,
    REDIS_URL: DEFAULT_REDIS_URL,
    PORT: port,
    PUBLIC_URL: `http://localhost:${port}`,
    REPLAY_DATA_DIR: path.resolve(root, '../shared/data'),
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    DEMO_ADMIN_EMAIL: DEFAULT_ADMIN_EMAIL,
  };
  const userSet = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return { ...defaults, ...userSet, SESSION_SECRET: secrets.SESSION_SECRET, KEYS_ENCRYPTION_KEYS: secrets.KEYS_ENCRYPTION_KEYS };
}

/** One warning when the replay data is missing: the workers would start and then find no bars. */
export function replayDataWarning(env) {
  return fs.existsSync(env.REPLAY_DATA_DIR)
    ? null
    : `REPLAY_DATA_DIR ${env.REPLAY_DATA_DIR} does not exist: the replay feed will have no bars (clone ../shared or set REPLAY_DATA_DIR)`;
}
